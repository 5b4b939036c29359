// --help text, laid out as runc's (urfave/cli: NAME, USAGE, VERSION, COMMANDS, GLOBAL OPTIONS;
// per command NAME, USAGE, DESCRIPTION, OPTIONS), from the one command table. Bundled on its
// own (dist/tsrun-help.js): the common verbs never load it.
import { writeOut } from '../log';
import type { FlagSpec, FlagTable } from './argv';
import { COMMANDS, GLOBAL_FLAGS, HELP_COMMAND, PROGRAM } from './commands';
import { versionText } from './version';

const indent = (text: string, by = '   ') => text.split('\n').map((l) => (l ? by + l : l)).join('\n');

/** `--name value, -n value`, as urfave prints a flag. */
export function flagSynopsis(name: string, spec: FlagSpec): string {
  const value = spec.type === 'bool' ? '' : ' value';
  return [name, ...(spec.alias ?? [])].map((n) => `${n.length === 1 ? '-' : '--'}${n}${value}`).join(', ');
}

export function flagDescription(spec: FlagSpec): string {
  if (spec.default === undefined || spec.type === 'bool') return spec.describe;
  return `${spec.describe} (default: ${typeof spec.default === 'string' ? JSON.stringify(spec.default) : spec.default})`;
}

function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `   ${a.padEnd(w)}  ${b}`).join('\n');
}

function options(t: FlagTable): string {
  return table(Object.entries(t).filter(([, s]) => !s.hidden).map(([n, s]) => [flagSynopsis(n, s), flagDescription(s)]));
}

export function globalHelp(): string {
  const cmds: [string, string][] = Object.entries(COMMANDS).map(([n, c]) => [n, c.describe]);
  cmds.push([HELP_COMMAND.names.join(', '), HELP_COMMAND.describe]);
  return [
    `NAME:\n   tsrun - ${PROGRAM.describe}`,
    PROGRAM.description,
    `USAGE:\n   tsrun ${PROGRAM.usage}`,
    `VERSION:\n   ${versionText().trimEnd().replace(/^tsrun version /, '')}`,
    `COMMANDS:\n${table(cmds)}`,
    `GLOBAL OPTIONS:\n${options(GLOBAL_FLAGS)}`,
  ].join('\n\n') + '\n';
}

export function commandHelp(cmd: string): string {
  const c = COMMANDS[cmd];
  const parts = [`NAME:\n   tsrun ${cmd} - ${c.describe}`, `USAGE:\n   tsrun ${c.usage}`];
  if (c.details) parts.push(c.details);
  if (c.description) parts.push(`DESCRIPTION:\n${indent(c.description)}`);
  if (Object.values(c.flags).some((f) => !f.hidden)) parts.push(`OPTIONS:\n${options(c.flags)}`);
  return parts.join('\n\n') + '\n';
}

/** tsrun --help, tsrun help [CMD], tsrun CMD --help (stdout); the caller has checked CMD exists. */
export function printHelp(cmd?: string): void {
  writeOut(cmd ? commandHelp(cmd) : globalHelp());
}

/** runc's usage error: "Incorrect Usage." and the command's help on stdout (the error itself is logged). */
export function printUsageError(cmd: string | undefined, problem?: string): void {
  writeOut(`Incorrect Usage${problem ? `: ${problem}` : '.'}\n\n${cmd ? commandHelp(cmd) : globalHelp()}`);
}
