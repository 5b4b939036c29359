// v2: a controller is usable in a cgroup only if every ancestor enabled it in its
// cgroup.subtree_control. Like runc (fs2 CreateCgroupPath), enable in each ancestor, from the
// mount point down to the container's parent, whatever that ancestor has available
// (its cgroup.controllers); if the combined write fails, try one by one and ignore failures
// (e.g. an ancestor with processes of its own, or controllers not delegated to us).

import { readCgOptional, writeCg } from '../../fsutil';

export function enableSubtreeControllers(ancestors: string[]): void {
  for (const dir of ancestors) {
    const available = (readCgOptional(dir, 'cgroup.controllers') ?? '').split(/\s+/).filter(Boolean);
    const enabled = new Set((readCgOptional(dir, 'cgroup.subtree_control') ?? '').split(/\s+/).filter(Boolean));
    const missing = available.filter((c) => !enabled.has(c));
    if (!missing.length) continue;
    try {
      writeCg(dir, 'cgroup.subtree_control', missing.map((c) => '+' + c).join(' '));
    } catch {
      for (const c of missing) {
        try { writeCg(dir, 'cgroup.subtree_control', '+' + c); } catch { /* not available here */ }
      }
    }
  }
}
