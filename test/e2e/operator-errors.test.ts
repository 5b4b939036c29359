// Operational mistakes, as an operator or a newcomer makes them: each is one line naming the
// flag or path and the cause, exit 1 (255 only for exec's runtime failures, as runc), logged
// once in the format asked for. runc 1.1.5 is the oracle for exit codes and layout.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, readPid, rt, RUNC, runDetached, sleepMs, stateRoot, TSRUN, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';

/** Run tsrun without the harness's --root. */
const bare = (args: string[]) => rt('tsrun', args, { root: false });
const runc = (args: string[]) => rt('runc', args, { root: false });

/** stderr is exactly one logfmt line with this message. */
function oneLine(stderr: string, msg: string): void {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^time="[^"]+" level=error msg=/);
  expect(errMsg(lines[0])).toBe(msg);
}

describe('operational errors name the flag, the path and the cause (no Node error text)', () => {
  test('--log in a missing directory: text and json', () => {
    const r = bare(['--log', '/nonexistent/dir/log', 'list']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, '--log /nonexistent/dir/log: directory /nonexistent/dir does not exist');
    const j = bare(['--log-format', 'json', '--log', '/nonexistent/dir/log', 'list']);
    expect(j.code).toBe(1);
    expect(j.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(j.stderr)).toMatchObject({ level: 'error', msg: '--log /nonexistent/dir/log: directory /nonexistent/dir does not exist' });
  });

  test('--log naming a directory', () => {
    const r = bare(['--log', work(), 'list']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, `--log ${work()}: is a directory`);
  });

  test('spec --bundle to a missing directory', () => {
    const r = bare(['spec', '-b', '/nonexistent/dir']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, '--bundle /nonexistent/dir: directory does not exist');
    if (RUNC) expect(runc(['spec', '-b', '/nonexistent/dir']).code).toBe(1);
  });

  test('create --bundle to a missing directory', () => {
    const r = tsrun(['create', '--bundle', '/nonexistent/bundle', uniqueId('nb')]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, '--bundle /nonexistent/bundle: directory does not exist');
  });

  test('--root on procfs or sysfs is refused at once (it used to walk /proc), and a file as --root', () => {
    for (const [root, fsName] of [['/proc', 'proc'], ['/proc/sys/kernel/tsrun', 'proc'], ['/sys/kernel', 'sysfs']]) {
      for (const args of [['list'], ['create', '--bundle', work(), 'x'], ['delete', '--force', '1'], ['state', 'self']]) {
        const t0 = Date.now();
        const r = bare(['--root', root, ...args]);
        expect(Date.now() - t0).toBeLessThan(5000);
        expect(r.code).toBe(1);
        const at = root === '/proc/sys/kernel/tsrun' ? '/proc/sys/kernel is ' : '';
        oneLine(r.stderr, `--root ${root}: ${at}on a ${fsName} filesystem, which cannot hold container state; use a directory on tmpfs, such as the default /run/tsrun`);
      }
    }
    const f = path.join(work(), 'not-a-dir');
    fs.writeFileSync(f, '');
    oneLine(bare(['--root', f, 'list']).stderr, `--root ${f}: not a directory`);
    oneLine(bare(['--root', path.join(f, 'sub'), 'list']).stderr, `--root ${path.join(f, 'sub')}: ${f} is not a directory`);
  });

  test('--log: an error goes to the log once, in its format, and the bare message to stderr (as runc)', () => {
    const log = path.join(work(), `once-${uniqueId()}.json`);
    const r = tsrun(['--log', log, '--log-format', 'json', 'state', 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('container does not exist\n');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', msg: 'container does not exist' });
  });
});

describe('usage errors: runc\'s layout, exit 1 (exec too), no raw newline in a log line', () => {
  test('a missing argument: "Incorrect Usage." and the help on stdout, one escaped line on stderr', () => {
    const r = bare(['start']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Incorrect Usage\.\n\nNAME:\n {3}tsrun start - /);
    oneLine(r.stderr, 'tsrun: "start" requires exactly 1 argument(s)');
    expect(r.stderr).toContain('msg="tsrun: \\"start\\" requires exactly 1 argument(s)"');
    if (RUNC) {
      const o = runc(['start']);
      expect(o.code).toBe(r.code);
      expect(o.stdout.split('\n')[0]).toBe('Incorrect Usage.');
      expect(errMsg(o.stderr)).toMatch(/runc: "start" requires exactly 1 argument\(s\)$/);
    }
  });

  test('exec usage errors exit 1 like runc (not 255)', () => {
    const cases: [string[], string][] = [
      [['exec'], 'tsrun: "exec" requires a minimum of 1 argument(s)'],
      [['exec', '--bogus', 'x'], 'flag provided but not defined: -bogus'],
      [['exec', '--preserve-fds', 'x', 'id'], 'invalid value "x" for flag -preserve-fds: parse error'],
      [['exec', '-g', 'abc', 'id', 'true'], 'invalid value "abc" for flag -additional-gids: parse error'],
    ];
    for (const [args, msg] of cases) {
      const r = bare(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      oneLine(r.stderr, msg);
      if (RUNC) expect({ args, code: runc(args).code }).toEqual({ args, code: 1 });
    }
    // a runtime failure stays 255, as runc
    const r = tsrun(['exec', 'missing', 'true']);
    expect(r.code).toBe(255);
    oneLine(r.stderr, 'exec failed: container does not exist');
  });

  test('argument counts as runc checks them', () => {
    for (const [args, msg] of [
      [['list', 'extra'], 'tsrun: "list" requires exactly 0 argument(s)'],
      [['kill', 'a', 'b', 'c'], 'tsrun: "kill" requires a maximum of 2 argument(s)'],
      [['ps'], 'tsrun: "ps" requires a minimum of 1 argument(s)'],
      [['delete', 'a', 'b'], 'tsrun: "delete" requires exactly 1 argument(s)'],
    ] as [string[], string][]) {
      const r = bare(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      oneLine(r.stderr, msg);
      if (RUNC) expect({ args, code: runc(args).code }).toEqual({ args, code: 1 });
    }
  });

  test('with --log-format json a usage error is one JSON line', () => {
    const r = bare(['--log-format', 'json', 'kill']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).msg).toBe('tsrun: "kill" requires a minimum of 1 argument(s)');
  });
});

describe('CLI parity with runc 1.1.5 (issue 12)', () => {
  test('an unknown command, with or without -h, exits 3 with runc\'s message', () => {
    for (const args of [['foo', '-h'], ['foo'], ['help', 'foo'], ['foo', '--help']]) {
      const r = bare(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      oneLine(r.stderr, 'No help topic for \'foo\'');
      expect(r.stdout).toBe('');
      if (RUNC) expect({ args, code: runc(args).code }).toEqual({ args, code: 3 });
    }
  });

  test('a log line quotes control characters as runc (logrus, Go %q) does, text and json', () => {
    const odd = 'a\tb\x1bc\x7f\u00e9\u2028"<\\z\u{1F600}\u00ad';
    for (const fmt of ['text', 'json']) {
      const t = bare(['--log-format', fmt, odd]).stderr.replace(/time="[^"]*"|"time":"[^"]*"/, 'T');
      if (RUNC) expect(t).toBe(runc(['--log-format', fmt, odd]).stderr.replace(/time="[^"]*"|"time":"[^"]*"/, 'T').replace(/\\n(["'])/, '$1'));
      expect(t.split('\n')).toHaveLength(2);
    }
  });

  test('--version: "tsrun version X", "commit: H", "spec: 1.2.0" first (go-runc parses three lines)', () => {
    const lines = bare(['--version']).stdout.split('\n');
    expect(lines[0]).toMatch(/^tsrun version \d+\.\d+\.\d+$/);
    expect(lines[1]).toMatch(/^commit: ([0-9a-f]{40}|unknown)$/);
    expect(lines[2]).toBe('spec: 1.2.0');
    expect(bare(['-v']).stdout).toBe(bare(['--version']).stdout);
    if (RUNC) {
      const o = runc(['--version']).stdout.split('\n');
      expect([o[0].replace(/ .*? /, ' '), o[1].split(':')[0], o[2].split(':')[0]]).toEqual(['runc 1.1.5+ds1', 'commit', 'spec']);
    }
  });

  test('help layout: runc\'s sections, for the program and each command', () => {
    const g = bare(['--help']);
    expect(g.code).toBe(0);
    expect(g.stdout.match(/^[A-Z ]+:$/gm)).toEqual(['NAME:', 'USAGE:', 'VERSION:', 'COMMANDS:', 'GLOBAL OPTIONS:']);
    if (RUNC) expect(runc(['--help']).stdout.match(/^[A-Z ]+:$/gm)).toEqual(['NAME:', 'USAGE:', 'VERSION:', 'COMMANDS:', 'GLOBAL OPTIONS:']);
    expect(g.stdout).toMatch(/^ {3}--root value +root directory for storage of container state .*\(default: "\/run\/tsrun"\)$/m);
    expect(bare(['help']).stdout).toBe(g.stdout);
    const c = bare(['list', '--help']);
    expect(c.stdout.match(/^[A-Z ]+:$/gm)).toEqual(['NAME:', 'USAGE:', 'OPTIONS:']);
    expect(c.stdout).toContain('   --format value, -f value  select one of: table or json (default: "table")\n');
    expect(bare(['help', 'list']).stdout).toBe(c.stdout);
    expect(bare(['exec', '-h']).stdout).toMatch(/^NAME:\n {3}tsrun exec - execute new process inside the container\n/);
  });
});

describeRoot('flags accepted for runc compatibility: implemented as runc or refused, never silently ignored (issue 14)', () => {
  useLeakChecks();

  test('--rootless: a value that is not a bool or auto is refused at create (runc: ParseBool)', () => {
    const b = new Bundle().args('true');
    oneLine(tsrun(['--rootless', 'xyz', 'run', '--bundle', b.dir, uniqueId()]).stderr, '--rootless xyz: invalid value: must be true, false or auto');
    if (RUNC) expect(runc(['--root', stateRoot('runc'), '--rootless', 'xyz', 'run', '--bundle', b.dir, uniqueId()]).code).toBe(1);
    // true as root: rootless cgroups (cgroup errors for limits not asked for are ignored), as runc
    for (const v of ['auto', 'false', '0', 'true']) expect(tsrun(['--rootless', v, 'run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0, stderr: '' });
    // only create and run read it, as in runc
    expect(tsrun(['--rootless', 'xyz', 'list']).code).toBe(0);
  });

  test('update --kernel-memory{,-tcp}: parsed as a size, then ignored with runc\'s warning', () => {
    const id = uniqueId();
    runDetached(new Bundle().args('sleep', '100'), id);
    try {
      oneLine(tsrun(['update', '--kernel-memory', 'xyz', id]).stderr, 'invalid value for --kernel-memory: xyz');
      const r = tsrun(['update', '--kernel-memory', '1M', '--kernel-memory-tcp', '1M', id]);
      expect(r.code).toBe(0);
      expect(r.stderr.split('\n').filter(Boolean).map(errMsg)).toEqual(['Kernel memory settings are ignored and will be removed']);
      if (RUNC) {
        const rid = uniqueId('runc');
        expect(rt('runc', ['run', '-d', '--bundle', new Bundle().args('sleep', '100').dir, rid]).code).toBe(0);
        try {
          expect(errMsg(rt('runc', ['update', '--kernel-memory', '1M', rid]).stderr)).toBe('Kernel memory settings are ignored and will be removed');
        } finally {
          rt('runc', ['delete', '-f', rid]);
        }
      }
    } finally {
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
    }
  });
});

describeRoot('exec: everything after the container id is the command\'s, -h and --help included', () => {
  useLeakChecks();

  test('tsrun exec ID ls -h / runs ls -h / in the container', () => {
    const b = new Bundle().args('sleep', '600');
    const id = uniqueId('exh');
    runDetached(b, id);
    const r = tsrun(['exec', id, 'ls', '-h', '/']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['bin', 'proc', 'sys']));
    expect(r.stdout).not.toContain('NAME:');
    const h = tsrun(['exec', id, 'sh', '-c', 'echo "$@"', 'x', '--help', '-h']);
    expect(h.stdout).toBe('--help -h\n');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test('exec -p: a missing file, a directory, a device', () => {
    const b = new Bundle().args('sleep', '600');
    const id = uniqueId('exp');
    runDetached(b, id);
    for (const [file, cause] of [['/nonexistent', 'no such file or directory'], [work(), 'not a regular file'], ['/dev/zero', 'not a regular file']]) {
      const r = tsrun(['exec', '-p', file, id]);
      expect(r.code).toBe(255);
      oneLine(r.stderr, `exec failed: --process ${file}: ${cause}`);
    }
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test('--pid-file in a missing directory (create and exec)', () => {
    const b = new Bundle().args('sleep', '600');
    const id = uniqueId('pf');
    const r = tsrun(['create', '--bundle', b.dir, '--pid-file', '/nonexistent/x.pid', id]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, '--pid-file /nonexistent/x.pid: directory /nonexistent does not exist');
    runDetached(b, id);
    const e = tsrun(['exec', '--pid-file', '/nonexistent/x.pid', id, 'true']);
    expect(e.code).toBe(255);
    oneLine(e.stderr, 'exec failed: --pid-file /nonexistent/x.pid: directory /nonexistent does not exist');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });
});

describeRoot('the container\'s init failing: said with its cause', () => {
  useLeakChecks();

  test('start after the init died says so (not "cannot start a container that has stopped")', () => {
    const b = new Bundle().args('true');
    const id = uniqueId('died');
    const pidFile = path.join(b.dir, 'pid');
    expect(tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id]).code).toBe(0);
    const pid = readPid(pidFile);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) sleepMs(20);
    const r = tsrun(['start', id]);
    expect(r.code).toBe(1);
    // the status is there while the killed init is a zombie nobody reaped yet
    expect(errMsg(r.stderr)).toMatch(new RegExp(`^the container's init \\(pid ${pid}\\) exited before start( \\(killed by signal SIGKILL\\))?; tsrun-init's message, if it wrote one, is on the container's stderr$`));
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    // started once, then stopped: runc's text
    const ran = uniqueId('ran');
    runDetached(b, ran);
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', ran]).stdout).status !== 'stopped'; i++) sleepMs(20);
    oneLine(tsrun(['start', ran]).stderr, 'cannot start a container that has stopped');
    expect(tsrun(['delete', ran]).code).toBe(0);
  });

  test('tsrun-init writes strerror text, not "errno 2" (exec of a binary removed after create)', () => {
    const b = new Bundle();
    const rootfs = path.join(b.dir, 'rootfs');
    fs.cpSync(b.config.root.path, rootfs, { recursive: true, verbatimSymlinks: true });
    fs.copyFileSync(path.join(rootfs, 'bin/busybox'), path.join(rootfs, 'bin/gone'));
    b.config.root.path = rootfs;
    b.args('/bin/gone');
    const id = uniqueId('gone');
    // the container's stderr is create's: a file here
    const errFile = path.join(b.dir, 'create.err');
    const err = fs.openSync(errFile, 'w');
    const c = spawnSync(TSRUN, ['--root', stateRoot('tsrun'), 'create', '--bundle', b.dir, id], { stdio: ['ignore', 'ignore', err] });
    fs.closeSync(err);
    expect(c.status).toBe(0);
    fs.rmSync(path.join(b.dir, 'rootfs/bin/gone'));
    expect(tsrun(['start', id]).code).toBe(0);
    for (let i = 0; i < 100 && !fs.readFileSync(errFile, 'utf8'); i++) sleepMs(20);
    expect(fs.readFileSync(errFile, 'utf8')).toBe('tsrun-init: exec /bin/gone: no such file or directory\n');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test('a config without a /proc mount creates and runs (runc fails at create; tsrun-init uses a detached procfs)', () => {
    const b = new Bundle((c) => { c.mounts = c.mounts.filter((m: any) => m.destination !== '/proc'); }).args('echo', 'no-proc');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId('noproc')]);
    expect(r).toMatchObject({ code: 0, stdout: 'no-proc\n' });
  });
});

describeRoot('housekeeping: the demo and the test suite', () => {
  test('the demo says which runtime ran it (not runc\'s default hostname) and removes its directory', () => {
    const tmp = fs.mkdtempSync(path.join(work(), 'demo-tmp-'));
    const r = spawnSync(process.execPath, [path.join(__dirname, '../../scripts/demo.mjs')], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp }, timeout: 120_000 });
    expect(r.stdout).toMatch(/^tsrun version \d+\.\d+\.\d+: /);
    expect(r.stdout).toContain('hello from a tsrun container (hostname tsrun-demo): pid 1 as uid 0');
    expect(r.stdout).not.toContain('hello from runc');
    expect(r.stdout).toMatch(/demo: OK\n$/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  }, 150_000);

  test('a test file removes its work directory (tsrun-e2e-*) when it ends', () => {
    const tmp = fs.mkdtempSync(path.join(work(), 'jest-tmp-'));
    const jest = path.join(__dirname, '../../node_modules/.bin/jest');
    const r = spawnSync(jest, ['--runInBand', 'test/e2e/spec-cli.test.ts'], { cwd: path.join(__dirname, '../..'), encoding: 'utf8', env: { ...process.env, TMPDIR: tmp }, timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('tsrun-e2e-'))).toEqual([]);
  }, 150_000);
});
