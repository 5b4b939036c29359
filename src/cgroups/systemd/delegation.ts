// What a user's systemd instance may limit (rootless --systemd-cgroup): the controllers its
// user@UID.service is delegated (systemd's Delegate=; Debian's default: cpu memory pids, not io
// or cpuset). A unit property for a controller the instance lacks is accepted by systemd and
// not applied, and its file does not exist in the unit's cgroup: such a limit is refused
// before anything is made, naming the field and the drop-in that delegates the controller.
import fs = require('fs');
import path = require('path');
import { ConfigError } from '../../errors';
import type { LinuxResources } from '../../spec/config-types';
import { controllersNeeded } from '../controllers/v2/needs';

/** Controllers a user instance has (its cgroup.controllers), or undefined when unreadable. */
export function controllersOf(dir: string): string[] | undefined {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Refuse the first field of `r` whose controller the user instance at `dir` is not delegated. */
export function refuseUndelegated(r: LinuxResources | undefined, dir: string, uid: number, have = controllersOf(dir)): void {
  if (!have) return;
  for (const n of controllersNeeded(r)) {
    if (have.includes(n.controller)) continue;
    throw new ConfigError(n.field, `cannot set the ${n.controller} limit: the user's systemd instance (user@${uid}.service, ${dir}) is not delegated `
      + `the ${n.controller} controller (it has: ${have.join(' ') || 'none'}), so systemd would accept the limit and not apply it. `
      + `As root, delegate it with a drop-in /etc/systemd/system/user@.service.d/delegate.conf of "[Service]" and "Delegate=${[...new Set([...have, n.controller, 'cpu', 'cpuset', 'io', 'memory', 'pids'])].sort().join(' ')}", `
      + `then \`systemctl daemon-reload\` and restart user@${uid}.service (or log in again); or drop the field`);
  }
}

