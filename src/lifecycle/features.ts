// `features`: what this build can do on this host, in runtime-spec's features.md shape.
// Only what works is listed: containerd enables rro, idmapped mounts and user namespaces from it.
import { hostProbes } from '../host/probes';
import { CLEAR, PROPAGATION, RECURSIVE, SET } from '../plan/mount-options';
import { ACTIONS, FLAGS, OPS } from '../plan/seccomp';
import { apparmorEnabled, lastCap, selinuxEnabled } from '../plan/host-facts';
import { capNames } from '../spec/capabilities';
import { SPEC_VERSION } from '../state/status';

const SECCOMP_ARCHES = ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_RISCV64', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'];

/** The kernel's seccomp action (actions_avail) each OCI action needs. */
const KERNEL_ACTION: Record<string, string> = {
  SCMP_ACT_KILL: 'kill_thread', SCMP_ACT_KILL_THREAD: 'kill_thread', SCMP_ACT_KILL_PROCESS: 'kill_process', SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_ERRNO: 'errno', SCMP_ACT_TRACE: 'trace', SCMP_ACT_ALLOW: 'allow', SCMP_ACT_LOG: 'log', SCMP_ACT_NOTIFY: 'user_notif',
};

/** Idmapped mounts work here: really made (root), or at least the syscalls and user namespaces are there. */
export function idmapUsable(p = hostProbes()): boolean {
  return p.idmap.ok ?? (p.namespaces.user && p.syscalls.open_tree === 'ok' && p.syscalls.mount_setattr === 'ok');
}

// The same probes as `tsrun check` (src/host/probes.ts): what this kernel lacks is not listed.
export function features(version: string): Record<string, unknown> {
  const p = hostProbes();
  const namespaces = Object.entries(p.namespaces).filter(([, ok]) => ok).map(([t]) => t).sort();
  const idmap = idmapUsable(p);
  const mountOptions = [...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION),
    ...(p.syscalls.mount_setattr === 'ok' ? Object.keys(RECURSIVE) : []), 'bind', 'rbind', 'tmpcopyup', ...(idmap ? ['idmap', 'ridmap'] : [])].sort();
  // actions_avail unreadable (an old kernel or no procfs detail): listed as before
  const actions = Object.keys(ACTIONS).filter((a) => !p.seccomp.actions.length || p.seccomp.actions.includes(KERNEL_ACTION[a])).sort();
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions,
    linux: {
      namespaces,
      capabilities: capNames((1n << BigInt(lastCap() + 1)) - 1n),
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: true },
      seccomp: {
        enabled: p.seccomp.enabled,
        actions,
        operators: Object.keys(OPS).sort(),
        archs: SECCOMP_ARCHES,
        knownFlags: Object.keys(FLAGS).sort(),
        supportedFlags: Object.keys(FLAGS).sort(),
      },
      // applied by tsrun-init through a verified procfs handle; claimed where the host has the LSM
      apparmor: { enabled: apparmorEnabled() },
      selinux: { enabled: selinuxEnabled() },
      intelRdt: { enabled: false },
      // idmapped mounts: open_tree + mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12+ and a filesystem that supports it
      mountExtensions: { idmap: { enabled: idmap } },
    },
    annotations: { 'org.opencontainers.tsrun.version': version },
  };
}
