// The systemd cgroup driver (--systemd-cgroup), as runc's and crun's: the container's cgroup
// is a transient scope unit "<prefix>-<name>.scope" that systemd creates (StartTransientUnit,
// Delegate=yes, the resource properties systemd knows, org.systemd.property.* annotations) with
// the container's first process in it (PIDs). Everything else is the cgroupfs manager on the
// unit's cgroup(s): the remaining limits written to the files, the device filter, freezer,
// cgroup.kill, stats, exec joining it. `update` goes through SetUnitProperties plus the files;
// delete stops the unit (and resets it if it failed) and removes what is left.
//
// Ordering: the scope needs a pid, so it is started in apply() (after clone, before the child
// is let go), and setResources() before that only checks and keeps the limits for apply().
// Threat: a unit name that is already taken (another container with the same cgroupsPath, or
// any unit of that name) must neither be joined nor stopped: only a unit this manager started
// (or the recorded one of an existing container) is ever stopped.
//
// Rootless (runc's rootless systemd driver, cgroup v2 only): the unit is made by the user's own
// systemd instance (user-bus.ts), in its tree (/user.slice/user-UID.slice/user@UID.service/
// <slice>/<unit>, default slice user.slice). That instance is delegated only some controllers
// (user@.service's Delegate=): a limit whose controller it lacks is refused before anything is
// made, naming the field and the drop-in that delegates it; a property systemd would accept and
// not apply is a limit silently lost.
import path = require('path');
import { TsrunError } from '../../errors';
import { log } from '../../log';
import type { LinuxResources } from '../../spec/config-types';
import { phase } from '../../trace';
import { detectCgroups, type CgroupLayout } from '../detect';
import { parseCgroupsPath } from '../path';
import { cgroupManager, type CgroupManager, type CgroupManagerOptions } from '../manager';
import { validateV2Resources } from '../controllers/v2/resources';
import { EACCES, EPERM, errnoOf } from '../fsutil';
import { DBusError } from './dbus-conn';
import { annotationProperties, resourceProperties, type Property, type PropertyOptions } from './properties';
import { Systemd } from './systemd1';
import { systemdUnit, USER_DEFAULT_SLICE, type SystemdUnit } from './unit';
import { Variant } from './dbus-wire';
import { hostUid } from './user-bus';
import { refuseUndelegated } from './delegation';
import { connectUserInstance, pickInstance, SYSTEM, userInstanceOf, type SystemdInstance } from './instance';

class SystemdCgroupManager implements CgroupManager {
  private sd?: Systemd;
  private pending?: { r: LinuxResources | undefined; devices?: { path: string }[] };
  private extraCreated: string[] = [];

  constructor(
    private readonly unit: SystemdUnit,
    private readonly fsm: CgroupManager,
    /** The unit is ours: started here, or recorded in an existing container's state. */
    private started: boolean,
    private readonly annotations: Property[],
    private readonly opts: CgroupManagerOptions,
    private readonly inst: SystemdInstance,
    sd?: Systemd,
  ) {
    this.sd = sd;
  }

  get mode() { return this.fsm.mode; }
  get paths() { return this.fsm.paths; }
  get created(): readonly string[] {
    return [...new Set([...this.extraCreated, ...this.fsm.created])];
  }

  private systemd(): Systemd {
    if (!this.sd) {
      if (this.inst.user) {
        this.sd = connectUserInstance(this.inst.uid ?? hostUid());
      } else {
        try {
          this.sd = Systemd.connect();
        } catch (e) {
          throw new TsrunError(`--systemd-cgroup: cannot talk to systemd over D-Bus: ${(e as Error).message}`);
        }
      }
    }
    return this.sd;
  }

  private propertyOptions(devices?: { path: string }[]): PropertyOptions {
    return {
      version: () => this.systemd().version(), warn: (m) => log('warning', m), debug: (m) => log('debug', m), linuxDevices: devices, v1: this.mode !== 'v2', noDevices: this.inst.user,
    };
  }

  /** A user instance: every controller `r` writes to must be delegated to it. */
  private checkDelegated(r: LinuxResources | undefined): void {
    if (!this.inst.user || !this.inst.cgroup) return;
    const mount = detectLayout(this.opts).unifiedMount?.mountPoint ?? '/sys/fs/cgroup';
    refuseUndelegated(r, path.join(mount, this.inst.cgroup), this.inst.uid ?? hostUid());
  }

  private close(): void {
    this.sd?.close();
    this.sd = undefined;
  }

  create(): void {
    // the unit (and so its cgroup) only comes with a process: see apply()
    if (this.started) this.fsm.create();
  }

  apply(pid: number, bornInUnified = false): void {
    if (this.started) {
      try {
        this.fsm.apply(pid, bornInUnified);
      } catch (e) {
        // exec as a user: moving a process out of a cgroup outside the user's tree needs write
        // access to the common ancestor (root's); the user instance gets it done (runc leaves
        // the process outside the container's cgroup, unlimited)
        if (!this.inst.user || ![EACCES, EPERM].includes(errnoOf(e))) throw e;
        try {
          this.systemd().attachProcesses(this.unit.unit, [pid]);
        } catch (e2) {
          throw new TsrunError(`${(e as Error).message}; asking systemd to move it (AttachProcessesToUnit ${this.unit.unit}): ${(e2 as Error).message}`);
        }
        phase('systemd: AttachProcessesToUnit');
      }
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0) throw new TsrunError(`invalid pid ${pid} for cgroup placement`);
    const res = this.pending;
    const props: Property[] = [
      ['Description', new Variant('s', `tsrun container ${this.unit.name}`)],
      ['Slice', new Variant('s', this.unit.slice)],
      ['PIDs', new Variant('au', [pid])],
      ['Delegate', new Variant('b', true)],
      ['MemoryAccounting', new Variant('b', true)],
      ['CPUAccounting', new Variant('b', true)],
      [this.mode === 'v2' ? 'IOAccounting' : 'BlockIOAccounting', new Variant('b', true)],
      ['TasksAccounting', new Variant('b', true)],
      ['DefaultDependencies', new Variant('b', false)],
      ...(res ? resourceProperties(res.r, this.propertyOptions(res.devices)) : []),
      ...this.annotations,
    ];
    try {
      this.systemd().startTransientUnit(this.unit.unit, props);
    } catch (e) {
      const why = e instanceof DBusError && e.errorName === 'org.freedesktop.systemd1.UnitExists'
        ? `a unit of that name already exists (another container with linux.cgroupsPath ${JSON.stringify(this.opts.path)}?)`
        : (e as Error).message;
      throw new TsrunError(`--systemd-cgroup: cannot start unit ${this.unit.unit} in ${this.unit.slice}: ${why}`, { field: 'linux.cgroupsPath' });
    }
    this.started = true;
    phase('systemd: StartTransientUnit');
    // systemd made the unit's cgroup(s); the hierarchies it does not manage (v1) are made here
    this.fsm.create();
    this.extraCreated = [...new Set(Object.values(this.fsm.paths))];
    this.fsm.apply(pid, false);
    if (res) this.fsm.setResources(res.r, res.devices);
    this.pending = undefined;
  }

  setResources(r: LinuxResources | undefined, devices?: { path: string }[]): void {
    if (!this.started) {
      // checked now (nothing exists yet), applied with the unit in apply()
      if (this.mode === 'v2') validateV2Resources(r, { linuxDevices: devices });
      resourceProperties(r, { version: () => 999, warn: () => undefined, linuxDevices: devices, v1: this.mode !== 'v2', noDevices: this.inst.user });
      this.checkDelegated(r);
      this.pending = { r, devices };
      return;
    }
    if (this.mode === 'v2') validateV2Resources(r, { linuxDevices: devices });
    this.checkDelegated(r);
    const props = resourceProperties(r, this.propertyOptions(devices));
    // v1: systemd rewrites the devices cgroup deny-all-first; freeze so the container sees no
    // spurious EPERM meanwhile (runc's freezeBeforeSet)
    const freeze = this.mode !== 'v2' && !this.fsm.isFrozen();
    if (freeze) { try { this.fsm.freeze(); } catch (e) { log('info', `freeze before SetUnitProperties: ${(e as Error).message}`); } }
    try {
      this.systemd().setUnitProperties(this.unit.unit, props);
    } catch (e) {
      throw new TsrunError(`--systemd-cgroup: cannot set properties of unit ${this.unit.unit}: ${(e as Error).message}`);
    } finally {
      if (freeze) { try { this.fsm.thaw(); } catch (e) { log('info', `thaw after SetUnitProperties: ${(e as Error).message}`); } }
    }
    this.fsm.setResources(r, devices);
  }

  destroy(): void {
    let stopErr: Error | undefined;
    if (this.started) {
      try {
        this.systemd().stopUnit(this.unit.unit);
      } catch (e) {
        stopErr = e as Error;
      }
    }
    this.close();
    // what systemd left (the cgroups of hierarchies it does not manage, a scope it could not stop)
    try {
      this.fsm.destroy();
    } catch (e) {
      if (!stopErr) throw e;
    }
    if (stopErr) throw new TsrunError(`--systemd-cgroup: stopping unit ${this.unit.unit}: ${stopErr.message}`);
  }

  unifiedDir(): string | undefined {
    // before the unit exists there is no cgroup to clone into (the pid joins through systemd)
    return this.started ? this.fsm.unifiedDir() : undefined;
  }

  pids(): number[] { return this.fsm.pids(); }
  freeze(): void { this.fsm.freeze(); }
  thaw(): void { this.fsm.thaw(); }
  freezeAsync(): Promise<void> { return this.fsm.freezeAsync(); }
  thawAsync(): Promise<void> { return this.fsm.thawAsync(); }
  isFrozen(): boolean { return this.fsm.isFrozen(); }
  killAll(signal?: NodeJS.Signals | number): void { this.fsm.killAll(signal); }
  exists(): boolean { return this.fsm.exists(); }
  stats(): Record<string, unknown> { return this.fsm.stats(); }
  oomKills(): number { return this.fsm.oomKills(); }
}

function detectLayout(opts: CgroupManagerOptions): CgroupLayout {
  return opts.layout ?? detectCgroups(opts.mountinfo, opts.procCgroup);
}

/** The systemd driver's manager (cgroupManager() with systemdCgroup: true). */
export function systemdCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  // format, then systemd-is-PID-1 (a recorded container's unit is looked at whatever PID 1 is now)
  if (!opts.paths) parseCgroupsPath(opts.path, opts.containerId ?? '', { systemdCgroup: true, systemdRunning: opts.systemdRunning });
  const layout = detectLayout(opts);
  let inst: SystemdInstance;
  let sd: Systemd | undefined;
  if (opts.paths) inst = userInstanceOf(opts.paths[''], layout.unifiedMount?.mountPoint ?? '/sys/fs/cgroup') ?? SYSTEM;
  else ({ inst, sd } = pickInstance(opts, layout));
  try {
    const unit = systemdUnit(opts.path, opts.containerId ?? '', inst.user ? { defaultSlice: USER_DEFAULT_SLICE, base: inst.cgroup } : {});
    const fsm = cgroupManager({ ...opts, layout, systemdCgroup: false, path: unit.cgroup });
    const annotations = opts.paths ? [] : annotationProperties(opts.annotations);
    return new SystemdCgroupManager(unit, fsm, !!opts.paths, annotations, opts, inst, sd);
  } catch (e) {
    sd?.close();
    throw e;
  }
}
