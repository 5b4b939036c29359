// Rootless cgroups (--rootless, or auto when not root), as runc 1.1's fs and fs2 managers with
// config.Rootless: the container is placed in each hierarchy its user may create a cgroup in
// and join; a hierarchy where that fails with EACCES, EPERM or EROFS is left out (the process
// stays in its caller's cgroup there) when linux.cgroupsPath is empty, and is an error when a
// path was given. Limits are then refused for the controllers left out, naming the field
// ("could not join or create cgroup"), and device rules are never an error (an unprivileged
// user can neither write devices.deny nor load a BPF_CGROUP_DEVICE program).
//
// Threat: a limit the config asks for silently not applied. Every field of linux.resources
// that a left-out controller would write is an error at create and at update.
import fs = require('fs');
import path = require('path');
import { ConfigError, TsrunError } from '../errors';
import type { LinuxResources } from '../spec/config-types';
import { V1_REGISTRY } from './controllers/v1';
import { statsV1 } from './controllers/v1/resources';
import type { V1ResourceController } from './controllers/v1/resource-util';
import { detectCgroups, type CgroupLayout, type CgroupMount } from './detect';
import { climbsOut, errnoOf, rmdirCgroup } from './fsutil';
import { cgroupManager, type CgroupManager, type CgroupManagerOptions } from './manager';

const EPERM = 1;
const EACCES = 13;
const EROFS = 30;
const IGNORABLE = new Set([EPERM, EACCES, EROFS]);

const WHY = 'container could not join or create cgroup';
const HINT = 'a rootless container only gets the cgroups its user may create: delegate a cgroup subtree to the user '
  + '(systemd: Delegate=yes, or chown a cgroup to it), or drop the field';

/** The first field of `r` that writes something to a cgroup (devices excepted), or undefined. */
export function firstAskedField(r: LinuxResources | undefined, prefix = 'linux.resources'): string | undefined {
  if (!r) return undefined;
  for (const [k, v] of Object.entries(r)) {
    if (k === 'devices' || v === undefined || v === null) continue;
    if (Array.isArray(v)) { if (v.length) return `${prefix}.${k}`; continue; }
    if (typeof v === 'object') {
      const inner = firstAskedField(v as LinuxResources, `${prefix}.${k}`);
      if (inner) return inner;
      continue;
    }
    return `${prefix}.${k}`;
  }
  return undefined;
}

/** Where the caller itself is in `key`'s hierarchy: what the container shares when it is left out. */
function ownDir(layout: CgroupLayout, key: string): string | undefined {
  const mount: CgroupMount | undefined = key === '' ? layout.unifiedMount : layout.v1Mounts.get(key);
  if (!mount) return undefined;
  const rel = path.posix.relative(mount.root, layout.own.get(key) ?? '/');
  return climbsOut(rel) ? mount.mountPoint : path.join(mount.mountPoint, rel);
}

/** Would mkdir -p `dir` and a write to its cgroup.procs be allowed (access(2) with the caller's ids)? */
function looksWritable(dir: string, mountPoint: string): boolean {
  try {
    if (fs.existsSync(dir)) { fs.accessSync(path.join(dir, 'cgroup.procs'), fs.constants.W_OK); return true; }
    let at = path.dirname(dir);
    while (at.length > mountPoint.length && !fs.existsSync(at)) at = path.dirname(at);
    fs.accessSync(at, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

interface Group { keys: string[]; dir: string; mountPoint: string; mgr: CgroupManager }

/**
 * The cgroup manager of a rootless container: `opts` as cgroupManager's (a new container only:
 * not `paths`). Until create() it reports the hierarchies it expects to be allowed in (a
 * hierarchy whose cgroup the caller may not make is left out at once, so that the container's
 * cgroup mount shows the caller's own cgroup there); after create() and apply(), those it made
 * and joined.
 */
export function rootlessCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  // the systemd driver asks systemd for the unit (a user instance delegates): nothing left out here
  if (opts.systemdCgroup) return cgroupManager({ ...opts, rootless: true });
  const layout = opts.layout ?? detectCgroups(opts.mountinfo, opts.procCgroup);
  const planned = cgroupManager({ ...opts, layout, rootless: true });
  const explicitPath = !!opts.path;
  const byDir = new Map<string, string[]>();
  for (const [k, d] of Object.entries(planned.paths)) byDir.set(d, [...(byDir.get(d) ?? []), k]);
  let groups: Group[] = [...byDir].map(([dir, keys]) => {
    const mount = keys[0] === '' ? layout.unifiedMount! : layout.v1Mounts.get(keys[0])!;
    const paths = Object.fromEntries(keys.map((k) => [k, dir]));
    return { keys, dir, mountPoint: mount.mountPoint, mgr: cgroupManager({ ...opts, layout, paths, rootless: true }) };
  });
  const left: string[] = [];
  const leaveOut = (g: Group) => { left.push(...g.keys); groups = groups.filter((x) => x !== g); };
  // an explicit cgroupsPath is never left out: its mkdir reports EACCES, as runc's does
  if (!explicitPath) for (const g of [...groups]) if (!looksWritable(g.dir, g.mountPoint)) leaveOut(g);
  const created: string[] = [];
  // cgroupManager refuses an empty set of hierarchies: a manager of none
  let current: CgroupManager | undefined;
  const allCreated = () => [...new Set([...created, ...groups.flatMap((g) => g.mgr.created)])];
  const now = (): CgroupManager => {
    if (current) return current;
    const paths = Object.fromEntries(groups.flatMap((g) => g.keys.map((k) => [k, g.dir])));
    const made = allCreated();
    current = groups.length ? cgroupManager({ ...opts, layout, paths, created: made, rootless: true }) : noCgroups(layout, left, made);
    return current;
  };
  /**
   * `fn` on each group; an ignorable error leaves the group out. What it made stays, listed in
   * `created` for delete: the container's cgroup mount may already name it.
   */
  const each = (fn: (g: Group) => void) => {
    for (const g of [...groups]) {
      try {
        fn(g);
      } catch (e) {
        if (explicitPath || !IGNORABLE.has(errnoOf(e) || (e as TsrunError).errno || 0)) throw e;
        for (const d of g.mgr.created) if (!created.includes(d)) created.push(d);
        leaveOut(g);
      }
    }
    current = undefined;
  };
  const mgr: CgroupManager & { leftOut: readonly string[] } = {
    leftOut: left,
    get mode() { return planned.mode; },
    get paths() { return now().paths; },
    get created() { return allCreated(); },
    create() {
      each((g) => g.mgr.create());
    },
    apply(pid, born) {
      each((g) => g.mgr.apply(pid, born));
    },
    setResources(r, devices) {
      refuseLeftOut(layout, left, r);
      now().setResources(r, devices);
    },
    pids: () => now().pids(),
    freeze: () => now().freeze(),
    thaw: () => now().thaw(),
    freezeAsync: () => now().freezeAsync(),
    thawAsync: () => now().thawAsync(),
    isFrozen: () => now().isFrozen(),
    killAll: (s) => now().killAll(s),
    exists: () => now().exists(),
    destroy: () => now().destroy(),
    stats: () => now().stats(),
    oomKills: () => now().oomKills(),
    unifiedDir: () => now().unifiedDir(),
  };
  return mgr;
}

/** The caller's own cgroup for each hierarchy left out: what a "cgroup" mount binds there. */
export function ownCgroups(keys: readonly string[], layout: CgroupLayout = detectCgroups()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const d = ownDir(layout, k);
    if (d) out[k] = d;
  }
  return out;
}

/** A field of `r` that a hierarchy left out would have to write: refused, naming it. */
function refuseLeftOut(layout: CgroupLayout, left: readonly string[], r: LinuxResources | undefined): void {
  if (!r || !left.length) return;
  let field: string | undefined;
  let ctrl = '';
  if (layout.mode === 'v2') {
    field = left.includes('') ? firstAskedField(r) : undefined;
    ctrl = `the ${field?.split('.')[2] ?? ''}`;
  } else {
    for (const c of V1_REGISTRY as readonly V1ResourceController[]) {
      if (!left.includes(c.name) || c.name === 'devices') continue;
      field = c.wants?.(r);
      if (field) { ctrl = `the ${c.name}`; break; }
    }
    if (!field && r.unified && Object.keys(r.unified).length) field = 'linux.resources.unified';
  }
  if (field) throw new ConfigError(field, `cannot set ${ctrl} limit: ${WHY} (${HINT})`);
}

/**
 * The manager of a rootless container in no cgroup of its own (nothing delegated to its user):
 * no limits, no freezer; its processes are found through its pid namespace or its init
 * (Container.members), not through a cgroup.
 */
export function noCgroups(layout: CgroupLayout, left: readonly string[] = [], made: readonly string[] = []): CgroupManager {
  const noFreezer = () => new TsrunError('cannot pause or resume: the container has no freezer cgroup: it is rootless and its user '
    + 'may create no cgroup here; delegate a cgroup subtree to the user (systemd: Delegate=yes, or chown a cgroup to it)');
  return {
    mode: layout.mode,
    paths: {},
    created: made,
    create() { /* nothing allowed */ },
    apply() { /* stays in the caller's cgroups */ },
    setResources(r) { refuseLeftOut(layout, left.length ? left : [...layout.v1Mounts.keys(), ''], r); },
    pids: () => [],
    freeze() { throw noFreezer(); },
    thaw() { throw noFreezer(); },
    freezeAsync: () => Promise.reject(noFreezer()),
    thawAsync: () => Promise.reject(noFreezer()),
    isFrozen: () => false,
    killAll() { /* Container.members signals each process */ },
    exists: () => false,
    destroy() {
      // cgroups made but never joined (the join was refused): deepest first
      for (const d of [...made].sort((a, b) => b.split('/').length - a.split('/').length)) {
        try { rmdirCgroup(d); } catch { /* in use or gone */ }
      }
    },
    stats: () => (layout.mode === 'v2' ? {} : statsV1({})),
    oomKills: () => 0,
    unifiedDir: () => undefined,
  };
}
