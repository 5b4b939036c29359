// v1 cpuset: a cpuset cgroup with empty cpuset.cpus or cpuset.mems refuses new tasks (ENOSPC),
// and the kernel does not fill them in for new directories (unless cgroup.clone_children).
// Like runc, copy them from the parent, top-down, for every directory that has them empty.
//
// Resources (runc libcontainer/cgroups/fs/cpuset.go): linux.resources.cpu.cpus -> cpuset.cpus,
// then .mems -> cpuset.mems. Stats: types.CPUSet (cpus/mems as lists, the flag files as numbers).

import path = require('path');
import { TsrunError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { readCgOptional, writeCg } from '../../fsutil';
import { RES, num, parseUint, type V1ResourceController } from './resource-util';

const FILES = ['cpuset.cpus', 'cpuset.mems'];

export function inheritCpuset(chain: string[], mountPoint: string): void {
  let parent = mountPoint;
  for (const dir of chain) {
    for (const f of FILES) {
      const cur = readCgOptional(dir, f) ?? '';
      if (cur !== '') continue;
      const fromParent = readCgOptional(parent, f) ?? '';
      if (fromParent !== '') writeCg(dir, f, fromParent);
    }
    parent = dir;
  }
}

export function setCpuset(dir: string, r: LinuxResources): void {
  const c = r.cpu;
  if (!c) return;
  if (c.cpus) writeCg(dir, 'cpuset.cpus', c.cpus, `${RES}.cpu.cpus`);
  if (c.mems) writeCg(dir, 'cpuset.mems', c.mems, `${RES}.cpu.mems`);
}

export function wantsCpuset(r: LinuxResources): string | undefined {
  if (r.cpu?.cpus) return `${RES}.cpu.cpus`;
  if (r.cpu?.mems) return `${RES}.cpu.mems`;
  return undefined;
}

/** "0-3,8" -> [0,1,2,3,8] (runc getCpusetStat; uint16 values). */
function cpusetList(dir: string, file: string): number[] | undefined {
  const text = readCgOptional(dir, file);
  if (text === undefined) return undefined;
  const where = path.join(dir, file);
  if (text === '') throw new TsrunError(`${where} found to be empty`);
  const out: number[] = [];
  const u16 = (s: string): number => {
    if (!/^\d+$/.test(s) || Number(s) > 0xffff) throw new TsrunError(`invalid values in ${where}`);
    return Number(s);
  };
  for (const part of text.split(',')) {
    const r = part.split('-');
    if (r.length > 2) throw new TsrunError(`invalid values in ${where}`);
    if (r.length === 2) {
      const lo = u16(r[0]);
      const hi = u16(r[1]);
      if (lo > hi) throw new TsrunError(`invalid values in ${where}`);
      for (let i = lo; i <= hi; i++) out.push(i);
    } else {
      out.push(u16(part));
    }
  }
  return out;
}

function flag(dir: string, file: string): number | bigint {
  const t = readCgOptional(dir, file);
  return t === undefined ? 0 : num(parseUint(t, path.join(dir, file)));
}

/** types.CPUSet (cpus and mems omitempty). */
export function cpusetStats(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const cpus = cpusetList(dir, 'cpuset.cpus');
  if (cpus?.length) out.cpus = cpus;
  out.cpu_exclusive = flag(dir, 'cpuset.cpu_exclusive');
  const mems = cpusetList(dir, 'cpuset.mems');
  if (mems?.length) out.mems = mems;
  out.mem_hardwall = flag(dir, 'cpuset.mem_hardwall');
  out.mem_exclusive = flag(dir, 'cpuset.mem_exclusive');
  out.memory_migrate = flag(dir, 'cpuset.memory_migrate');
  out.memory_spread_page = flag(dir, 'cpuset.memory_spread_page');
  out.memory_spread_slab = flag(dir, 'cpuset.memory_spread_slab');
  out.memory_pressure = flag(dir, 'cpuset.memory_pressure');
  out.sched_load_balance = flag(dir, 'cpuset.sched_load_balance');
  const relax = readCgOptional(dir, 'cpuset.sched_relax_domain_level');
  if (relax !== undefined && !/^-?\d+$/.test(relax)) throw new TsrunError(`unable to parse ${JSON.stringify(relax)} in ${path.join(dir, 'cpuset.sched_relax_domain_level')}`);
  out.sched_relax_domain_level = relax === undefined ? 0 : Number(relax);
  return out;
}

export const cpuset: V1ResourceController = {
  name: 'cpuset',
  prepare: (chain, mountPoint) => inheritCpuset(chain, path.resolve(mountPoint)),
  set: setCpuset,
  stats: cpusetStats,
  wants: wantsCpuset,
};
