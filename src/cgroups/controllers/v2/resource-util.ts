// Shared helpers of the v2 resource modules (*-resources.ts): the write with cgroup v2's hint
// for a controller that is not enabled, runc-compatible parsers for the kernel's flat-keyed
// files. The write itself is ../../fsutil.ts writeCg, integers src/spec/int64.ts (re-exported
// here for the systemd driver).

import fs = require('fs');
import path = require('path');
import { ConfigError, TsrunError } from '../../../errors';
import { MAX_UINT64 } from '../../../spec/int64';
import { codeOf, EACCES, ENOENT, EPERM, errnoOf, readCgOptional, writeCg } from '../../fsutil';

export { big, bigOr0, MAX_UINT64 } from '../../../spec/int64';

export const RESOURCES_FIELD = 'linux.resources';

/** A uint64 for stats output: a number when exact, a bigint beyond 2^53 (serialize with stringifyJson). */
export type U64 = number | bigint;

/** A uint64 as number when it fits a double exactly, else bigint. */
export function u64(v: bigint): U64 {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
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
 * A failed write (writeCg's SyscallError, naming the field), or, for a missing or refused
 * file whose controller is not in the cgroup's cgroup.controllers, an error that says so (the
 * common mistake: the controller is not enabled in the parent's cgroup.subtree_control).
 */
export function writeError(e: unknown, dir: string, file: string, field: string, controller?: string): Error {
  const n = errnoOf(e);
  if (controller && (n === ENOENT || n === EACCES || n === EPERM)) {
    const avail = availableControllers(dir);
    if (avail && !avail.includes(controller)) {
      return new ConfigError(
        field,
        `cannot set ${file}: cgroup v2 controller "${controller}" is not available in ${dir} ` +
          `(cgroup.controllers: "${avail.join(' ')}"; enable it in the parent's cgroup.subtree_control)`,
      );
    }
  }
  return e as Error;
}

/** writeCg, with a controller that is not enabled said so (writeError). */
export function setFile(dir: string, file: string, data: string, field: string, controller: string): void {
  try {
    writeCg(dir, file, data, field);
  } catch (e) {
    throw writeError(e, dir, file, field, controller);
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
