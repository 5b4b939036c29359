// cgroup v2 placement: a single directory in the unified hierarchy (key "", as in runc).

import { freezeV2Waits, isFrozenV2, thawV2Waits } from './controllers/v2';
import type { Waits } from '../waits';
import type { CgroupLayout } from './detect';
import type { Hierarchy } from './hierarchy';
import { resolveUnifiedDir, type CgroupfsPath } from './path';

export function v2Hierarchies(layout: CgroupLayout, p: CgroupfsPath, prefix: string): Hierarchy[] {
  const mountPoint = prefix + layout.unifiedMount!.mountPoint;
  return [{ keys: [''], mountPoint, dir: resolveUnifiedDir(layout, p, prefix), enableSubtree: true }];
}

export const v2Freezer = {
  freeze(paths: Record<string, string>, timeoutMs: number): Waits<void> {
    return freezeV2Waits(paths[''], timeoutMs);
  },
  thaw(paths: Record<string, string>, timeoutMs: number): Waits<void> {
    return thawV2Waits(paths[''], timeoutMs);
  },
  isFrozen(paths: Record<string, string>): boolean {
    return isFrozenV2(paths['']);
  },
  available(paths: Record<string, string>): boolean {
    return !!paths[''];
  },
};
