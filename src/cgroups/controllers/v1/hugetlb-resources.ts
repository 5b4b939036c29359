// v1 hugetlb controller, as runc 1.1's libcontainer/cgroups/fs/hugetlb.go:
// linux.resources.hugepageLimits[i] -> hugetlb.<pageSize>.limit_in_bytes = limit.
// Stats: types.Hugetlb per page size {usage, max, failcnt}; the page sizes are the ones this
// cgroup has files for (the kernel creates them for every size the host supports, which is what
// runc reads from /sys/kernel/mm/hugepages).

import fs = require('fs');
import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { codeOf, ENOENT, errnoOf, isDir, toSyscallError, writeCg } from '../../fsutil';
import { RES, num, putNZ, readUint, type V1ResourceController } from './resource-util';
import { ubig } from '../../../spec/int64';

const F = `${RES}.hugepageLimits`;
const SIZE = /^\d+[KMGTPE]?B$/;

export function set(dir: string, r: LinuxResources): void {
  (r.hugepageLimits ?? []).forEach((l, i) => {
    const field = `${F}[${i}]`;
    if (typeof l.pageSize !== 'string' || !SIZE.test(l.pageSize)) {
      throw new ConfigError(`${field}.pageSize`, `invalid hugepage size ${JSON.stringify(l.pageSize)} (expected e.g. "2MB" or "1GB")`);
    }
    const limit = ubig(l.limit, `${field}.limit`);
    const file = `hugetlb.${l.pageSize}.limit_in_bytes`;
    try {
      writeCg(dir, file, limit.toString(), field);
    } catch (e) {
      if (errnoOf(e) === ENOENT) throw new ConfigError(`${field}.pageSize`, `hugepage size ${l.pageSize} is not supported on this host (no ${file} in ${dir})`);
      throw e;
    }
  });
}

export function wants(r: LinuxResources): string | undefined {
  return r.hugepageLimits?.length ? F : undefined;
}

/** Page sizes with hugetlb.<size>.limit_in_bytes files in `dir`. */
export function pageSizes(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return [];
    throw toSyscallError(`readdir ${dir}`, e);
  }
  const out: string[] = [];
  for (const n of names) {
    const m = /^hugetlb\.([^.]+)\.limit_in_bytes$/.exec(n);
    if (m && SIZE.test(m[1])) out.push(m[1]);
  }
  return out.sort();
}

/** { "<size>": {usage, max, failcnt} } (usage and max omitempty); Go sorts the map keys. */
export function stats(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isDir(dir)) return out;
  for (const size of pageSizes(dir)) {
    const e: Record<string, unknown> = {};
    putNZ(e, 'usage', readUint(dir, `hugetlb.${size}.usage_in_bytes`));
    putNZ(e, 'max', readUint(dir, `hugetlb.${size}.max_usage_in_bytes`));
    e.failcnt = num(readUint(dir, `hugetlb.${size}.failcnt`));
    out[size] = e;
  }
  return out;
}

export const hugetlb: V1ResourceController = { name: 'hugetlb', set, stats, wants };
