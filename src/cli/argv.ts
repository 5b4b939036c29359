// Go-style flag parsing, as runc's CLI accepts it: -flag, --flag, -flag=v, --flag=v,
// -flag v; bool flags take no separate value (-flag=false is fine); flags may follow
// positional arguments unless the command passes everything after its first
// positionals to a program (exec, run's args), and "--" ends flag parsing.
import { TsrunError } from '../errors';

export type FlagType = 'bool' | 'string' | 'int' | 'strings';
export interface FlagSpec { type: FlagType; alias?: string[]; describe: string; default?: unknown; hidden?: boolean }
export type FlagTable = Record<string, FlagSpec>;

export interface Parsed { flags: Record<string, unknown>; args: string[] }

export function parseArgv(argv: string[], table: FlagTable, opts: { stopAfterPositionals?: number } = {}): Parsed {
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    byName.set(name, name);
    for (const a of spec.alias ?? []) byName.set(a, name);
  }
  const flags: Record<string, unknown> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const stop = opts.stopAfterPositionals !== undefined && args.length >= opts.stopAfterPositionals;
    if (a === '--' || stop) {
      args.push(...argv.slice(a === '--' && !stop ? i + 1 : i));
      break;
    }
    if (!a.startsWith('-') || a === '-') { args.push(a); continue; }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const name = byName.get(key);
    if (!name) throw new TsrunError(`flag provided but not defined: -${key}`);
    const spec = table[name];
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.type === 'bool') {
      if (value !== undefined && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(value)) {
        throw new TsrunError(`invalid boolean value "${value}" for -${key}`);
      }
      flags[name] = value === undefined ? true : /^(true|1|t|TRUE|True)$/.test(value);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new TsrunError(`flag needs an argument: -${key}`);
      value = argv[++i];
    }
    if (spec.type === 'int') {
      if (!/^-?\d+$/.test(value)) throw new TsrunError(`invalid value "${value}" for flag -${key}: parse error`);
      flags[name] = Number(value);
    } else if (spec.type === 'strings') {
      flags[name] = [...((flags[name] as string[]) ?? []), value];
    } else {
      flags[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(table)) {
    if (flags[name] === undefined && spec.default !== undefined) flags[name] = spec.default;
  }
  return { flags, args };
}
