// Discover the host's cgroup layout from /proc/self/mountinfo and the caller's own cgroups
// from /proc/self/cgroup. Nothing is hard-coded: mount points come from mountinfo only.

import fs = require('fs');
import { TsrunError } from '../errors';
import { parseMountinfoLines, unescapeMountinfo, type MountinfoLine } from '../host/mountinfo';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupMount {
  /** Where it is mounted (octal escapes decoded). */
  mountPoint: string;
  /** mountinfo field 4: the cgroup path that appears at the mount point ("/" normally). */
  root: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: controllers and/or "name=X" of the hierarchy (cpu,cpuacct → ['cpu','cpuacct']); v2: []. */
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 controller or "name=X" → mount point (co-mounted controllers share one mount point). */
  v1: Map<string, string>;
  /** Mount point of the cgroup2 hierarchy (v2: the only one; hybrid: e.g. /sys/fs/cgroup/unified). */
  unified?: string;
  /** Full mount records, same keys as `v1`. */
  v1Mounts: Map<string, CgroupMount>;
  unifiedMount?: CgroupMount;
  /** The caller's own cgroups (/proc/self/cgroup): controller or "name=X" → path; "" → the v2 path. */
  own: Map<string, string>;
}

/** v1 controllers the kernel knows (anything else in the super options is a mount option). */
const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

export { unescapeMountinfo };

/**
 * Parse mountinfo text into the visible cgroup mounts. A mount over-mounted on the same mount
 * point (e.g. a tmpfs stacked on /sys/fs/cgroup) is hidden, and so is everything mounted on it.
 * `known` adds controller names to recognise (normally the keys of /proc/self/cgroup).
 */
export function parseMountinfo(text: string, known: Iterable<string> = []): CgroupMount[] {
  const names = new Set([...V1_CONTROLLERS, ...known]);
  const all = parseMountinfoLines(text);
  const byId = new Map(all.map((m) => [m.id, m]));
  const overmounted = new Set(all.filter((n) => byId.get(n.parent)?.mountPoint === n.mountPoint && n.parent !== n.id).map((n) => n.parent));
  // visible(m): not over-mounted, and where it sits is visible. Where an over-mount sits is
  // where the mount below it sits; a mount's parent outside the table is the (visible) root.
  const memo = new Map<string, boolean>();
  const placeVisible = (m: MountinfoLine, depth: number): boolean => {
    const p = byId.get(m.parent);
    if (!p || p.id === m.id || depth > 64) return true;
    return p.mountPoint === m.mountPoint ? placeVisible(p, depth + 1) : isVisible(p, depth + 1);
  };
  const isVisible = (m: MountinfoLine, depth = 0): boolean => {
    let v = memo.get(m.id);
    if (v === undefined) {
      v = !overmounted.has(m.id) && placeVisible(m, depth);
      memo.set(m.id, v);
    }
    return v;
  };
  const visible = all.filter((m) => isVisible(m));
  const out: CgroupMount[] = [];
  for (const m of visible) {
    if (m.fsType === 'cgroup2') {
      out.push({ mountPoint: m.mountPoint, root: m.root, fsType: 'cgroup2', controllers: [] });
    } else if (m.fsType === 'cgroup') {
      const controllers = m.superOpts.filter((o) => o.startsWith('name=') || names.has(o));
      if (controllers.length) out.push({ mountPoint: m.mountPoint, root: m.root, fsType: 'cgroup', controllers });
    }
  }
  return out;
}

/**
 * Parse /proc/PID/cgroup text ("ID:controllers:path" per line) into controller → path.
 * Co-mounted controllers each get an entry; the v2 line ("0::/path") is stored under "".
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) throw new TsrunError(`invalid /proc/self/cgroup line: ${JSON.stringify(line)}`);
    const ctrls = line.slice(a + 1, b);
    const p = line.slice(b + 1);
    if (ctrls === '') out.set('', p);
    else for (const c of ctrls.split(',')) out.set(c, p);
  }
  return out;
}

/** Build the layout from already-read texts (pure; used by tests and by detectCgroups). */
export function layoutFrom(mountinfoText: string, procCgroupText: string): CgroupLayout {
  const own = parseProcCgroup(procCgroupText);
  const mounts = parseMountinfo(mountinfoText, [...own.keys()].filter(Boolean));
  const v1 = new Map<string, string>();
  const v1Mounts = new Map<string, CgroupMount>();
  let unifiedMount: CgroupMount | undefined;
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') {
      unifiedMount ??= m; // the first visible cgroup2 mount
      continue;
    }
    for (const c of m.controllers) {
      if (!v1Mounts.has(c)) {
        v1Mounts.set(c, m);
        v1.set(c, m.mountPoint);
      }
    }
  }
  const hasV1Controllers = [...v1.keys()].some((k) => !k.startsWith('name='));
  let mode: CgroupMode;
  if (hasV1Controllers) mode = unifiedMount ? 'hybrid' : 'v1';
  else if (unifiedMount) mode = 'v2';
  else throw new TsrunError('no cgroup filesystem is mounted (none found in mountinfo)');
  return { mode, v1, v1Mounts, unified: unifiedMount?.mountPoint, unifiedMount, own };
}

/** Read and parse the two proc files (paths overridable for tests). */
let hostLayout: CgroupLayout | undefined;

/**
 * The layout from mountinfo and the caller's cgroups. The host's own (default paths) is read
 * once per process: it does not change under a CLI invocation, and several managers ask.
 */
export function detectCgroups(mountinfoPath = '/proc/self/mountinfo', procCgroupPath = '/proc/self/cgroup'): CgroupLayout {
  const host = mountinfoPath === '/proc/self/mountinfo' && procCgroupPath === '/proc/self/cgroup';
  if (host && hostLayout) return hostLayout;
  const read = (p: string): string => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (e) {
      throw new TsrunError(`cannot read ${p}: ${(e as Error).message}`);
    }
  };
  const layout = layoutFrom(read(mountinfoPath), read(procCgroupPath));
  if (host) hostLayout = layout;
  return layout;
}
