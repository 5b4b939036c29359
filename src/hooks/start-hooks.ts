// startContainer hooks as tsrun-init runs them (addon/init/hooks.c): in the container, forked by
// its init after the start handshake, with the user process's credentials, capabilities,
// no_new_privs, seccomp filter and cgroup, as runc's init does. This builds the blob it reads
// at create; the format is documented in hooks.c.
import type { Hook } from '../spec/config-types';
import { ConfigError } from '../errors';
import { OCI_VERSION } from '../state/status';

/** Limits of tsrun-init's static buffers (HOOKS_MAX, HOOK_MAX_ARGS, HOOK_MAX_ENV in hooks.c). */
export const START_HOOKS_MAX_BYTES = 1 << 20;
export const START_HOOK_MAX_ARGS = 1024;
export const START_HOOK_MAX_ENV = 1024;

export interface StartHooksState { id: string; bundle: string; annotations?: Record<string, string> }

/**
 * runc's state for these hooks (specs.State): ociVersion, id, status, pid, bundle, annotations,
 * in that order; annotations sorted (Go's encoding/json) and left out when empty. The pid is
 * the init's own, as the container sees it: tsrun-init puts it between prefix and suffix.
 */
export function startStateParts(st: StartHooksState): { prefix: string; suffix: string } {
  const prefix = `${JSON.stringify({ ociVersion: OCI_VERSION, id: st.id, status: 'created' }).slice(0, -1)},"pid":`;
  const keys = Object.keys(st.annotations ?? {}).sort();
  const ann = keys.length ? `,"annotations":${JSON.stringify(Object.fromEntries(keys.map((k) => [k, st.annotations![k]])))}` : '';
  return { prefix, suffix: `,"bundle":${JSON.stringify(st.bundle)}${ann}}` };
}

function cstr(field: string, s: string): string {
  if (s.includes('\0')) throw new ConfigError(field, 'contains a NUL byte');
  return s;
}

/** The blob for tsrun-init's HOOKS_FD, or undefined when there are no startContainer hooks. */
export function startHooksBlob(hooks: Hook[] | undefined, st: StartHooksState): Buffer | undefined {
  if (!hooks?.length) return undefined;
  const { prefix, suffix } = startStateParts(st);
  const parts: string[] = ['tsrun-hooks-1', prefix, suffix, String(hooks.length)];
  hooks.forEach((h, i) => {
    const field = `hooks.startContainer[${i}]`;
    const args = h.args ?? [];
    if (args.length > START_HOOK_MAX_ARGS) throw new ConfigError(`${field}.args`, `more than ${START_HOOK_MAX_ARGS} entries`);
    if ((h.env?.length ?? 0) > START_HOOK_MAX_ENV) throw new ConfigError(`${field}.env`, `more than ${START_HOOK_MAX_ENV} entries`);
    // no env: the hook gets the process's environment, as runc's init hands it (Go's nil Env)
    parts.push(String(h.timeout ?? 0), String(args.length), String(h.env ? h.env.length : -1), cstr(`${field}.path`, h.path));
    args.forEach((a, j) => parts.push(cstr(`${field}.args[${j}]`, a)));
    (h.env ?? []).forEach((e, j) => parts.push(cstr(`${field}.env[${j}]`, e)));
  });
  const blob = Buffer.from(parts.map((p) => `${p}\0`).join(''), 'utf8');
  if (blob.length > START_HOOKS_MAX_BYTES) {
    throw new ConfigError('hooks.startContainer', `${blob.length} bytes of hooks and state: more than the ${START_HOOKS_MAX_BYTES} tsrun-init takes`);
  }
  return blob;
}

/** Header of a failure record tsrun-init writes to exec.fifo (REPORT_HEADER in hooks.c). */
export const INIT_FAILURE_HEADER = 'tsrun-init:fail\n';
