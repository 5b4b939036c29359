// Man pages and shell completion come from the one command table: every verb and flag is in
// them, the package installs them, and the bash completion completes what the CLI takes.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COMMANDS, GLOBAL_FLAGS } from '../../src/cli/commands';
import { bashCompletion, manPage, verbs, zshCompletion } from '../../src/cli/docs';

const ROOT = path.join(__dirname, '../..');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('man pages', () => {
  test('tsrun(8) lists every verb and global flag; each verb\'s page every flag it takes', () => {
    const main = manPage(undefined, '0.0.0');
    for (const v of verbs()) expect(main).toContain(`\\fBtsrun\\-${v}\\fR(8)`);
    for (const [n, s] of Object.entries(GLOBAL_FLAGS)) if (!s.hidden) expect(main).toContain(`\\fB\\-\\-${n.replace(/-/g, '\\-')}\\fR`);
    for (const v of verbs()) {
      const page = manPage(v, '0.0.0');
      expect(page).toContain(`.TH TSRUN-${v.toUpperCase()} 8`);
      expect(page).toContain(`tsrun\\-${v} \\- `);
      for (const [n, s] of Object.entries(COMMANDS[v].flags)) if (!s.hidden) expect(page).toContain(`\\fB\\-\\-${n.replace(/-/g, '\\-')}\\fR`);
    }
  });

  (has('groff') ? test : test.skip)('groff renders them without a warning (skipped without groff)', () => {
    for (const v of [undefined, ...verbs()]) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: manPage(v, '0.0.0'), encoding: 'utf8' });
      expect({ page: v ?? 'tsrun', stderr: r.stderr }).toEqual({ page: v ?? 'tsrun', stderr: '' });
    }
  });

  test('package.json installs one page per verb, and ships man/, completion/ and docs/', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.man).toEqual(['./man/tsrun.8', ...verbs().map((v) => `./man/tsrun-${v}.8`)]);
    expect(pkg.files).toEqual(expect.arrayContaining(['man', 'completion', 'docs']));
  });

  (fs.existsSync(path.join(ROOT, 'man/tsrun.8')) ? test : test.skip)('the built man/ and completion/ are current (skipped before the build)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-docs.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  (has('man') && fs.existsSync(path.join(ROOT, 'man/tsrun.8')) ? test : test.skip)('install-docs.sh: `man tsrun` and `man tsrun-exec` work from the prefix', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-man-'));
    try {
      expect(spawnSync(path.join(ROOT, 'scripts/install-docs.sh'), [prefix]).status).toBe(0);
      const r = spawnSync('man', ['-M', path.join(prefix, 'share/man'), 'tsrun-exec'], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat' } });
      expect(r.stdout).toMatch(/tsrun-exec - execute new process inside the container/);
      expect(fs.existsSync(path.join(prefix, 'share/bash-completion/completions/tsrun'))).toBe(true);
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  });
});

describe('bash completion', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-comp-'));
    fs.writeFileSync(path.join(dir, 'tsrun.bash'), bashCompletion());
    // a tsrun on PATH that lists two containers (and says which --root it was given)
    fs.writeFileSync(path.join(dir, 'tsrun'), '#!/bin/sh\n[ "$1" = --root ] && echo "root-$2" && shift 2\n[ "$1 $2" = "list -q" ] && printf "web-1\\ndb-2\\n"\n', { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const complete = (...words: string[]): string[] => {
    const r = spawnSync('bash', ['-c', 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _tsrun; printf "%s\\n" "${COMPREPLY[@]}"', path.join(dir, 'tsrun.bash'), 'tsrun', ...words],
      { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).sort();
  };

  (has('bash') ? test : test.skip)('bash parses it, and sourcing it registers the completion for tsrun', () => {
    const n = spawnSync('bash', ['-n', path.join(dir, 'tsrun.bash')], { encoding: 'utf8' });
    expect({ code: n.status, stderr: n.stderr }).toEqual({ code: 0, stderr: '' });
    const r = spawnSync('bash', ['-c', 'source "$0" && complete -p tsrun', path.join(dir, 'tsrun.bash')], { encoding: 'utf8' });
    expect({ code: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: expect.stringMatching(/^complete .*-F _tsrun tsrun\n$/), stderr: '' });
  });

  test('verbs, global flags and their values', () => {
    expect(complete('')).toEqual([...verbs(), 'help'].sort());
    expect(complete('--log-f')).toEqual(['--log-format']);
    expect(complete('--log-format', '')).toEqual(['json', 'text']);
    expect(complete('--root', '/x', 'li')).toEqual(['list']);
  });

  test('a verb\'s flags, container ids from `tsrun list -q` (under --root), kill\'s signals', () => {
    expect(complete('exec', '--pro')).toEqual(['--process', '--process-label']);
    expect(complete('list', '--format', '')).toEqual(['json', 'table']);
    expect(complete('check', '-f', '')).toEqual(['json', 'text']);
    expect(complete('start', '')).toEqual(['db-2', 'web-1']);
    expect(complete('--root', '/r', 'delete', '--force', '')).toEqual(['db-2', 'root-/r', 'web-1']);
    expect(complete('exec', '--cwd', '/', 'w')).toEqual(['web-1']);
    expect(complete('kill', 'web-1', 'K')).toEqual(['KILL']);
  });
});

describe('zsh completion', () => {
  test('every verb and flag is in it', () => {
    const z = zshCompletion();
    expect(z.startsWith('#compdef tsrun\n')).toBe(true);
    for (const v of verbs()) expect(z).toContain(`(${v}) _arguments`);
    for (const n of Object.keys(COMMANDS.exec.flags)) expect(z).toContain(`--${n}`);
  });

  (has('zsh') ? test : test.skip)('zsh parses it (skipped without zsh)', () => {
    const r = spawnSync('zsh', ['-n'], { input: zshCompletion(), encoding: 'utf8' });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  // What an interactive zsh offers, TAB pressed after the words (test/helpers/zsh-capture.zsh)
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-zcomp-'));
    fs.writeFileSync(path.join(dir, '_tsrun'), zshCompletion());
    fs.writeFileSync(path.join(dir, 'tsrun'), '#!/bin/sh\n[ "$1 $2" = "list -q" ] && printf "web-1\\ndb-2\\n"\n', { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const zcomplete = (line: string): string[] => {
    const out = path.join(dir, `out-${++n}`);
    const r = spawnSync('zsh', ['-f', path.join(ROOT, 'test/helpers/zsh-capture.zsh'), dir, out, line],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, HOME: dir } });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return fs.existsSync(out) ? [...new Set(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean))].sort() : [];
  };

  (has('zsh') ? test : test.skip)('compinit loads it: `tsrun <TAB>` offers the verbs; flag values and container ids complete (skipped without zsh)', () => {
    expect(zcomplete('tsrun ')).toEqual([...verbs(), 'help'].sort());
    expect(zcomplete('tsrun --log-format ')).toEqual(['json', 'text']);
    expect(zcomplete('tsrun list --format ')).toEqual(['json', 'table']);
    expect(zcomplete('tsrun start ')).toEqual(['db-2', 'web-1']);
  }, 60_000);
});

describe('README and docs/ stay inside the repository', () => {
  const files = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  test('every relative link resolves to a file of the repository', () => {
    const bad: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const abs = path.resolve(path.dirname(path.join(ROOT, f)), target.replace(/#.*$/, ''));
        if (!abs.startsWith(ROOT + path.sep) || !fs.existsSync(abs)) bad.push(`${f}: ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test('no path names a directory outside it (../shared, /work/...)', () => {
    const bad = files.filter((f) => /\.\.\/shared\/|\/work\/(shared|main|wt)\b/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
