// Who is in a cgroup, and is a recorded cgroup path one tsrun may act on. Threat: a cgroup
// shared by two containers (the same linux.cgroupsPath) or a corrupt state.json naming a
// hierarchy's root: signalling "every process in the cgroup" would then reach processes that
// are not the container's (another container, or the whole host).
import fs = require('fs');
import path = require('path');
import { TsrunError } from '../errors';
import { log } from '../log';
import type { CgroupLayout } from './detect';
import { statFields } from '../state/status';
import { frozenBy } from './frozen';
import { relation } from './fsutil';
import type { CgroupManager } from './manager';

/** /proc/PID/ns/pid ("pid:[4026531836]"), or undefined if the process is gone. */
export function pidNamespace(pid: number | 'self'): string | undefined {
  try { return fs.readlinkSync(`/proc/${pid}/ns/pid`); } catch { return undefined; }
}

/** Parent pid (field 4 of /proc/PID/stat), or 0 if gone. */
export function parentPid(pid: number): number {
  return Number(statFields(pid)?.[1]) || 0;
}

const MAX_DEPTH = 128;

/** `pid` or one of its ancestors satisfies `is` (walks the parent chain up to pid 1). */
export function selfOrAncestor(pid: number, is: (p: number) => boolean): boolean {
  for (let p = pid, depth = 0; p > 1 && depth < MAX_DEPTH; p = parentPid(p), depth++) if (is(p)) return true;
  return false;
}

/**
 * `dir`, recorded for hierarchy `key`, is a cgroup strictly below that hierarchy's mount
 * point: never the root of a hierarchy (every process on the host) nor outside it.
 * Returns the problem, or undefined.
 */
export function recordedPathProblem(layout: CgroupLayout, key: string, dir: string, prefix = ''): string | undefined {
  const mount = key === '' ? layout.unifiedMount : layout.v1Mounts.get(key);
  // a hierarchy this host does not have (a v1 key on a pure v2 host): nothing tsrun may act on
  if (!mount) return `${dir} is recorded for the ${key ? `"${key}"` : 'cgroup2'} hierarchy, which is not mounted on this host`;
  const where = relation(prefix + mount.mountPoint, dir);
  if (where === 'root') return `${dir} is the root of the ${key || 'cgroup2'} hierarchy`;
  if (where === 'outside') return `${dir} is outside the ${key || 'cgroup2'} hierarchy (${prefix + mount.mountPoint})`;
  return undefined;
}

/** A directory create made must be strictly below some cgroup mount point. */
export function createdPathProblem(layout: CgroupLayout, dir: string, prefix = ''): string | undefined {
  const mounts = [...layout.v1Mounts.values(), ...(layout.unifiedMount ? [layout.unifiedMount] : [])];
  const below = mounts.some((m) => relation(prefix + m.mountPoint, dir) === 'below');
  return below ? undefined : `${dir} is not a cgroup below a hierarchy's root`;
}

/**
 * runc's check at create (libcontainer's Create): a cgroup that already has processes is a
 * warning (it is shared: pause, limits and cgroup.kill act on all of it), a frozen one an
 * error (the new init would never run). Unlike runc the freezer is read whether or not the
 * cgroup (its devices directory) exists, and a cgroup frozen through an ancestor, or about to
 * be made below a frozen one, is refused too (runc reads it THAWED and its create hangs).
 */
export function checkCgroupBeforeCreate<T extends Pick<CgroupManager, 'exists' | 'pids' | 'isFrozen' | 'paths'>>(cg: T): T {
  if (cg.exists()) {
    let n = 0;
    try { n = cg.pids().length; } catch { /* removed meanwhile */ }
    if (n > 0) {
      log('warning', `container's cgroup is not empty: ${n} process(es) found`);
      log('warning', 'the cgroup is shared: pause, resources and the OOM killer act on every container in it (kill --all and delete signal only each container\'s own processes)');
    }
  }
  if (cg.exists() && cg.isFrozen()) throw new TsrunError('container\'s cgroup unexpectedly frozen');
  for (const [key, dir] of Object.entries(cg.paths)) {
    if (key !== 'freezer' && key !== '') continue;
    const by = frozenBy(dir, key === 'freezer');
    if (by === dir) throw new TsrunError('container\'s cgroup unexpectedly frozen');
    if (by) throw new TsrunError(`container's cgroup unexpectedly frozen: its ancestor ${by} is frozen; thaw it, or choose another linux.cgroupsPath`);
  }
  return cg;
}
