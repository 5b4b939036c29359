// Which systemd makes a container's scope unit, and how it is reached: the system instance (PID 1,
// the system bus) or, for a rootless container, the user's own instance (user-bus.ts), in
// whose tree (/user.slice/user-UID.slice/user@UID.service) the unit's cgroup then is. runc's
// rule (newDbusConnManager(rootless), DetectUID), with a recorded unit's instance told by its path.
import os = require('os');
import path = require('path');
import { TsrunError } from '../../errors';
import { log } from '../../log';
import type { CgroupLayout } from '../detect';
import type { CgroupManagerOptions } from '../manager';
import { JOB_TIMEOUT_MS, Systemd } from './systemd1';
import { connectUser, hostUid, NoUserManagerError } from './user-bus';

/** Which systemd makes the unit: PID 1, or the user's own instance. */
export interface SystemdInstance {
  user: boolean;
  /** user: the uid the instance runs as (the caller's, as the initial user namespace sees it). */
  uid?: number;
  /** user: the instance's own cgroup ("/user.slice/user-1000.slice/user@1000.service"). */
  cgroup?: string;
}

export const SYSTEM: SystemdInstance = { user: false };

/** The user instance's cgroup in a recorded unit path (".../user@1000.service/..."), or undefined. */
export function userInstanceOf(unitDir: string | undefined, mountPoint: string): SystemdInstance | undefined {
  if (!unitDir) return undefined;
  const rel = `/${path.posix.relative(mountPoint, unitDir)}`;
  const m = /^(.*\/user@(\d+)\.service)\//.exec(rel);
  return m ? { user: true, uid: Number(m[2]), cgroup: m[1] } : undefined;
}

/** What to tell a user whose systemd instance cannot be reached. */
function noUserManager(uid: number, why: string): TsrunError {
  let name = String(uid);
  try { if (process.geteuid?.() === uid) name = os.userInfo().username; } catch { /* no passwd entry: the uid */ }
  return new TsrunError(`--systemd-cgroup: a rootless container is made by the user's own systemd instance (user@${uid}.service), `
    + `and it cannot be reached: ${why}. Start it: log in as the user (a login session), or as root \`loginctl enable-linger ${name}\` `
    + `(it then runs without a session); it listens on DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${uid}/bus (XDG_RUNTIME_DIR=/run/user/${uid}). `
    + 'Or drop --systemd-cgroup: the cgroupfs driver (limits only in a cgroup subtree delegated to the user)');
}

/** The user's own instance, run by `uid` (its bus, or its private socket). */
export function connectUserInstance(uid: number): Systemd {
  try {
    const c = connectUser(process.env, uid, JOB_TIMEOUT_MS, (owner) => (owner === uid ? undefined : `systemd there runs as uid ${owner}, not as this user (uid ${uid})`));
    return new Systemd(c.conn);
  } catch (e) {
    if (e instanceof NoUserManagerError) throw noUserManager(uid, e.tried.join('; '));
    throw e;
  }
}

/**
 * runc's rule for which instance: the system's unless the cgroups are rootless (--rootless, or
 * not root). Root in a user namespace (rootless podman runs the runtime so) takes the user bus
 * when one is reachable and its systemd is not root's (runc's DetectUID: busctl's OwnerUID),
 * else the system's. A user instance connection made here is kept for the create.
 */
export function pickInstance(opts: CgroupManagerOptions, layout: CgroupLayout): { inst: SystemdInstance; sd?: Systemd } {
  if (!opts.rootless) return { inst: SYSTEM };
  const v1 = () => new TsrunError(`--systemd-cgroup: a rootless container cannot use the user's systemd instance on cgroup v1${layout.mode === 'hybrid' ? ' (this host is hybrid)' : ''}: `
    + 'a user instance is delegated the cgroup v2 hierarchy only (runc: "cannot use rootless systemd cgroups manager on cgroup v1"); drop --systemd-cgroup');
  const uid = hostUid();
  let sd: Systemd;
  if (process.geteuid?.() !== 0) {
    if (layout.mode !== 'v2') throw v1();
    sd = connectUserInstance(uid);
  } else {
    try {
      sd = new Systemd(connectUser(process.env, uid, JOB_TIMEOUT_MS, (owner) => (owner === 0 ? 'systemd there is root\'s' : undefined)).conn);
    } catch (e) {
      log('debug', `--systemd-cgroup as root in a user namespace: no user instance (${(e as Error).message}): the system instance`);
      return { inst: SYSTEM };
    }
  }
  try {
    if (layout.mode !== 'v2') throw v1();
    let cg: string;
    try {
      cg = String(sd.managerProperty('ControlGroup'));
    } catch (e) {
      throw new TsrunError(`--systemd-cgroup: asking the user's systemd instance for its cgroup (ControlGroup): ${(e as Error).message}`);
    }
    // its answer names where tsrun then writes: absolute, no "..", not the root
    const clean = path.posix.normalize(cg).replace(/\/+$/, '');
    if (!cg.startsWith('/') || !clean || cg.split('/').includes('..')) {
      throw new TsrunError(`--systemd-cgroup: the user's systemd instance reports an unusable cgroup ${JSON.stringify(cg)} (ControlGroup)`);
    }
    return { inst: { user: true, uid, cgroup: clean }, sd };
  } catch (e) {
    sd.close();
    throw e;
  }
}
