// What a "cgroup" mount shows inside the container, derived from the container's cgroups.
import path = require('path');
import { detectCgroups, type CgroupManager } from '../cgroups';
import type { CgroupMountView } from '../plan/mounts';
import { ownCgroups } from '../cgroups/rootless';

export function cgroupMountView(cg: CgroupManager, cgroupns: boolean): CgroupMountView {
  const layout = detectCgroups();
  // rootless: a hierarchy its user may not join shows the caller's own cgroup, where the container stays (runc)
  const leftOut = (cg as { leftOut?: readonly string[] }).leftOut;
  const own = leftOut?.length ? ownCgroups(leftOut, layout) : {};
  if (layout.mode === 'v2') return { v1: [], v2: cg.paths[''] ?? own[''], cgroupns };
  const seen = new Set<string>();
  const v1: CgroupMountView['v1'] = [];
  // In the host's mount order, as runc binds them.
  for (const [key, mount] of layout.v1Mounts) {
    const hostPath = cg.paths[key] ?? own[key];
    if (!hostPath || seen.has(mount.mountPoint)) continue;
    seen.add(mount.mountPoint);
    v1.push({ dir: path.basename(mount.mountPoint), hostPath, subsystems: mount.controllers.join(',') });
  }
  return { v1, cgroupns };
}
