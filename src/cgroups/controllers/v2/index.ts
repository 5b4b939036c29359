// Registry of v2 controller modules. Placement needs none of them yet (controllers are
// enabled generically by ./subtree.ts and freezing is core cgroup v2: ./freezer.ts);
// resource modules (cpu, cpuset, io, memory, pids, hugetlb, rdma, misc) register here.

import type { V2Controller } from '../types';

export const V2_REGISTRY: readonly V2Controller[] = [];

export { enableSubtreeControllers } from './subtree';
export { freezeV2, thawV2, isFrozenV2 } from './freezer';
