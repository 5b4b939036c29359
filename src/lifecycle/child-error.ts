// A failure record from the container's child -> one clear message naming the config field.
import { strerror, TsrunError } from '../errors';
import type { SyncMsg } from '../native/addon';
import { STEP_LABELS, STEP_NAMES, type StepName } from '../native/contract';

/** The config field a failed step refers to (i: the record's index, -1 for none). Keyed by the contract's step names. */
const FIELD_OF_STEP: { readonly [K in StepName]?: (i: number) => string | undefined } = {
  SETNS_OPEN: (i) => `linux.namespaces[${i}].path`,
  SETNS: (i) => `linux.namespaces[${i}].path`,
  MOUNT_TARGET: (i) => (i >= 0 ? `mounts[${i}].destination` : undefined),
  MOUNT: (i) => (i >= 0 ? `mounts[${i}]` : undefined),
  MOUNT_REMOUNT: (i) => (i >= 0 ? `mounts[${i}].options` : undefined),
  MOUNT_PROPAGATION: (i) => (i >= 0 ? `mounts[${i}].options` : undefined),
  DEVICE: (i) => (i >= 0 ? `linux.devices[${i}]` : undefined),
  MASK: (i) => `linux.maskedPaths[${i}]`,
  READONLY_PATH: (i) => `linux.readonlyPaths[${i}]`,
  READONLY_ROOT: () => 'root.readonly',
  RLIMIT: (i) => `process.rlimits[${i}]`,
  CHDIR: () => 'process.cwd',
  SETGROUPS: () => 'process.user.additionalGids',
  SETGID: () => 'process.user.gid',
  SETUID: () => 'process.user.uid',
  CAPS: () => 'process.capabilities',
  HOSTNAME: () => 'hostname',
  DOMAINNAME: () => 'domainname',
  ROOT_PROPAGATION: () => 'linux.rootfsPropagation',
  ROOTFS_BIND: () => 'root.path',
  SECCOMP: () => 'linux.seccomp',
  PERSONALITY: () => 'linux.personality',
  SYSCTL: () => 'linux.sysctl',
  SCHEDULER: () => 'process.scheduler',
  IOPRIO: () => 'process.ioPriority',
  AFFINITY: () => 'process.execCPUAffinity',
  MEMPOLICY: () => 'linux.memoryPolicy',
  TIME_OFFSETS: () => 'linux.timeOffsets',
};

export function childError(msg: SyncMsg, args: string[]): TsrunError {
  const name: StepName | undefined = STEP_NAMES[msg.step];
  if (name === 'LOOKUP') {
    const a0 = args[0];
    const text = a0.includes('/') ? `exec: "${a0}": stat ${a0}: no such file or directory` : `exec: "${a0}": executable file not found in $PATH`;
    return new TsrunError(`unable to start container process: ${text}`, { field: 'process.args[0]', errno: msg.errno });
  }
  const step = name ? STEP_LABELS[name] : `step ${msg.step}`;
  const field = name ? FIELD_OF_STEP[name]?.(msg.index) : undefined;
  const detail = msg.detail ? ` ${msg.detail}` : '';
  const where = field ? `${field}: ` : '';
  return new TsrunError(`unable to start container process: ${where}${step}${detail}: ${strerror(msg.errno)}`, { field, errno: msg.errno });
}
