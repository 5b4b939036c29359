// AppArmor and SELinux: what the child and tsrun-init write.
//
// process.apparmorProfile and process.selinuxLabel become one write to the process's own
// attr file ("exec PROFILE" to attr/apparmor/exec, or the label to attr/exec), made by
// tsrun-init right before the user's execve, through an O_PATH handle on the container's /proc
// that the child checked to be procfs (openat2 RESOLVE_BENEATH|NO_MAGICLINKS|NO_XDEV: no
// symlink or over-mount can redirect it). linux.mountLabel becomes context="LABEL" on the
// container's tmpfs/devpts/mqueue mounts, as runc formats it. Whether the host has the LSM is
// src/spec/host-rules.ts's rule.
import type { Process, Spec } from '../spec/config-types';
import type { NativeMount } from '../native/addon';
import type { HostFacts } from './host-facts';

export interface LsmPlan { lsmAttr?: string; lsmValue?: string }

/** The attr file (relative to the container's /proc) and the value tsrun-init writes there. */
export function planLsm(proc: Process, host: Pick<HostFacts, 'apparmorExecAttr'>): LsmPlan {
  if (proc.apparmorProfile) return { lsmAttr: host.apparmorExecAttr, lsmValue: `exec ${proc.apparmorProfile}` };
  if (proc.selinuxLabel) return { lsmAttr: 'thread-self/attr/exec', lsmValue: proc.selinuxLabel };
  return {};
}

/** Filesystems whose mount data takes context= (runc's FormatMountLabel targets). */
const LABELLED = new Set(['tmpfs', 'devpts', 'mqueue', 'shm', 'ramfs']);

/** linux.mountLabel: context="LABEL" added to the data of the container's own filesystems. */
export function labelMounts(mounts: NativeMount[], spec: Spec): NativeMount[] {
  const label = spec.linux?.mountLabel;
  if (!label) return mounts;
  return mounts.map((m) => {
    if (m.kind !== 0 || !m.fstype || !LABELLED.has(m.fstype)) return m;
    const ctx = `context="${label}"`;
    return { ...m, data: m.data ? `${m.data},${ctx}` : ctx };
  });
}
