// cpu controller (kernel 4.15+), after runc's fs2/cpu.go:
//   cpu.idle      ← linux.resources.cpu.idle
//   cpu.weight    ← cpu.shares converted (runc's ConvertCPUSharesToCgroupV2Value); skipped
//                   when cpu.idle is non-zero (the kernel refuses weights of idle cgroups)
//   cpu.max.burst ← cpu.burst (retried after cpu.max when the kernel says EINVAL first)
//   cpu.max       ← "<quota> <period>": "max" for quota unset/0/-1; period unset → the
//                   period currently in cpu.max (100000, the kernel default, if unreadable)
// cpu.realtimeRuntime/realtimePeriod have no v2 equivalent and are ignored, as runc does.

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { EINVAL, errnoOf, readCgOptional, writeCg } from '../../fsutil';
import { RESOURCES_FIELD, bigOr0, readKeyValues, setFile, writeError } from './resource-util';
import { newStatsV2, type CgroupStatsV2 } from './stats-types';

export const name = 'cpu';
const F = `${RESOURCES_FIELD}.cpu`;
/** Kernel default cpu.max period (Documentation/admin-guide/cgroup-v2.rst). */
export const DEFAULT_CPU_PERIOD = 100000n;

/**
 * runc's ConvertCPUSharesToCgroupV2Value: shares [2, 262144] → weight [1, 10000],
 * 1 + ((shares - 2) * 9999) / 262142 (integer division); 0 stays 0 ("unset").
 * Throws RangeError outside [2, 262144] (runc would write a value the kernel rejects).
 */
export function convertCPUSharesToCgroupV2Value(shares: bigint): bigint {
  if (shares === 0n) return 0n;
  if (shares < 2n || shares > 262144n) throw new RangeError(`cpu shares ${shares} out of range [2, 262144]`);
  return 1n + ((shares - 2n) * 9999n) / 262142n;
}

interface CpuPlan {
  idle?: bigint;
  weight: bigint;
  burst?: bigint;
  quota: bigint;
  period: bigint;
}

/** Validate and convert (ConfigError naming the field), without IO. */
export function cpuPlan(r: LinuxResources): CpuPlan {
  const c = r.cpu ?? {};
  const shares = bigOr0(c.shares, `${F}.shares`);
  let weight: bigint;
  try {
    weight = convertCPUSharesToCgroupV2Value(shares);
  } catch {
    throw new ConfigError(`${F}.shares`, `${shares} is out of range [2, 262144] (cgroup v2 cpu.weight is 1..10000)`);
  }
  const plan: CpuPlan = { weight, quota: bigOr0(c.quota, `${F}.quota`), period: bigOr0(c.period, `${F}.period`) };
  if (c.idle !== undefined && c.idle !== null) plan.idle = bigOr0(c.idle, `${F}.idle`);
  if (c.burst !== undefined && c.burst !== null) plan.burst = bigOr0(c.burst, `${F}.burst`);
  if (plan.period < 0n) throw new ConfigError(`${F}.period`, `invalid value ${plan.period}`);
  if (plan.burst !== undefined && plan.burst < 0n) throw new ConfigError(`${F}.burst`, `invalid value ${plan.burst}`);
  return plan;
}

/** The period now in `dir`/cpu.max ("max 100000" → 100000), or the kernel default. */
export function currentCpuPeriod(dir: string): bigint {
  let text: string | undefined;
  try {
    text = readCgOptional(dir, 'cpu.max');
  } catch {
    text = undefined;
  }
  const m = text ? /^\S+\s+(\d+)$/.exec(text) : null;
  return m && BigInt(m[1]) > 0n ? BigInt(m[1]) : DEFAULT_CPU_PERIOD;
}

export function set(dir: string, r: LinuxResources): void {
  const p = cpuPlan(r);
  if (p.weight === 0n && p.quota === 0n && p.period === 0n && p.idle === undefined && p.burst === undefined) return;

  if (p.idle !== undefined) setFile(dir, 'cpu.idle', p.idle.toString(), `${F}.idle`, name);
  if (p.weight !== 0n && (p.idle === undefined || p.idle === 0n)) {
    setFile(dir, 'cpu.weight', p.weight.toString(), `${F}.shares`, name);
  }

  let retryBurst: string | undefined;
  if (p.burst !== undefined) {
    const burst = p.burst.toString();
    try {
      writeCg(dir, 'cpu.max.burst', burst, `${F}.burst`);
    } catch (e) {
      // A burst above the old quota is refused (EINVAL) until the new quota is in place.
      if (errnoOf(e) !== EINVAL || p.quota === 0n) throw writeError(e, dir, 'cpu.max.burst', `${F}.burst`, name);
      retryBurst = burst;
    }
  }
  if (p.quota !== 0n || p.period !== 0n) {
    const quota = p.quota > 0n ? p.quota.toString() : 'max';
    const period = p.period !== 0n ? p.period : currentCpuPeriod(dir);
    const field = p.quota !== 0n ? `${F}.quota` : `${F}.period`;
    setFile(dir, 'cpu.max', `${quota} ${period}`, field, name);
    if (retryBurst !== undefined) setFile(dir, 'cpu.max.burst', retryBurst, `${F}.burst`, name);
  }
}

/**
 * cpu.stat (present even without the cpu controller): usage/user/system in ns, and with the
 * controller nr_periods / nr_throttled / throttled_usec (ns).
 */
export function stats(dir: string, st: CgroupStatsV2 = newStatsV2()): CgroupStatsV2 {
  for (const [k, v] of readKeyValues(dir, 'cpu.stat')) {
    switch (k) {
      case 'usage_usec': st.cpu.totalUsage = v * 1000n; break;
      case 'user_usec': st.cpu.usageInUsermode = v * 1000n; break;
      case 'system_usec': st.cpu.usageInKernelmode = v * 1000n; break;
      case 'nr_periods': st.cpu.periods = v; break;
      case 'nr_throttled': st.cpu.throttledPeriods = v; break;
      case 'throttled_usec': st.cpu.throttledTime = v * 1000n; break;
      default: break;
    }
  }
  return st;
}
