// OCI hooks run by the runtime: each hook gets the container's state JSON on stdin, its own
// args and env, and is killed when its timeout passes. createContainer hooks are started
// through nsenter into the init's namespaces. startContainer hooks are not run here: the
// container's init runs them (src/hooks/start-hooks.ts, addon/init/hooks.c).
//
// What a hook inherits, as runc: a hook without `env` gets the runtime's environment (runc's
// exec.Cmd with a nil Env), less tsrun's own TSRUN_* knobs; a createContainer hook without `env`
// gets the container process's environment (runc runs those from its init, after the init took
// process.env). Its cwd is the caller's (runc: the bundle for the hooks of create), the rootfs for
// createContainer (runc chdirs there first). Never an fd beyond 0-2 (see addon/pidfd.cc): a
// hook is a third-party binary and tsrun holds the state lock, exec.fifo and the container's
// sync and console sockets while it runs.
import { throwIfAborted } from '../lifecycle/abort';
import fs = require('fs');
import type { Hook, Hooks } from '../spec/config-types';
import { TsrunError } from '../errors';
import { log } from '../log';
import { addon } from '../native/addon';
import { trace } from '../trace';

export type HookKind = keyof Hooks;

export interface HookState {
  ociVersion: string; id: string; status: string; pid?: number; bundle: string; annotations?: Record<string, string>;
}

export interface HookPlace {
  /** Run inside the namespaces of this pid (createContainer). */
  inNamespacesOf?: number;
  /** Working directory (a path in the hook's mount namespace); default: tsrun's own. */
  cwd?: string;
  /** Environment of a hook without `env`; default: tsrun's own (see inheritedEnv). */
  defaultEnv?: string[];
}

/** tsrun's environment as hooks without `env` get it: everything but tsrun's TSRUN_* knobs. */
export function inheritedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('TSRUN_')) out[k] = v;
  return out;
}

/** util-linux nsenter, found without the hook's env (which need not have PATH). */
function nsenterPath(): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    if (fs.existsSync(`${dir}/nsenter`)) return `${dir}/nsenter`;
  }
  throw new TsrunError('hooks in the container namespace need nsenter (util-linux), which was not found');
}

function envObject(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** How a hook is started: the file, its arguments and environment, where. */
interface HookCommand {
  field: string; argv: string[]; file: string; args: string[]; argv0?: string; cwd?: string; env: Record<string, string>;
}

function hookCommand(kind: HookKind, index: number, hook: Hook, place: HookPlace): HookCommand {
  const field = `hooks.${kind}[${index}]`;
  const argv = hook.args?.length ? hook.args : [hook.path];
  let file = hook.path;
  let args = argv.slice(1);
  let argv0: string | undefined = argv[0];
  let cwd = place.cwd;
  if (place.inNamespacesOf) {
    // nsenter joins every namespace of the init (user included when it differs) and execs the
    // hook. Entering the mount namespace resets the cwd to its "/": --wd is opened before the
    // setns, through the init's /proc/PID/root, so it is the cwd as the container's mount
    // namespace resolves it (its own mounts over the rootfs included), as runc's chdir there.
    const pid = String(place.inNamespacesOf);
    file = nsenterPath();
    args = ['--target', pid, '--all', ...(cwd ? [`--wd=/proc/${pid}/root${cwd}`] : []), '--', hook.path, ...argv.slice(1)];
    argv0 = undefined;
    cwd = undefined;
  }
  const env = hook.env ? envObject(hook.env) : place.defaultEnv ? envObject(place.defaultEnv) : inheritedEnv();
  return { field, argv, file, args, argv0, cwd, env };
}

// child_process is loaded only when a hook runs: most invocations have none
// eslint-disable-next-line @typescript-eslint/no-var-requires
const childProcess = () => require('child_process') as typeof import('child_process');

/**
 * `spawn` with only fds 0-2 reaching the child: every fd from 3 up is marked close-on-exec for
 * the duration of the call and unmarked after. The spawn (fork and exec) is complete when it
 * returns and JS runs on one thread, so no other spawn -- another create's hook or container
 * child, concurrent in the same process -- falls inside the window or sees the marks.
 */
function withOnlyStdio<T>(spawn: () => T): T {
  const fds = addon().fds;
  const marked = fds.markCloexecFrom(3);
  try {
    return spawn();
  } finally {
    fds.clearCloexec(marked);
  }
}

interface HookOutcome { error?: NodeJS.ErrnoException; timedOut: boolean; status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** The hook's outcome as the error runc would report (none when it exited 0). */
function judge(cmd: HookCommand, hook: Hook, place: HookPlace, r: HookOutcome): void {
  const { field, argv } = cmd;
  if (r.timedOut) {
    throw new TsrunError(`${field}: ${hook.path} did not finish within its timeout of ${hook.timeout}s and was killed`, { field });
  }
  if (r.error && r.error.code !== 'EPIPE') {
    throw new TsrunError(`${field}: ${hook.path}: ${r.error.message}`, { field });
  }
  trace(field, () => `${hook.path} ${JSON.stringify(argv.slice(1))}${place.inNamespacesOf ? ` in the namespaces of pid ${place.inNamespacesOf}` : ''}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}`);
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
    const err = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    throw new TsrunError(`${field}: ${hook.path} ${how}${err ? `: ${err}` : ''}`, { field });
  }
}

/**
 * One hook, awaited on the event loop (a library caller's timers and other containers go on
 * meanwhile): its stdin is the state, its timeout kills it with SIGKILL (as runc), a failure is
 * the error runc would report.
 */
export async function runHook(kind: HookKind, index: number, hook: Hook, state: HookState, place: HookPlace = {}, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  const cmd = hookCommand(kind, index, hook, place);
  let onAbort: (() => void) | undefined;
  const r = await new Promise<HookOutcome>((resolve) => {
    const out: HookOutcome = { timedOut: false, status: null, signal: null, stdout: '', stderr: '' };
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      resolve(out);
    };
    const child = withOnlyStdio(() => childProcess().spawn(cmd.file, cmd.args, {
      argv0: cmd.argv0, env: cmd.env, cwd: cmd.cwd, stdio: ['pipe', 'pipe', 'pipe'],
    }));
    child.on('error', (e: NodeJS.ErrnoException) => {
      out.error = e;
      if (child.pid === undefined) finish(); // never started: no 'close' follows
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out.stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { out.stderr += d; });
    // a hook that does not read its stdin: EPIPE, ignored (runc ignores it too)
    child.stdin!.on('error', () => { /* EPIPE */ });
    child.on('close', (status, signal) => {
      out.status = status;
      out.signal = signal;
      finish();
    });
    if (child.pid !== undefined) {
      child.stdin!.end(JSON.stringify(state));
      if (hook.timeout) {
        timer = setTimeout(() => {
          out.timedOut = true;
          child.kill('SIGKILL');
        }, hook.timeout * 1000);
      }
      // an aborted call does not wait for its hook: killed, as its timeout does
      onAbort = () => child.kill('SIGKILL');
      signal?.addEventListener('abort', onAbort, { once: true });
    }
  });
  throwIfAborted(signal);
  judge(cmd, hook, place, r);
}

/** Every hook of one kind in order, on the event loop; the first failure stops and rejects. */
export async function runHooks(kind: HookKind, hooks: Hooks | undefined, state: HookState, place: HookPlace = {}, signal?: AbortSignal): Promise<void> {
  const list = hooks?.[kind] ?? [];
  for (let i = 0; i < list.length; i++) await runHook(kind, i, list[i], state, place, signal);
}

/**
 * Run every hook of one kind; a failing one is a warning and the rest still run (runtime-spec
 * lifecycle step 13 for poststop: "If any poststop hook fails, the runtime MUST log a warning,
 * but the remaining hooks and lifecycle continue as if the hook had succeeded").
 */
export async function runHooksWarnOnly(kind: HookKind, hooks: Hooks | undefined, state: HookState, place: HookPlace = {}): Promise<void> {
  const list = hooks?.[kind] ?? [];
  for (let i = 0; i < list.length; i++) {
    try {
      await runHook(kind, i, list[i], state, place);
    } catch (e) {
      log('warning', (e as Error).message);
    }
  }
}

export function hasHooks(hooks: Hooks | undefined, ...kinds: HookKind[]): boolean {
  return kinds.some((k) => (hooks?.[k]?.length ?? 0) > 0);
}
