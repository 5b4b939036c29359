// systemd's Manager API (org.freedesktop.systemd1), the calls the cgroup driver makes, with
// runc's handling of their results: a start or stop waits for its job (JobRemoved) and a
// job that ends other than "done" is an error; a unit left over from an earlier container
// (UnitExists, e.g. a failed scope) is reset and the start retried once.
import { log } from '../../log';
import { DBusConnection, DBusError } from './dbus-conn';
import type { Message } from './dbus-wire';
import type { Property } from './properties';

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
/** runc waits 30 s for a job. */
export const JOB_TIMEOUT_MS = 30_000;

export class Systemd {
  private versionCache?: number;
  private matching = false;

  constructor(readonly conn: DBusConnection, private readonly timeoutMs = JOB_TIMEOUT_MS) {}

  /** The system instance (root's: PID 1) over the system bus or its private socket. */
  static connect(timeoutMs = JOB_TIMEOUT_MS): Systemd {
    return new Systemd(DBusConnection.system(timeoutMs), timeoutMs);
  }

  close(): void {
    this.conn.close();
  }

  private call(member: string, sig: string, body: unknown[]): unknown[] {
    return this.conn.call(DEST, PATH, MANAGER, member, sig, body, this.timeoutMs);
  }

  /** On a bus, JobRemoved reaches us (the job's client) once a match rule asks for it. */
  private watchJobs(): void {
    if (this.matching || this.conn.direct) return;
    // sent ahead without waiting: the bus handles our messages in order
    this.conn.send('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's',
      [`type='signal',sender='${DEST}',path='${PATH}',interface='${MANAGER}',member='JobRemoved'`]);
    this.matching = true;
  }

  private waitJob(job: string, what: string): string {
    const m = this.conn.waitSignal((s: Message) => s.member === 'JobRemoved' && s.interface === MANAGER && s.body[1] === job, this.timeoutMs, what);
    return String(m.body[3]);
  }

  /** A property of the Manager (ControlGroup: a user instance's own cgroup, "/user.slice/user-1000.slice/user@1000.service"). */
  managerProperty(name: string): unknown {
    const [v] = this.conn.call(DEST, PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [MANAGER, name], this.timeoutMs);
    return (v as { value: unknown }).value;
  }

  /** systemd's version number ("252.38-1~deb12u1" → 252); -1 when it cannot be told. */
  version(): number {
    if (this.versionCache === undefined) {
      try {
        const [v] = this.conn.call(DEST, PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [MANAGER, 'Version'], this.timeoutMs);
        const m = /^"?v?(\d+)/.exec(String((v as { value: unknown }).value));
        this.versionCache = m ? Number(m[1]) : -1;
      } catch (e) {
        log('debug', `systemd version unknown (${(e as Error).message}): properties of newer systemd versions are not set`);
        this.versionCache = -1;
      }
    }
    return this.versionCache;
  }

  /** StartTransientUnit and wait for its job; a leftover unit of the same name is reset and the start retried once. */
  startTransientUnit(unit: string, props: Property[]): void {
    this.watchJobs();
    for (let retry = true; ; retry = false) {
      let job: string;
      try {
        [job] = this.call('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', props, []]) as [string];
      } catch (e) {
        if (retry && e instanceof DBusError && e.errorName === 'org.freedesktop.systemd1.UnitExists') {
          // a failed unit of an earlier container with this name: reset it so systemd unloads it
          this.resetFailedUnit(unit);
          continue;
        }
        throw e;
      }
      const result = this.waitJob(job, `waiting for systemd to start ${unit}`);
      if (result !== 'done') {
        this.resetFailedUnit(unit);
        throw new DBusError('tsrun.JobFailed', `systemd could not start ${unit}: job ${result}`);
      }
      return;
    }
  }

  /** StopUnit and wait for its job; a unit that is already gone is fine. */
  stopUnit(unit: string): void {
    this.watchJobs();
    let job: string;
    try {
      [job] = this.call('StopUnit', 'ss', [unit, 'replace']) as [string];
    } catch (e) {
      if (e instanceof DBusError && e.errorName === 'org.freedesktop.systemd1.NoSuchUnit') return;
      throw e;
    }
    // a failed unit stays loaded until reset (runc: "let systemd remove it")
    try {
      this.waitJob(job, `waiting for systemd to stop ${unit}`);
    } finally {
      this.resetFailedUnit(unit);
    }
  }

  /** ResetFailedUnit; errors (not failed, no such unit) are of no interest. */
  resetFailedUnit(unit: string): void {
    try {
      this.call('ResetFailedUnit', 's', [unit]);
    } catch {
      /* not failed, or gone */
    }
  }

  /**
   * AttachProcessesToUnit (systemd 238+): systemd moves `pids` into the unit's cgroup. A user
   * instance that may not move them itself (the common ancestor's cgroup.procs is root's) asks
   * the system instance, which allows it for the caller's own processes and units.
   */
  attachProcesses(unit: string, pids: number[]): void {
    this.call('AttachProcessesToUnit', 'ssau', [unit, '', pids]);
  }

  setUnitProperties(unit: string, props: Property[]): void {
    this.call('SetUnitProperties', 'sba(sv)', [unit, true, props]);
  }

  /** The unit's ActiveState ("active", "failed", ...), or undefined when systemd has no such unit loaded. */
  activeState(unit: string): string | undefined {
    let path: string;
    try {
      [path] = this.call('GetUnit', 's', [unit]) as [string];
    } catch (e) {
      if (e instanceof DBusError && e.errorName === 'org.freedesktop.systemd1.NoSuchUnit') return undefined;
      throw e;
    }
    const [v] = this.conn.call(DEST, path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.freedesktop.systemd1.Unit', 'ActiveState'], this.timeoutMs);
    return String((v as { value: unknown }).value);
  }
}
