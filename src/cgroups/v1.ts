// cgroup v1 (and hybrid) placement: one directory per mounted hierarchy from the v1 registry,
// plus, on hybrid hosts, the cgroup2 "unified" tree (key ""), which runc 1.1 joins too.

import { TsrunError } from '../errors';
import { V1_REGISTRY } from './controllers/v1';
import { freezeV1Waits, isFrozenV1, thawV1Waits } from './controllers/v1/freezer';
import type { Waits } from '../waits';
import type { CgroupLayout } from './detect';
import { groupByDir, type Hierarchy } from './hierarchy';
import { resolveUnifiedDir, resolveV1Dir, type CgroupfsPath } from './path';

export function v1Hierarchies(layout: CgroupLayout, p: CgroupfsPath, prefix: string, skipDevices = false): Hierarchy[] {
  if (!skipDevices && !layout.v1Mounts.has('devices')) {
    throw new TsrunError('cgroup v1: the devices hierarchy is not mounted; refusing to place a container without a devices cgroup');
  }
  const entries = [];
  for (const c of V1_REGISTRY) {
    if (skipDevices && c.name === 'devices') continue;
    const dir = resolveV1Dir(layout, c.name, p, prefix);
    if (dir === undefined) continue;
    entries.push({ key: c.name, mountPoint: prefix + layout.v1Mounts.get(c.name)!.mountPoint, dir, prepare: c.prepare });
  }
  if (layout.mode === 'hybrid' && layout.unifiedMount) {
    entries.push({ key: '', mountPoint: prefix + layout.unifiedMount.mountPoint, dir: resolveUnifiedDir(layout, p, prefix) });
  }
  return groupByDir(entries);
}

/** Directory whose cgroup.procs lists the container's processes (runc uses "devices"). */
export function v1ProcsDir(paths: Record<string, string>): string | undefined {
  for (const k of ['devices', 'freezer', 'pids', 'memory', 'cpu', 'name=systemd', '']) if (paths[k]) return paths[k];
  return Object.values(paths)[0];
}

export const v1Freezer = {
  freeze(paths: Record<string, string>, timeoutMs: number): Waits<void> {
    return freezeV1Waits(requireFreezer(paths), timeoutMs);
  },
  thaw(paths: Record<string, string>, timeoutMs: number): Waits<void> {
    return thawV1Waits(requireFreezer(paths), timeoutMs);
  },
  isFrozen(paths: Record<string, string>): boolean {
    return paths.freezer ? isFrozenV1(paths.freezer) : false;
  },
  available(paths: Record<string, string>): boolean {
    return !!paths.freezer;
  },
};

function requireFreezer(paths: Record<string, string>): string {
  if (!paths.freezer) throw new TsrunError('cannot freeze or thaw: no freezer cgroup hierarchy is mounted');
  return paths.freezer;
}
