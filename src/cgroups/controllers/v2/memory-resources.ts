// memory controller (kernel 4.5+), as runc 1.1 fs2/memory.go:
//   memory.swap.max ← linux.resources.memory.swap converted (OCI swap is memory+swap, v2 wants swap only)
//   memory.max      ← memory.limit
//   memory.low      ← memory.reservation
// written in that order, 0 meaning "unset" and -1 "max". memory.kernel, kernelTCP, swappiness,
// disableOOMKiller and useHierarchy have no v2 equivalent and are ignored, as runc does
// (see v2IgnoredResources() in ./resources.ts). runc 1.1 does not touch memory.oom.group.

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import {
  MAX_UINT64, RESOURCES_FIELD, StatError, bigOr0, numToStr, readKeyValues, readUint, setFile,
} from './resource-util';
import { newStatsV2, type CgroupStatsV2, type MemoryDataV2 } from './stats-types';

export const name = 'memory';
const F = `${RESOURCES_FIELD}.memory`;

/**
 * runc's ConvertMemorySwapToCgroupV2Value: OCI memory.swap (memory+swap) → memory.swap.max.
 * Returns -1 for "max", 0 for "unset". Throws ConfigError (field linux.resources.memory.swap)
 * for a swap limit without a memory limit, a negative memory limit other than -1, or
 * swap < limit.
 */
export function convertMemorySwapToCgroupV2Value(memorySwap: bigint, memory: bigint): bigint {
  // Like cgroup v1: memory unlimited and swap not given means both unlimited.
  if (memory === -1n && memorySwap === 0n) return -1n;
  if (memorySwap === -1n || memorySwap === 0n) return memorySwap;
  if (memory === 0n || memory === -1n) throw new ConfigError(`${F}.swap`, 'unable to set swap limit without memory limit');
  if (memory < 0n) throw new ConfigError(`${F}.limit`, `invalid memory value: ${memory}`);
  if (memorySwap < memory) throw new ConfigError(`${F}.swap`, `memory+swap limit (${memorySwap}) should be >= memory limit (${memory})`);
  return memorySwap - memory;
}

/** What set() writes, in order, as [file, value, field]. Validates (ConfigError) without IO. */
export function memoryWrites(r: LinuxResources): Array<[string, string, string]> {
  const limit = bigOr0(r.memory?.limit, `${F}.limit`);
  const reservation = bigOr0(r.memory?.reservation, `${F}.reservation`);
  const swapOci = bigOr0(r.memory?.swap, `${F}.swap`);
  if (limit === 0n && reservation === 0n && swapOci === 0n) return [];
  const out: Array<[string, string, string]> = [];
  const swap = convertMemorySwapToCgroupV2Value(swapOci, limit);
  let swapStr = numToStr(swap);
  // memory and memory+swap set to the same value: disable swap.
  if (swapStr === '' && swap === 0n && swapOci > 0n) swapStr = '0';
  // Never write an empty string to memory.swap.max: it means 0.
  if (swapStr !== '') out.push(['memory.swap.max', swapStr, `${F}.swap`]);
  const max = numToStr(limit);
  if (max !== '') out.push(['memory.max', max, `${F}.limit`]);
  const low = numToStr(reservation);
  if (low !== '') out.push(['memory.low', low, `${F}.reservation`]);
  return out;
}

/**
 * runc's CheckMemoryUsage: with memory.checkBeforeUpdate, refuse a limit at or below the
 * current usage (best effort: an unreadable memory.current skips the check).
 */
export function checkMemoryUsage(dir: string, r: LinuxResources): void {
  if (!r.memory?.checkBeforeUpdate) return;
  const limit = bigOr0(r.memory.limit, `${F}.limit`);
  if (limit <= 0n) return;
  let usage: bigint;
  try {
    usage = readUint(dir, 'memory.current');
  } catch {
    return;
  }
  if (usage >= limit) throw new ConfigError(`${F}.limit`, `rejecting memory limit ${limit} below current usage ${usage}`);
}

export function set(dir: string, r: LinuxResources): void {
  const writes = memoryWrites(r);
  if (!writes.length) return;
  checkMemoryUsage(dir, r);
  for (const [file, value, field] of writes) setFile(dir, file, value, field, name);
}

/** memory.current/.max or memory.swap.current/.max; a missing swap file (no swap accounting) reads as zero. */
function memoryData(dir: string, sub: '' | 'swap'): MemoryDataV2 {
  const mod = sub ? `memory.${sub}` : 'memory';
  const d: MemoryDataV2 = { usage: 0n, maxUsage: 0n, failcnt: 0n, limit: 0n };
  try {
    d.usage = readUint(dir, `${mod}.current`);
  } catch (e) {
    if (sub && e instanceof StatError && e.notExist) return d;
    throw e;
  }
  d.limit = readUint(dir, `${mod}.max`);
  return d;
}

/**
 * memory.stat verbatim as `stats` (cache = its "file"), usage from memory.current/max, swap
 * as memory+swap (v1-compatible: usage and — unless unlimited — limit include memory's,
 * wrapping at 2^64 as runc's uint64 sum does).
 */
export function stats(dir: string, st: CgroupStatsV2 = newStatsV2()): CgroupStatsV2 {
  for (const [k, v] of readKeyValues(dir, 'memory.stat')) st.memory.stats[k] = v;
  st.memory.cache = st.memory.stats.file ?? 0n;
  const usage = memoryData(dir, '');
  st.memory.usage = usage;
  const swap = memoryData(dir, 'swap');
  swap.usage = (swap.usage + usage.usage) & MAX_UINT64;
  if (swap.limit !== MAX_UINT64) swap.limit = (swap.limit + usage.limit) & MAX_UINT64;
  st.memory.swapUsage = swap;
  return st;
}
