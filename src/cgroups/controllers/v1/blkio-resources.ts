// v1 blkio controller, as runc 1.1's libcontainer/cgroups/fs/blkio.go.
//
// Set: weight -> blkio.weight (CFQ) or, when that file is absent, blkio.bfq.weight (BFQ);
// leafWeight -> blkio.leaf_weight; per weightDevice entry "MAJ:MIN W" to blkio.weight_device
// (or blkio.bfq.weight_device) when weight != 0 and "MAJ:MIN LW" to blkio.leaf_weight_device
// when leafWeight != 0; throttle{Read,Write}{Bps,IOPS}Device -> one "MAJ:MIN RATE" write each to
// blkio.throttle.{read,write}_{bps,iops}_device.
//
// Stats: the first group of *_recursive files that exists and has entries wins, in runc's
// order: BFQ debug, BFQ, CFQ, throttle recursive, throttle (non-recursive).

import fs = require('fs');
import path = require('path');
import { TsrunError } from '../../../errors';
import type { LinuxResources, LinuxThrottleDevice } from '../../../spec/config-types';
import { readCgOptional, writeCg } from '../../fsutil';
import { RES, lines, num, parseUint, type V1ResourceController } from './resource-util';
import { big, ubig } from '../../../spec/int64';

const F = `${RES}.blockIO`;

function weightFiles(dir: string): [string, string] {
  return fs.existsSync(path.join(dir, 'blkio.weight'))
    ? ['blkio.weight', 'blkio.weight_device']
    : ['blkio.bfq.weight', 'blkio.bfq.weight_device'];
}

const THROTTLE = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

function u16(v: number | undefined, field: string): bigint {
  if (v === undefined) return 0n;
  const b = big(v, field);
  if (b < 0n || b > 0xffffn) throw new TsrunError(`${field}: must be a 16-bit unsigned integer, got ${b}`, { field });
  return b;
}

export function set(dir: string, r: LinuxResources): void {
  const b = r.blockIO;
  if (!b) return;
  const [weightFile, weightDeviceFile] = weightFiles(dir);
  const weight = u16(b.weight, `${F}.weight`);
  const leaf = u16(b.leafWeight, `${F}.leafWeight`);
  if (weight !== 0n) writeCg(dir, weightFile, weight.toString(), `${F}.weight`);
  if (leaf !== 0n) writeCg(dir, 'blkio.leaf_weight', leaf.toString(), `${F}.leafWeight`);
  (b.weightDevice ?? []).forEach((wd, i) => {
    const field = `${F}.weightDevice[${i}]`;
    const dev = `${big(wd.major, `${field}.major`)}:${big(wd.minor, `${field}.minor`)}`;
    const w = u16(wd.weight, `${field}.weight`);
    const lw = u16(wd.leafWeight, `${field}.leafWeight`);
    if (w !== 0n) writeCg(dir, weightDeviceFile, `${dev} ${w}`, `${field}.weight`);
    if (lw !== 0n) writeCg(dir, 'blkio.leaf_weight_device', `${dev} ${lw}`, `${field}.leafWeight`);
  });
  for (const [key, file] of THROTTLE) {
    (b[key] ?? []).forEach((td: LinuxThrottleDevice, i: number) => {
      const field = `${F}.${key}[${i}]`;
      const line = `${big(td.major, `${field}.major`)}:${big(td.minor, `${field}.minor`)} ${ubig(td.rate, `${field}.rate`)}`;
      writeCg(dir, file, line, field);
    });
  }
}

export function wants(r: LinuxResources): string | undefined {
  const b = r.blockIO;
  if (!b) return undefined;
  if (b.weight) return `${F}.weight`;
  if (b.leafWeight) return `${F}.leafWeight`;
  if ((b.weightDevice ?? []).some((wd) => wd.weight || wd.leafWeight)) return `${F}.weightDevice`;
  for (const [key] of THROTTLE) if (b[key]?.length) return `${F}.${key}`;
  return undefined;
}

/** types.BlkioEntry list of one file; undefined when the file is missing. */
function blkioStat(dir: string, file: string): Record<string, unknown>[] | undefined {
  const text = readCgOptional(dir, file);
  if (text === undefined) return undefined;
  const where = path.join(dir, file);
  const out: Record<string, unknown>[] = [];
  for (const line of lines(text)) {
    // "MAJ:MIN [Op] VALUE"; a "Total N" line is skipped
    const f = line.split(/[ :]+/).filter(Boolean);
    if (f.length < 3) {
      if (f.length === 2 && f[0] === 'Total') continue;
      throw new TsrunError(`Invalid line found while parsing ${where}: ${line}`);
    }
    const major = parseUint(f[0], where);
    const minor = parseUint(f[1], where);
    let op = '';
    let valueField = 2;
    if (f.length === 4) {
      op = f[2];
      valueField = 3;
    }
    const value = parseUint(f[valueField], where);
    // types.BlkioEntry: every field omitempty
    const e: Record<string, unknown> = {};
    if (major !== 0n) e.major = num(major);
    if (minor !== 0n) e.minor = num(minor);
    if (op) e.op = op;
    if (value !== 0n) e.value = num(value);
    out.push(e);
  }
  return out;
}

type Key =
  | 'ioServiceBytesRecursive' | 'ioServicedRecursive' | 'ioQueueRecursive' | 'ioServiceTimeRecursive'
  | 'ioWaitTimeRecursive' | 'ioMergedRecursive' | 'ioTimeRecursive' | 'sectorsRecursive';

const GROUPS: [string, Key][][] = [
  [ // BFQ with CONFIG_BFQ_CGROUP_DEBUG
    ['blkio.bfq.sectors_recursive', 'sectorsRecursive'],
    ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [ // BFQ
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [ // CFQ
    ['blkio.sectors_recursive', 'sectorsRecursive'],
    ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [ // throttling, recursive
    ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [ // throttling, this cgroup only (old kernels)
    ['blkio.throttle.io_serviced', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'],
  ],
];

/** Output key order of types.Blkio. */
const ORDER: Key[] = [
  'ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive',
  'ioWaitTimeRecursive', 'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive',
];

export function stats(dir: string): Record<string, unknown> {
  const got: Partial<Record<Key, Record<string, unknown>[]>> = {};
  outer: for (const group of GROUPS) {
    for (let i = 0; i < group.length; i++) {
      const [file, key] = group[i];
      const entries = blkioStat(dir, file);
      // runc: a missing or empty first file moves on to the next group; a missing or empty
      // later file ends the search with what has been collected.
      if (!entries || entries.length === 0) {
        if (i === 0) continue outer;
        break outer;
      }
      got[key] = entries;
      if (i === group.length - 1) break outer;
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of ORDER) if (got[k]?.length) out[k] = got[k];
  return out;
}

export const blkio: V1ResourceController = { name: 'blkio', set, stats, wants };
