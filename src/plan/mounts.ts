// config.json mounts[] -> the child's mount list (targets relative to the rootfs). What is
// refused (and why) is src/spec/mount-rules.ts and host-rules.ts; this only translates.
import path = require('path');
import type { LinuxIdMapping, Mount } from '../spec/config-types';
import type { NativeMount } from '../native/addon';
import { MS } from '../native/constants';
import { containerPath, isBindMount, ownIdMappings, PROC_OVERMOUNT_OK } from '../spec/mount-rules';
import type { HostFacts } from './host-facts';
import { invariant } from './assert';
import { parseMountOptions, type ParsedOptions } from './mount-options';

/** How the cgroup hierarchies look from the container: filled in from the cgroup manager. */
export interface CgroupMountView {
  /** cgroup v1 hierarchies: `name` is the directory under the mount (cpu,cpuacct / name=systemd -> systemd). */
  v1: { dir: string; hostPath: string; subsystems: string }[];
  /** cgroup v2 (pure v2 host): the container's cgroup directory on the host. */
  v2?: string;
  cgroupns: boolean;
}

/** A destination relative to the rootfs (src/spec's rule: a relative one is taken relative to "/"). */
export const rel = containerPath;

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
function idmapOf(m: Mount, o: ParsedOptions, userns?: UsernsOfContainer) {
  const own = ownIdMappings(m);
  if (!o.idmap && !own) return undefined;
  const usernsPath = !own && userns && 'path' in userns ? userns.path : undefined;
  const uid = own ? m.uidMappings! : userns && 'uid' in userns ? userns.uid : [];
  const gid = own ? m.gidMappings! : userns && 'gid' in userns ? userns.gid : [];
  return { uidMap: mapText(uid), gidMap: mapText(gid), recursive: o.recursive, idmapRecursive: o.idmap === 'ridmap', usernsPath };
}

export function planMounts(
  mounts: Mount[] | undefined, bundle: string, cg: CgroupMountView, host: Pick<HostFacts, 'kind'>, userns?: UsernsOfContainer,
  /** In a user namespace, new or joined by path: cgroup mounts without a cgroup namespace are read-only. */
  inUserns = !!userns,
): NativeMount[] {
  const out: NativeMount[] = [];
  (mounts ?? []).forEach((m, index) => {
    const o = parseMountOptions(m.options);
    const bind = isBindMount(m);
    const target = containerPath(m.destination);
    if (m.type === 'cgroup' || m.type === 'cgroup2') {
      out.push(...cgroupMounts(target, o.flags, index, cg, m.type, inUserns, m.source));
      return;
    }
    let source = m.source ?? null;
    if (bind) {
      invariant(source, `mounts[${index}].source`, 'a bind mount without a source');
      source = path.resolve(bundle, source);
    }
    // a read-only filesystem that tsrun writes into first: /dev (device nodes, links, the console)
    // or a tmpcopyup; mounted rw and made read-only by its fd afterwards, as runc does
    const roLater = !bind && (o.flags & MS.RDONLY) && !(o.flags & MS.REMOUNT) ? (target === 'dev' ? 2 : o.tmpcopyup ? 1 : 0) : 0;
    out.push({
      source, target, fstype: bind ? null : (m.type ?? null), data: o.data.length ? o.data.join(',') : null,
      kind: bind ? 1 : 0,
      flags: bind ? (o.flags | (o.recursive ? MS.REC : 0)) : roLater ? o.flags & ~MS.RDONLY : o.flags,
      roLater,
      // a bind of a file (or a device, a socket) is mounted on a file; a missing source fails in the child
      propagation: o.propagation, isFile: bind && !!source && host.kind(source) === 'other', index, attrSet: o.attrSet, attrClr: o.attrClr,
      tmpcopyup: o.tmpcopyup,
      // only these may resolve into procfs in the child (a symlinked destination may not)
      procOk: '/' + target === '/proc' || PROC_OVERMOUNT_OK.has('/' + target),
      idmap: bind ? idmapOf(m, o, userns) : undefined,
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
    // a cgroup namespace owned by a user namespace cannot mount it either (EBUSY: the superblock
    // is the initial namespace's; rootless containers, tsrun under rootless podman): the
    // container's cgroup (the caller's, where a rootless one has none) is bound instead
    if (!forceRo || cg.v2 === undefined) {
      return [{ ...base, source: source || 'cgroup2', target, fstype: 'cgroup2', kind: 0, flags: forceRo ? flags | MS.RDONLY : flags, fallbackBind: cg.v2 }];
    }
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
