// hugetlb controller (kernel 5.6+), as runc 1.1 fs2/hugetlb.go: hugetlb.<size>.max per
// linux.resources.hugepageLimits entry (runc 1.1 leaves hugetlb.<size>.rsvd.max alone).
// Stats: hugetlb.<size>.current and the "max" count of hugetlb.<size>.events for every page
// size the kernel supports (/sys/kernel/mm/hugepages).

import fs = require('fs');
import { ConfigError } from '../../../errors';
import { ENOENT, errnoOf, writeCg } from '../../fsutil';
import type { LinuxResources } from '../../../spec/config-types';
import { availableControllers, big, readUint, readValueByKey, RESOURCES_FIELD, writeError } from './resource-util';
import { newStatsV2, type CgroupStatsV2 } from './stats-types';

export const name = 'hugetlb';
const F = `${RESOURCES_FIELD}.hugepageLimits`;
const PAGE_SIZE = /^[1-9]\d*[KMGTP]B$/;

/**
 * Page sizes the kernel supports, in the cgroup file-name form ("2MB", "1GB"), from
 * /sys/kernel/mm/hugepages/hugepages-<N>kB (runc's HugePageSizes). [] if unavailable.
 */
export function hugePageSizes(sysfsDir = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(sysfsDir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const m = /^hugepages-(\d+)kB$/.exec(n);
    if (!m) continue;
    const kb = Number(m[1]);
    // As the kernel's hugetlb_cgroup names its files (mm/hugetlb_cgroup.c), size in kB already.
    if (kb >= 1 << 20) out.push(`${Math.floor(kb / (1 << 20))}GB`);
    else if (kb >= 1 << 10) out.push(`${Math.floor(kb / (1 << 10))}MB`);
    else out.push(`${kb}KB`);
  }
  return out;
}

/** [file, value, field] per limit, validated without IO (the page size becomes a file name). */
export function hugetlbWrites(r: LinuxResources): Array<[string, string, string]> {
  return (r.hugepageLimits ?? []).map((l, i) => {
    const ps = l.pageSize;
    if (typeof ps !== 'string' || !PAGE_SIZE.test(ps)) {
      throw new ConfigError(`${F}[${i}].pageSize`, `invalid page size ${JSON.stringify(ps)} (expected e.g. "2MB" or "1GB")`);
    }
    const limit = big(l.limit, `${F}[${i}].limit`);
    if (limit < 0n) throw new ConfigError(`${F}[${i}].limit`, `invalid value ${limit}`);
    return [`hugetlb.${ps}.max`, limit.toString(), `${F}[${i}]`] as [string, string, string];
  });
}

export function set(dir: string, r: LinuxResources): void {
  for (const [file, value, field] of hugetlbWrites(r)) {
    try {
      writeCg(dir, file, value, field);
    } catch (e) {
      const err = writeError(e, dir, file, field, name);
      if (err instanceof ConfigError) throw err; // controller not available
      const avail = availableControllers(dir);
      if (errnoOf(e) === ENOENT && avail?.includes(name)) {
        const sizes = hugePageSizes();
        throw new ConfigError(`${field}.pageSize`, `page size ${file.split('.')[1]} is not supported by the kernel (supported: ${sizes.join(', ') || 'none'})`);
      }
      throw err;
    }
  }
}

/** `pageSizes` defaults to the host's (hugePageSizes()). */
export function stats(dir: string, st: CgroupStatsV2 = newStatsV2(), pageSizes: string[] = hugePageSizes()): CgroupStatsV2 {
  for (const ps of pageSizes) {
    const usage = readUint(dir, `hugetlb.${ps}.current`);
    const failcnt = readValueByKey(dir, `hugetlb.${ps}.events`, 'max');
    st.hugetlb[ps] = { usage, maxUsage: 0n, failcnt };
  }
  return st;
}
