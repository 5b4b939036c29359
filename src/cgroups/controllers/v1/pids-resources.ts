// v1 pids controller, as runc 1.1's libcontainer/cgroups/fs/pids.go:
//   linux.resources.pids.limit  > 0 -> pids.max = limit
//                               < 0 -> pids.max = "max"
//                               = 0 -> nothing written (runc 1.1 treats 0 as "unset")
// Stats: types.Pids {current, limit} ("max" reads as 0 = no limit).

import path = require('path');
import type { LinuxResources } from '../../../spec/config-types';
import { isDir, readCg, writeCg } from '../../fsutil';
import { RES, parseUint, putNZ, readUint, type V1ResourceController } from './resource-util';
import { bigOr0 } from '../../../spec/int64';

const F = `${RES}.pids.limit`;

export function set(dir: string, r: LinuxResources): void {
  const limit = bigOr0(r.pids?.limit, F);
  if (limit === 0n) return;
  writeCg(dir, 'pids.max', limit > 0n ? limit.toString() : 'max', F);
}

export function wants(r: LinuxResources): string | undefined {
  return bigOr0(r.pids?.limit, F) !== 0n ? F : undefined;
}

export function stats(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isDir(dir)) return out;
  const current = readUint(dir, 'pids.current');
  const maxText = readCg(dir, 'pids.max');
  const limit = maxText === 'max' ? 0n : parseUint(maxText, path.join(dir, 'pids.max'));
  putNZ(out, 'current', current);
  putNZ(out, 'limit', limit);
  return out;
}

export const pids: V1ResourceController = { name: 'pids', set, stats, wants };
