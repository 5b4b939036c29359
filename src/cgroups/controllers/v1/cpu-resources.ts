// v1 cpu controller: linux.resources.cpu (shares, CFS quota/period/burst, idle, RT), as runc's
// libcontainer/cgroups/fs/cpu.go (runc 1.1, plus the burst and idle handling runc added later
// for v1: burst is skipped when the kernel lacks cpu.cfs_burst_us).
//
// Order: shares (read back: the kernel clamps, runc reports the bound), cfs_period_us,
// cfs_burst_us, cfs_quota_us (then period / burst again if the kernel refused them with EINVAL
// before the quota was lowered), cpu.idle, rt_period_us, rt_runtime_us.
// Stats: cpu.stat throttling (nr_periods, nr_throttled, throttled_time).

import path = require('path');
import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { EINVAL, ENOENT, errnoOf, readCgOptional, writeCg } from '../../fsutil';
import { RES, lines, parseKeyValue, putNZ, readUint, type V1ResourceController } from './resource-util';
import { big, bigOr0, ubigOr0 } from '../../../spec/int64';

const F = `${RES}.cpu`;

/** cpu.rt_period_us then cpu.rt_runtime_us (runc SetRtSched; also done before joining). */
export function setRtSched(dir: string, r: LinuxResources): void {
  const c = r.cpu;
  if (!c) return;
  const rtPeriod = ubigOr0(c.realtimePeriod, `${F}.realtimePeriod`);
  const rtRuntime = bigOr0(c.realtimeRuntime, `${F}.realtimeRuntime`);
  if (rtPeriod !== 0n) writeCg(dir, 'cpu.rt_period_us', rtPeriod.toString(), `${F}.realtimePeriod`);
  if (rtRuntime !== 0n) writeCg(dir, 'cpu.rt_runtime_us', rtRuntime.toString(), `${F}.realtimeRuntime`);
}

export function set(dir: string, r: LinuxResources): void {
  const c = r.cpu;
  if (!c) return;
  const shares = ubigOr0(c.shares, `${F}.shares`);
  const period = ubigOr0(c.period, `${F}.period`);
  const quota = bigOr0(c.quota, `${F}.quota`);

  if (shares !== 0n) {
    writeCg(dir, 'cpu.shares', shares.toString(), `${F}.shares`);
    const read = readUint(dir, 'cpu.shares');
    if (shares > read) throw new ConfigError(`${F}.shares`, `the maximum allowed cpu-shares is ${read}`);
    if (shares < read) throw new ConfigError(`${F}.shares`, `the minimum allowed cpu-shares is ${read}`);
  }

  // A smaller period (or larger burst) can be refused with EINVAL while the old quota is in
  // place (old_quota/new_period exceeds the parent's limit): retry after setting the quota.
  let retryPeriod = '';
  if (period !== 0n) {
    try {
      writeCg(dir, 'cpu.cfs_period_us', period.toString(), `${F}.period`);
    } catch (e) {
      if (errnoOf(e) !== EINVAL || quota === 0n) throw e;
      retryPeriod = period.toString();
    }
  }
  let retryBurst = '';
  if (c.burst !== undefined) {
    const burst = big(c.burst, `${F}.burst`);
    if (burst < 0n) throw new ConfigError(`${F}.burst`, `must be an unsigned 64-bit integer, got ${burst}`);
    try {
      writeCg(dir, 'cpu.cfs_burst_us', burst.toString(), `${F}.burst`);
    } catch (e) {
      const n = errnoOf(e);
      if (n !== ENOENT) { // no burst knob (old kernel): ignored
        if (n !== EINVAL || quota === 0n) throw e;
        retryBurst = burst.toString();
      }
    }
  }
  if (quota !== 0n) {
    writeCg(dir, 'cpu.cfs_quota_us', quota.toString(), `${F}.quota`);
    if (retryPeriod) writeCg(dir, 'cpu.cfs_period_us', retryPeriod, `${F}.period`);
    if (retryBurst) writeCg(dir, 'cpu.cfs_burst_us', retryBurst, `${F}.burst`);
  }

  if (c.idle !== undefined) {
    const idle = big(c.idle, `${F}.idle`);
    try {
      writeCg(dir, 'cpu.idle', idle.toString(), `${F}.idle`);
    } catch (e) {
      if (errnoOf(e) === ENOENT) throw new ConfigError(`${F}.idle`, `this kernel has no cpu.idle (Linux 5.15+) in ${dir}`);
      throw e;
    }
  }
  setRtSched(dir, r);
}

export function wants(r: LinuxResources): string | undefined {
  const c = r.cpu;
  if (!c) return undefined;
  for (const k of ['shares', 'period', 'quota'] as const) {
    const v = c[k];
    if (v !== undefined && big(v, `${F}.${k}`) !== 0n) return `${F}.${k}`;
  }
  if (c.burst !== undefined) return `${F}.burst`;
  if (c.idle !== undefined) return `${F}.idle`;
  for (const k of ['realtimePeriod', 'realtimeRuntime'] as const) {
    const v = c[k];
    if (v !== undefined && big(v, `${F}.${k}`) !== 0n) return `${F}.${k}`;
  }
  return undefined;
}

/** types.Throttling from cpu.stat (omitempty fields). */
export function stats(dir: string): Record<string, unknown> {
  const text = readCgOptional(dir, 'cpu.stat');
  const out: Record<string, unknown> = {};
  if (text === undefined) return out;
  let periods = 0n;
  let throttledPeriods = 0n;
  let throttledTime = 0n;
  for (const line of lines(text)) {
    const [k, v] = parseKeyValue(line, path.join(dir, 'cpu.stat'));
    if (k === 'nr_periods') periods = v;
    else if (k === 'nr_throttled') throttledPeriods = v;
    else if (k === 'throttled_time') throttledTime = v;
  }
  putNZ(out, 'periods', periods);
  putNZ(out, 'throttledPeriods', throttledPeriods);
  putNZ(out, 'throttledTime', throttledTime);
  return out;
}

export const cpu: V1ResourceController = { name: 'cpu', set, stats, wants };
