// `features`: what this build can do on this host, in runtime-spec's features.md shape.
// Only what works is listed: containerd enables rro, idmapped mounts and user namespaces from it.
import fs = require('fs');
import { NAMESPACES } from '../native/constants';
import { capNames, lastCap } from '../plan/capabilities';
import { CLEAR, PROPAGATION, RECURSIVE, SET } from '../plan/mount-options';
import { ACTIONS, FLAGS, OPS } from '../plan/seccomp';
import { apparmorEnabled, selinuxEnabled } from '../plan/lsm';
import { SPEC_VERSION } from '../state/status';

const SECCOMP_ARCHES = ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_RISCV64', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'];

export function features(version: string): Record<string, unknown> {
  const namespaces = Object.entries(NAMESPACES).filter(([, n]) => fs.existsSync(`/proc/self/ns/${n.proc}`)).map(([t]) => t).sort();
  const mountOptions = [...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION), ...Object.keys(RECURSIVE), 'bind', 'rbind', 'tmpcopyup', 'idmap', 'ridmap'].sort();
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
        enabled: true,
        actions: Object.keys(ACTIONS).sort(),
        operators: Object.keys(OPS).sort(),
        archs: SECCOMP_ARCHES,
        knownFlags: Object.keys(FLAGS).sort(),
        supportedFlags: Object.keys(FLAGS).sort(),
      },
      // applied by tsrun-init through a verified procfs handle; claimed where the host has the LSM
      apparmor: { enabled: apparmorEnabled() },
      selinux: { enabled: selinuxEnabled() },
      intelRdt: { enabled: false },
      // idmapped mounts: mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12+ and a filesystem that supports it
      mountExtensions: { idmap: { enabled: fs.existsSync('/proc/self/ns/user') } },
    },
    annotations: { 'org.opencontainers.tsrun.version': version },
  };
}
