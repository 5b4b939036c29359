// Shared helpers of the v2 resource modules (*-resources.ts): int64 handling for config values
// that are `number | bigint`, cgroupfs writes that never create files, runc-compatible parsers
// for the kernel's flat-keyed files, and errors that name the config field.

import fs = require('fs');
import path = require('path');
import { ConfigError, SyscallError, TsrunError } from '../../../errors';
import type { Int64 } from '../../../spec/config-types';
import { codeOf, errnoOf, readCgOptional } from '../../fsutil';

export const RESOURCES_FIELD = 'linux.resources';
export const MAX_UINT64 = (1n << 64n) - 1n;

/** A uint64 for stats output: a number when exact, a bigint beyond 2^53 (serialize with stringifyJson). */
export type U64 = number | bigint;

/** A uint64 as number when it fits a double exactly, else bigint. */
export function u64(v: bigint): U64 {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A config int64 as bigint; throws ConfigError for non-integers. */
export function big(v: Int64, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(field, `expected an integer, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** Like big(), with undefined (unset) read as 0 (runc's zero value for "unset"). */
export function bigOr0(v: Int64 | undefined, field: string): bigint {
  return v === undefined || v === null ? 0n : big(v, field);
}

/**
 * runc's numToStr for .max/.low/.high files: 0 → "" (do not write), -1 → "max",
 * anything else as is (the kernel rejects other negative values).
 */
export function numToStr(v: bigint): string {
  if (v === 0n) return '';
  if (v === -1n) return 'max';
  return v.toString();
}

/** Controllers listed in `dir`/cgroup.controllers (undefined when the file cannot be read). */
export function availableControllers(dir: string): string[] | undefined {
  try {
    const text = readCgOptional(dir, 'cgroup.controllers');
    return text === undefined ? undefined : text.split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Write one value to one cgroup file, as a single write(2), opened O_WRONLY|O_TRUNC without
 * O_CREAT: a missing interface file (controller not enabled, page size not supported) fails
 * with ENOENT instead of creating a plain file, on cgroupfs and on test fixtures alike.
 * Throws the raw Node error (callers translate it with writeError()).
 */
export function writeCgFile(dir: string, file: string, data: string): void {
  const p = path.join(dir, file);
  const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Translate a failed write into an error naming the config field. A missing file whose
 * controller is not in the cgroup's cgroup.controllers says so (the common mistake: the
 * controller is not enabled in the parent's cgroup.subtree_control).
 */
export function writeError(e: unknown, dir: string, file: string, data: string, field: string, controller?: string): Error {
  const code = codeOf(e);
  if (controller && (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM')) {
    const avail = availableControllers(dir);
    if (avail && !avail.includes(controller)) {
      return new ConfigError(
        field,
        `cannot set ${file}: cgroup v2 controller "${controller}" is not available in ${dir} ` +
          `(cgroup.controllers: "${avail.join(' ')}"; enable it in the parent's cgroup.subtree_control)`,
      );
    }
  }
  const n = errnoOf(e);
  const what = `write ${JSON.stringify(data)} to ${path.join(dir, file)}`;
  return n ? new SyscallError(what, n, field) : new TsrunError(`${field}: ${what}: ${(e as Error)?.message ?? String(e)}`, { field });
}

/** writeCgFile() with errors translated by writeError(). */
export function setFile(dir: string, file: string, data: string, field: string, controller: string): void {
  try {
    writeCgFile(dir, file, data);
  } catch (e) {
    throw writeError(e, dir, file, data, field, controller);
  }
}

// --- reading, with runc's (fscommon) parsing rules ------------------------------------------

/** A stats read that failed; `notExist` errors are skipped by statsV2 like runc does. */
export class StatError extends TsrunError {
  constructor(message: string, readonly notExist: boolean, readonly fsCode?: string) {
    super(message);
    this.name = 'StatError';
  }
}

/** Read a cgroup file untrimmed; StatError on failure. */
export function readStat(dir: string, file: string): string {
  const p = path.join(dir, file);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new StatError(`read ${p}: ${(e as Error).message}`, codeOf(e) === 'ENOENT', codeOf(e));
  }
}

function parseError(dir: string, file: string, why: string): StatError {
  return new StatError(`unable to parse ${path.join(dir, file)}: ${why}`, false);
}

/**
 * runc's fscommon.ParseUint: a uint64; a negative integer reads as 0 (some kernels report
 * negative counters).
 */
export function parseUint(s: string, dir: string, file: string): bigint {
  if (/^\d+$/.test(s)) {
    const v = BigInt(s);
    if (v > MAX_UINT64) throw parseError(dir, file, `value out of range: ${JSON.stringify(s)}`);
    return v;
  }
  if (/^-\d+$/.test(s)) return 0n;
  throw parseError(dir, file, `invalid syntax: ${JSON.stringify(s)}`);
}

/** runc's GetCgroupParamUint: a one-value file as uint64 ("max" → MaxUint64). */
export function readUint(dir: string, file: string): bigint {
  const s = readStat(dir, file).trim();
  return s === 'max' ? MAX_UINT64 : parseUint(s, dir, file);
}

/** Lines of a flat-keyed file ("key value"), parsed with runc's ParseKeyValue. */
export function readKeyValues(dir: string, file: string): Array<[string, bigint]> {
  const out: Array<[string, bigint]> = [];
  for (const line of readStat(dir, file).split('\n')) {
    if (line === '') continue;
    const parts = line.split(' ');
    if (parts.length !== 2) throw parseError(dir, file, `line ${JSON.stringify(line)} is not of the form "key value"`);
    out.push([parts[0], parseUint(parts[1], dir, file)]);
  }
  return out;
}

/** runc's GetValueByKey: the value of `key` in a flat-keyed file, 0 if the key is absent. */
export function readValueByKey(dir: string, file: string, key: string): bigint {
  for (const line of readStat(dir, file).split('\n')) {
    const parts = line.split(' ');
    if (parts.length === 2 && parts[0] === key) return parseUint(parts[1], dir, file);
  }
  return 0n;
}
