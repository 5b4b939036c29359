// --help: rendered by yargs from the same command table the fast parser uses. Loaded
// only when help is asked for (yargs costs ~35 ms to load).
import { writeOut } from '../log';
import type { FlagTable } from './argv';
import { COMMANDS, GLOBAL_FLAGS } from './commands';

export function printHelp(cmd?: string): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const yargs = require('yargs/yargs') as typeof import('yargs/yargs');
  const options = (t: FlagTable) => Object.fromEntries(Object.entries(t).filter(([, s]) => !s.hidden).map(([k, s]) => [k, {
    type: s.type === 'int' ? 'number' as const : s.type === 'strings' ? 'array' as const : s.type === 'bool' ? 'boolean' as const : 'string' as const,
    alias: s.alias, describe: s.describe, default: s.default,
  }]));
  let y = yargs([]).scriptName('tsrun').wrap(100).version(false).help(false);
  if (cmd && COMMANDS[cmd]) {
    y = y.usage(`tsrun ${COMMANDS[cmd].usage}\n\n${COMMANDS[cmd].describe}`).options(options(COMMANDS[cmd].flags));
  } else {
    y = y.usage('tsrun [global options] command [command options] [arguments...]\n\nOCI container runtime');
    for (const [name, c] of Object.entries(COMMANDS)) y = y.command(name, c.describe);
    y = y.options(options(GLOBAL_FLAGS));
  }
  y.showHelp((s: string) => writeOut(s + '\n'));
}
