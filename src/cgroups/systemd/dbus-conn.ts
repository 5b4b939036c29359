// A minimal, synchronous D-Bus client over a unix socket: EXTERNAL authentication, method
// calls with a deadline, and signals queued for whoever waits for them. Synchronous on purpose:
// the cgroup manager's API is, and create places the container's first process (between clone
// and the child's go-ahead) with a call that must finish before the child may continue.
// Reads poll with a deadline (addon pollIn) so a wedged systemd is an error, not a hang.
//
// Endpoints, as go-systemd (runc) uses them: the system bus (dbus-daemon or dbus-broker,
// DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket), and for root when that is absent
// systemd's private socket /run/systemd/private (a direct connection: no Hello, no match
// rules; systemd sends its signals to every private connection). For a rootless container the
// user's own systemd instance (user-bus.ts): its session bus, or its private socket.
import fs = require('fs');
import { addon } from '../../native/addon';
import {
  decodeMessage, encodeMessage, FLAG_NO_AUTO_START, MSG_ERROR, MSG_METHOD_CALL, MSG_METHOD_RETURN, MSG_SIGNAL, type Message,
} from './dbus-wire';

export const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';
export const SYSTEMD_PRIVATE_SOCKET = '/run/systemd/private';

/** An error reply (org.freedesktop.systemd1.NoSuchUnit, ...) or a transport failure (name "tsrun.Transport"). */
export class DBusError extends Error {
  constructor(readonly errorName: string, message: string) {
    super(message);
    this.name = 'DBusError';
  }
}

const TRANSPORT = 'tsrun.Transport';

/**
 * unix:path=/x,guid=... → /x. Only unix paths, unless `abstract` (a session bus of
 * dbus-launch: unix:abstract=/tmp/dbus-x → "@/tmp/dbus-x", the addon's abstract name); tcp
 * and the rest are not used.
 */
export function socketFromAddress(address: string | undefined, abstract = false): string | undefined {
  if (!address) return undefined;
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue;
    for (const kv of entry.slice(5).split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      const k = kv.slice(0, eq);
      if (k === 'path') return decodeURIComponent(kv.slice(eq + 1));
      if (k === 'abstract' && abstract) return `@${decodeURIComponent(kv.slice(eq + 1))}`;
    }
  }
  return undefined;
}

export class DBusConnection {
  private serial = 0;
  private inbuf = Buffer.alloc(0);
  private readonly pending: Message[] = [];
  private fd: number;
  /** The bus's name for us (":1.42"); "" on a direct connection. */
  uniqueName = '';

  private constructor(fd: number, readonly socketPath: string, readonly direct: boolean) {
    this.fd = fd;
  }

  /**
   * Connect and authenticate; on a bus, say Hello. `authUid`: the uid to claim in EXTERNAL,
   * the one the peer sees in SO_PEERCRED (default the effective uid; in a user namespace the
   * kernel shows the peer its host uid: user-bus.ts hostUid()).
   */
  static open(socketPath: string, direct: boolean, timeoutMs: number, authUid = process.geteuid?.() ?? 0): DBusConnection {
    const fd = addon().connectUnix(socketPath);
    const c = new DBusConnection(fd, socketPath, direct);
    try {
      c.auth(timeoutMs, authUid);
      if (!direct) {
        const [name] = c.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello', '', [], timeoutMs);
        c.uniqueName = String(name);
      }
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  /** The system bus (or, for root, systemd's private socket when there is no bus). */
  static system(timeoutMs: number): DBusConnection {
    const bus = socketFromAddress(process.env.DBUS_SYSTEM_BUS_ADDRESS) ?? SYSTEM_BUS_SOCKET;
    try {
      return DBusConnection.open(bus, false, timeoutMs);
    } catch (e) {
      if (process.geteuid?.() !== 0 || !fs.existsSync(SYSTEMD_PRIVATE_SOCKET)) throw e;
      try {
        return DBusConnection.open(SYSTEMD_PRIVATE_SOCKET, true, timeoutMs);
      } catch {
        throw e;
      }
    }
  }

  close(): void {
    if (this.fd >= 0) {
      try { fs.closeSync(this.fd); } catch { /* already gone */ }
      this.fd = -1;
    }
  }

  private writeAll(b: Buffer): void {
    for (let off = 0; off < b.length;) {
      try {
        off += fs.writeSync(this.fd, b, off, b.length - off);
      } catch (e) {
        throw new DBusError(TRANSPORT, `writing to ${this.socketPath}: ${(e as Error).message}`);
      }
    }
  }

  /** Read what is there (waiting until the deadline for something); false at EOF. */
  private fill(deadline: number, what: string): void {
    if (this.fd < 0) throw new DBusError(TRANSPORT, `${what}: connection to ${this.socketPath} is closed`);
    const left = deadline - Date.now();
    if (left <= 0 || !addon().pollIn(this.fd, left)) {
      throw new DBusError(TRANSPORT, `${what}: no answer from ${this.socketPath} within the timeout`);
    }
    const chunk = Buffer.alloc(16384);
    let n: number;
    try {
      n = fs.readSync(this.fd, chunk, 0, chunk.length, null);
    } catch (e) {
      throw new DBusError(TRANSPORT, `${what}: reading from ${this.socketPath}: ${(e as Error).message}`);
    }
    if (n === 0) {
      this.close();
      throw new DBusError(TRANSPORT, `${what}: ${this.socketPath} closed the connection`);
    }
    this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk.subarray(0, n)]) : Buffer.from(chunk.subarray(0, n));
  }

  private auth(timeoutMs: number, authUid: number): void {
    const deadline = Date.now() + timeoutMs;
    const uid = Buffer.from(String(authUid)).toString('hex');
    this.writeAll(Buffer.from(`\0AUTH EXTERNAL ${uid}\r\n`, 'latin1'));
    let line: string;
    for (;;) {
      const nl = this.inbuf.indexOf('\r\n');
      if (nl >= 0) {
        line = this.inbuf.toString('latin1', 0, nl);
        this.inbuf = this.inbuf.subarray(nl + 2);
        break;
      }
      if (this.inbuf.length > 4096) throw new DBusError(TRANSPORT, `authenticating to ${this.socketPath}: overlong reply`);
      this.fill(deadline, 'authenticating');
    }
    if (!line.startsWith('OK ')) throw new DBusError('org.freedesktop.DBus.Error.AuthFailed', `authenticating to ${this.socketPath} as uid ${authUid}: ${line}`);
    this.writeAll(Buffer.from('BEGIN\r\n', 'latin1'));
  }

  /** Next message from the socket (or the queue), by the deadline. */
  private next(deadline: number, what: string): Message {
    for (;;) {
      const d = decodeMessage(this.inbuf);
      if (d) {
        this.inbuf = this.inbuf.subarray(d.size);
        return d.msg;
      }
      this.fill(deadline, what);
    }
  }

  /** Send a method call; returns its serial. */
  send(destination: string | undefined, path: string, iface: string, member: string, signature: string, body: unknown[]): number {
    const serial = ++this.serial;
    this.writeAll(encodeMessage({
      type: MSG_METHOD_CALL, flags: FLAG_NO_AUTO_START, serial, path, interface: iface, member,
      destination: this.direct ? undefined : destination, signature, body,
    }));
    return serial;
  }

  /** Wait for the reply to `serial`; signals that arrive meanwhile are queued. */
  reply(serial: number, timeoutMs: number, what: string): unknown[] {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.next(deadline, what);
      if ((m.type === MSG_METHOD_RETURN || m.type === MSG_ERROR) && m.replySerial === serial) {
        if (m.type === MSG_ERROR) {
          const text = typeof m.body[0] === 'string' ? m.body[0] : '';
          throw new DBusError(m.errorName ?? 'org.freedesktop.DBus.Error.Failed', `${what}: ${text || m.errorName}`);
        }
        return m.body;
      }
      if (m.type === MSG_SIGNAL) this.pending.push(m);
      // replies to calls nobody waits for (AddMatch sent ahead) are dropped
    }
  }

  call(destination: string | undefined, path: string, iface: string, member: string, signature: string, body: unknown[], timeoutMs: number): unknown[] {
    return this.reply(this.send(destination, path, iface, member, signature, body), timeoutMs, `${iface}.${member}`);
  }

  /** The first signal (queued or arriving by the deadline) that `match` accepts; others are dropped. */
  waitSignal(match: (m: Message) => boolean, timeoutMs: number, what: string): Message {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.pending.findIndex(match);
      if (i >= 0) return this.pending.splice(i, 1)[0];
      this.pending.length = 0;
      const m = this.next(deadline, what);
      if (m.type === MSG_SIGNAL) this.pending.push(m);
    }
  }
}
