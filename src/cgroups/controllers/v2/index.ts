// Registry of v2 controller modules. Placement needs none of them (controllers are enabled
// generically by ./subtree.ts and freezing is core cgroup v2: ./freezer.ts); the resource
// modules (<name>-resources.ts: set(dir, resources) and, where runc has one, stats(dir)) are
// listed in runc 1.1's fs2 Set order. ./resources.ts applies them all (applyV2Resources) and
// reads the `runc events --stats` view (statsV2).

import type { V2Controller } from '../types';
import { V2_RESOURCE_CONTROLLERS } from './resources';

export const V2_REGISTRY: readonly V2Controller[] = [...V2_RESOURCE_CONTROLLERS];

export { enableSubtreeControllers } from './subtree';
export { freezeV2, thawV2, freezeV2Waits, thawV2Waits, isFrozenV2 } from './freezer';
export {
  applyV2Resources, collectStatsV2, statsV2, toEventsStats, v2IgnoredResources, validateV2Resources,
  V2_RESOURCE_CONTROLLERS, type ApplyV2Options, type IgnoredResource, type StatsV2Options, type V2ResourceController,
} from './resources';
export { deviceRules, type DeviceRule } from '../device-rules';
export { convertCPUSharesToCgroupV2Value } from './cpu-resources';
export { convertBlkIOToIOWeightValue } from './io-resources';
export { convertMemorySwapToCgroupV2Value } from './memory-resources';
export { hugePageSizes } from './hugetlb-resources';
export { newStatsV2, type CgroupStatsV2, type V2EventsStats } from './stats-types';
export type { U64 } from './resource-util';
