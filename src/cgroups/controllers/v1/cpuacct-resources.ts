// v1 cpuacct controller: nothing to set (runc's Set is a no-op); stats as runc's
// libcontainer/cgroups/fs/cpuacct.go -> types.CpuUsage:
//   total   cpuacct.usage (ns)
//   percpu  cpuacct.usage_percpu
//   percpu_kernel / percpu_user   cpuacct.usage_all (optional file; header line skipped)
//   kernel / user                 cpuacct.stat "user N system M" in USER_HZ ticks -> ns

import path = require('path');
import { TsrunError } from '../../../errors';
import { isDir, readCg, readCgOptional } from '../../fsutil';
import { lines, num, parseUint, putList, putNZ, readUint, type V1ResourceController } from './resource-util';

const NS_PER_SEC = 1_000_000_000n;
const CLOCK_TICKS = 100n; // sysconf(_SC_CLK_TCK) is 100 on Linux; runc hard-codes it too

function usageBreakdown(dir: string): [bigint, bigint] {
  const file = 'cpuacct.stat';
  const fields = readCg(dir, file).split(/\s+/).filter(Boolean);
  const where = path.join(dir, file);
  if (fields.length < 4) throw new TsrunError(`failure - ${where} is expected to have at least 4 fields`);
  if (fields[0] !== 'user') throw new TsrunError(`unexpected field "${fields[0]}" in "${file}", expected "user"`);
  if (fields[2] !== 'system') throw new TsrunError(`unexpected field "${fields[2]}" in "${file}", expected "system"`);
  const user = parseUint(fields[1], where);
  const system = parseUint(fields[3], where);
  return [(user * NS_PER_SEC) / CLOCK_TICKS, (system * NS_PER_SEC) / CLOCK_TICKS];
}

function percpu(dir: string): bigint[] {
  const where = path.join(dir, 'cpuacct.usage_percpu');
  return readCg(dir, 'cpuacct.usage_percpu').split(/\s+/).filter(Boolean).map((v) => parseUint(v, where));
}

/** cpuacct.usage_all: "cpu user system" header, then one line per cpu. */
function percpuInModes(dir: string): [bigint[], bigint[]] {
  const text = readCgOptional(dir, 'cpuacct.usage_all');
  const kernel: bigint[] = [];
  const user: bigint[] = [];
  if (text === undefined) return [kernel, user];
  const where = path.join(dir, 'cpuacct.usage_all');
  for (const line of lines(text).slice(1)) {
    const f = line.split(' ');
    if (f.length !== 3) continue;
    kernel.push(parseUint(f[2], where));
    user.push(parseUint(f[1], where));
  }
  return [kernel, user];
}

/** types.CpuUsage: total, percpu, percpu_kernel, percpu_user (omitempty), kernel, user. */
export function stats(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isDir(dir)) return { kernel: 0, user: 0 };
  const [userNs, kernelNs] = usageBreakdown(dir);
  const total = readUint(dir, 'cpuacct.usage');
  const per = percpu(dir);
  const [perKernel, perUser] = percpuInModes(dir);
  putNZ(out, 'total', total);
  putList(out, 'percpu', per.map(num));
  putList(out, 'percpu_kernel', perKernel.map(num));
  putList(out, 'percpu_user', perUser.map(num));
  out.kernel = num(kernelNs);
  out.user = num(userNs);
  return out;
}

export function set(): void {
  /* cpuacct has no settings */
}

export const cpuacct: V1ResourceController = { name: 'cpuacct', set, stats };
