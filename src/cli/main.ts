// tsrun CLI: argv -> one library call. No logic beyond parsing and printing.
import fs = require('fs');
import path = require('path');
import { errnoText, plainMessage, TsrunError, UsageError } from '../errors';
import { configureLog, fatal, log, setLogFormat, writeOut } from '../log';
import { parseRootlessFlag } from '../lifecycle/rootless';
import { parseArgv, type FlagTable } from './argv';
import { COMMANDS, GLOBAL_FLAGS, HELP_COMMAND, type CommandSpec } from './commands';
import { formatList } from './list-format';
import { checkDir, checkRoot, logOpenError } from './paths';
import { VERSION, versionText } from './version';
import { stringifyJson } from '../spec/json-int64';
import { allowRaisingMemlock } from '../native/addon';

type Flags = Record<string, unknown>;

/** Verbs that never touch --root. */
const NO_STATE = new Set(['spec', 'features', 'check']);
const HELP_FLAG: FlagTable = { help: { type: 'bool', alias: ['h'], describe: 'show help', hidden: true } };

/** runc's checkArgs, with its texts. */
function checkArgs(cmd: string, spec: CommandSpec, args: string[]): void {
  const { min, max } = spec.nargs;
  const say = (what: string) => { throw new UsageError(`tsrun: "${cmd}" requires ${what} argument(s)`, cmd); };
  if (min === max && args.length !== min) say(`exactly ${min}`);
  if (args.length < min) say(`a minimum of ${min}`);
  if (max !== undefined && args.length > max) say(`a maximum of ${max}`);
}

// loaded only for help and usage errors: a bundle of its own (dist/tsrun-help.js)
// eslint-disable-next-line @typescript-eslint/no-var-requires
const helpModule = () => require('./help') as typeof import('./help');

/** -g takes integers (runc's IntSlice): anything else is a usage error; the range is exec's to check. */
function gid(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new UsageError(`invalid value "${s}" for flag -additional-gids: parse error`, 'exec', true);
  return Number(s);
}

/** Go durations as runc's --interval takes them: 5s, 500ms, 1m. */
function durationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw new TsrunError(`invalid value "${v}" for flag -interval: parse error`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** update's flags -> a partial linux.resources. */
function resourcesFromFlags(f: Flags, size: (v: string, flag: string) => number | bigint): Record<string, any> {
  const r: Record<string, any> = {};
  const set = (group: string, key: string, v: unknown) => { if (v !== undefined) (r[group] ??= {})[key] = v; };
  const num = (flag: string) => (f[flag] === undefined ? undefined : size(String(f[flag]), flag));
  set('memory', 'limit', num('memory'));
  set('memory', 'reservation', num('memory-reservation'));
  set('memory', 'swap', num('memory-swap'));
  set('cpu', 'shares', num('cpu-share'));
  set('cpu', 'quota', num('cpu-quota'));
  set('cpu', 'period', num('cpu-period'));
  set('cpu', 'burst', num('cpu-burst'));
  set('cpu', 'realtimePeriod', num('cpu-rt-period'));
  set('cpu', 'realtimeRuntime', num('cpu-rt-runtime'));
  set('cpu', 'idle', num('cpu-idle'));
  set('cpu', 'cpus', f['cpuset-cpus']);
  set('cpu', 'mems', f['cpuset-mems']);
  set('pids', 'limit', f['pids-limit']);
  set('blockIO', 'weight', f['blkio-weight']);
  return r;
}

function globals(g: Flags) {
  return { root: g.root as string, systemdCgroup: !!g['systemd-cgroup'], rootless: g.rootless as string };
}

async function dispatch(cmd: string, f: Flags, args: string[], g: Flags): Promise<number> {
  // each verb loads only its own modules: `state` or `kill` do not initialise create's
  const G = globals(g);
  const createOpts = () => ({
    ...G, bundle: f.bundle as string | undefined, pidFile: f['pid-file'] as string | undefined,
    consoleSocket: f['console-socket'] as string | undefined, noPivot: !!f['no-pivot'],
    noNewKeyring: !!f['no-new-keyring'], preserveFds: f['preserve-fds'] as number, pidfdSocket: f['pidfd-socket'] as string | undefined,
  });
  // --rootless is read as runc reads it (Go's ParseBool or auto): a bad value fails at once
  if (cmd === 'create' || cmd === 'run') parseRootlessFlag(g.rootless as string | undefined);
  switch (cmd) {
    case 'create': await (await import('../lifecycle/create')).create(args[0], createOpts()); return 0;
    case 'run':
      return (await import('../lifecycle/run')).run(args[0], { ...createOpts(), detach: !!f.detach, keep: !!f.keep, forwardSignals: true });
    case 'start': await (await import('../lifecycle/start')).start(args[0], G); return 0;
    case 'state':
      writeOut(JSON.stringify(await (await import('../lifecycle/query')).state(args[0], G), null, '  ')); return 0;
    case 'kill': await (await import('../lifecycle/kill')).kill(args[0], args[1], { ...G, all: !!f.all }); return 0;
    case 'delete': await (await import('../lifecycle/delete')).deleteContainer(args[0], { ...G, force: !!f.force }); return 0;
    case 'list': writeOut(formatList(await (await import('../lifecycle/query')).list(G), f.format as string, !!f.quiet)); return 0;
    case 'exec': {
      const additionalGids = (f['additional-gids'] as string[] | undefined)?.map(gid);
      try {
        return await (await import('../lifecycle/exec')).exec(args[0], {
          ...G, args: args.slice(1), process: f.process as string | undefined, tty: !!f.tty,
          consoleSocket: f['console-socket'] as string | undefined, detach: !!f.detach, pidFile: f['pid-file'] as string | undefined,
          cwd: f.cwd as string | undefined, env: f.env as string[] | undefined, user: f.user as string | undefined,
          additionalGids, cap: f.cap as string[] | undefined,
          noNewPrivs: !!f['no-new-privs'], apparmor: f.apparmor as string | undefined, processLabel: f['process-label'] as string | undefined,
          preserveFds: f['preserve-fds'] as number, ignorePaused: !!f['ignore-paused'], cgroup: f.cgroup as string[] | undefined,
          pidfdSocket: f['pidfd-socket'] as string | undefined, forwardSignals: true,
        });
      } catch (e) {
        // what runc does: every failure after the command line was accepted is "exec failed", 255
        const msg = e instanceof Error ? e.message : String(e);
        throw new TsrunError(`exec failed: ${msg}`, { exitCode: 255 });
      }
    }
    case 'ps': {
      if (f.format === 'json') {
        const p = await (await import('../lifecycle/pause')).pids(args[0], G);
        writeOut(JSON.stringify(p.length ? p : null) + '\n');
      } else if (f.format === 'table') writeOut(await (await import('../lifecycle/pause')).psTable(args[0], args.slice(1), G));
      else throw new TsrunError('invalid format option');
      return 0;
    }
    case 'pause': await (await import('../lifecycle/pause')).pause(args[0], G); return 0;
    case 'resume': await (await import('../lifecycle/pause')).resume(args[0], G); return 0;
    case 'update': {
      if (f['l3-cache-schema'] || f['mem-bw-schema']) throw new TsrunError('intelRdt is not supported by this tsrun version');
      const { update, parseSize } = await import('../lifecycle/update');
      // runc 1.1.5: parsed like the other sizes, then ignored with its warning (no kmem limits any more)
      const kmem = ['kernel-memory', 'kernel-memory-tcp'].filter((k) => f[k] !== undefined);
      for (const k of kmem) parseSize(String(f[k]), k);
      if (kmem.length) log('warning', 'Kernel memory settings are ignored and will be removed');
      await update(args[0], { ...G, resourcesFile: f.resources as string | undefined, resources: resourcesFromFlags(f, parseSize) });
      return 0;
    }
    case 'events': {
      if (f.stats) {
        writeOut(stringifyJson(await (await import('../lifecycle/events')).stats(args[0], G)) + '\n');
        return 0;
      }
      await (await import('../lifecycle/events')).streamEvents(args[0], durationMs(f.interval as string), (e) => writeOut(stringifyJson(e) + '\n'), G);
      return 0;
    }
    case 'features': {
      const { features } = await import('../lifecycle/features');
      writeOut(JSON.stringify(features(VERSION), null, 4) + '\n');
      return 0;
    }
    case 'check': {
      if (f.format !== 'text' && f.format !== 'json') throw new UsageError(`invalid --format ${f.format}: text or json`, cmd);
      const { hostReport, formatReport } = await import('./check');
      const report = hostReport();
      writeOut(f.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      return report.usable ? 0 : 1;
    }
    case 'spec': {
      const dir = f.bundle === undefined ? process.cwd() : checkDir('--bundle', f.bundle as string);
      const file = path.join(dir, 'config.json');
      if (fs.existsSync(file)) throw new TsrunError('File config.json exists. Remove it first');
      const { defaultSpec } = await import('../spec/default-spec');
      try {
        fs.writeFileSync(file, defaultSpec({ rootless: !!f.rootless }), { mode: 0o666 });
      } catch (e) {
        throw new TsrunError(`${f.bundle === undefined ? '' : `--bundle ${f.bundle}: `}writing ${file}: ${plainMessage((e as Error).message).replace(/^.*: /, '')}`);
      }
      return 0;
    }
    default:
      throw new TsrunError(`command "${cmd}" is not implemented by this tsrun version`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let cmd: string | undefined;
  try {
    const globalsEnd = argv.findIndex((a, i) => !a.startsWith('-') && !isGlobalValue(argv, i));
    const head = globalsEnd < 0 ? argv : argv.slice(0, globalsEnd);
    let g: Flags;
    try { g = parseArgv(head, GLOBAL_FLAGS).flags; } catch (e) { throw new UsageError((e as Error).message, undefined, true); }
    if (!['text', 'json'].includes(g['log-format'] as string)) throw new TsrunError(`invalid log-format: ${g['log-format']}`);
    setLogFormat(g['log-format'] as string);
    allowRaisingMemlock(); // the CLI's process is tsrun's own: runc's behaviour (a library call never)
    try {
      configureLog({ log: g.log as string, logFormat: g['log-format'] as string, debug: !!g.debug });
    } catch (e) {
      throw logOpenError(g.log as string, e);
    }
    if (g.version) {
      writeOut(versionText());
      return 0;
    }
    cmd = globalsEnd < 0 ? undefined : argv[globalsEnd];
    const rest = globalsEnd < 0 ? [] : argv.slice(globalsEnd + 1);
    if (cmd === '__warmup' && process.env.TSRUN_CODE_CACHE_OUT) {
      await (await import('./warmup')).warmup(rest[0] === 'full', main);
      return 0;
    }
    const helpFor = (topic: string | undefined) => {
      if (topic !== undefined && !COMMANDS[topic]) throw new TsrunError(`No help topic for '${topic}'`, { exitCode: 3 });
      helpModule().printHelp(topic);
      return 0;
    };
    if (cmd === undefined || g.help) return helpFor(undefined);
    if (HELP_COMMAND.names.includes(cmd)) return helpFor(rest.find((a) => !a.startsWith('-')));
    const spec = COMMANDS[cmd];
    if (!spec) throw new TsrunError(`No help topic for '${cmd}'`, { exitCode: 3 });
    let parsed: { flags: Flags; args: string[] };
    try {
      // -h/--help is the command's only until its positionals end (exec ID CMD -h: CMD's)
      parsed = parseArgv(rest, { ...spec.flags, ...HELP_FLAG }, { stopAfterPositionals: spec.stopAfterPositionals });
    } catch (e) {
      throw new UsageError((e as Error).message, cmd, true);
    }
    if (parsed.flags.help) return helpFor(cmd);
    checkArgs(cmd, spec, parsed.args);
    // --root not given: /run/tsrun, or $XDG_RUNTIME_DIR/tsrun when not root (runc's default)
    if (!head.some((a) => /^--?root(=|$)/.test(a))) g.root = undefined;
    if (!NO_STATE.has(cmd)) checkRoot(await stateRoot(g.root as string | undefined));
    if ((cmd === 'create' || cmd === 'run') && parsed.flags.bundle !== undefined) checkDir('--bundle', parsed.flags.bundle as string);
    return await dispatch(cmd, parsed.flags, parsed.args, g);
  } catch (e) {
    if (e instanceof UsageError) helpModule().printUsageError(e.command, e.flagProblem ? e.message : undefined);
    fatal(plainMessage(e instanceof Error ? e.message : String(e)));
    return e instanceof TsrunError ? e.exitCode : 1;
  }
}

/** --root, or the default; the XDG default is made 0700 and sticky first, as runc does. */
async function stateRoot(given: string | undefined): Promise<string> {
  if (given) return given;
  const { defaultStateRoot, isXdgDefault, prepareXdgRoot } = await import('../state/root-dir');
  const root = defaultStateRoot();
  if (isXdgDefault(root)) {
    try { prepareXdgRoot(root); } catch (e) { throw new TsrunError(`--root ${root} (the default, from XDG_RUNTIME_DIR): ${errnoText(e)}`); }
  }
  return root;
}

function isGlobalValue(argv: string[], i: number): boolean {
  // "--root X": X is the value of a global string flag, not the command.
  if (i === 0) return false;
  const prev = argv[i - 1];
  if (!prev.startsWith('-') || prev.includes('=')) return false;
  const name = prev.replace(/^--?/, '');
  const spec = GLOBAL_FLAGS[name];
  return !!spec && spec.type !== 'bool';
}
