/** One cgroup directory the container lives in, in one mounted hierarchy. */
export interface Hierarchy {
  /** Keys of CgroupManager.paths served by this directory (co-mounted: ['cpu','cpuacct']; v2: ['']). */
  keys: string[];
  /** The hierarchy's mount point (with the test prefix applied). Never created or removed. */
  mountPoint: string;
  /** The container's cgroup directory. */
  dir: string;
  /** Per-controller preparation before a process joins (v1 cpuset inheritance). */
  prepare?(chain: string[], mountPoint: string): void;
  /** v2 only: enable available controllers in every ancestor's cgroup.subtree_control. */
  enableSubtree?: boolean;
}

/** Group per-key directories into distinct hierarchies (co-mounted controllers share one). */
export function groupByDir(entries: Array<{ key: string; mountPoint: string; dir: string; prepare?: Hierarchy['prepare'] }>): Hierarchy[] {
  const byDir = new Map<string, Hierarchy>();
  for (const e of entries) {
    const h = byDir.get(e.dir);
    if (!h) {
      byDir.set(e.dir, { keys: [e.key], mountPoint: e.mountPoint, dir: e.dir, prepare: e.prepare });
      continue;
    }
    h.keys.push(e.key);
    if (e.prepare) {
      const prev = h.prepare;
      const next = e.prepare;
      h.prepare = prev ? (c, m) => { prev(c, m); next(c, m); } : next;
    }
  }
  return [...byDir.values()];
}
