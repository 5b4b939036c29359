// io controller (kernel 4.5+), as runc 1.1 fs2/io.go:
//   blockIO.weight → io.bfq.weight verbatim when that file exists (BFQ scheduler, 1..1000),
//                    else io.weight converted (runc's ConvertBlkIOToIOWeightValue, 10..1000 → 1..10000)
//   blockIO.weightDevice[].weight → "MAJ:MIN W" lines in io.bfq.weight, only where BFQ supports
//                    per-device weights (kernel 5.4+, the file then reads "default N\n..."); else
//                    ignored, as runc does
//   throttle{Read,Write}{Bps,IOPS}Device → one "MAJ:MIN rbps|wbps|riops|wiops=RATE" write to
//                    io.max each (rate 0 skipped, as runc does)
// blockIO.leafWeight and weightDevice[].leafWeight have no v2 equivalent and are ignored.

import fs = require('fs');
import path = require('path');
import { ConfigError, SyscallError } from '../../../errors';
import type { Int64, LinuxResources, LinuxThrottleDevice } from '../../../spec/config-types';
import { codeOf, errnoOf } from '../../fsutil';
import { RESOURCES_FIELD, big, parseUint, readStat, setFile, writeError } from './resource-util';
import { newStatsV2, type BlkioStatEntryV2, type CgroupStatsV2 } from './stats-types';

export const name = 'io';
const F = `${RESOURCES_FIELD}.blockIO`;

/**
 * runc's ConvertBlkIOToIOWeightValue: blkio weight [10, 1000] → io.weight [1, 10000],
 * 1 + (weight - 10) * 9999 / 990 (integer division); 0 stays 0 ("unset").
 * Throws RangeError outside [10, 1000] (runc would write a value the kernel rejects).
 */
export function convertBlkIOToIOWeightValue(weight: bigint): bigint {
  if (weight === 0n) return 0n;
  if (weight < 10n || weight > 1000n) throw new RangeError(`blkio weight ${weight} out of range [10, 1000]`);
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

function devField(list: string, i: number, key: string): string {
  return `${F}.${list}[${i}].${key}`;
}

function majMin(d: { major: Int64; minor: Int64 }, list: string, i: number): string {
  const major = big(d.major, devField(list, i, 'major'));
  const minor = big(d.minor, devField(list, i, 'minor'));
  if (major < 0n) throw new ConfigError(devField(list, i, 'major'), `invalid device number ${major}`);
  if (minor < 0n) throw new ConfigError(devField(list, i, 'minor'), `invalid device number ${minor}`);
  return `${major}:${minor}`;
}

/** The io.max lines set() writes, in runc's order, as [line, field]. Validates without IO. */
export function ioMaxLines(r: LinuxResources): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [list, key] of THROTTLES) {
    const devs: LinuxThrottleDevice[] = r.blockIO?.[list] ?? [];
    devs.forEach((d, i) => {
      const rate = big(d.rate, devField(list, i, 'rate'));
      if (rate < 0n) throw new ConfigError(devField(list, i, 'rate'), `invalid rate ${rate}`);
      const mm = majMin(d, list, i);
      if (rate !== 0n) out.push([`${mm} ${key}=${rate}`, devField(list, i, 'rate')]);
    });
  }
  return out;
}

/** Validate blockIO for v2 without IO (ConfigError naming the field). */
export function validate(r: LinuxResources): void {
  const w = r.blockIO?.weight;
  if (w !== undefined && w !== null) {
    const weight = big(w, `${F}.weight`);
    if (weight < 0n || weight > 1000n) throw new ConfigError(`${F}.weight`, `${weight} is out of range [10, 1000]`);
  }
  (r.blockIO?.weightDevice ?? []).forEach((d, i) => {
    majMin(d, 'weightDevice', i);
    if (d.weight !== undefined && d.weight !== null) big(d.weight, devField('weightDevice', i, 'weight'));
  });
  ioMaxLines(r);
}

/** io.bfq.weight accepts per-device lines when it reads as more than a single number. */
function bfqDeviceWeightSupported(content: string): boolean {
  return !/^\s*-?\d+\s*$/.test(content);
}

export function set(dir: string, r: LinuxResources): void {
  validate(r);
  const b = r.blockIO ?? {};
  const weight = b.weight === undefined || b.weight === null ? 0n : big(b.weight, `${F}.weight`);
  const weightDevs = b.weightDevice ?? [];
  const maxLines = ioMaxLines(r);
  const hasThrottle = THROTTLES.some(([list]) => (b[list] ?? []).length > 0);
  if (weight === 0n && !weightDevs.length && !hasThrottle) return;

  // BFQ first, as runc: the file's existence says the BFQ scheduler is in use.
  let bfq: string | undefined;
  if (weight !== 0n || weightDevs.length) {
    try {
      bfq = fs.readFileSync(path.join(dir, 'io.bfq.weight'), 'utf8');
    } catch (e) {
      if (codeOf(e) !== 'ENOENT') throw writeError(new SyscallError(`read ${path.join(dir, 'io.bfq.weight')}`, errnoOf(e), `${F}.weight`), dir, 'io.bfq.weight', `${F}.weight`, name);
    }
  }
  if (weight !== 0n) {
    if (bfq !== undefined) {
      setFile(dir, 'io.bfq.weight', weight.toString(), `${F}.weight`, name);
    } else {
      let v: bigint;
      try {
        v = convertBlkIOToIOWeightValue(weight);
      } catch {
        throw new ConfigError(`${F}.weight`, `${weight} is out of range [10, 1000] (converted to cgroup v2 io.weight 1..10000)`);
      }
      setFile(dir, 'io.weight', v.toString(), `${F}.weight`, name);
    }
  }
  if (bfq !== undefined && bfqDeviceWeightSupported(bfq)) {
    weightDevs.forEach((d, i) => {
      const w = d.weight === undefined || d.weight === null ? 0n : big(d.weight, devField('weightDevice', i, 'weight'));
      setFile(dir, 'io.bfq.weight', `${majMin(d, 'weightDevice', i)} ${w}\n`, devField('weightDevice', i, 'weight'), name);
    });
  }
  for (const [line, field] of maxLines) setFile(dir, 'io.max', line, field, name);
}

/**
 * io.stat → v1-style tables: rbytes/wbytes → ioServiceBytesRecursive, rios/wios →
 * ioServicedRecursive, op "Read"/"Write"; other keys (dbytes, dios, ...) are skipped, as runc
 * does. Entries keep the file's order (runc's come out in Go map order, i.e. unordered).
 */
export function stats(dir: string, st: CgroupStatsV2 = newStatsV2()): CgroupStatsV2 {
  const file = 'io.stat';
  const bytes: BlkioStatEntryV2[] = [];
  const serviced: BlkioStatEntryV2[] = [];
  const seen = new Map<string, string[]>();
  for (const line of readStat(dir, file).split('\n')) {
    const parts = line.split(/\s+/).filter(Boolean);
    if (parts.length < 2) continue;
    seen.set(parts[0], parts.slice(1)); // a repeated device line replaces the earlier one
  }
  for (const [dev, items] of seen) {
    const d = dev.split(':');
    if (d.length !== 2) continue;
    const major = parseUint(d[0], dir, file);
    const minor = parseUint(d[1], dir, file);
    for (const item of items) {
      const kv = item.split('=');
      if (kv.length !== 2) continue;
      let table: BlkioStatEntryV2[];
      let op: string;
      switch (kv[0]) {
        case 'rbytes': op = 'Read'; table = bytes; break;
        case 'wbytes': op = 'Write'; table = bytes; break;
        case 'rios': op = 'Read'; table = serviced; break;
        case 'wios': op = 'Write'; table = serviced; break;
        default: continue;
      }
      table.push({ major, minor, op, value: parseUint(kv[1], dir, file) });
    }
  }
  st.blkio.ioServiceBytesRecursive = bytes;
  st.blkio.ioServicedRecursive = serviced;
  return st;
}
