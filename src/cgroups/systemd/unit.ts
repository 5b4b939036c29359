// The systemd driver's naming, as runc 1.1 (libcontainer/cgroups/systemd + specconv):
// linux.cgroupsPath "slice:prefix:name" → the transient unit "<prefix>-<name>.scope" in
// <slice> (empty slice: system.slice, or user.slice in a user instance); an empty cgroupsPath is
// ":runc:<container id>". The unit's cgroup is <mount>/<manager's cgroup>/<slice expanded>/<unit>,
// where "a-b.slice" expands to /a.slice/a-b.slice, "-.slice" is the manager's root, and the
// manager's cgroup is "" for the system instance.
import { ConfigError } from '../../errors';
import { CGROUPS_PATH_FIELD, parseSystemdCgroupsPath } from '../path';

export const DEFAULT_SLICE = 'system.slice';

export interface SystemdUnit {
  /** "system.slice" (never empty). */
  slice: string;
  /** "runc-<id>.scope". */
  unit: string;
  /** The unit's cgroup relative to the hierarchy root, "/system.slice/runc-<id>.scope". */
  cgroup: string;
  /** The name part of cgroupsPath (runc's Description: "libcontainer container <name>"). */
  name: string;
}

/** systemd's unit name alphabet (unit_name_is_valid): letters, digits and ":-_.\". */
const UNIT_CHARS = /^[A-Za-z0-9:_.\\-]+$/;
const UNIT_NAME_MAX = 255;

/** runc's ExpandSlice: "a-b.slice" → "/a.slice/a-b.slice", "-.slice" → "/". */
export function expandSlice(slice: string): string {
  const bad = (why: string) => new ConfigError(CGROUPS_PATH_FIELD, `invalid slice name ${JSON.stringify(slice)} (${why})`);
  if (slice.length <= '.slice'.length || !slice.endsWith('.slice')) throw bad('a slice name ends in ".slice"');
  if (slice.includes('/')) throw bad('no "/" allowed: nest slices with "-", e.g. "a-b.slice"');
  if (!UNIT_CHARS.test(slice) || slice.length > UNIT_NAME_MAX) throw bad('only letters, digits and ":-_.\\", at most 255 characters');
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const part of base.split('-')) {
    if (part === '') throw bad('empty component: no leading, trailing or double "-"');
    path += `/${prefix}${part}.slice`;
    prefix += `${part}-`;
  }
  return path;
}

/** A user instance's default slice (runc: "user.slice" for rootless), in its own tree. */
export const USER_DEFAULT_SLICE = 'user.slice';

export interface UnitOptions {
  /** The slice of an empty one (default system.slice). */
  defaultSlice?: string;
  /** The manager's own cgroup, under which its slices are (a user instance: "/user.slice/user-1000.slice/user@1000.service"). */
  base?: string;
}

/** The unit for linux.cgroupsPath (systemd form) and the container id. */
export function systemdUnit(cgroupsPath: string | undefined, containerId: string, o: UnitOptions = {}): SystemdUnit {
  const p = parseSystemdCgroupsPath(cgroupsPath, containerId);
  const slice = p.slice || (o.defaultSlice ?? DEFAULT_SLICE);
  if (p.name.endsWith('.slice')) {
    throw new ConfigError(CGROUPS_PATH_FIELD, `${JSON.stringify(cgroupsPath)}: a name ending in ".slice" asks runc for a slice unit (kubelet's pod slices), which cannot hold a container's processes; name the container's scope instead`);
  }
  const unit = `${p.prefix}-${p.name}.scope`;
  if (!UNIT_CHARS.test(unit) || unit.length > UNIT_NAME_MAX) {
    throw new ConfigError(CGROUPS_PATH_FIELD, `${JSON.stringify(cgroupsPath)}: unit name ${JSON.stringify(unit)} is not a valid systemd unit name (letters, digits and ":-_.\\", at most 255 characters)`);
  }
  const expanded = expandSlice(slice);
  const base = (o.base ?? '').replace(/\/+$/, '');
  return { slice, unit, cgroup: `${base}${expanded === '/' ? '' : expanded}/${unit}`, name: p.name };
}
