// rdma controller (kernel 4.11+), as runc 1.1 fscommon/rdma.go (shared by v1 and v2):
// one "<device> [hca_handle=N] [hca_object=N]" write to rdma.max per linux.resources.rdma entry.
// Stats (not part of `runc events` output): rdma.max and rdma.current entries.

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { RESOURCES_FIELD, readStat, setFile } from './resource-util';
import { newStatsV2, type CgroupStatsV2, type RdmaEntryV2 } from './stats-types';

export const name = 'rdma';
const F = `${RESOURCES_FIELD}.rdma`;
const MAX_UINT32 = 4294967295;

function u32(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_UINT32) {
    throw new ConfigError(field, `expected an integer in [0, ${MAX_UINT32}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** The rdma.max lines, as [line, field], validated without IO. */
export function rdmaLines(r: LinuxResources): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
    const field = `${F}[${JSON.stringify(dev)}]`;
    if (!dev || /[\s=]/.test(dev)) throw new ConfigError(field, 'invalid RDMA device name');
    let line = dev;
    if (lim?.hcaHandles !== undefined && lim.hcaHandles !== null) line += ` hca_handle=${u32(lim.hcaHandles, `${field}.hcaHandles`)}`;
    if (lim?.hcaObjects !== undefined && lim.hcaObjects !== null) line += ` hca_object=${u32(lim.hcaObjects, `${field}.hcaObjects`)}`;
    out.push([line, field]);
  }
  return out;
}

export function set(dir: string, r: LinuxResources): void {
  for (const [line, field] of rdmaLines(r)) setFile(dir, 'rdma.max', line, field, name);
}

function parseKV(raw: string, e: RdmaEntryV2): boolean {
  const parts = raw.split('=');
  if (parts.length !== 2) return false;
  const [k, v] = parts;
  let value: number;
  if (v === 'max') value = MAX_UINT32;
  else if (/^\d+$/.test(v) && Number(v) <= MAX_UINT32) value = Number(v);
  else return false;
  if (k === 'hca_handle') e.hcaHandles = value;
  else if (k === 'hca_object') e.hcaObjects = value;
  return true;
}

function readEntries(dir: string, file: string): RdmaEntryV2[] {
  const out: RdmaEntryV2[] = [];
  for (const line of readStat(dir, file).split('\n')) {
    const parts = line.split(' ');
    if (parts.length !== 3) continue;
    const e: RdmaEntryV2 = { device: parts[0], hcaHandles: 0, hcaObjects: 0 };
    if (!parseKV(parts[1], e) || !parseKV(parts[2], e)) continue;
    out.push(e);
  }
  return out;
}

export function stats(dir: string, st: CgroupStatsV2 = newStatsV2()): CgroupStatsV2 {
  const current = readEntries(dir, 'rdma.current');
  const max = readEntries(dir, 'rdma.max');
  // A device removed between the two reads: report nothing.
  if (current.length === max.length) st.rdma = { rdmaLimit: max, rdmaCurrent: current };
  return st;
}
