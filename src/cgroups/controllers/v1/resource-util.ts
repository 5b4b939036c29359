// Shared helpers for the v1 resource modules (*-resources.ts): runc's fscommon-style readers
// used by the stats functions. Writes are ../../fsutil.ts writeCg (the one cgroup write, with
// the config field), integers src/spec/int64.ts.

import path = require('path');
import { TsrunError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { MAX_UINT64 as UINT64_MAX } from '../../../spec/int64';
import { readCg } from '../../fsutil';
import type { V1Controller } from '../types';

/** Options for applying resources; everything optional. */
export interface V1SetOptions {
  /**
   * linux.devices of the config. runc drops a default device rule whose path (e.g. /dev/null)
   * is also listed there (specconv createDevices); only `path` is looked at.
   */
  linuxDevices?: ReadonlyArray<{ path: string }>;
  /** runc's SkipDevices: leave the devices cgroup alone. */
  skipDevices?: boolean;
  /** Rootless cgroups: like runc, errors from the devices controller are ignored. */
  rootless?: boolean;
  /** Receives runc's warnings (e.g. kernel memory settings are ignored). */
  warn?: (message: string) => void;
}

/** A v1 registry entry that also applies linux.resources and/or reports stats. */
export interface V1ResourceController extends V1Controller {
  /** Write the settings of `r` this controller owns into the container's cgroup `dir`. */
  set?(dir: string, r: LinuxResources, opts?: V1SetOptions): void;
  /** runc GetStats for this controller, in the shape of runc's `events --stats` (types/events.go). */
  stats?(dir: string): Record<string, unknown>;
  /**
   * The config field (e.g. "linux.resources.network.classID") of the first setting in `r` that
   * would make set() write something, or undefined. Used to report a missing hierarchy.
   */
  wants?(r: LinuxResources): string | undefined;
}

export const RES = 'linux.resources';

/**
 * runc fscommon.ParseUint: base-10 uint64; a negative integer (e.g. "-1" in some files) is 0;
 * "max" is UINT64_MAX (GetCgroupParamUint).
 */
export function parseUint(text: string, where: string): bigint {
  const s = text.trim();
  if (s === 'max') return UINT64_MAX;
  if (/^-\d+$/.test(s)) return 0n;
  if (!/^\d+$/.test(s)) throw new TsrunError(`unable to parse ${JSON.stringify(s)} as a uint from cgroup file ${where}`);
  const v = BigInt(s);
  if (v > UINT64_MAX) return UINT64_MAX;
  return v;
}

/** Read a single-value cgroup file as uint64 (runc GetCgroupParamUint). */
export function readUint(dir: string, file: string): bigint {
  return parseUint(readCg(dir, file), path.join(dir, file));
}

/** Read a single-value cgroup file as int64 (runc GetCgroupParamInt). */
export function readInt(dir: string, file: string): bigint {
  const s = readCg(dir, file);
  if (!/^-?\d+$/.test(s)) throw new TsrunError(`unable to parse ${JSON.stringify(s)} as an int from cgroup file ${path.join(dir, file)}`);
  return BigInt(s);
}

/** "key value" (runc fscommon.ParseKeyValue). */
export function parseKeyValue(line: string, where: string): [string, bigint] {
  const parts = line.split(' ');
  if (parts.length !== 2) throw new TsrunError(`line ${JSON.stringify(line)} is not in key value format (${where})`);
  return [parts[0], parseUint(parts[1], where)];
}

/** A uint64 for JSON output: a number when exact, otherwise a bigint (stringifyJson writes it exactly). */
export function num(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Go `json:",omitempty"` for a uint64: set only when non-zero. */
export function putNZ(obj: Record<string, unknown>, key: string, v: bigint): void {
  if (v !== 0n) obj[key] = num(v);
}

/** Go `json:",omitempty"` for a slice: set only when non-empty. */
export function putList(obj: Record<string, unknown>, key: string, list: unknown[] | undefined): void {
  if (list && list.length) obj[key] = list;
}

/** Lines of a text file, without the trailing empty line. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}
