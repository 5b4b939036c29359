// v1 net_cls controller, as runc's libcontainer/cgroups/fs/net_cls.go:
// linux.resources.network.classID (non-zero) -> net_cls.classid (decimal). No stats.

import type { LinuxResources } from '../../../spec/config-types';
import { RES, type V1ResourceController } from './resource-util';
import { ubig } from '../../../spec/int64';
import { writeCg } from '../../fsutil';

const F = `${RES}.network.classID`;

export function set(dir: string, r: LinuxResources): void {
  const id = r.network?.classID;
  if (id === undefined) return;
  const v = ubig(id, F);
  if (v !== 0n) writeCg(dir, 'net_cls.classid', v.toString(), F);
}

export function wants(r: LinuxResources): string | undefined {
  const id = r.network?.classID;
  return id !== undefined && ubig(id, F) !== 0n ? F : undefined;
}

export const netCls: V1ResourceController = { name: 'net_cls', set, wants };
