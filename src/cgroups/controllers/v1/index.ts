// Registry of the v1 hierarchies a container is placed in, in runc 1.1's order
// (libcontainer/cgroups/fs: subsystems). Hierarchies not mounted on the host are skipped,
// except "devices", which is required (runc treats its absence as fatal, for security).

import type { V1Controller } from '../types';
import { cpuset } from './cpuset';
import { freezer } from './freezer';
import { joinOnly } from './join-only';

export const V1_REGISTRY: readonly V1Controller[] = [
  cpuset,
  joinOnly('devices'),
  joinOnly('memory'),
  joinOnly('cpu'),
  joinOnly('cpuacct'),
  joinOnly('pids'),
  joinOnly('blkio'),
  joinOnly('hugetlb'),
  joinOnly('net_cls'),
  joinOnly('net_prio'),
  joinOnly('perf_event'),
  freezer,
  joinOnly('rdma'),
  joinOnly('misc'),
  joinOnly('name=systemd'),
];

export { cpuset, freezer };
