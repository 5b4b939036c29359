// v1 net_prio controller, as runc's libcontainer/cgroups/fs/net_prio.go: one write of
// "<interface> <priority>" to net_prio.ifpriomap per linux.resources.network.priorities entry.

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { RES, type V1ResourceController } from './resource-util';
import { big } from '../../../spec/int64';
import { writeCg } from '../../fsutil';

const F = `${RES}.network.priorities`;

export function set(dir: string, r: LinuxResources): void {
  (r.network?.priorities ?? []).forEach((p, i) => {
    const field = `${F}[${i}]`;
    if (typeof p.name !== 'string' || p.name === '' || /\s/.test(p.name)) throw new ConfigError(`${field}.name`, `invalid interface name ${JSON.stringify(p.name)}`);
    writeCg(dir, 'net_prio.ifpriomap', `${p.name} ${big(p.priority, `${field}.priority`)}`, field);
  });
}

export function wants(r: LinuxResources): string | undefined {
  return r.network?.priorities?.length ? F : undefined;
}

export const netPrio: V1ResourceController = { name: 'net_prio', set, wants };
