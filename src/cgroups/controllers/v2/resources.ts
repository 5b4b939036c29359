// cgroup v2 resource limits and stats for one cgroup directory, as runc 1.1's fs2 manager
// (Set / GetStats) and `runc events --stats`.
//
// applyV2Resources(dir, r): validates everything first (ConfigError naming the field, nothing
// written), then writes in runc's order — pids, memory, io, cpu, [devices: see below], cpuset,
// hugetlb, rdma — and linux.resources.unified last, so unified values win.
//
// Devices: v2 enforces them with an eBPF program, which this module does not build. The rules
// are validated here and, normalised with runc's defaults appended (deviceRules), handed to
// opts.devices at runc's position; a config with linux.resources.devices and no opts.devices is
// refused rather than silently left unconfined.

import { TsrunError } from '../../../errors';
import type { LinuxDevice, LinuxResources } from '../../../spec/config-types';
import * as cpu from './cpu-resources';
import * as cpuset from './cpuset-resources';
import { deviceRules, type DeviceRule } from '../device-rules';
import * as hugetlb from './hugetlb-resources';
import * as io from './io-resources';
import * as memory from './memory-resources';
import * as pids from './pids-resources';
import * as rdma from './rdma-resources';
import { RESOURCES_FIELD, StatError, u64, type U64 } from './resource-util';
import { newStatsV2, type CgroupStatsV2, type EventsMemoryEntry, type MemoryDataV2, type V2EventsStats, type BlkioStatEntryV2, type EventsBlkioEntry } from './stats-types';
import * as unified from './unified-resources';
import { readPsi } from './psi';

export interface ApplyV2Options {
  /**
   * Receives the device rules (deviceRules(r, linuxDevices)) at runc's point in the order
   * (after cpu, before cpuset), e.g. to attach the eBPF device filter. Required when
   * linux.resources.devices is non-empty.
   */
  devices?: (rules: DeviceRule[]) => void;
  /** linux.devices, so runc's default rules for nodes listed there are dropped. */
  linuxDevices?: readonly Pick<LinuxDevice, 'path'>[];
}

/** A v2 resource controller module (the resource-capable entries of V2_REGISTRY). */
export interface V2ResourceController {
  readonly name: string;
  set(dir: string, r: LinuxResources): void;
  stats?(dir: string, st?: CgroupStatsV2): CgroupStatsV2;
}

/** runc 1.1 fs2 Set order (devices, handled separately, sit between cpu and cpuset). */
export const V2_RESOURCE_CONTROLLERS: readonly V2ResourceController[] = [pids, memory, io, cpu, cpuset, hugetlb, rdma];

/**
 * Every check applyV2Resources makes before writing: conversions (swap, shares, blkio weight),
 * ranges, hugepage sizes, rdma and unified keys, device rules. Throws ConfigError.
 */
export function validateV2Resources(r: LinuxResources | undefined, opts: ApplyV2Options = {}): void {
  if (!r) return;
  pids.pidsMaxValue(r);
  memory.memoryWrites(r);
  io.validate(r);
  cpu.cpuPlan(r);
  deviceRules(r, opts.linuxDevices);
  hugetlb.hugetlbWrites(r);
  rdma.rdmaLines(r);
  unified.unifiedEntries(r);
}

export function applyV2Resources(dir: string, r: LinuxResources | undefined, opts: ApplyV2Options = {}): void {
  if (!r) return;
  validateV2Resources(r, opts);
  if ((r.devices ?? []).length && !opts.devices) {
    throw new TsrunError(
      `${RESOURCES_FIELD}.devices: cgroup v2 device rules need an eBPF device program; ` +
        'pass opts.devices to applyV2Resources (rules from deviceRules)',
      { field: `${RESOURCES_FIELD}.devices` },
    );
  }
  pids.set(dir, r);
  memory.set(dir, r);
  io.set(dir, r);
  cpu.set(dir, r);
  if (opts.devices) opts.devices(deviceRules(r, opts.linuxDevices));
  cpuset.set(dir, r);
  hugetlb.set(dir, r);
  rdma.set(dir, r);
  unified.set(dir, r);
}

export interface IgnoredResource {
  field: string;
  reason: string;
}

/**
 * Fields set in `r` that cgroup v2 cannot express and runc 1.1's fs2 ignores without error
 * (applyV2Resources ignores them too): for the caller to warn about.
 */
export function v2IgnoredResources(r: LinuxResources | undefined): IgnoredResource[] {
  const out: IgnoredResource[] = [];
  if (!r) return out;
  const add = (field: string, reason: string): void => { out.push({ field: `${RESOURCES_FIELD}.${field}`, reason }); };
  const set = (v: unknown): boolean => v !== undefined && v !== null;
  const m = r.memory;
  if (m) {
    if (set(m.kernel)) add('memory.kernel', 'no kernel memory limit in cgroup v2');
    if (set(m.kernelTCP)) add('memory.kernelTCP', 'no kernel TCP memory limit in cgroup v2');
    if (set(m.swappiness)) add('memory.swappiness', 'no per-cgroup swappiness in cgroup v2');
    if (set(m.disableOOMKiller)) add('memory.disableOOMKiller', 'no OOM-killer switch in cgroup v2');
    if (set(m.useHierarchy)) add('memory.useHierarchy', 'cgroup v2 is always hierarchical');
  }
  if (set(r.cpu?.realtimeRuntime)) add('cpu.realtimeRuntime', 'no realtime bandwidth control in cgroup v2');
  if (set(r.cpu?.realtimePeriod)) add('cpu.realtimePeriod', 'no realtime bandwidth control in cgroup v2');
  if (set(r.blockIO?.leafWeight)) add('blockIO.leafWeight', 'no leaf weight in cgroup v2');
  (r.blockIO?.weightDevice ?? []).forEach((d, i) => {
    if (set(d.leafWeight)) add(`blockIO.weightDevice[${i}].leafWeight`, 'no leaf weight in cgroup v2');
  });
  if (set(r.network?.classID)) add('network.classID', 'no net_cls controller in cgroup v2');
  if ((r.network?.priorities ?? []).length) add('network.priorities', 'no net_prio controller in cgroup v2');
  return out;
}

// --- stats -------------------------------------------------------------------------------------

export interface StatsV2Options {
  /** Hugepage sizes to report (default: the host's, from /sys/kernel/mm/hugepages). */
  hugePageSizes?: string[];
}

/**
 * runc 1.1 fs2 GetStats: every controller's stats; a missing file (controller not enabled)
 * is skipped — except for pids, which then counts cgroup.procs — other failures are collected
 * and thrown together after everything readable was read.
 */
export function collectStatsV2(dir: string, opts: StatsV2Options = {}): CgroupStatsV2 {
  const st = newStatsV2();
  const errs: string[] = [];
  const run = (f: () => void, skipNotExist: boolean): void => {
    try {
      f();
    } catch (e) {
      if (skipNotExist && e instanceof StatError && e.notExist) return;
      errs.push((e as Error).message);
    }
  };
  run(() => pids.stats(dir, st), false);
  run(() => memory.stats(dir, st), true);
  run(() => io.stats(dir, st), true);
  run(() => cpu.stats(dir, st), true);
  run(() => hugetlb.stats(dir, st, opts.hugePageSizes), true);
  run(() => rdma.stats(dir, st), true);
  if (errs.length) throw new TsrunError(`error while statting cgroup v2 ${dir}: ${errs.join('; ')}`);
  return st;
}

function memEntry(d: MemoryDataV2): EventsMemoryEntry {
  const e: EventsMemoryEntry = { limit: u64(d.limit), failcnt: u64(d.failcnt) };
  if (d.usage) e.usage = u64(d.usage);
  if (d.maxUsage) e.max = u64(d.maxUsage);
  // Go's field order: limit, usage, max, failcnt.
  return { limit: e.limit, ...(e.usage !== undefined && { usage: e.usage }), ...(e.max !== undefined && { max: e.max }), failcnt: e.failcnt };
}

function blkioEntries(list: BlkioStatEntryV2[]): EventsBlkioEntry[] | undefined {
  if (!list.length) return undefined;
  return list.map((x) => {
    const e: EventsBlkioEntry = {};
    if (x.major) e.major = u64(x.major);
    if (x.minor) e.minor = u64(x.minor);
    if (x.op) e.op = x.op;
    if (x.value) e.value = u64(x.value);
    return e;
  });
}

/** Put `v` under `k` unless zero/empty (Go's omitempty). */
function omit<T extends object>(o: T, k: string, v: U64 | unknown[] | Record<string, unknown> | string | undefined): T {
  const empty = v === undefined || v === 0 || v === 0n || v === '' || (Array.isArray(v) && !v.length) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.keys(v).length);
  if (!empty) (o as Record<string, unknown>)[k] = v;
  return o;
}

/** CgroupStatsV2 → the data of runc's `events --stats` event (types.Stats JSON). */
export function toEventsStats(st: CgroupStatsV2): V2EventsStats {
  const usage = omit({} as V2EventsStats['cpu']['usage'], 'total', u64(st.cpu.totalUsage));
  usage.kernel = u64(st.cpu.usageInKernelmode);
  usage.user = u64(st.cpu.usageInUsermode);
  const throttling = {} as V2EventsStats['cpu']['throttling'];
  omit(throttling, 'periods', u64(st.cpu.periods));
  omit(throttling, 'throttledPeriods', u64(st.cpu.throttledPeriods));
  omit(throttling, 'throttledTime', u64(st.cpu.throttledTime));

  const raw: Record<string, U64> = {};
  for (const k of Object.keys(st.memory.stats).sort()) raw[k] = u64(st.memory.stats[k]); // Go sorts map keys
  const mem = omit({} as V2EventsStats['memory'], 'cache', u64(st.memory.cache));
  mem.usage = memEntry(st.memory.usage);
  mem.swap = memEntry(st.memory.swapUsage);
  mem.kernel = { limit: 0, failcnt: 0 };
  mem.kernelTCP = { limit: 0, failcnt: 0 };
  omit(mem, 'raw', raw);

  const pidsOut = omit({} as V2EventsStats['pids'], 'current', u64(st.pids.current));
  omit(pidsOut, 'limit', u64(st.pids.limit));

  const blkio: V2EventsStats['blkio'] = {};
  omit(blkio, 'ioServiceBytesRecursive', blkioEntries(st.blkio.ioServiceBytesRecursive));
  omit(blkio, 'ioServicedRecursive', blkioEntries(st.blkio.ioServicedRecursive));

  const huge: V2EventsStats['hugetlb'] = {};
  for (const size of Object.keys(st.hugetlb).sort()) {
    const h = st.hugetlb[size];
    const e = omit({} as V2EventsStats['hugetlb'][string], 'usage', u64(h.usage));
    omit(e, 'max', u64(h.maxUsage));
    e.failcnt = u64(h.failcnt);
    huge[size] = e;
  }

  return {
    cpu: { usage, throttling },
    cpuset: {
      cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
      memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: mem,
    pids: pidsOut,
    blkio,
    hugetlb: huge,
    intel_rdt: {},
    network_interfaces: null,
  };
}

/**
 * The stats of the v2 cgroup `dir` in the shape `runc events --stats` prints as "data".
 * uint64 values beyond 2^53 (e.g. unlimited memory.swap.max) are bigints: serialize with
 * stringifyJson (src/spec/json-int64.ts).
 */
export function statsV2(dir: string, opts: StatsV2Options = {}): V2EventsStats {
  const out = toEventsStats(collectStatsV2(dir, opts));
  // runc 1.2's PSI, each after its struct's other fields (Go's field order)
  const cpuPsi = readPsi(dir, 'cpu.pressure');
  if (cpuPsi) out.cpu.psi = cpuPsi;
  const memPsi = readPsi(dir, 'memory.pressure');
  if (memPsi) out.memory.psi = memPsi;
  const ioPsi = readPsi(dir, 'io.pressure');
  if (ioPsi) out.blkio.psi = ioPsi;
  return out;
}
