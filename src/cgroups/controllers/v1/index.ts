// Registry of the v1 hierarchies a container is placed in, in runc 1.1's order
// (libcontainer/cgroups/fs: subsystems). Hierarchies not mounted on the host are skipped,
// except "devices", which is required (runc treats its absence as fatal, for security).
// Entries with set()/stats() (V1ResourceController) also apply linux.resources and report
// stats; ./resources.ts walks this list in this order.

import type { V1Controller } from '../types';
import { blkio } from './blkio-resources';
import { cpu } from './cpu-resources';
import { cpuacct } from './cpuacct-resources';
import { cpuset } from './cpuset';
import { devices } from './devices-resources';
import { freezer } from './freezer';
import { hugetlb } from './hugetlb-resources';
import { joinOnly } from './join-only';
import { memory } from './memory-resources';
import { netCls } from './net-cls-resources';
import { netPrio } from './net-prio-resources';
import { pids } from './pids-resources';
import { rdma } from './rdma-resources';

export const V1_REGISTRY: readonly V1Controller[] = [
  cpuset,
  devices,
  memory,
  cpu,
  cpuacct,
  pids,
  blkio,
  hugetlb,
  netCls,
  netPrio,
  joinOnly('perf_event'),
  freezer,
  rdma,
  joinOnly('misc'),
  joinOnly('name=systemd'),
];

export { cpuset, freezer };
