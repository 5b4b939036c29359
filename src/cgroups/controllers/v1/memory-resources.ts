// v1 memory controller: linux.resources.memory, as runc 1.1's libcontainer/cgroups/fs/memory.go.
//
// - limit/swap: "swap" is the memory+swap total (memory.memsw.limit_in_bytes). The kernel
//   requires limit <= memsw at every moment, so when both are given the write order depends on
//   the current limit (runc setMemoryAndSwap): raising -> memsw first, lowering -> limit first.
//   limit -1 with swap unset also sets memsw to -1 (unlimited) when swap accounting exists.
// - A limit the kernel cannot reclaim down to fails with EBUSY; reported like runc.
// - checkBeforeUpdate: runc only implements it for cgroup v2 (memory.current); here it is the
//   same check against memory.usage_in_bytes, with runc's messages.
// - kernel / kernelTCP: ignored with runc 1.1's warning. useHierarchy: ignored (runc has no
//   such setting).

import fs = require('fs');
import path = require('path');
import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { EBUSY, errnoOf, readCg, readCgOptional, writeCg } from '../../fsutil';
import { RES, lines, num, parseKeyValue, putNZ, readUint, type V1ResourceController, type V1SetOptions } from './resource-util';
import { big, ubigOr0 } from '../../../spec/int64';

const F = `${RES}.memory`;
const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';
const USAGE = 'memory.usage_in_bytes';
const MAX_USAGE = 'memory.max_usage_in_bytes';

const MINUS_ONE_U64 = (1n << 64n) - 1n;

function setMemory(dir: string, val: bigint): void {
  if (val === 0n) return;
  try {
    writeCg(dir, LIMIT, val.toString(), `${F}.limit`);
  } catch (e) {
    if (errnoOf(e) !== EBUSY) throw e;
    // EBUSY: the kernel cannot reclaim down to the new limit (below current usage).
    const usage = readUint(dir, USAGE);
    const max = readUint(dir, MAX_USAGE);
    throw new ConfigError(`${F}.limit`, `unable to set memory limit to ${val} (current usage: ${usage}, peak usage: ${max})`);
  }
}

function setSwap(dir: string, val: bigint): void {
  if (val === 0n) return;
  writeCg(dir, MEMSW, val.toString(), `${F}.swap`);
}

function setMemoryAndSwap(dir: string, limit: bigint, swap: bigint): void {
  // memory -1 and swap unset: unlimited memory means unlimited swap too (if accounted).
  if (limit === -1n && swap === 0n && fs.existsSync(path.join(dir, MEMSW))) swap = -1n;
  if (limit !== 0n && swap !== 0n) {
    const curLimit = readUint(dir, LIMIT);
    if (swap === -1n || curLimit < BigInt.asUintN(64, swap)) {
      setSwap(dir, swap);
      setMemory(dir, limit);
      return;
    }
  }
  setMemory(dir, limit);
  setSwap(dir, swap);
}

/** runc's CheckMemoryUsage (cgroup v2 there; memory.usage_in_bytes is v1's memory.current). */
function checkMemoryUsage(dir: string, limit: bigint, swap: bigint): void {
  if (limit <= 0n && swap <= 0n) return;
  let usage: bigint;
  try {
    usage = readUint(dir, USAGE);
  } catch {
    return; // best effort, as in runc
  }
  if (swap > 0n && swap <= usage) throw new ConfigError(`${F}.swap`, `rejecting memory+swap limit ${swap} <= usage ${usage}`);
  if (limit > 0n && limit <= usage) throw new ConfigError(`${F}.limit`, `rejecting memory limit ${limit} <= usage ${usage}`);
}

export function set(dir: string, r: LinuxResources, opts: V1SetOptions = {}): void {
  const m = r.memory;
  if (!m) return;
  const limit = m.limit === undefined ? 0n : big(m.limit, `${F}.limit`);
  const swap = m.swap === undefined ? 0n : big(m.swap, `${F}.swap`);
  const reservation = m.reservation === undefined ? 0n : big(m.reservation, `${F}.reservation`);
  if (m.kernel !== undefined || m.kernelTCP !== undefined) opts.warn?.('Kernel memory settings are ignored and will be removed');

  if (m.checkBeforeUpdate) checkMemoryUsage(dir, limit, swap);
  setMemoryAndSwap(dir, limit, swap);

  if (reservation !== 0n) writeCg(dir, 'memory.soft_limit_in_bytes', reservation.toString(), `${F}.reservation`);
  if (m.disableOOMKiller) writeCg(dir, 'memory.oom_control', '1', `${F}.disableOOMKiller`);
  if (m.swappiness !== undefined) {
    // runc: nil or -1 (as uint64: 2^64-1) means "leave it".
    const s = typeof m.swappiness === 'number' && m.swappiness === -1 ? MINUS_ONE_U64 : ubigOr0(m.swappiness, `${F}.swappiness`);
    if (s !== MINUS_ONE_U64) {
      if (s > 100n) throw new ConfigError(`${F}.swappiness`, `invalid memory swappiness value: ${s} (valid range is 0-100)`);
      writeCg(dir, 'memory.swappiness', s.toString(), `${F}.swappiness`);
    }
  }
}

export function wants(r: LinuxResources): string | undefined {
  const m = r.memory;
  if (!m) return undefined;
  for (const k of ['limit', 'swap', 'reservation'] as const) {
    const v = m[k];
    if (v !== undefined && big(v, `${F}.${k}`) !== 0n) return `${F}.${k}`;
  }
  if (m.disableOOMKiller) return `${F}.disableOOMKiller`;
  if (m.swappiness !== undefined && !(m.swappiness === -1 || big(m.swappiness, `${F}.swappiness`) === MINUS_ONE_U64)) return `${F}.swappiness`;
  return undefined;
}

/** runc getMemoryData: memory[.name].{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}. */
function memoryEntry(dir: string, name: string): Record<string, unknown> {
  const mod = name ? `memory.${name}` : 'memory';
  const usageText = readCgOptional(dir, `${mod}.usage_in_bytes`);
  const out: Record<string, unknown> = { limit: 0 };
  if (usageText === undefined) {
    // swap and kmem accounting are optional in the kernel
    if (name) return { limit: 0, failcnt: 0 };
    readCg(dir, `${mod}.usage_in_bytes`); // throws the read error
  }
  const usage = readUint(dir, `${mod}.usage_in_bytes`);
  const max = readUint(dir, `${mod}.max_usage_in_bytes`);
  const failcnt = readUint(dir, `${mod}.failcnt`);
  const limit = readUint(dir, `${mod}.limit_in_bytes`);
  // types.MemoryEntry field order: limit, usage (omitempty), max (omitempty), failcnt
  out.limit = num(limit);
  putNZ(out, 'usage', usage);
  putNZ(out, 'max', max);
  out.failcnt = num(failcnt);
  return out;
}

/** runc MemoryGroup.GetStats converted to types.Memory (cache, usage, swap, kernel, kernelTCP, raw). */
export function stats(dir: string): Record<string, unknown> {
  const empty = { usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } };
  const statText = readCgOptional(dir, 'memory.stat');
  if (statText === undefined) return empty; // runc: no memory.stat, no memory stats
  const raw = new Map<string, bigint>();
  for (const line of lines(statText)) {
    const [k, v] = parseKeyValue(line, path.join(dir, 'memory.stat'));
    raw.set(k, v);
  }
  const out: Record<string, unknown> = {};
  putNZ(out, 'cache', raw.get('cache') ?? 0n);
  out.usage = memoryEntry(dir, '');
  out.swap = memoryEntry(dir, 'memsw');
  out.kernel = memoryEntry(dir, 'kmem');
  out.kernelTCP = memoryEntry(dir, 'kmem.tcp');
  if (raw.size) {
    // Go marshals map keys sorted
    const sorted: Record<string, unknown> = {};
    for (const k of [...raw.keys()].sort()) sorted[k] = num(raw.get(k)!);
    out.raw = sorted;
  }
  return out;
}

export const memory: V1ResourceController = { name: 'memory', set, stats, wants };
