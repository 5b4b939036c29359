import { parseArgv } from '../../src/cli/argv';
import { COMMANDS, GLOBAL_FLAGS } from '../../src/cli/commands';
import { parseSignal } from '../../src/lifecycle/signals';
import { formatList } from '../../src/cli/list-format';

describe('Go-style flags', () => {
  const create = COMMANDS.create.flags;
  test('-flag, --flag, -flag=v, --flag v, aliases, flags after positionals', () => {
    expect(parseArgv(['-bundle=/b', 'id', '--pid-file', 'p', '-no-pivot'], create)).toEqual({
      flags: { bundle: '/b', 'pid-file': 'p', 'no-pivot': true, 'preserve-fds': 0 }, args: ['id'],
    });
    expect(parseArgv(['-b', '/x', '--preserve-fds=3', 'id'], create).flags).toMatchObject({ bundle: '/x', 'preserve-fds': 3 });
    expect(parseArgv(['--no-pivot=false', 'id'], create).flags['no-pivot']).toBe(false);
  });
  test('unknown flags and missing values are errors, as in Go', () => {
    expect(() => parseArgv(['--nope', 'id'], create)).toThrow('flag provided but not defined: -nope');
    expect(() => parseArgv(['id', '--bundle'], create)).toThrow('flag needs an argument: -bundle');
    expect(() => parseArgv(['--preserve-fds', 'x', 'id'], create)).toThrow(/invalid value "x"/);
  });
  test('"--" ends flags; stopAfterPositionals keeps a command line intact', () => {
    expect(parseArgv(['--', '-b'], create).args).toEqual(['-b']);
    expect(parseArgv(['id', 'sh', '-c', 'x'], {}, { stopAfterPositionals: 1 }).args).toEqual(['id', 'sh', '-c', 'x']);
  });
  test('global defaults', () => {
    expect(parseArgv([], GLOBAL_FLAGS).flags).toMatchObject({ root: '/run/tsrun', 'log-format': 'text' });
  });
});

describe('signals', () => {
  test('names, SIG names, numbers, lower case', () => {
    expect([parseSignal('KILL'), parseSignal('SIGKILL'), parseSignal('9'), parseSignal('sigkill'), parseSignal(undefined)]).toEqual([9, 9, 9, 9, 15]);
    expect(parseSignal('RTMIN+2')).toBe(36);
    expect(() => parseSignal('FOO')).toThrow('unknown signal "FOO"');
  });
});

describe('list format', () => {
  test('runc tabwriter: min width 12, padding 3', () => {
    expect(formatList([], 'table', false)).toBe('ID          PID         STATUS      BUNDLE      CREATED     OWNER\n');
    expect(formatList([], 'json', false)).toBe('null\n');
  });
});
