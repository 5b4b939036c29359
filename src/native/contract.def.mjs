// The contract between tsrun's TypeScript and its native code, defined once: the plan object
// the planner hands the addon (key names, types, which may be absent), the sync protocol's
// record types, the child's step numbers (with the label an error shows), and tsrun-init's
// argv slots and flag bits.
//
// scripts/build-contract.mjs (`npm run build:contract`) generates from this file:
//   addon/contract.h        C and C++: enum MsgType, Step, StubArg, the STUB_* bits, struct Msg,
//                           CONTRACT_VERSION and the plan's keys as typed constants
//                           (contract::plan::uid is a Key<Kind::U32, ...>: the decoder's return
//                           type follows from it, so a key renamed or retyped here no longer compiles
//                           where addon/plan_read.cc reads it)
//   src/native/contract.ts  the same enums, the NativePlan interfaces, and the plan's shape at run
//                           time (PLAN_SHAPE) for test/unit/contract.test.ts and test/e2e/contract.test.ts
// Both outputs are committed (test/unit/contract.test.ts fails when they are stale): every
// build (node-gyp, the static tsrun-init, tsc, esbuild, ts-jest) reads them without a step
// of its own.
//
// Plan key types: 'bool', 'string', 'u32', 'i32', 'u64', 'i64' (JS numbers; the addon also
// takes a bigint that fits), 'u64n' (a bigint in TypeScript), 'buffer', 'string[]', 'u32[]',
// an object (obj(...)) or an array of objects ([obj(...)]). A key name ending in '?' may be
// absent (undefined or null: the addon's default); `nullable` keys must be given but may be
// null. `tsOnly` keys are the TypeScript side's own (read by runChild, never by the addon).
// Anything else the addon refuses with a TypeError naming the key: never 0, never an abort.

const obj = (name, keys) => ({ object: name, keys });
const t = (type, doc, extra = {}) => ({ type, doc, ...extra });

/** Sync records, child <-> parent: the exchange in order is in src/lifecycle/sync.ts. */
export const MSG = [
  ['USERNS', 1, 'child -> parent: stage 1 unshared its user namespace; write the uid/gid maps of msg.pid, then GO'],
  ['PID', 2, "child -> parent: the container's process is msg.pid (stage 1 after its clone; tsrun-init on exec)"],
  ['HOOKS', 3, 'child -> parent: rootfs ready, run prestart/createRuntime/createContainer hooks, then GO'],
  ['ERROR', 4, 'child -> parent: step failed, errno, index, detail; the child exits'],
  ['SECCOMP', 5, 'child -> parent: the seccomp notify fd (SCM_RIGHTS); the parent hands it to the listener, then GO'],
  ['MOUNTSOURCES', 6, 'child -> parent: its mount namespace (SCM_RIGHTS); the parent opens the bind sources there as the host\'s root, sends them (SOURCE), then GO'],
  ['GO', 100, 'parent -> child: proceed'],
  ['SOURCE', 101, "parent -> child: mounts[msg.index]'s source, O_PATH (SCM_RIGHTS)"],
];

/** The child's steps: the number a MSG_ERROR record carries, and its label in errors. */
export const STEPS = [
  ['NONE', 'none'],
  ['SIGNALS', 'reset signals'],
  ['SYNC', 'sync'],
  ['SETNS_OPEN', 'open namespace'],
  ['SETNS', 'join namespace'],
  ['UNSHARE_USER', 'unshare user namespace'],
  ['SETID_USERNS', 'become root in the user namespace'],
  ['UNSHARE', 'unshare namespaces'],
  ['CLONE', 'clone init'],
  ['SETSID', 'setsid'],
  ['HOSTNAME', 'sethostname'],
  ['DOMAINNAME', 'setdomainname'],
  ['ROOT_PROPAGATION', 'set rootfs propagation'],
  ['ROOTFS_BIND', 'bind rootfs'],
  ['MOUNT_TARGET', 'create mount point'],
  ['MOUNT', 'mount'],
  ['MOUNT_REMOUNT', 'remount'],
  ['MOUNT_PROPAGATION', 'set mount propagation'],
  ['DEVICE', 'create device'],
  ['SYMLINK', 'create symlink'],
  ['PIVOT', 'pivot_root'],
  ['MASK', 'mask path'],
  ['READONLY_PATH', 'make path read-only'],
  ['READONLY_ROOT', 'make rootfs read-only'],
  ['RLIMIT', 'setrlimit'],
  ['LOOKUP', 'exec'],
  ['CHDIR', 'chdir'],
  ['SETGROUPS', 'setgroups'],
  ['SETGID', 'setgid'],
  ['SETUID', 'setuid'],
  ['CAPS', 'capabilities'],
  ['NNP', 'no_new_privs'],
  ['FDS', 'file descriptors'],
  ['EXEC_INIT', 'exec init'],
  ['CONSOLE', 'console'],
  ['MOUNT_SETATTR', 'set recursive mount attributes'],
  ['KEYRING', 'join session keyring'],
  ['SECCOMP', 'load seccomp filter'],
  ['SYSCTL', 'sysctl'],
  ['PERSONALITY', 'personality'],
  ['SCHEDULER', 'scheduler'],
  ['IOPRIO', 'ioPriority'],
  ['AFFINITY', 'execCPUAffinity'],
  ['MEMPOLICY', 'memoryPolicy'],
  ['TIME_OFFSETS', 'timeOffsets'],
  ['LSM', 'LSM label'],
];

/** tsrun-init's argv slots, from 1 (argv[0] is "tsrun-init"); the user's argv starts at ARGV. */
export const STUB_ARGS = [
  ['FIFO_FD', "O_PATH fd of the state dir's exec.fifo, or -1 (exec: no wait)"],
  ['SECCOMP_FD', 'fd holding "u32 count + count*8 bytes" of BPF, or -1'],
  ['FLAGS', 'decimal bits: the seccomp filter flags (1 TSYNC, 2 LOG, 4 SPEC_ALLOW) | STUB_*'],
  ['PROC_FD', "O_PATH fd of a procfs of the container's pid namespace the runtime mounted and verified, or -1"],
  ['LSM_ATTR', 'attr file below PROC_FD to write ("thread-self/attr/apparmor/exec"), or ""'],
  ['LSM_VALUE', 'what to write there ("exec PROFILE", or an SELinux label)'],
  ['SYNC_FD', "exec: the runtime's sync socket (tsrun-init forks into the pid namespace and sends MSG_PID), or -1"],
  ['HOOKS_FD', 'startContainer hooks (sealed memfd), or -1'],
  ['PATH', 'the resolved executable (filled by the child after its PATH lookup)'],
  ['ARGV', "the user's argv[0]; the rest of argv follows"],
];

/** FLAGS bits of tsrun-init beyond the seccomp filter flags. */
export const STUB_FLAGS = [
  ['SETSID', 20, 'after the fork into the pid namespace: setsid'],
  ['CTTY', 21, '... and make fd 0 (a pty) the controlling terminal'],
];

const NativeMount = obj('NativeMount', {
  source: t('string', 'host path for binds, fs source otherwise', { nullable: true }),
  target: t('string', 'path relative to the rootfs'),
  fstype: t('string', null, { nullable: true }),
  data: t('string', null, { nullable: true }),
  kind: t('u32', '0: mount(source, target, fstype, flags, data); 1: bind (MS_REC in flags: rbind), then remount with flags', { ts: '0 | 1' }),
  flags: t('u64', 'MS_* flags of the mount itself (no propagation bits)'),
  propagation: t('u64', 'MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), applied after'),
  isFile: t('bool', 'create a file (not a directory) as the mount point'),
  index: t('i32', 'index in config.json mounts[] (-1: added by the runtime)'),
  'attrSet?': t('u64', 'mount_setattr(AT_RECURSIVE) bits, for the r* options (rro, rnosuid, ...)'),
  'attrClr?': t('u64'),
  'tmpcopyup?': t('bool', "tmpfs: copy the directory's previous contents into the new mount"),
  'idmap?': t('ts', 'Idmapped bind: the mappings (uid_map/gid_map text); runChild turns them into treeFd', {
    tsOnly: true, ts: '{ uidMap: string; gidMap: string; recursive: boolean; idmapRecursive: boolean; usernsPath?: string }',
  }),
  'treeFd?': t('i32', 'a detached idmapped tree made by the parent, moved into place by the child'),
  'procOk?': t('bool', 'the destination is /proc or an allowlisted /proc file: the child lets it resolve into procfs'),
  'roLater?': t('u32', '`ro` applied later by a bind remount of the mount\'s fd: 1 after tmpcopyup, 2 after /dev is populated', { ts: '0 | 1 | 2' }),
  'fallbackBind?': t('string', "a filesystem the container's user namespace may not mount (EPERM, or EBUSY for cgroup2): this host directory bound instead, with the mount's flags"),
});

const NativeDevice = obj('NativeDevice', {
  path: t('string', 'relative to the rootfs'),
  hostPath: t('string', 'host device to bind-mount where mknod is not allowed (user namespace)', { nullable: true }),
  mode: t('u32', 'S_IFCHR/S_IFBLK/S_IFIFO | permission bits'),
  major: t('i64', "linux.devices[].major (int64); the child takes it as uint32, as runc's unix.Mkdev does"),
  minor: t('i64'),
  uid: t('u32'),
  gid: t('u32'),
  index: t('i32', 'index in linux.devices[] (-1: a default device)'),
});

const NativeCaps = obj('NativeCaps', {
  bounding: t('u64n'), effective: t('u64n'), permitted: t('u64n'), inheritable: t('u64n'), ambient: t('u64n'),
});

/** What the child executes between clone and exec (addon/plan.h's struct Plan is built from it). */
export const PLAN = obj('NativePlan', {
  rootfs: t('string', 'absolute host path'),
  rootfsParentMount: t('string', 'host mount holding the rootfs (its own when it is a mount point), made private for pivot_root', { nullable: true }),
  cloneFlags: t('u64', 'namespaces created at clone time'),
  unshareFlags: t('u64', "namespaces unshared by the child after the parent's go"),
  twoStage: t('bool', 'join/unshare then fork again (joins, time namespace)'),
  usernsSync: t('bool', "stage 1 unshares the user namespace and waits for the parent's maps (MSG.USERNS)"),
  userns: t('bool', 'the init ends up in a user namespace (new or joined): become its root first'),
  'mapsUnprivileged?': t('bool', 'rootless: the maps of the new user namespace are written by an unprivileged parent (or newuidmap): the child stays dumpable until then'),
  joins: t([obj('NativeJoin', { type: t('u32', 'CLONE_NEW* flag'), path: t('string'), index: t('i32', 'index in linux.namespaces[]') })], 'namespaces joined by path (setns)'),
  hostname: t('string', null, { nullable: true }),
  domainname: t('string', null, { nullable: true }),
  rootPropagation: t('u64'),
  'rootPropagationAfter?': t('u64', 'linux.rootfsPropagation applied to the container\'s "/" after pivot_root (0: none)'),
  mounts: t([NativeMount]),
  devices: t([NativeDevice]),
  symlinks: t([obj('NativeSymlink', { target: t('string'), link: t('string', 'relative to the rootfs') })]),
  setupRootfs: t('bool', 'a mount namespace: do the rootfs work at all'),
  noPivot: t('bool'),
  readonlyRoot: t('bool'),
  hooksSync: t('bool', 'stop before pivot_root for the createRuntime/createContainer hooks (MSG.HOOKS)'),
  'mountSources?': t('bool', 'the init is in a user namespace: bind sources are opened by the parent (MSG.MOUNTSOURCES)'),
  'hidePaths?': t('string[]', '--no-pivot: procfs and sysfs mounts outside the rootfs, detached (or covered) before the chroot'),
  enterRootfs: t('bool', 'pivot_root/chroot into the rootfs (create); false for exec, which joins the mount namespace'),
  masked: t('string[]'),
  readonly: t('string[]'),
  rlimits: t([obj('NativeRlimit', { resource: t('u32'), soft: t('u64n'), hard: t('u64n'), index: t('i32', 'index in process.rlimits[]') })]),
  umask: t('i32', '-1: leave'),
  cwd: t('string'),
  uid: t('u32'),
  gid: t('u32'),
  groups: t('u32[]'),
  setGroups: t('bool'),
  caps: t(NativeCaps, 'null: leave the capabilities alone', { nullable: true }),
  noNewPrivs: t('bool'),
  pathCandidates: t('string[]', 'args[0] looked up along PATH, in order'),
  args: t('string[]'),
  env: t('string[]'),
  stubPath: t('string', 'tsrun-init, copied into a sealed memfd the child execs'),
  fifoFd: t('i32', 'O_PATH exec.fifo (-1 for exec)'),
  seccompFd: t('i32', '-1 for none'),
  seccompFlags: t('u32', 'SECCOMP_FILTER_FLAG_*'),
  preserveFds: t('i32', 'fds 3..3+n-1 stay open'),
  setsid: t('bool'),
  lastCap: t('i32', '/proc/sys/kernel/cap_last_cap'),
  newKeyring: t('bool', "join a fresh anonymous session keyring (runc's default)"),
  consoleSocketFd: t('i32', 'process.terminal: open a pty in the container and send its master over this socket (-1: no terminal)'),
  consoleWidth: t('u32', 'process.consoleSize (uint32); the child takes it as uint16, as runc does'),
  consoleHeight: t('u32'),
  'seccompProgram?': t('buffer', 'the BPF filter (struct sock_filter[]), loaded by the child (seccompInChild) or by tsrun-init'),
  'seccompInChild?': t('bool', 'load before dropping privileges (no no_new_privs: needs CAP_SYS_ADMIN)'),
  'seccompNotify?': t('bool', 'SCMP_ACT_NOTIFY in the filter: the child loads it with NEW_LISTENER and sends the fd (MSG.SECCOMP)'),
  'seccompListener?': t('ts', 'where create/exec send the notify fd', { tsOnly: true, ts: '{ path: string; metadata?: string }' }),
  'lsmAttr?': t('string', 'AppArmor/SELinux: the attr file below /proc tsrun-init writes lsmValue to, right before execve'),
  'lsmValue?': t('string'),
  'sysctls?': t([obj('NativeSysctl', {
    path: t('string', '/proc/sys/...'),
    value: t('string'),
    key: t('ts', 'the linux.sysctl key, for messages', { tsOnly: true, ts: 'string' }),
  })], 'linux.sysctl, written in the container after pivot_root'),
  'personality?': t('i64', 'personality(2) value for linux.personality (absent: leave)'),
  'scheduler?': t(obj('NativeScheduler', {
    policy: t('u32'), flags: t('u64'), nice: t('i32'),
    priority: t('i32', 'process.scheduler.priority (int32); sched_setattr takes it as uint32'),
    runtime: t('u64n'), deadline: t('u64n'), period: t('u64n'),
  }), 'process.scheduler (sched_setattr)'),
  'ioprio?': t('i32', 'ioprio_set(2) value: class << 13 | level'),
  'cpusInitial?': t('u32[]', 'execCPUAffinity.initial (CPUs below 1024)'),
  'cpusFinal?': t('u32[]'),
  'memoryPolicy?': t(obj('NativeMemoryPolicy', { mode: t('u32'), nodes: t('u32[]', 'nodes below 1024') }), 'linux.memoryPolicy (set_mempolicy)'),
  'timeOffsets?': t('string', '/proc/self/timens_offsets text for a new time namespace'),
  'cgroupFd?': t('i32', 'cgroup2 directory fd: clone3(CLONE_INTO_CGROUP) so the child starts in its cgroup (-1: no)'),
  'mountConsole?': t('bool', 'bind the pty slave over /dev/console (create, not exec)'),
  'forkInStub?': t('bool', "exec: the child joins every namespace but pid and never enters the container's pid namespace; tsrun-init forks into it and reports the pid (MSG.PID)"),
  'hooksBlob?': t('buffer', 'startContainer hooks for tsrun-init (src/hooks/start-hooks.ts), handed over in a sealed memfd'),
});
