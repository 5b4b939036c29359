// config.json mounts[] -> the child's mount list (targets relative to the rootfs).
import fs = require('fs');
import path = require('path');
import type { LinuxIdMapping, Mount } from '../spec/config-types';
import type { NativeMount } from '../native/addon';
import { ConfigError } from '../errors';
import { MS } from '../native/constants';
import { parseMountOptions, RECURSIVE, type ParsedOptions } from './mount-options';
import { hasMountSetattr, idmapMissing, kernelSupport, missingText } from '../native/kernel';

/** How the cgroup hierarchies look from the container: filled in from the cgroup manager. */
export interface CgroupMountView {
  /** cgroup v1 hierarchies: `name` is the directory under the mount (cpu,cpuacct / name=systemd -> systemd). */
  v1: { dir: string; hostPath: string; subsystems: string }[];
  /** cgroup v2 (pure v2 host): the container's cgroup directory on the host. */
  v2?: string;
  cgroupns: boolean;
}

export function rel(dest: string): string {
  const norm = path.posix.normalize('/' + dest);
  return norm.replace(/^\/+/, '');
}

function mountPoint(source: string | null, bind: boolean): boolean {
  if (!bind || !source) return false;
  try { return !fs.statSync(source).isDirectory(); } catch { return false; }
}

// Files under /proc that may be mounted over (lxcfs-style emulation), as runc allows; anything
// else over /proc could hide or redirect what the runtime and the kernel rely on.
const PROC_OVERMOUNT_OK = new Set(['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps',
  '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/pressure/cpu', '/proc/pressure/io', '/proc/pressure/memory',
  '/proc/net/dev', '/proc/sys/kernel/ns_last_pid']);

function checkProcMount(m: Mount, dest: string, field: string): void {
  if (dest === '/proc') {
    if (m.type !== 'proc') throw new ConfigError(`${field}.type`, `only procfs may be mounted on /proc (got ${JSON.stringify(m.type ?? 'bind')})`);
    return;
  }
  if (dest.startsWith('/proc/') && !PROC_OVERMOUNT_OK.has(dest)) {
    throw new ConfigError(`${field}.destination`, `${dest}: mounting over /proc is only allowed for ${[...PROC_OVERMOUNT_OK].join(', ')}`);
  }
}

const mapText = (m: LinuxIdMapping[]) => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');

/** The container's user namespace, as an idmapped mount without mappings of its own takes it. */
export type UsernsOfContainer = { uid: LinuxIdMapping[]; gid: LinuxIdMapping[] } | { path: string };

/**
 * An idmapped bind mount: the mount's own mappings, or with just idmap/ridmap the container's
 * user namespace mappings (runc's semantics): a new one's as written, a joined one itself (its
 * nsfs file: that namespace's mappings, whatever they are). Written verbatim as the helper
 * namespace's maps: a file owned by hostID on disk shows as containerID. `idmap` maps the top
 * mount of an rbind only, `ridmap` every mount of it (runc).
 */
function idmapOf(m: Mount, o: ParsedOptions, bind: boolean, field: string, userns?: UsernsOfContainer) {
  if (!o.idmap && !m.uidMappings && !m.gidMappings) return undefined;
  if (!bind) throw new ConfigError(field, 'idmapped mounts must be bind mounts');
  const own = !!(m.uidMappings || m.gidMappings);
  const usernsPath = !own && userns && 'path' in userns ? userns.path : undefined;
  const uid = m.uidMappings ?? (userns && 'uid' in userns ? userns.uid : []);
  const gid = m.gidMappings ?? (userns && 'gid' in userns ? userns.gid : []);
  if (!usernsPath && (!uid.length || !gid.length)) {
    throw new ConfigError(`${field}.uidMappings`, 'an idmapped mount needs uidMappings and gidMappings (on the mount, or a user namespace)');
  }
  const missing = idmapMissing();
  if (missing) throw new ConfigError(o.idmap ? `${field}.options` : `${field}.uidMappings`, missing);
  return { uidMap: mapText(uid), gidMap: mapText(gid), recursive: o.recursive, idmapRecursive: o.idmap === 'ridmap', usernsPath };
}

export function planMounts(
  mounts: Mount[] | undefined, bundle: string, cg: CgroupMountView, userns?: UsernsOfContainer,
  /** In a user namespace, new or joined by path: cgroup mounts without a cgroup namespace are read-only. */
  inUserns = !!userns,
): NativeMount[] {
  const out: NativeMount[] = [];
  (mounts ?? []).forEach((m, index) => {
    const field = `mounts[${index}]`;
    if (typeof m.destination !== 'string' || !m.destination) throw new ConfigError(`${field}.destination`, 'must be a non-empty path');
    const o = parseMountOptions(m.options);
    // the r* options are mount_setattr(AT_RECURSIVE) itself: nothing to fall back to
    const rOpt = (m.options ?? []).findIndex((opt) => opt in RECURSIVE);
    if (rOpt >= 0 && !hasMountSetattr()) {
      throw new ConfigError(`${field}.options`, `${m.options![rOpt]} needs mount_setattr (Linux 5.12); ${missingText(kernelSupport().mountSetattr)}`);
    }
    const bind = o.bind || m.type === 'bind';
    const target = rel(m.destination);
    checkProcMount(m, '/' + target, field);
    if (m.type === 'cgroup' || m.type === 'cgroup2') {
      out.push(...cgroupMounts(target, o.flags, index, cg, m.type, inUserns, m.source));
      return;
    }
    if (o.tmpcopyup && (bind || m.type !== 'tmpfs')) throw new ConfigError(`${field}.options`, 'tmpcopyup is only for tmpfs mounts');
    let source = m.source ?? null;
    if (bind) {
      if (!source) throw new ConfigError(`${field}.source`, 'a bind mount needs a source');
      source = path.resolve(bundle, source);
      if (!fs.existsSync(source)) throw new ConfigError(`${field}.source`, `${source}: no such file or directory`);
    }
    // a read-only filesystem that tsrun writes into first: /dev (device nodes, links, the console)
    // or a tmpcopyup; mounted rw and made read-only by its fd afterwards, as runc does
    const roLater = !bind && (o.flags & MS.RDONLY) && !(o.flags & MS.REMOUNT) ? (target === 'dev' ? 2 : o.tmpcopyup ? 1 : 0) : 0;
    out.push({
      source, target, fstype: bind ? null : (m.type ?? null), data: o.data.length ? o.data.join(',') : null,
      kind: bind ? 1 : 0,
      flags: bind ? (o.flags | (o.recursive ? MS.REC : 0)) : roLater ? o.flags & ~MS.RDONLY : o.flags,
      roLater,
      propagation: o.propagation, isFile: mountPoint(source, bind), index, attrSet: o.attrSet, attrClr: o.attrClr,
      tmpcopyup: o.tmpcopyup,
      // only these may resolve into procfs in the child (a symlinked destination may not)
      procOk: '/' + target === '/proc' || PROC_OVERMOUNT_OK.has('/' + target),
      idmap: idmapOf(m, o, bind, field, userns),
    });
  });
  return out;
}

// A "cgroup" mount: like runc, a tmpfs with every v1 hierarchy bound in (or mounted, with a
// cgroup namespace), and on a v2 host the cgroup2 filesystem, named by the mount's source as
// runc names it: with a cgroup namespace its root is the container's cgroup; without one runc
// shows the whole hierarchy (so /proc/self/cgroup paths resolve under /sys/fs/cgroup).
//
// A user-namespaced container without its own cgroup namespace gets the host's hierarchies
// bound in: those are always read-only, whatever the options ask (rw included), and so is the
// tmpfs holding them (remounted read-only once the hierarchies are in). Root in a user
// namespace must not be able to create or write cgroups through them, even where the host's
// cgroup files happen to be owned by a mapped id.
function cgroupMounts(target: string, flags: number, index: number, cg: CgroupMountView, type: string, userns: boolean, source?: string): NativeMount[] {
  const base = { data: null, propagation: 0, isFile: false, index };
  const forceRo = userns && !cg.cgroupns;
  const bindFlags = (forceRo ? flags | MS.RDONLY : flags) | MS.REC;
  if (cg.v2 !== undefined || type === 'cgroup2') {
    // a user namespace without its own cgroup namespace cannot mount cgroup2 (runc then binds
    // the hierarchy): it gets its own cgroup bound, read-only
    if (!forceRo || cg.v2 === undefined) return [{ ...base, source: source || 'cgroup2', target, fstype: 'cgroup2', kind: 0, flags: forceRo ? flags | MS.RDONLY : flags }];
    return [{ ...base, source: cg.v2, target, fstype: null, kind: 1, flags: bindFlags }];
  }
  const tmpfsFlags = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  const out: NativeMount[] = [{
    ...base, source: 'tmpfs', target, fstype: 'tmpfs', data: 'mode=755', kind: 0, flags: tmpfsFlags,
  }];
  for (const h of cg.v1) {
    const t = `${target}/${h.dir}`;
    if (cg.cgroupns) out.push({ ...base, source: 'cgroup', target: t, fstype: 'cgroup', data: h.subsystems, kind: 0, flags });
    else out.push({ ...base, source: h.hostPath, target: t, fstype: null, kind: 1, flags: bindFlags });
  }
  // the tmpfs itself, read-only now that its mount points exist (a bind remount of that mount)
  if (forceRo) out.push({ ...base, source: null, target, fstype: null, kind: 0, flags: MS.REMOUNT | MS.BIND | MS.RDONLY | tmpfsFlags });
  return out;
}
