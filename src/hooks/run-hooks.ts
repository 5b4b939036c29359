// OCI hooks run by the runtime: each hook gets the container's state JSON on stdin, its own
// args and env, and is killed when its timeout passes. createContainer hooks are started
// through nsenter into the init's namespaces. startContainer hooks are not run here: the
// container's init runs them (src/hooks/start-hooks.ts, addon/init/hooks.c).
import fs = require('fs');
import type { Hook, Hooks } from '../spec/config-types';
import { TsrunError } from '../errors';
import { trace } from '../trace';

export type HookKind = keyof Hooks;

export interface HookState {
  ociVersion: string; id: string; status: string; pid?: number; bundle: string; annotations?: Record<string, string>;
}

export interface HookPlace {
  /** Run inside the namespaces of this pid (createContainer). */
  inNamespacesOf?: number;
}

/** util-linux nsenter, found without the hook's env (which need not have PATH). */
function nsenterPath(): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    if (fs.existsSync(`${dir}/nsenter`)) return `${dir}/nsenter`;
  }
  throw new TsrunError('hooks in the container namespace need nsenter (util-linux), which was not found');
}

function envObject(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

export function runHook(kind: HookKind, index: number, hook: Hook, state: HookState, place: HookPlace = {}): void {
  const field = `hooks.${kind}[${index}]`;
  const argv = hook.args?.length ? hook.args : [hook.path];
  let file = hook.path;
  let args = argv.slice(1);
  let argv0: string | undefined = argv[0];
  if (place.inNamespacesOf) {
    // nsenter joins every namespace of the init (user included when it differs) and execs the hook
    const pid = String(place.inNamespacesOf);
    file = nsenterPath();
    args = ['--target', pid, '--all', '--', hook.path, ...argv.slice(1)];
    argv0 = undefined;
  }
  // child_process is loaded only when a hook runs: most invocations have none
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync(file, args, {
    argv0, env: envObject(hook.env), input: JSON.stringify(state), stdio: ['pipe', 'pipe', 'pipe'],
    timeout: hook.timeout ? hook.timeout * 1000 : undefined, killSignal: 'SIGKILL', encoding: 'utf8',
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new TsrunError(`${field}: ${hook.path} did not finish within its timeout of ${hook.timeout}s and was killed`, { field });
  }
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') {
    throw new TsrunError(`${field}: ${hook.path}: ${(r.error as Error).message}`, { field });
  }
  trace(field, () => `${hook.path} ${JSON.stringify(argv.slice(1))}${place.inNamespacesOf ? ` in the namespaces of pid ${place.inNamespacesOf}` : ''}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}`);
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
    const err = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    throw new TsrunError(`${field}: ${hook.path} ${how}${err ? `: ${err}` : ''}`, { field });
  }
}

/** Run every hook of one kind in order; the first failure stops and throws. */
export function runHooks(kind: HookKind, hooks: Hooks | undefined, state: HookState, place: HookPlace = {}): void {
  (hooks?.[kind] ?? []).forEach((h, i) => runHook(kind, i, h, state, place));
}

export function hasHooks(hooks: Hooks | undefined, ...kinds: HookKind[]): boolean {
  return kinds.some((k) => (hooks?.[k]?.length ?? 0) > 0);
}
