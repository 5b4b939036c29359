// A failure record from the container's child -> one clear message naming the config field.
import { strerror, TsrunError } from '../errors';
import type { SyncMsg } from '../native/addon';
import { STEPS } from '../native/constants';

const FIELD_OF_STEP: Record<string, (i: number) => string | undefined> = {
  'open namespace': (i) => `linux.namespaces[${i}].path`,
  'join namespace': (i) => `linux.namespaces[${i}].path`,
  'create mount point': (i) => (i >= 0 ? `mounts[${i}].destination` : undefined),
  mount: (i) => (i >= 0 ? `mounts[${i}]` : undefined),
  remount: (i) => (i >= 0 ? `mounts[${i}].options` : undefined),
  'set mount propagation': (i) => (i >= 0 ? `mounts[${i}].options` : undefined),
  'create device': (i) => (i >= 0 ? `linux.devices[${i}]` : undefined),
  'mask path': (i) => `linux.maskedPaths[${i}]`,
  'make path read-only': (i) => `linux.readonlyPaths[${i}]`,
  'make rootfs read-only': () => 'root.readonly',
  setrlimit: (i) => `process.rlimits[${i}]`,
  chdir: () => 'process.cwd',
  setgroups: () => 'process.user.additionalGids',
  setgid: () => 'process.user.gid',
  setuid: () => 'process.user.uid',
  capabilities: () => 'process.capabilities',
  sethostname: () => 'hostname',
  setdomainname: () => 'domainname',
  'set rootfs propagation': () => 'linux.rootfsPropagation',
  'bind rootfs': () => 'root.path',
  'load seccomp filter': () => 'linux.seccomp',
  personality: () => 'linux.personality',
  sysctl: () => 'linux.sysctl',
  scheduler: () => 'process.scheduler',
  ioPriority: () => 'process.ioPriority',
  execCPUAffinity: () => 'process.execCPUAffinity',
  memoryPolicy: () => 'linux.memoryPolicy',
  timeOffsets: () => 'linux.timeOffsets',
};

export function childError(msg: SyncMsg, args: string[]): TsrunError {
  const step = STEPS[msg.step] ?? `step ${msg.step}`;
  if (step === 'exec') {
    const a0 = args[0];
    const text = a0.includes('/') ? `exec: "${a0}": stat ${a0}: no such file or directory` : `exec: "${a0}": executable file not found in $PATH`;
    return new TsrunError(`unable to start container process: ${text}`, { field: 'process.args[0]', errno: msg.errno });
  }
  const field = FIELD_OF_STEP[step]?.(msg.index);
  const detail = msg.detail ? ` ${msg.detail}` : '';
  const where = field ? `${field}: ` : '';
  return new TsrunError(`unable to start container process: ${where}${step}${detail}: ${strerror(msg.errno)}`, { field, errno: msg.errno });
}
