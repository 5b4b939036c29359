// pids controller (kernel 4.5+), as runc 1.1 fs2/pids.go: pids.max from linux.resources.pids.limit.

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { StatError, bigOr0, numToStr, readStat, readUint, MAX_UINT64, RESOURCES_FIELD, setFile } from './resource-util';
import { newStatsV2, type CgroupStatsV2 } from './stats-types';

export const name = 'pids';
const FIELD = `${RESOURCES_FIELD}.pids.limit`;

/** The pids.max value to write, or undefined to leave it alone (limit unset or 0, as runc). */
export function pidsMaxValue(r: LinuxResources): string | undefined {
  const limit = bigOr0(r.pids?.limit, FIELD);
  if (limit < -1n) throw new ConfigError(FIELD, `invalid value ${limit} (use -1 for no limit)`);
  return numToStr(limit) || undefined;
}

export function set(dir: string, r: LinuxResources): void {
  const v = pidsMaxValue(r);
  if (v !== undefined) setFile(dir, 'pids.max', v, FIELD, name);
}

/** Without the pids controller: count cgroup.procs lines (cgroup.threads in threaded cgroups). */
function statFromProcs(dir: string, st: CgroupStatsV2): void {
  let text: string;
  try {
    text = readStat(dir, 'cgroup.procs');
  } catch (e) {
    if (!(e instanceof StatError) || (e.fsCode !== 'ENOTSUP' && e.fsCode !== 'EOPNOTSUPP')) throw e;
    text = readStat(dir, 'cgroup.threads');
  }
  st.pids.current = BigInt(text.split('\n').length - 1);
  st.pids.limit = 0n;
}

/** pids.current / pids.max ("max" reads as limit 0, runc's "no limit"). */
export function stats(dir: string, st: CgroupStatsV2 = newStatsV2()): CgroupStatsV2 {
  let current: bigint;
  try {
    current = readUint(dir, 'pids.current');
  } catch (e) {
    if (e instanceof StatError && e.notExist) {
      statFromProcs(dir, st);
      return st;
    }
    throw e;
  }
  let max = readUint(dir, 'pids.max');
  if (max === MAX_UINT64) max = 0n;
  st.pids.current = current;
  st.pids.limit = max;
  return st;
}
