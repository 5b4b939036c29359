// v1 rdma controller, as runc's libcontainer/cgroups/fscommon/rdma.go (RdmaSet): per device in
// linux.resources.rdma, one write to rdma.max of "<dev>[ hca_handle=N][ hca_object=M]".
// (runc collects rdma stats but `events --stats` does not print them; none here.)

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { RES, type V1ResourceController } from './resource-util';
import { ubig } from '../../../spec/int64';
import { writeCg } from '../../fsutil';

const F = `${RES}.rdma`;

export function set(dir: string, r: LinuxResources): void {
  for (const [dev, limits] of Object.entries(r.rdma ?? {})) {
    const field = `${F}.${dev}`;
    if (dev === '' || /\s/.test(dev)) throw new ConfigError(field, `invalid RDMA device name ${JSON.stringify(dev)}`);
    let cmd = dev;
    if (limits?.hcaHandles !== undefined) cmd += ` hca_handle=${ubig(limits.hcaHandles, `${field}.hcaHandles`)}`;
    if (limits?.hcaObjects !== undefined) cmd += ` hca_object=${ubig(limits.hcaObjects, `${field}.hcaObjects`)}`;
    writeCg(dir, 'rdma.max', cmd, field);
  }
}

export function wants(r: LinuxResources): string | undefined {
  return Object.keys(r.rdma ?? {}).length ? F : undefined;
}

export const rdma: V1ResourceController = { name: 'rdma', set, wants };
