// What a "cgroup" mount shows inside the container, derived from the container's cgroups.
import * as path from 'path';
import { detectCgroups, type CgroupManager } from '../cgroups';
import type { CgroupMountView } from '../plan/mounts';

export function cgroupMountView(cg: CgroupManager, cgroupns: boolean): CgroupMountView {
  const layout = detectCgroups();
  if (layout.mode === 'v2') return { v1: [], v2: cg.paths[''], cgroupns };
  const seen = new Set<string>();
  const v1: CgroupMountView['v1'] = [];
  for (const [key, hostPath] of Object.entries(cg.paths)) {
    const mount = layout.v1Mounts.get(key);
    if (!key || !mount || seen.has(mount.mountPoint)) continue;
    seen.add(mount.mountPoint);
    v1.push({ dir: path.basename(mount.mountPoint), hostPath, subsystems: mount.controllers.join(',') });
  }
  v1.sort((a, b) => a.dir.localeCompare(b.dir));
  return { v1, cgroupns };
}
