// The user's own systemd instance (systemd --user, user@UID.service), for a rootless container
// with --systemd-cgroup, as runc's newUserSystemdDbus: its session bus ($DBUS_SESSION_BUS_ADDRESS,
// else $XDG_RUNTIME_DIR/bus), authenticated with EXTERNAL as the caller's uid. Beyond runc:
// /run/user/UID/bus when XDG_RUNTIME_DIR names another directory (rootless podman and the
// tests point it at their own), and the manager's private socket (<runtime dir>/systemd/private,
// a direct connection) when there is no session bus (dbus-user-session not installed).
//
// Threat: the environment is the caller's, so a bus it names may be anyone's. A manager found
// on a bus must run as the caller's own uid (GetConnectionUnixUser); tsrun then acts with the
// caller's rights only, so a fake manager can at worst misplace the caller's own container.
import fs = require('fs');
import path = require('path');
import { DBusConnection, DBusError, socketFromAddress } from './dbus-conn';

/** Where a user manager may be reached, in the order tried. */
export interface UserEndpoint {
  socket: string;
  /** systemd's private socket: no bus daemon, no Hello. */
  direct: boolean;
  /** How it was found, for errors ("DBUS_SESSION_BUS_ADDRESS", "$XDG_RUNTIME_DIR/bus", ...). */
  from: string;
}

export interface UserEnv {
  DBUS_SESSION_BUS_ADDRESS?: string;
  XDG_RUNTIME_DIR?: string;
}

/**
 * The caller's uid as a peer in the initial user namespace sees it (SO_PEERCRED): the
 * effective uid, through /proc/self/uid_map when in a user namespace (rootless podman runs
 * the runtime as root in one: uid 0 there is the user outside). One level of nesting.
 */
export function hostUid(uidMap = '/proc/self/uid_map'): number {
  const euid = process.geteuid?.() ?? 0;
  let text: string;
  try { text = fs.readFileSync(uidMap, 'utf8'); } catch { return euid; }
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length === 3 && f.every(Number.isInteger) && euid >= f[0] && euid < f[0] + f[2]) return f[1] + (euid - f[0]);
  }
  return euid;
}

/** The endpoints to try for `uid`'s manager, without duplicates. */
export function userEndpoints(env: UserEnv, uid: number): UserEndpoint[] {
  const out: UserEndpoint[] = [];
  const add = (socket: string | undefined, direct: boolean, from: string) => {
    if (socket && !out.some((e) => e.socket === socket)) out.push({ socket, direct, from });
  };
  if (env.DBUS_SESSION_BUS_ADDRESS) add(socketFromAddress(env.DBUS_SESSION_BUS_ADDRESS, true), false, 'DBUS_SESSION_BUS_ADDRESS');
  const dirs: Array<[string, string]> = [];
  if (env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR)) dirs.push([env.XDG_RUNTIME_DIR, '$XDG_RUNTIME_DIR']);
  dirs.push([`/run/user/${uid}`, `/run/user/${uid}`]);
  for (const [d, label] of dirs) add(path.join(d, 'bus'), false, `${label}/bus`);
  for (const [d, label] of dirs) add(path.join(d, 'systemd/private'), true, `${label}/systemd/private`);
  return out;
}

export interface UserConnection {
  conn: DBusConnection;
  endpoint: UserEndpoint;
  /** The uid systemd1 runs as on that bus; undefined on a direct connection (the socket is the manager's). */
  ownerUid?: number;
}

/** No user manager reachable: every endpoint tried and why it was passed over. */
export class NoUserManagerError extends Error {
  constructor(readonly tried: string[], readonly uid: number) {
    super(`no systemd user instance of uid ${uid} reachable: ${tried.join('; ')}`);
    this.name = 'NoUserManagerError';
  }
}

const DBUS = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'] as const;

/**
 * A connection to `uid`'s systemd instance: the first endpoint that accepts us and (on a bus)
 * has org.freedesktop.systemd1 run by `requireOwner` (when given).
 */
export function connectUser(env: UserEnv, uid: number, timeoutMs: number, requireOwner?: (owner: number) => string | undefined): UserConnection {
  const tried: string[] = [];
  const addr = env.DBUS_SESSION_BUS_ADDRESS;
  if (addr && !socketFromAddress(addr, true)) tried.push(`DBUS_SESSION_BUS_ADDRESS=${addr}: not a unix socket address`);
  for (const ep of userEndpoints(env, uid)) {
    const where = `${ep.from} (${ep.socket})`;
    if (!ep.socket.startsWith('@') && !fs.existsSync(ep.socket)) {
      tried.push(`${where}: no such socket`);
      continue;
    }
    let conn: DBusConnection;
    try {
      conn = DBusConnection.open(ep.socket, ep.direct, timeoutMs, uid);
    } catch (e) {
      tried.push(`${where}: ${(e as Error).message}`);
      continue;
    }
    if (ep.direct) return { conn, endpoint: ep };
    try {
      const [owner] = conn.call(...DBUS, 'GetConnectionUnixUser', 's', ['org.freedesktop.systemd1'], timeoutMs);
      const why = requireOwner?.(Number(owner));
      if (why) throw new DBusError('tsrun.NotOurs', why);
      return { conn, endpoint: ep, ownerUid: Number(owner) };
    } catch (e) {
      conn.close();
      const name = e instanceof DBusError ? e.errorName : '';
      tried.push(`${where}: ${name === 'org.freedesktop.DBus.Error.NameHasNoOwner' ? 'a bus without systemd on it' : (e as Error).message}`);
    }
  }
  throw new NoUserManagerError(tried, uid);
}
