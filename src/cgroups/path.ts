// linux.cgroupsPath semantics, following runc 1.1's cgroupfs drivers (libcontainer/cgroups/fs
// and fs2, plus specconv), verified against runc 1.1.5 on a hybrid host:
//
//   ""           → the container id, as a *relative* path
//   "/a/b"       → <hierarchy mount point>/a/b in every hierarchy
//   "a/b"        → v1: <mount>/<own cgroup of this process in that hierarchy>/a/b
//                  v2: <mount>/<parent of own cgroup>/a/b   (fs2 uses Dir(own): the own cgroup
//                      usually has processes, so it cannot enable controllers for children)
//                  hybrid's unified hierarchy: <unified mount>/a/b (runc ignores the own cgroup there)
//   "a/../b"     → normalised lexically ("b").
//
// One deliberate difference: runc clamps ".." at the base ("../../x" silently becomes "x");
// tsrun rejects a path whose ".." would climb above its base, and a path naming the base
// itself ("/", "."), since destroying that cgroup would mean removing the hierarchy root or
// the runtime's own cgroup.
//
// With --systemd-cgroup the path is "slice:prefix:name" (runc's systemd driver); it is parsed
// here, but there is no systemd driver yet, so it is always rejected with a clear error.

import fs = require('fs');
import path = require('path');
import { ConfigError, TsrunError } from '../errors';
import type { CgroupLayout, CgroupMount } from './detect';
import { climbsOut } from './fsutil';

export const CGROUPS_PATH_FIELD = 'linux.cgroupsPath';

/** A cgroupfs-driver path, normalised: `inner` has no leading slash and no "."/".." parts. */
export interface CgroupfsPath {
  absolute: boolean;
  inner: string;
}

export interface SystemdCgroupsPath {
  slice: string;
  prefix: string;
  name: string;
}

/** Normalise a cgroupfs path like runc's CleanPath, but reject ".." climbing above the base. */
export function normalizeCgroupsPath(raw: string, field = CGROUPS_PATH_FIELD): CgroupfsPath {
  if (raw.includes('\0')) throw new ConfigError(field, 'must not contain NUL bytes');
  const absolute = raw.startsWith('/');
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!parts.length) {
        throw new ConfigError(field, `${JSON.stringify(raw)} escapes the cgroup hierarchy root with ".."`);
      }
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  if (!parts.length) {
    throw new ConfigError(field, `${JSON.stringify(raw)} names the ${absolute ? 'cgroup hierarchy root' : "runtime's own cgroup"}, not a cgroup of its own`);
  }
  return { absolute, inner: parts.join('/') };
}

/**
 * Parse the systemd driver form "slice:prefix:name"; "" → :runc:<id> (runc's defaults). An
 * empty slice stays empty here: the driver's default (system.slice; a user instance's user.slice).
 */
export function parseSystemdCgroupsPath(raw: string | undefined, containerId: string): SystemdCgroupsPath {
  if (!raw) return { slice: '', prefix: 'runc', name: containerId };
  const parts = raw.split(':');
  if (parts.length !== 3) {
    throw new ConfigError(CGROUPS_PATH_FIELD, `expected "slice:prefix:name" for systemd cgroups (--systemd-cgroup), got ${JSON.stringify(raw)}`);
  }
  const [slice, prefix, name] = parts;
  if (!name) throw new ConfigError(CGROUPS_PATH_FIELD, `systemd cgroupsPath ${JSON.stringify(raw)} has an empty name`);
  if (slice.includes('/') || prefix.includes('/') || name.includes('/')) {
    throw new ConfigError(CGROUPS_PATH_FIELD, `systemd cgroupsPath ${JSON.stringify(raw)}: slice, prefix and name must not contain "/"`);
  }
  return { slice, prefix, name };
}

export function systemdIsRunning(runDir = '/run/systemd/system'): boolean {
  try {
    return fs.statSync(runDir).isDirectory();
  } catch {
    return false;
  }
}

export interface ParseCgroupsPathOptions {
  /** --systemd-cgroup was given. */
  systemdCgroup?: boolean;
  /** Override the "is systemd PID 1?" check (tests). Default: /run/systemd/system exists. */
  systemdRunning?: () => boolean;
}

/**
 * linux.cgroupsPath (+ the container id) → the normalised cgroupfs path. With --systemd-cgroup:
 * the cgroup of the transient unit "slice:prefix:name" names (absolute, e.g.
 * /system.slice/runc-<id>.scope), after the format and systemd-is-PID-1 checks.
 */
export function parseCgroupsPath(raw: string | undefined, containerId: string, opts: ParseCgroupsPathOptions = {}): CgroupfsPath {
  if (opts.systemdCgroup) {
    parseSystemdCgroupsPath(raw, containerId); // format errors first, as runc does
    if (!(opts.systemdRunning ?? systemdIsRunning)()) {
      throw new TsrunError(`systemd not running on this host, cannot use the systemd cgroup manager (--systemd-cgroup, ${CGROUPS_PATH_FIELD} ${JSON.stringify(raw ?? '')})`);
    }
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { systemdUnit } = require('./systemd/unit') as typeof import('./systemd/unit');
    return normalizeCgroupsPath(systemdUnit(raw, containerId).cgroup);
  }
  if (!raw) {
    if (!containerId) throw new ConfigError(CGROUPS_PATH_FIELD, 'empty, and no container id to derive a cgroup name from');
    return normalizeCgroupsPath(containerId, 'container id');
  }
  return normalizeCgroupsPath(raw);
}

function underMount(mount: CgroupMount, cgroupPath: string): string {
  // Own cgroup paths in /proc/self/cgroup are relative to the hierarchy's true root; the mount
  // may show only a subtree (mount root ≠ "/", nested containers without cgroupns).
  const rel = path.posix.relative(mount.root, cgroupPath);
  if (climbsOut(rel)) return ''; // own cgroup not visible: use the mount root
  return rel;
}

/** Directory of a v1 hierarchy (controller or "name=X") for `p`; undefined if not mounted. */
export function resolveV1Dir(layout: CgroupLayout, controller: string, p: CgroupfsPath, prefix = ''): string | undefined {
  const mount = layout.v1Mounts.get(controller);
  if (!mount) return undefined;
  const base = prefix + mount.mountPoint;
  if (p.absolute) return path.join(base, p.inner);
  const own = layout.own.get(controller) ?? '/';
  return path.join(base, underMount(mount, own), p.inner);
}

/** Directory in the cgroup2 hierarchy for `p` (pure v2 host, or hybrid's unified tree). */
export function resolveUnifiedDir(layout: CgroupLayout, p: CgroupfsPath, prefix = ''): string {
  const mount = layout.unifiedMount;
  if (!mount) throw new TsrunError('no cgroup2 hierarchy is mounted');
  const base = prefix + mount.mountPoint;
  if (p.absolute || layout.mode === 'hybrid') return path.join(base, p.inner);
  const own = layout.own.get('') ?? '/';
  return path.join(base, underMount(mount, path.posix.dirname(own)), p.inner);
}
