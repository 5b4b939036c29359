// The cgroup manager: places a container in its cgroup(s) and removes them again.
// cgroupManager() picks v1 (also used on hybrid hosts, plus the unified tree) or v2 from the
// mountinfo-detected layout. All IO is synchronous.

import fs = require('fs');
import path = require('path');
import { TsrunError } from '../errors';
import { log } from '../log';
import { V1_REGISTRY } from './controllers/v1';
import { enableSubtreeControllers } from './controllers/v2';
import { chownCgroup } from './delegate';
import { detectCgroups, type CgroupLayout, type CgroupMode } from './detect';
import {
  chainBelow, codeOf, hasChildCgroups, isDir, mkdirUnder, readCgOptional, readPids,
  removeCgroupTree, rmdirCgroup, toSyscallError, writeCg, writeCgAsync,
} from './fsutil';
import { sleepMs, waitAsync, waitSync, type Waits } from '../waits';
import type { Hierarchy } from './hierarchy';
import { parseCgroupsPath } from './path';
import { v1Freezer, v1Hierarchies, v1ProcsDir } from './v1';
import { v2Freezer, v2Hierarchies } from './v2';
import type { LinuxResources } from '../spec/config-types';
import { applyV1Resources, statsV1 } from './controllers/v1/resources';
import { applyV2Resources, statsV2 } from './controllers/v2/resources';
import { deviceFilterProgram } from './controllers/v2/device-filter';
import { deviceRules, type DeviceRule } from './controllers/device-rules';
import { addon } from '../native/addon';

export interface CgroupManager {
  readonly mode: CgroupMode;
  /** Hierarchy key → the container's cgroup directory. v1: "memory", "cpu", "name=systemd", ...; v2 and hybrid's unified tree: "". */
  readonly paths: Record<string, string>;
  /** Directories create()/apply() made (outermost first); persist them to let a later destroy() remove them. */
  readonly created: readonly string[];
  /** mkdir -p every cgroup directory and prepare it (cpuset inheritance, v2 subtree_control). Idempotent. */
  create(): void;
  /**
   * create(), then move `pid` into every hierarchy (cgroup.procs). `bornInUnified`: the
   * process was cloned straight into the cgroup2 directory (clone3 CLONE_INTO_CGROUP).
   */
  apply(pid: number, bornInUnified?: boolean): void;
  /** Pids in the container's cgroup and every child cgroup below it. */
  pids(): number[];
  freeze(): void;
  thaw(): void;
  /** freeze()/thaw() whose polling waits are on timers (the library's pause and resume). */
  freezeAsync(): Promise<void>;
  thawAsync(): Promise<void>;
  isFrozen(): boolean;
  /** Signal every process (v2 / hybrid: cgroup.kill for SIGKILL when present). Waits for nothing. */
  killAll(signal?: NodeJS.Signals | number): void;
  /** Whether the container's cgroup exists. */
  exists(): boolean;
  /** Thaw if frozen, remove the cgroups (child cgroups first) and every directory create() made. */
  destroy(): void;
  /**
   * Write linux.resources into the cgroup files (v1: per controller, and runc's default device
   * rules even when `r` is absent; v2: the unified files). `devices` is linux.devices, whose
   * paths replace runc's default device rules.
   */
  setResources(r: LinuxResources | undefined, devices?: { path: string }[]): void;
  /** Usage and limits, in the shape of runc's `events --stats` data. */
  stats(): Record<string, unknown>;
  /** How many times the kernel's OOM killer has killed in the container's memory cgroup. */
  oomKills(): number;
  /** The container's cgroup2 directory (v2, or a hybrid host's unified tree), if any. */
  unifiedDir(): string | undefined;
}

export interface CgroupManagerOptions {
  /** linux.cgroupsPath as written in config.json ("" or undefined: the container id). */
  path: string;
  /** Container id: the cgroup name when `path` is empty; the default systemd unit name. */
  containerId?: string;
  /** --systemd-cgroup: the cgroup is a transient systemd scope (src/cgroups/systemd/). */
  systemdCgroup?: boolean;
  /** config.json annotations: org.systemd.property.* become unit properties (systemd driver). */
  annotations?: Record<string, string>;
  /** v2 delegation (delegate.ts cgroupOwner): chown the container's cgroup and its delegatable files to this host uid. */
  ownerUid?: number;
  /** Test prefix prepended to every mount point from mountinfo (a fake sysfs tree). */
  root?: string;
  /** mountinfo file to read (default /proc/self/mountinfo). */
  mountinfo?: string;
  /** cgroup membership file of the runtime (default /proc/self/cgroup). */
  procCgroup?: string;
  /** Already-detected layout (skips reading mountinfo / proc cgroup). */
  layout?: CgroupLayout;
  /** Reattach to cgroups recorded earlier (the `paths` of a previous manager); skips path resolution. */
  paths?: Record<string, string>;
  /** Reattach: the `created` list of a previous manager, so destroy() can remove them. */
  created?: readonly string[];
  /** Rootless cgroups (runc's config.Rootless): device rules that cannot be written are not an error (cgroups/rootless.ts). */
  rootless?: boolean;
  /** Place the container even without a v1 devices hierarchy (runc's SkipDevices). */
  skipDevices?: boolean;
  /** Deadline for freeze/thaw to take effect (default 5000 ms). */
  timeoutMs?: number;
  /** Signal sender (tests); default process.kill. */
  kill?: (pid: number, signal: NodeJS.Signals | number) => void;
  /** Override the systemd check for --systemd-cgroup (tests). */
  systemdRunning?: () => boolean;
}

interface Freezer {
  freeze(paths: Record<string, string>, timeoutMs: number): Waits<void>;
  thaw(paths: Record<string, string>, timeoutMs: number): Waits<void>;
  isFrozen(paths: Record<string, string>): boolean;
  available(paths: Record<string, string>): boolean;
}

const REMOVE_RETRIES = 5;


class FsCgroupManager implements CgroupManager {
  readonly paths: Record<string, string>;
  private createdDirs: string[];

  constructor(
    readonly mode: CgroupMode,
    private readonly hierarchies: Hierarchy[],
    private readonly freezer: Freezer,
    private readonly procsDir: string,
    /** Directory with cgroup.kill (v2 dir, or hybrid's unified dir). */
    private readonly killDir: string | undefined,
    private readonly opts: CgroupManagerOptions,
  ) {
    this.paths = {};
    for (const h of hierarchies) for (const k of h.keys) this.paths[k] = h.dir;
    this.createdDirs = [...(opts.created ?? [])];
  }

  get created(): readonly string[] {
    return this.createdDirs;
  }

  setResources(r: LinuxResources | undefined, devices?: { path: string }[]): void {
    const warn = (m: string) => log('warning', m);
    if (this.mode !== 'v2') {
      applyV1Resources(this.paths, r, { linuxDevices: devices, skipDevices: this.opts.skipDevices, rootless: this.opts.rootless, warn });
      return;
    }
    // v2 device rules: an eBPF program (BPF_CGROUP_DEVICE) generated from the rules, with
    // runc's defaults, attached to the container's cgroup by the addon.
    const dir = this.paths[''];
    const attach = (rules: DeviceRule[]) => {
      try { addon().attachDeviceFilter(dir, deviceFilterProgram(rules)); } catch (e) { if (!this.opts.rootless) throw e; }
    };
    if (r) applyV2Resources(dir, r, { linuxDevices: devices, devices: attach });
    else attach(deviceRules(undefined, devices));
  }

  unifiedDir(): string | undefined {
    return this.paths[''];
  }

  oomKills(): number {
    // v1: memory.oom_control "oom_kill N"; v2: memory.events "oom_kill N"
    const dir = this.mode === 'v2' ? this.paths[''] : this.paths.memory;
    const text = dir ? readCgOptional(dir, this.mode === 'v2' ? 'memory.events' : 'memory.oom_control') : undefined;
    const m = text ? /^oom_kill (\d+)$/m.exec(text) : null;
    return m ? Number(m[1]) : 0;
  }

  stats(): Record<string, unknown> {
    return this.mode === 'v2' ? statsV2(this.paths['']) : statsV1(this.paths);
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 5000;
  }

  /** create() ran in this process: apply() need not walk the hierarchies again. */
  private madeHere = false;

  create(): void {
    this.madeHere = true;
    for (const h of this.hierarchies) {
      for (const d of mkdirUnder(h.mountPoint, h.dir)) if (!this.createdDirs.includes(d)) this.createdDirs.push(d);
      const chain = chainBelow(h.mountPoint, h.dir);
      h.prepare?.(chain, h.mountPoint);
      if (h.enableSubtree) enableSubtreeControllers([h.mountPoint, ...chain.slice(0, -1)]);
      if (this.opts.ownerUid !== undefined && this.mode === 'v2') chownCgroup(h.dir, this.opts.ownerUid);
    }
  }

  /** The dirs whose cgroup.procs the pid is written to (made first if joining finds them gone). */
  private placement(pid: number, bornInUnified: boolean): string[] {
    if (!Number.isInteger(pid) || pid <= 0) throw new TsrunError(`invalid pid ${pid} for cgroup placement`);
    // joining existing cgroups (exec) makes nothing: create() would rewrite cpuset and wait on cgroup_mutex
    if (!this.madeHere && !this.hierarchies.every((h) => fs.existsSync(h.dir))) this.create();
    return this.hierarchies.filter((h) => !(bornInUnified && h.keys.length === 1 && h.keys[0] === '')).map((h) => h.dir);
  }

  // The kernel can transiently refuse a task that is just being set up (EINVAL; runc retries too).
  apply(pid: number, bornInUnified = false): void {
    for (const dir of this.placement(pid, bornInUnified)) {
      for (let attempt = 0; ; attempt++) {
        try { writeCg(dir, 'cgroup.procs', String(pid)); break; }
        catch (e) { if ((e as { errno?: number }).errno !== 22 || attempt >= 4) throw e; sleepMs(30); }
      }
    }
  }

  /** apply(), its writes awaited off the event loop (create and exec of the library). */
  async applyAsync(pid: number, bornInUnified = false): Promise<void> {
    for (const dir of this.placement(pid, bornInUnified)) {
      for (let attempt = 0; ; attempt++) {
        try { await writeCgAsync(dir, 'cgroup.procs', String(pid)); break; }
        catch (e) { if ((e as { errno?: number }).errno !== 22 || attempt >= 4) throw e; await new Promise((r) => setTimeout(r, 30)); }
      }
    }
  }

  pids(): number[] {
    return readPids(this.procsDir, true);
  }

  freeze(): void {
    waitSync(this.freezer.freeze(this.paths, this.timeoutMs));
  }

  thaw(): void {
    waitSync(this.freezer.thaw(this.paths, this.timeoutMs));
  }

  freezeAsync(): Promise<void> {
    return waitAsync(this.freezer.freeze(this.paths, this.timeoutMs));
  }

  thawAsync(): Promise<void> {
    return waitAsync(this.freezer.thaw(this.paths, this.timeoutMs));
  }

  isFrozen(): boolean {
    if (!this.exists()) return false;
    return this.freezer.isFrozen(this.paths);
  }

  exists(): boolean {
    return isDir(this.procsDir);
  }

  killAll(signal: NodeJS.Signals | number = 'SIGKILL'): void {
    const isKill = signal === 'SIGKILL' || signal === 9;
    const canFreeze = this.freezer.available(this.paths);
    let wasFrozen = false;
    try {
      wasFrozen = canFreeze && this.isFrozen();
    } catch {
      /* unknown: treat as thawed */
    }
    let killed = false;
    if (isKill && this.killDir && fs.existsSync(path.join(this.killDir, 'cgroup.kill'))) { // write-only file (Linux 5.14+)
      try {
        writeCg(this.killDir, 'cgroup.kill', '1');
        killed = true;
      } catch {
        /* fall back to signalling each pid */
      }
    }
    if (!killed) this.signalEach(signal, canFreeze && !wasFrozen);
    // A SIGKILLed task in a frozen v1 cgroup only dies once thawed (hybrid: even after the
    // unified cgroup.kill). A paused container stays paused for any other signal.
    if (isKill && wasFrozen) {
      try { this.thaw(); } catch { /* best effort */ }
    }
  }

  /** Like runc: freeze so no process forks past us, signal everyone, thaw again. */
  private signalEach(signal: NodeJS.Signals | number, freezeAround: boolean): void {
    let froze = false;
    if (freezeAround) {
      try {
        this.freeze();
        froze = true;
      } catch {
        /* signal anyway */
      }
    }
    const kill = this.opts.kill ?? ((pid: number, sig: NodeJS.Signals | number) => process.kill(pid, sig));
    try {
      for (const pid of this.pids()) {
        try {
          kill(pid, signal);
        } catch (e) {
          if (codeOf(e) !== 'ESRCH') throw toSyscallError(`kill ${pid}`, e);
        }
      }
    } finally {
      if (froze) {
        try { this.thaw(); } catch { /* best effort */ }
      }
    }
  }

  destroy(): void {
    try {
      if (this.isFrozen()) this.thaw();
    } catch {
      /* removal below reports what matters */
    }
    const remaining = new Set(this.hierarchies.map((h) => h.dir));
    let lastErr: unknown;
    for (let attempt = 0, delay = 10; remaining.size && attempt < REMOVE_RETRIES; attempt++, delay *= 2) {
      if (attempt) sleepMs(delay);
      let fatal = false;
      for (const dir of [...remaining]) {
        try {
          removeCgroupTree(dir);
        } catch (e) {
          lastErr = e;
          if ((e as { errno?: number }).errno !== 16) fatal = true; // only EBUSY is worth retrying
        }
        if (!isDir(dir)) remaining.delete(dir);
      }
      if (fatal) break;
    }
    if (remaining.size) {
      const why = lastErr instanceof Error ? lastErr.message : String(lastErr);
      throw new TsrunError(`cannot remove cgroup ${[...remaining].join(', ')}: ${why}`);
    }
    // Intermediate directories create() made, deepest first, unless something else lives there now.
    const byDepth = [...this.createdDirs].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const dir of byDepth) {
      if (!isDir(dir) || hasChildCgroups(dir)) continue;
      try {
        rmdirCgroup(dir);
      } catch {
        /* in use by someone else (EBUSY): leave it */
      }
    }
    this.createdDirs = this.createdDirs.filter((d) => isDir(d));
  }
}

function hierarchiesFromPaths(layout: CgroupLayout, paths: Record<string, string>, prefix: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const [key, dir] of Object.entries(paths)) {
    const mount = key === '' ? layout.unifiedMount : layout.v1Mounts.get(key);
    if (!mount) throw new TsrunError(`recorded cgroup ${JSON.stringify(key)} (${dir}) has no mounted hierarchy on this host`);
    const mountPoint = prefix + mount.mountPoint;
    const existing = out.find((h) => h.dir === dir);
    if (existing) {
      existing.keys.push(key);
      continue;
    }
    out.push({
      keys: [key],
      mountPoint,
      dir: path.resolve(dir),
      prepare: V1_REGISTRY.find((c) => c.name === key)?.prepare,
      enableSubtree: layout.mode === 'v2',
    });
  }
  return out;
}

/** Build the manager for this host (or for the fake layout described by the options). */
export function cgroupManager(opts: CgroupManagerOptions): CgroupManager {
  if (opts.systemdCgroup) {
    // loaded only for the systemd driver (its D-Bus client)
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require('./systemd/manager') as typeof import('./systemd/manager')).systemdCgroupManager(opts);
  }
  const prefix = opts.root ? opts.root.replace(/\/+$/, '') : '';
  const layout = opts.layout ?? detectCgroups(opts.mountinfo, opts.procCgroup);
  let hierarchies: Hierarchy[];
  if (opts.paths) {
    hierarchies = hierarchiesFromPaths(layout, opts.paths, prefix);
  } else {
    const p = parseCgroupsPath(opts.path, opts.containerId ?? '', { systemdCgroup: opts.systemdCgroup, systemdRunning: opts.systemdRunning });
    hierarchies = layout.mode === 'v2' ? v2Hierarchies(layout, p, prefix) : v1Hierarchies(layout, p, prefix, opts.skipDevices);
  }
  if (!hierarchies.length) throw new TsrunError('no cgroup hierarchy to place the container in');
  const paths: Record<string, string> = {};
  for (const h of hierarchies) for (const k of h.keys) paths[k] = h.dir;
  if (layout.mode === 'v2') {
    return new FsCgroupManager('v2', hierarchies, v2Freezer, paths[''], paths[''], opts);
  }
  const procsDir = v1ProcsDir(paths)!;
  return new FsCgroupManager(layout.mode, hierarchies, v1Freezer, procsDir, layout.mode === 'hybrid' ? paths[''] : undefined, opts);
}
