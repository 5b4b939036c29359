// Stats of a v2 cgroup. Two shapes:
//  - CgroupStatsV2: what the per-controller stats() functions fill in, field for field like
//    runc's libcontainer/cgroups.Stats (exact uint64s as bigint);
//  - V2EventsStats: the JSON `runc events --stats` prints as the event's "data" (runc 1.1
//    types/events.go), with Go's omitempty applied (zero-valued omitempty fields are left out).

import type { PSIStats } from './psi';
import type { U64 } from './resource-util';

export interface MemoryDataV2 {
  usage: bigint;
  maxUsage: bigint;
  failcnt: bigint;
  limit: bigint;
}

export interface BlkioStatEntryV2 {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}

export interface RdmaEntryV2 {
  device: string;
  /** MaxUint32 (4294967295) for "max". */
  hcaHandles: number;
  hcaObjects: number;
}

export interface CgroupStatsV2 {
  cpu: {
    /** Nanoseconds. */
    totalUsage: bigint;
    usageInKernelmode: bigint;
    usageInUsermode: bigint;
    periods: bigint;
    throttledPeriods: bigint;
    /** Nanoseconds. */
    throttledTime: bigint;
  };
  memory: {
    cache: bigint;
    usage: MemoryDataV2;
    /** memory + swap, as cgroup v1 reports it. */
    swapUsage: MemoryDataV2;
    /** memory.stat, verbatim. */
    stats: Record<string, bigint>;
  };
  pids: { current: bigint; limit: bigint };
  blkio: { ioServiceBytesRecursive: BlkioStatEntryV2[]; ioServicedRecursive: BlkioStatEntryV2[] };
  /** Keyed by page size ("2MB"). */
  hugetlb: Record<string, { usage: bigint; maxUsage: bigint; failcnt: bigint }>;
  rdma: { rdmaLimit: RdmaEntryV2[]; rdmaCurrent: RdmaEntryV2[] };
}

const memData = (): MemoryDataV2 => ({ usage: 0n, maxUsage: 0n, failcnt: 0n, limit: 0n });

/** Zeroed stats (runc's cgroups.NewStats()). */
export function newStatsV2(): CgroupStatsV2 {
  return {
    cpu: { totalUsage: 0n, usageInKernelmode: 0n, usageInUsermode: 0n, periods: 0n, throttledPeriods: 0n, throttledTime: 0n },
    memory: { cache: 0n, usage: memData(), swapUsage: memData(), stats: {} },
    pids: { current: 0n, limit: 0n },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: {},
    rdma: { rdmaLimit: [], rdmaCurrent: [] },
  };
}

// --- the `runc events --stats` JSON (runc 1.1 types/events.go) ---------------------------------

export interface EventsMemoryEntry {
  limit: U64;
  usage?: U64;
  max?: U64;
  failcnt: U64;
}

export interface EventsBlkioEntry {
  major?: U64;
  minor?: U64;
  op?: string;
  value?: U64;
}

// A type alias (not an interface) so it is assignable to Record<string, unknown>.
export type V2EventsStats = {
  cpu: {
    usage: { total?: U64; percpu?: U64[]; percpu_kernel?: U64[]; percpu_user?: U64[]; kernel: U64; user: U64 };
    throttling: { periods?: U64; throttledPeriods?: U64; throttledTime?: U64 };
    psi?: PSIStats;
  };
  /** cgroup v2 reports no cpuset stats: always the zero value runc prints. */
  cpuset: {
    cpus?: number[];
    cpu_exclusive: U64;
    mems?: number[];
    mem_hardwall: U64;
    mem_exclusive: U64;
    memory_migrate: U64;
    memory_spread_page: U64;
    memory_spread_slab: U64;
    memory_pressure: U64;
    sched_load_balance: U64;
    sched_relax_domain_level: number;
  };
  memory: {
    cache?: U64;
    usage: EventsMemoryEntry;
    swap: EventsMemoryEntry;
    kernel: EventsMemoryEntry;
    kernelTCP: EventsMemoryEntry;
    raw?: Record<string, U64>;
    psi?: PSIStats;
  };
  pids: { current?: U64; limit?: U64 };
  blkio: {
    ioServiceBytesRecursive?: EventsBlkioEntry[];
    ioServicedRecursive?: EventsBlkioEntry[];
    ioQueueRecursive?: EventsBlkioEntry[];
    ioServiceTimeRecursive?: EventsBlkioEntry[];
    ioWaitTimeRecursive?: EventsBlkioEntry[];
    ioMergedRecursive?: EventsBlkioEntry[];
    ioTimeRecursive?: EventsBlkioEntry[];
    sectorsRecursive?: EventsBlkioEntry[];
    psi?: PSIStats;
  };
  hugetlb: Record<string, { usage?: U64; max?: U64; failcnt: U64 }>;
  /** Intel RDT is not a cgroup: left for the caller to fill in ({} when unused, as runc prints). */
  intel_rdt: Record<string, unknown>;
  /** Filled by runc only for its own veth networking; null otherwise. */
  network_interfaces: unknown[] | null;
};
