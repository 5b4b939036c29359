// linux.resources on cgroup v1 (and hybrid hosts), as runc 1.1's fs manager Set/GetStats.
//
// applyV1Resources walks the v1 registry in runc's subsystem order (cpuset, devices, memory,
// cpu, cpuacct, pids, blkio, hugetlb, net_cls, net_prio, perf_event, freezer, rdma,
// name=systemd) and lets each controller write its settings into its hierarchy's directory.
// A hierarchy missing from `paths` is only an error when the config asks that controller for
// something (runc: "cannot set <x> limit: container could not join or create cgroup"); the
// error names the field. "devices" missing means the container was placed with skipDevices.
// linux.resources.unified is refused up front (runc: ErrV1NoUnified), even on hybrid hosts.
//
// statsV1 returns the `data` of `runc events --stats` (runc 1.1 types.Stats).

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { stats as cpuStats } from './cpu-resources';
import { stats as cpuacctStats } from './cpuacct-resources';
import { cpusetStats } from './cpuset';
import { stats as blkioStats } from './blkio-resources';
import { stats as hugetlbStats } from './hugetlb-resources';
import { V1_REGISTRY } from './index';
import { stats as memoryStats } from './memory-resources';
import { stats as pidsStats } from './pids-resources';
import { RES, type V1ResourceController, type V1SetOptions } from './resource-util';

export type { V1SetOptions } from './resource-util';

/**
 * Apply `r` to the container's v1 cgroups. `paths`: hierarchy key ("memory", "cpu", "cpuacct",
 * "name=systemd", "" for hybrid's unified tree, ...) -> the container's cgroup directory.
 * `r` undefined still applies runc's default device rules (runc always has them).
 */
export function applyV1Resources(paths: Record<string, string>, r: LinuxResources | undefined, opts: V1SetOptions = {}): void {
  const res: LinuxResources = r ?? {};
  if (res.unified && Object.keys(res.unified).length) {
    const v1 = Object.keys(paths).filter((k) => k !== '' && !k.startsWith('name='));
    throw new ConfigError(`${RES}.unified`, `is only supported on cgroup v2 (this host uses cgroup v1 for ${v1.join(', ') || 'its controllers'})`);
  }
  for (const c of V1_REGISTRY as readonly V1ResourceController[]) {
    if (!c.set) continue;
    const dir = paths[c.name];
    if (!dir) {
      if (c.name === 'devices') continue;
      const field = c.wants?.(res);
      if (field) throw new ConfigError(field, `the ${c.name} controller is not mounted on this host`);
      continue;
    }
    c.set(dir, res, opts);
  }
}

const ZERO_MEMORY_ENTRY = (): Record<string, unknown> => ({ limit: 0, failcnt: 0 });

function zeroCpuset(): Record<string, unknown> {
  return {
    cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
    memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
  };
}

/**
 * The container's cgroup statistics in the shape `runc events --stats` prints as "data":
 * {cpu:{usage,throttling}, cpuset, memory:{cache,usage,swap,kernel,kernelTCP,raw}, pids,
 * blkio:{ioServiceBytesRecursive,...}, hugetlb:{"2MB":{usage,max,failcnt}}, intel_rdt,
 * network_interfaces}. Zero values are left out where runc's JSON tags say omitempty.
 * uint64 values above 2^53 are bigints (write with spec/json-int64 stringifyJson).
 */
export function statsV1(paths: Record<string, string>): Record<string, unknown> {
  const usage = paths.cpuacct ? cpuacctStats(paths.cpuacct) : { kernel: 0, user: 0 };
  const throttling = paths.cpu ? cpuStats(paths.cpu) : {};
  return {
    cpu: { usage, throttling },
    cpuset: paths.cpuset ? cpusetStats(paths.cpuset) : zeroCpuset(),
    memory: paths.memory
      ? memoryStats(paths.memory)
      : { usage: ZERO_MEMORY_ENTRY(), swap: ZERO_MEMORY_ENTRY(), kernel: ZERO_MEMORY_ENTRY(), kernelTCP: ZERO_MEMORY_ENTRY() },
    pids: paths.pids ? pidsStats(paths.pids) : {},
    blkio: paths.blkio ? blkioStats(paths.blkio) : {},
    hugetlb: paths.hugetlb ? hugetlbStats(paths.hugetlb) : {},
    intel_rdt: {},
    network_interfaces: null,
  };
}
