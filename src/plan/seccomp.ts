// linux.seccomp -> what libseccomp needs (actions, arches, comparisons) and the flags for
// seccomp(2). The BPF program itself is built by the addon in the parent process.
// What is refused (NOTIFY on the syscall tsrun's init needs, errnoRet without an errno action)
// is src/spec/semantic.ts's; names are the schema's enums.
import type { LinuxSeccomp } from '../spec/config-types';
import { known } from './assert';

const EPERM = 1, ENOSYS = 38;
export const ACTIONS: Record<string, (errno: number) => number> = {
  SCMP_ACT_KILL: () => 0x00000000, SCMP_ACT_KILL_THREAD: () => 0x00000000, SCMP_ACT_KILL_PROCESS: () => 0x80000000,
  SCMP_ACT_TRAP: () => 0x00030000, SCMP_ACT_ERRNO: (e) => 0x00050000 | (e & 0xffff), SCMP_ACT_TRACE: (e) => 0x7ff00000 | (e & 0xffff),
  SCMP_ACT_ALLOW: () => 0x7fff0000, SCMP_ACT_LOG: () => 0x7ffc0000, SCMP_ACT_NOTIFY: () => 0x7fc00000,
};
const NOTIFY = ACTIONS.SCMP_ACT_NOTIFY(0);
export const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};
export const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1, SECCOMP_FILTER_FLAG_LOG: 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};
// the kernel's flags that config.json does not name
const NEW_LISTENER = 8, TSYNC_ESRCH = 16;

/**
 * The filter and how to load it. With SCMP_ACT_NOTIFY anywhere (notify), the child loads it
 * with SECCOMP_FILTER_FLAG_NEW_LISTENER and create/exec hand the fd to listenerPath.
 */
export interface SeccompPlan { program: Buffer; flags: number; notify: boolean; listenerPath?: string; listenerMetadata?: string }

function action(name: string, errnoRet: number | undefined, field: string): number {
  return known(ACTIONS, name, field)(errnoRet ?? EPERM);
}

/**
 * runc's -ENOSYS stub (addon/seccomp.cc): a syscall newer than every one the profile names
 * answers ENOSYS instead of the default action, so libc falls back (clone3 -> clone). Not for
 * a permissive default (ALLOW, LOG; TRACE: a tracer handles new syscalls itself) nor one that
 * already answers ENOSYS.
 */
function wantsEnosysStub(s: LinuxSeccomp): boolean {
  if (['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(s.defaultAction)) return false;
  return !(s.defaultAction === 'SCMP_ACT_ERRNO' && s.defaultErrnoRet === ENOSYS);
}

/** SCMP_ARCH_X86_64 -> "x86_64", the names libseccomp resolves. */
export function archName(a: string): string {
  return a.replace(/^SCMP_ARCH_/, '').toLowerCase();
}

/** What the addon's libseccomp builder takes. */
export interface SeccompDescriptor {
  defaultAction: number; arches: string[]; enosys: boolean;
  rules: { field: string; names: string[]; action: number; args: { index: number; value: bigint; valueTwo: bigint; op: number }[] }[];
}

export function seccompDescriptor(s: LinuxSeccomp): SeccompDescriptor & { flags: number } {
  const defaultAction = action(s.defaultAction, s.defaultErrnoRet, 'linux.seccomp.defaultAction');
  const flags = (s.flags ?? []).reduce((acc, f, i) => acc | known(FLAGS, f, `linux.seccomp.flags[${i}]`), 0);
  const rules = (s.syscalls ?? []).map((sc, i) => {
    const field = `linux.seccomp.syscalls[${i}]`;
    return {
      field,
      names: sc.names,
      action: action(sc.action, sc.errnoRet, `${field}.action`),
      args: (sc.args ?? []).map((a, j) => ({
        index: a.index, value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0), op: known(OPS, a.op, `${field}.args[${j}].op`),
      })),
    };
  });
  return { defaultAction, arches: (s.architectures ?? []).map(archName), rules, flags, enosys: wantsEnosysStub(s) };
}

/** `compile`: the host's libseccomp (HostFacts.compileSeccomp). */
export function planSeccomp(s: LinuxSeccomp | undefined, compile: (d: SeccompDescriptor) => Buffer): SeccompPlan | undefined {
  if (!s) return undefined;
  const d = seccompDescriptor(s);
  const notify = d.defaultAction === NOTIFY || d.rules.some((r) => r.action === NOTIFY && r.names.length > 0);
  let flags = d.flags;
  if (notify) {
    flags |= NEW_LISTENER;
    // the kernel refuses TSYNC with a listener unless told to report a failed sync as ESRCH
    if (flags & FLAGS.SECCOMP_FILTER_FLAG_TSYNC) flags |= TSYNC_ESRCH;
  } else {
    // only meaningful for a listener (the kernel refuses it without one): nothing to wait for
    flags &= ~FLAGS.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  const program = compile(d);
  return { program, flags, notify, listenerPath: s.listenerPath, listenerMetadata: s.listenerMetadata };
}
