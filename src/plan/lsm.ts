// AppArmor and SELinux: what the host offers, and what the child and tsrun-init write.
//
// process.apparmorProfile and process.selinuxLabel become one write to the process's own
// attr file ("exec PROFILE" to attr/apparmor/exec, or the label to attr/exec), made by
// tsrun-init right before the user's execve, through an O_PATH handle on the container's /proc
// that the child checked to be procfs (openat2 RESOLVE_BENEATH|NO_MAGICLINKS|NO_XDEV: no
// symlink or over-mount can redirect it). linux.mountLabel becomes context="LABEL" on the
// container's tmpfs/devpts/mqueue mounts, as runc formats it.
//
// A config that asks for an LSM the host lacks fails here, naming the field.
// TSRUN_ASSUME_LSM=apparmor|selinux makes tsrun take the LSM as present (tests of the write path
// on hosts without it: the kernel then refuses the write and the error names the attr file).
import fs = require('fs');
import type { Process, Spec } from '../spec/config-types';
import type { NativeMount } from '../native/addon';
import { ConfigError } from '../errors';

function assumed(name: string): boolean {
  return (process.env.TSRUN_ASSUME_LSM ?? '').split(',').map((s) => s.trim()).includes(name);
}

export function apparmorEnabled(): boolean {
  if (assumed('apparmor')) return true;
  try { return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch { return false; }
}

export function selinuxEnabled(): boolean {
  if (assumed('selinux')) return true;
  try { return fs.statfsSync('/sys/fs/selinux').type === 0xf97cff8c; } catch { return false; }
}

/** Refuse what the host cannot apply (exec checks its --apparmor/--process-label with this too). */
export function checkLsm(proc: Process, base = 'process'): void {
  if (proc.apparmorProfile && !apparmorEnabled()) {
    throw new ConfigError(`${base}.apparmorProfile`, 'apparmor is not enabled on this host: remove the profile or enable AppArmor');
  }
  if (proc.selinuxLabel && !selinuxEnabled()) {
    throw new ConfigError(`${base}.selinuxLabel`, 'selinux label is specified in config, but selinux is disabled or not supported');
  }
  if (proc.apparmorProfile && proc.selinuxLabel) {
    throw new ConfigError(`${base}.selinuxLabel`, 'cannot be applied together with apparmorProfile: set only the one for the host\'s LSM');
  }
}

export interface LsmPlan { lsmAttr?: string; lsmValue?: string }

/** The attr file (relative to the container's /proc) and the value tsrun-init writes there. */
export function planLsm(proc: Process, base = 'process'): LsmPlan {
  checkLsm(proc, base);
  if (proc.apparmorProfile) {
    // Linux 5.8+ has a per-LSM directory; older kernels take AppArmor's value in attr/exec
    const attr = fs.existsSync('/proc/self/attr/apparmor/exec') ? 'thread-self/attr/apparmor/exec' : 'thread-self/attr/exec';
    return { lsmAttr: attr, lsmValue: `exec ${proc.apparmorProfile}` };
  }
  if (proc.selinuxLabel) return { lsmAttr: 'thread-self/attr/exec', lsmValue: proc.selinuxLabel };
  return {};
}

/** Filesystems whose mount data takes context= (runc's FormatMountLabel targets). */
const LABELLED = new Set(['tmpfs', 'devpts', 'mqueue', 'shm', 'ramfs']);

/** linux.mountLabel: context="LABEL" added to the data of the container's own filesystems. */
export function labelMounts(mounts: NativeMount[], spec: Spec): NativeMount[] {
  const label = spec.linux?.mountLabel;
  if (!label) return mounts;
  if (!selinuxEnabled()) throw new ConfigError('linux.mountLabel', 'selinux is disabled or not supported on this host: remove the mount label');
  return mounts.map((m) => {
    if (m.kind !== 0 || !m.fstype || !LABELLED.has(m.fstype)) return m;
    const ctx = `context="${label}"`;
    return { ...m, data: m.data ? `${m.data},${ctx}` : ctx };
  });
}
