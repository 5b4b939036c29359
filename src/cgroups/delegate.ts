// cgroup v2 delegation to the container (runc 1.1: specconv sets Cgroups.OwnerUID, fs2 and the
// systemd v2 manager chown): a container with a user namespace, its own cgroup namespace and
// /sys/fs/cgroup mounted read-write gets its cgroup directory, and the files the kernel lists
// as delegatable (/sys/kernel/cgroup/delegate), owned by the host uid of its process user, so
// its root may make child cgroups and move its processes between them. Threat: only those
// files: the limit files (memory.max, pids.max, ...) stay root's, or the container could raise
// its own limits; and never without both namespaces (the host's root cgroup is not its to own).
import fs = require('fs');
import path = require('path');
import type { Spec } from '../spec/config-types';
import { codeOf, toSyscallError } from './fsutil';

/** runc's fallback when the kernel does not list them (before Linux 5.x's /sys/kernel/cgroup/delegate). */
const DEFAULT_DELEGATE = ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads'];

/** The host uid that should own the container's cgroup, or undefined (no delegation). */
export function cgroupOwner(spec: Spec): number | undefined {
  const ns = spec.linux?.namespaces ?? [];
  if (!ns.some((n) => n.type === 'cgroup' && !n.path)) return undefined;
  const rw = (spec.mounts ?? []).some((m) => {
    if (!(m.type === 'cgroup' || m.type === 'cgroup2' || m.source === 'cgroup')) return false;
    if (path.posix.normalize(m.destination) !== '/sys/fs/cgroup') return false;
    let ro = false;
    for (const o of m.options ?? []) {
      if (o === 'ro') ro = true;
      else if (o === 'rw') ro = false;
    }
    return !ro;
  });
  if (!rw) return undefined;
  // HostUID(process.user.uid): needs uid mappings; an unmapped user means no owner (runc)
  const uid = spec.process?.user?.uid ?? 0;
  for (const m of spec.linux?.uidMappings ?? []) {
    if (uid >= m.containerID && uid < m.containerID + m.size) return m.hostID + (uid - m.containerID);
  }
  return undefined;
}

export function delegateFiles(list = '/sys/kernel/cgroup/delegate'): string[] {
  try {
    const files = fs.readFileSync(list, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.includes('/'));
    return files.length ? files : DEFAULT_DELEGATE;
  } catch {
    return DEFAULT_DELEGATE;
  }
}

/** chown the cgroup directory and its delegatable files (those that exist) to `uid`. */
export function chownCgroup(dir: string, uid: number, files = delegateFiles()): void {
  for (const f of ['', ...files]) {
    const p = f ? path.join(dir, f) : dir;
    try {
      fs.lchownSync(p, uid, -1);
    } catch (e) {
      if (f && codeOf(e) === 'ENOENT') continue; // e.g. memory.oom.group without the memory controller
      throw toSyscallError(`delegating cgroup to uid ${uid}: chown ${p}`, e);
    }
  }
}
