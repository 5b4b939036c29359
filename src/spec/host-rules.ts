// The rules that depend on the host: what a valid config asks of this kernel, these LSMs and
// these paths. The facts come from src/plan/host-facts.ts (HostFacts satisfies HostSupport);
// tests pass plain objects. Run on every create and exec, before anything is planned, so
// plan/ only translates.
import path = require('path');
import { ConfigError } from '../errors';
import type { Process, Spec } from './config-types';
import { ignoredCapabilitiesWarning, resolveCapabilities } from './capabilities';
import { fieldPath } from './field-path';
import { isBindMount, ownIdMappings, RECURSIVE_MOUNT_OPTIONS } from './mount-rules';

/** What the host-dependent rules need to know. Members may be lazy (a getter probes once). */
export interface HostSupport {
  /** /proc/sys/kernel/cap_last_cap. */
  readonly lastCap: number;
  readonly apparmor: boolean;
  readonly selinux: boolean;
  /** CLONE_NEWTIME (Linux 5.6: /proc/self/ns/time). */
  readonly timeNamespace: boolean;
  /** /sys/fs/resctrl is mounted (Intel RDT). */
  readonly resctrl: boolean;
  /** Why mount_setattr(2) cannot be used ("this kernel returned ENOSYS"); undefined: it can. */
  readonly mountSetattrMissing: string | undefined;
  /** Why idmapped mounts cannot be made; undefined: they can. */
  readonly idmapMissing: string | undefined;
  /** The path, symlinks resolved; undefined when it does not exist. */
  realpath(p: string): string | undefined;
  /** stat(2) of the path (symlinks followed). */
  kind(p: string): 'dir' | 'other' | 'missing';
  /** The path is on a procfs (statfs f_type PROC_SUPER_MAGIC): runc's isProc. */
  onProcfs(p: string): boolean;
}

/**
 * The process: its LSM settings need that LSM on the host, and the capabilities it names that
 * the kernel lacks (or nobody knows) are left out with one warning, in runc's words
 * (libcontainer/capabilities.New; runtime-spec: "MUST be logged as a warning").
 */
export function checkProcessOnHost(proc: Process, host: HostSupport, warn: (m: string) => void, base = 'process'): void {
  // runc: apparmor.IsEnabled() false with a profile: "apparmor is not enabled on this system"
  if (proc.apparmorProfile && !host.apparmor) {
    throw new ConfigError(`${base}.apparmorProfile`, 'apparmor is not enabled on this host: remove the profile or enable AppArmor');
  }
  // runc's loadSpec, its words
  if (proc.selinuxLabel && !host.selinux) {
    throw new ConfigError(`${base}.selinuxLabel`, 'selinux label is specified in config, but selinux is disabled or not supported');
  }
  const { ignored } = resolveCapabilities(proc.capabilities, host.lastCap);
  if (ignored.length) warn(ignoredCapabilitiesWarning(ignored));
}

/** The whole config at create (`bundle`: what relative root and bind source paths are taken against). */
export function checkSpecOnHost(spec: Spec, bundle: string, host: HostSupport, warn: (m: string) => void): void {
  // runc's validator: "rootfs (%s) does not exist"; tsrun also says what it is when not a directory
  const root = path.resolve(bundle, spec.root!.path);
  const real = host.realpath(root);
  if (real === undefined) throw new ConfigError('root.path', `invalid rootfs: stat ${root}: no such file or directory`);
  if (host.kind(real) !== 'dir') throw new ConfigError('root.path', `${root}: not a directory`);

  const linux = spec.linux ?? {};
  (linux.namespaces ?? []).forEach((ns, i) => {
    // runc: clone(CLONE_NEWTIME) fails with EINVAL; said here with the kernel version that has it
    if (ns.type === 'time' && !host.timeNamespace) {
      throw new ConfigError(`linux.namespaces[${i}]`, 'time namespaces need Linux 5.6 (CLONE_NEWTIME); this kernel has none (no /proc/self/ns/time)');
    }
    // runc: setns fails at create ("no such file or directory"); said before anything is made
    if (ns.path && host.kind(ns.path) === 'missing') throw new ConfigError(`linux.namespaces[${i}].path`, `${ns.path}: no such file`);
  });

  // runc 1.1.5 applies intelRdt through resctrl; tsrun has no resctrl support yet and says which is missing
  if (linux.intelRdt) {
    throw new ConfigError('linux.intelRdt', host.resctrl
      ? 'Intel RDT (resctrl) is not supported by this tsrun version yet'
      : 'this host has no resctrl filesystem mounted at /sys/fs/resctrl (Intel RDT unavailable)');
  }

  (spec.mounts ?? []).forEach((m, i) => {
    const f = (...segs: (string | number)[]) => fieldPath('mounts', i, ...segs);
    // runc 1.1.5 has no r* options (it passes them to the filesystem as data); runc 1.2 needs mount_setattr too
    const rOpt = (m.options ?? []).find((o) => (RECURSIVE_MOUNT_OPTIONS as readonly string[]).includes(o));
    if (rOpt && host.mountSetattrMissing) {
      throw new ConfigError(f('options'), `${rOpt} needs mount_setattr (Linux 5.12); ${host.mountSetattrMissing}`);
    }
    if (m.type === 'cgroup' || m.type === 'cgroup2') return;
    const bind = isBindMount(m);
    // runc: the bind fails in the child with ENOENT; said here, naming the resolved path
    if (bind && m.source) {
      const source = path.resolve(bundle, m.source);
      if (host.kind(source) === 'missing') throw new ConfigError(f('source'), `${source}: no such file or directory`);
      // runc's checkProcMount: a bind onto /proc only of a procfs
      if (path.posix.normalize('/' + m.destination) === '/proc' && !host.onProcfs(source)) {
        throw new ConfigError(f('type'), `only procfs may be mounted on /proc, or a bind of a procfs (got "bind" of ${source})`);
      }
    }
    const idmap = (m.options ?? []).find((o) => o === 'idmap' || o === 'ridmap');
    if (bind && (idmap || ownIdMappings(m)) && host.idmapMissing) {
      throw new ConfigError(idmap ? f('options') : f('uidMappings'), host.idmapMissing);
    }
  });

  // runc: "mount label is specified in config, but selinux is disabled" is only a failed mount later
  if (linux.mountLabel && !host.selinux) {
    throw new ConfigError('linux.mountLabel', 'selinux is disabled or not supported on this host: remove the mount label');
  }

  checkProcessOnHost(spec.process!, host, warn);
}
