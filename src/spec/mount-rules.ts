// The rules of config.json's mounts[] (and of what needs a mount namespace). Each names the
// runc behaviour it matches or why tsrun is stricter. plan/mounts.ts translates what passed.
import path = require('path');
import { ConfigError } from '../errors';
import type { Mount, Spec } from './config-types';
import { fieldPath } from './field-path';

/**
 * A destination as a path below the container's "/": a relative one is taken relative to "/",
 * as runc does (securejoin of the rootfs and the path; the runtime-spec deprecates them).
 */
export function containerPath(dest: string): string {
  // runc's CleanPath: "/dev/" is /dev (a trailing slash must not hide a bind over /dev)
  return path.posix.normalize('/' + dest).replace(/^\/+|\/+$/g, '');
}

/** A bind mount: type "bind" or a bind/rbind option (runc: MS_BIND from either). */
export function isBindMount(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/**
 * The recursive mount options (mount_setattr AT_RECURSIVE; runc 1.2, crun): their names. The
 * attribute bits each one sets are plan/mount-options.ts's RECURSIVE, keyed by these.
 */
export const RECURSIVE_MOUNT_OPTIONS = ['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec',
  'rnodiratime', 'rdiratime', 'rnosymfollow', 'rsymfollow', 'rrelatime', 'rnorelatime', 'rnoatime', 'ratime',
  'rstrictatime', 'rnostrictatime'] as const;
export type RecursiveMountOption = (typeof RECURSIVE_MOUNT_OPTIONS)[number];

/** The mount's own id mappings, given as runc reads them (Go: an empty list is no list). */
export function ownIdMappings(m: Mount): boolean {
  return (m.uidMappings?.length ?? 0) > 0 || (m.gidMappings?.length ?? 0) > 0;
}

/**
 * Files under /proc that may be mounted over (lxcfs-style emulation): runc's checkProcMount
 * allowlist. Anything else over /proc could hide or redirect what the runtime and the kernel rely on.
 */
export const PROC_OVERMOUNT_OK: ReadonlySet<string> = new Set(['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat',
  '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/pressure/cpu', '/proc/pressure/io',
  '/proc/pressure/memory', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid']);

/**
 * Every mount: `hasUserns` says whether the container has a user namespace (new or joined), which
 * an idmap/ridmap option without mappings of its own takes its mappings from.
 */
export function checkMounts(mounts: Mount[], hasUserns: boolean, warn: (m: string) => void): void {
  mounts.forEach((m, i) => {
    const f = (...segs: (string | number)[]) => fieldPath('mounts', i, ...segs);
    if (m.destination === '') throw new ConfigError(f('destination'), 'must not be empty');
    if (!m.destination.startsWith('/')) {
      warn(`${f('destination')}: relative destination ${JSON.stringify(m.destination)} is deprecated; it is taken relative to "/"`);
    }
    const dest = '/' + containerPath(m.destination);
    // runc (rootfs_linux.go checkProcMount): only procfs on /proc itself, or a bind whose source
    // is a procfs (the host's /proc, as rootless engines with the host pid namespace send it:
    // src/spec/host-rules.ts checks the source), over /proc only the allowlist
    if (dest === '/proc' && m.type !== 'proc' && !isBindMount(m)) {
      throw new ConfigError(f('type'), `only procfs may be mounted on /proc, or a bind of a procfs (got ${JSON.stringify(m.type ?? 'bind')})`);
    }
    if (dest.startsWith('/proc/') && !PROC_OVERMOUNT_OK.has(dest)) {
      throw new ConfigError(f('destination'), `${dest}: mounting over /proc is only allowed for ${[...PROC_OVERMOUNT_OK].join(', ')}`);
    }
    if (m.type === 'cgroup' || m.type === 'cgroup2') return; // a cgroup mount takes none of what follows
    const options = m.options ?? [];
    const bind = isBindMount(m);
    // runc applies tmpcopyup only to tmpfs (and ignores it elsewhere): tsrun refuses it where it would do nothing
    if (options.includes('tmpcopyup') && (bind || m.type !== 'tmpfs')) {
      throw new ConfigError(f('options'), 'tmpcopyup is only for tmpfs mounts');
    }
    // runc: the bind of an empty source fails in mount(2) with ENOENT; said here, naming the field
    if (bind && !m.source) throw new ConfigError(f('source'), 'a bind mount needs a source');
    const idmapOption = options.some((o) => o === 'idmap' || o === 'ridmap');
    if (!idmapOption && !ownIdMappings(m)) return;
    // runc 1.2 (configs/validate checkIDMapMounts): "id-mapped mounts are only supported for bind-mounts"
    if (!bind) throw new ConfigError(f(), 'idmapped mounts must be bind mounts');
    if (ownIdMappings(m)) {
      // runc 1.2: "id-mapped mounts must have both uid and gid mappings specified"
      for (const key of ['uidMappings', 'gidMappings'] as const) {
        if (!m[key]?.length) throw new ConfigError(f(key), 'an idmapped mount needs both uidMappings and gidMappings (or neither, to take the user namespace\'s)');
      }
    } else if (!hasUserns) {
      // runc 1.2: idmap without mappings of its own takes the container's user namespace
      throw new ConfigError(f('options'), 'idmap/ridmap needs uidMappings and gidMappings on the mount or a user namespace');
    }
  });
}

const NO_MOUNT_NS = 'needs a mount namespace (add {"type": "mount"} to linux.namespaces): without one it would be made in the '
  + 'runtime\'s own mount namespace and outlive the container (runc 1.1.5 does that, and sets the runtime\'s "/" to rslave first)';

/**
 * A config without a mount namespace (neither new nor joined): the container runs chrooted in
 * the runtime's own mount namespace. runc 1.1.5 refuses masked and read-only paths there (its
 * message is kept); everything else that mounts it makes in the runtime's namespace (mounts,
 * device nodes, the read-only remount of the rootfs) and it first sets that namespace's "/" to
 * rslave, or to rootfsPropagation: all of that outlives the container and changes the host.
 * tsrun refuses those fields instead, naming them. A create rule: the config itself is valid.
 */
export function checkWithoutMountNs(spec: Spec): void {
  if ((spec.linux?.namespaces ?? []).some((n) => n.type === 'mount')) return;
  const linux = spec.linux ?? {};
  if (linux.maskedPaths?.length) throw new ConfigError('linux.maskedPaths', 'unable to restrict sys entries without a private MNT namespace');
  if (linux.readonlyPaths?.length) throw new ConfigError('linux.readonlyPaths', 'unable to restrict sys entries without a private MNT namespace');
  if (spec.mounts?.length) throw new ConfigError('mounts', NO_MOUNT_NS);
  if (spec.root?.readonly) throw new ConfigError('root.readonly', NO_MOUNT_NS);
  if (linux.devices?.length) throw new ConfigError('linux.devices', NO_MOUNT_NS);
  if (linux.rootfsPropagation) throw new ConfigError('linux.rootfsPropagation', NO_MOUNT_NS);
}
