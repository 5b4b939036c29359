// TypeScript types for OCI runtime-spec config.json (1.2 + the 1.3 fields runc implements),
// the exec process.json (= Process) and the runtime state. Hand-written to mirror
// schemas/*.json exactly; test/unit/spec-types.test.ts fails if a schema property is
// missing here. Property names are the spec's JSON names.
//
// Integer conventions:
//   uint8/16/32, int32 and "int" fields   -> number
//   int64 / uint64 fields                 -> number | bigint  (the config loader yields a
//                                            bigint for integers beyond 2^53)

/** An int64 or uint64 value: a bigint when the JSON literal does not fit a double exactly. */
export type Int64 = number | bigint;
export type Uint64 = number | bigint;

// ---------------------------------------------------------------------------------------
// Top level

export interface Spec {
  /** SemVer 2.0.0 version of the runtime-spec the bundle complies with. */
  ociVersion: string;
  /** Container process; required when `start` is called. */
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  /** Other platforms: accepted, not interpreted by tsrun. */
  solaris?: Record<string, unknown>;
  windows?: Record<string, unknown>;
  vm?: Record<string, unknown>;
  zos?: Record<string, unknown>;
  freebsd?: Record<string, unknown>;
}

export interface Root {
  /** Absolute, or relative to the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  /** Path inside the container; relative paths are deprecated and taken relative to "/". */
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  /** Idmapped mount; must be given together with gidMappings. */
  uidMappings?: LinuxIdMapping[];
  gidMappings?: LinuxIdMapping[];
}

// ---------------------------------------------------------------------------------------
// Process

export interface Process {
  terminal?: boolean;
  consoleSize?: Box;
  user?: User;
  /** Absolute path. */
  cwd: string;
  /** "KEY=value" entries. */
  env?: string[];
  /** At least one entry (non-Windows). */
  args?: string[];
  /** Windows only. */
  commandLine?: string;
  rlimits?: POSIXRlimit[];
  apparmorProfile?: string;
  capabilities?: LinuxCapabilities;
  noNewPrivileges?: boolean;
  /** -1000..1000. */
  oomScoreAdj?: number;
  scheduler?: Scheduler;
  selinuxLabel?: string;
  ioPriority?: LinuxIOPriority;
  execCPUAffinity?: ExecCPUAffinity;
}

export interface Box {
  height: number;
  width: number;
}

export interface User {
  /** 0..2^31-1; 0 when missing (runc) */
  uid?: number;
  /** 0..2^31-1; 0 when missing (runc) */
  gid?: number;
  /** uint32 */
  umask?: number;
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

export interface POSIXRlimit {
  /** RLIMIT_* name. */
  type: string;
  hard: Uint64;
  soft: Uint64;
}

export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export type LinuxSchedulerPolicy =
  | 'SCHED_OTHER'
  | 'SCHED_FIFO'
  | 'SCHED_RR'
  | 'SCHED_BATCH'
  | 'SCHED_ISO'
  | 'SCHED_IDLE'
  | 'SCHED_DEADLINE';

export type LinuxSchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';

export interface Scheduler {
  policy: LinuxSchedulerPolicy;
  nice?: number;
  priority?: number;
  flags?: LinuxSchedulerFlag[];
  runtime?: Uint64;
  deadline?: Uint64;
  period?: Uint64;
}

export type IOPriorityClass = 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';

export interface LinuxIOPriority {
  class: IOPriorityClass;
  /** 0 (highest) .. 7 (lowest); 0 when missing (runc). */
  priority?: number;
}

export interface ExecCPUAffinity {
  /** CPU list such as "0-3,7", applied before joining the container cgroup. */
  initial?: string;
  /** CPU list applied after joining the container cgroup. */
  final?: string;
}

// ---------------------------------------------------------------------------------------
// Hooks

export interface Hook {
  /** Absolute path. */
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds, > 0. */
  timeout?: number;
}

export interface Hooks {
  /** Deprecated in favour of createRuntime/createContainer/startContainer. */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

// ---------------------------------------------------------------------------------------
// Linux

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  /** Namespace file to join (absolute path); absent = create a new namespace. */
  path?: string;
}

export interface LinuxIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface LinuxTimeOffset {
  secs?: Int64;
  nanosecs?: number;
}

export type LinuxDeviceType = 'c' | 'b' | 'u' | 'p';

export interface LinuxDevice {
  type: LinuxDeviceType;
  path: string;
  /** Required unless type is "p". */
  major?: Int64;
  minor?: Int64;
  /** Permission bits, decimal in JSON (e.g. 438 = 0666). */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxNetDevice {
  /** Name inside the container; defaults to the host name (the map key). */
  name?: string;
}

export type RootfsPropagation =
  | 'private'
  | 'shared'
  | 'slave'
  | 'unbindable'
  | 'rprivate'
  | 'rshared'
  | 'rslave'
  | 'runbindable';

export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIdMapping[];
  gidMappings?: LinuxIdMapping[];
  /** Keyed by clock name ("monotonic", "boottime"). */
  timeOffsets?: Record<string, LinuxTimeOffset>;
  devices?: LinuxDevice[];
  /** Keyed by the host interface name. */
  netDevices?: Record<string, LinuxNetDevice>;
  cgroupsPath?: string;
  resources?: LinuxResources;
  intelRdt?: LinuxIntelRdt;
  memoryPolicy?: LinuxMemoryPolicy;
  sysctl?: Record<string, string>;
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: RootfsPropagation;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: LinuxPersonality;
}

// Resources (cgroups) --------------------------------------------------------------------

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a" (all), "c" or "b"; unset = all. */
  type?: 'a' | 'c' | 'b';
  major?: Int64;
  minor?: Int64;
  /** Combination of r, w, m. */
  access?: string;
}

export interface LinuxMemory {
  /** Bytes, or -1 for unlimited. */
  limit?: Int64;
  reservation?: Int64;
  swap?: Int64;
  kernel?: Int64;
  kernelTCP?: Int64;
  swappiness?: Uint64;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: Uint64;
  quota?: Int64;
  burst?: Uint64;
  period?: Uint64;
  realtimeRuntime?: Int64;
  realtimePeriod?: Uint64;
  cpus?: string;
  mems?: string;
  idle?: Int64;
}

export interface LinuxPids {
  /** -1 = no limit. */
  limit?: Int64;
}

export interface LinuxWeightDevice {
  major: Int64;
  minor: Int64;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: Int64;
  minor: Int64;
  rate: Uint64;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** "<size><unit>B", e.g. "2MB". */
  pageSize: string;
  limit: Uint64;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** Keyed by RDMA device name. */
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name -> value. */
  unified?: Record<string, string>;
}

// Intel RDT / memory policy / personality -----------------------------------------------

export interface LinuxIntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  /** runtime-spec 1.3: one line per element; 1.2: a single string. */
  schemata?: string | string[];
  /** 1.3: replaces enableCMT/enableMBM. */
  enableMonitoring?: boolean;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

export type MemoryPolicyMode =
  | 'MPOL_DEFAULT'
  | 'MPOL_BIND'
  | 'MPOL_INTERLEAVE'
  | 'MPOL_WEIGHTED_INTERLEAVE'
  | 'MPOL_PREFERRED'
  | 'MPOL_PREFERRED_MANY'
  | 'MPOL_LOCAL';

export type MemoryPolicyFlag = 'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES';

export interface LinuxMemoryPolicy {
  mode: MemoryPolicyMode;
  /** Node list such as "0-3,7". */
  nodes?: string;
  flags?: MemoryPolicyFlag[];
}

export interface LinuxPersonality {
  domain: 'LINUX' | 'LINUX32';
  flags?: string[];
}

// Seccomp ----------------------------------------------------------------------------------

export type LinuxSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type LinuxSeccompArch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_LOONGARCH64'
  | 'SCMP_ARCH_M68K'
  | 'SCMP_ARCH_SH'
  | 'SCMP_ARCH_SHEB';

export type LinuxSeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export type LinuxSeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface LinuxSeccompArg {
  /** Syscall argument index 0..5. */
  index: number;
  value: Uint64;
  valueTwo?: Uint64;
  op: LinuxSeccompOperator;
}

export interface LinuxSyscall {
  names: string[];
  action: LinuxSeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: LinuxSeccompAction;
  defaultErrnoRet?: number;
  architectures?: LinuxSeccompArch[];
  flags?: LinuxSeccompFlag[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

// ---------------------------------------------------------------------------------------
// Runtime state (runtime.md "State", plus the extra fields runc prints)

export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Required when status is created, running or paused. */
  pid?: number;
  /** Absolute path to the bundle directory. */
  bundle: string;
  annotations?: Record<string, string>;
  /** runc extras. */
  rootfs?: string;
  /** RFC 3339 creation time. */
  created?: string;
  owner?: string;
}
