// What the CLI prints: log lines (logrus' text and JSON formatters, Go's quoting), error texts
// without Node's layout, help laid out as runc's, all from the one command table.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgv } from '../../src/cli/argv';
import { COMMANDS, GLOBAL_FLAGS } from '../../src/cli/commands';
import { commandHelp, flagSynopsis, globalHelp } from '../../src/cli/help';
import { VERSION, versionText } from '../../src/cli/version';
import { errnoText, plainMessage } from '../../src/errors';
import { formatLine, goQuote, setLogFormat } from '../../src/log';

describe('log lines', () => {
  afterEach(() => setLogFormat('text'));
  const t = new Date('2024-05-01T10:00:00Z');

  test('text: a message is quoted as Go\'s %q quotes it (what runc printed for the same text)', () => {
    // runc $'a\tb\x1bc\x7f\u00e9\u2028"\\z\U0001F600\u00ad' logged exactly this (plus its trailing \n)
    expect(goQuote('No help topic for \'a\tb\x1bc\x7f\u00e9\u2028"\\z\u{1F600}\u00ad\''))
      .toBe('"No help topic for \'a\\tb\\x1bc\\x7fé\\u2028\\"\\\\z😀\\u00ad\'"');
    expect(goQuote('line1\nline2\r\0')).toBe('"line1\\nline2\\r\\x00"');
  });

  test('text: never a raw newline; bare values unquoted as logrus does', () => {
    setLogFormat('text');
    const line = formatLine('error', 'a\nb', t);
    expect(line.split('\n')).toEqual([expect.stringMatching(/msg="a\\nb"$/), '']);
    expect(formatLine('info', 'plain-value_1.2/x@y', t)).toMatch(/ msg=plain-value_1\.2\/x@y\n$/);
  });

  test('fields: sorted after msg (text), sorted keys in one object (json), as logrus', () => {
    setLogFormat('text');
    expect(formatLine('debug', 'step', t, { pid: 12, b: 'x y' })).toMatch(/level=debug msg=step b="x y" pid=12\n$/);
    setLogFormat('json');
    const j = formatLine('debug', 'a<b>&\u2028', t, { pid: 12 });
    expect(j).toContain('"msg":"a\\u003cb\\u003e\\u0026\\u2028"');
    expect(Object.keys(JSON.parse(j))).toEqual(['level', 'msg', 'pid', 'time']);
  });
});

describe('error texts', () => {
  test('Node\'s fs error layout becomes runc\'s "syscall path: cause"', () => {
    expect(plainMessage('ENOENT: no such file or directory, open \'/x/y\'')).toBe('open /x/y: no such file or directory');
    expect(plainMessage('--process /p: EISDIR: illegal operation on a directory, read')).toBe('--process /p: read: is a directory');
    expect(plainMessage('EEXIST: file already exists, mkdir \'/etc/passwd\'')).toBe('mkdir /etc/passwd: file exists');
    expect(plainMessage('container does not exist')).toBe('container does not exist');
  });

  test('errnoText: the cause alone', () => {
    let err: unknown;
    try { fs.readFileSync('/nonexistent/x'); } catch (e) { err = e; }
    expect(errnoText(err)).toBe('no such file or directory');
    expect(errnoText(new Error('not a regular file'))).toBe('not a regular file');
  });
});

describe('help from the command table, laid out as runc\'s', () => {
  test('the program: NAME, USAGE, VERSION, COMMANDS, GLOBAL OPTIONS; every command listed', () => {
    const h = globalHelp();
    expect(h.match(/^[A-Z ]+:$/gm)).toEqual(['NAME:', 'USAGE:', 'VERSION:', 'COMMANDS:', 'GLOBAL OPTIONS:']);
    for (const [name, c] of Object.entries(COMMANDS)) expect(h).toMatch(new RegExp(`^ {3}${name} +${c.describe.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(h).toMatch(/^ {3}help, h +Shows a list of commands or help for one command$/m);
    expect(h).not.toContain('--criu'); // hidden
  });

  test('each command: NAME and USAGE, then what it has', () => {
    for (const name of Object.keys(COMMANDS)) {
      const h = commandHelp(name);
      expect(h).toMatch(new RegExp(`^NAME:\\n {3}tsrun ${name} - `));
      expect(h).toContain(`USAGE:\n   tsrun ${COMMANDS[name].usage}\n`);
      expect(h.includes('OPTIONS:')).toBe(Object.values(COMMANDS[name].flags).some((f) => !f.hidden));
      expect(COMMANDS[name].nargs.min).toBeGreaterThanOrEqual(0);
    }
  });

  test('flags as urfave prints them', () => {
    expect(flagSynopsis('format', COMMANDS.list.flags.format)).toBe('--format value, -f value');
    expect(flagSynopsis('tty', COMMANDS.exec.flags.tty)).toBe('--tty, -t');
    expect(flagSynopsis('root', GLOBAL_FLAGS.root)).toBe('--root value');
  });

  test('exec stops parsing flags after the container id: -h is the command\'s', () => {
    const p = parseArgv(['-t', 'id', 'ls', '-h', '/'], { ...COMMANDS.exec.flags, help: { type: 'bool', alias: ['h'], describe: '' } }, { stopAfterPositionals: 1 });
    expect(p.flags.help).toBeUndefined();
    expect(p.args).toEqual(['id', 'ls', '-h', '/']);
  });

  test('--version: three lines go-runc parses, the version from package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(versionText().split('\n').slice(0, 3)).toEqual([`tsrun version ${pkg.version}`, expect.stringMatching(/^commit: /), 'spec: 1.2.0']);
  });
});
