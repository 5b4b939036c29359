// Typed access to the C++ addon (build/Release/tsrun.node) and the init stub next to it.
import fs = require('fs');
import path = require('path');

export interface NativeMount {
  source: string | null; target: string; fstype: string | null; data: string | null;
  kind: 0 | 1; flags: number; propagation: number; isFile: boolean; index: number;
  /** mount_setattr(AT_RECURSIVE) bits, for the r* options (rro, rnosuid, ...). */
  attrSet?: number; attrClr?: number;
  /** tmpfs: copy the directory's previous contents into the new mount. */
  tmpcopyup?: boolean;
  /** Idmapped bind: the mappings (uid_map/gid_map text); create turns them into a tree fd. */
  idmap?: { uidMap: string; gidMap: string; recursive: boolean; idmapRecursive: boolean; usernsPath?: string };
  treeFd?: number;
  /** The destination is /proc or an allowlisted /proc file: the child lets it resolve into procfs. */
  procOk?: boolean;
  /** `ro` applied later by a bind remount of the mount's fd: 1 after tmpcopyup, 2 after /dev is populated. */
  roLater?: 0 | 1 | 2;
}
export interface NativeDevice {
  path: string; hostPath: string | null; mode: number; major: number; minor: number; uid: number; gid: number; index: number;
}
export interface NativeCaps { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint }

/** What the child executes between clone and exec: see addon/plan.h. */
export interface NativePlan {
  rootfs: string; rootfsParentMount: string | null;
  cloneFlags: number; unshareFlags: number; twoStage: boolean; usernsSync: boolean; userns: boolean;
  joins: { type: number; path: string; index: number }[];
  hostname: string | null; domainname: string | null;
  rootPropagation: number;
  /** linux.rootfsPropagation applied to the container's "/" after pivot_root (0: none). */
  rootPropagationAfter?: number;
  mounts: NativeMount[]; devices: NativeDevice[]; symlinks: { target: string; link: string }[];
  setupRootfs: boolean; noPivot: boolean; readonlyRoot: boolean; hooksSync: boolean;
  /** The init is in a user namespace: bind sources are opened by the parent (MSG.MOUNTSOURCES). */
  mountSources?: boolean;
  /** --no-pivot: procfs and sysfs mounts outside the rootfs, detached (or covered) before the chroot. */
  hidePaths?: string[];
  /** pivot_root/chroot into the rootfs (create); false for exec, which joins the mount namespace. */
  enterRootfs: boolean;
  masked: string[]; readonly: string[];
  rlimits: { resource: number; soft: bigint; hard: bigint; index: number }[];
  umask: number; cwd: string; uid: number; gid: number; groups: number[]; setGroups: boolean;
  caps: NativeCaps | null; noNewPrivs: boolean;
  pathCandidates: string[]; args: string[]; env: string[];
  stubPath: string; fifoFd: number; seccompFd: number; seccompFlags: number; preserveFds: number;
  setsid: boolean; consoleFd: number; lastCap: number; newKeyring: boolean;
  /** process.terminal: open a pty in the container and send its master over this socket. */
  consoleSocketFd: number; consoleWidth: number; consoleHeight: number;
  /** The BPF filter (struct sock_filter[]), loaded by the child (seccompInChild) or by tsrun-init. */
  seccompProgram?: Buffer; seccompInChild?: boolean;
  /** SCMP_ACT_NOTIFY in the filter: the child loads it with NEW_LISTENER and sends the fd (MSG.SECCOMP). */
  seccompNotify?: boolean;
  /** Where create/exec send the notify fd (read by runChild, not by the addon). */
  seccompListener?: { path: string; metadata?: string };
  /** AppArmor/SELinux: the attr file below /proc tsrun-init writes lsmValue to, right before execve. */
  lsmAttr?: string; lsmValue?: string;
  /** linux.sysctl as /proc/sys paths, written in the container after pivot_root. */
  sysctls?: { path: string; value: string; key: string }[];
  /** personality(2) value for linux.personality (absent: leave). */
  personality?: number;
  scheduler?: { policy: number; flags: number; nice: number; priority: number; runtime: bigint; deadline: bigint; period: bigint };
  /** ioprio_set(2) value: class << 13 | level. */
  ioprio?: number;
  cpusInitial?: number[]; cpusFinal?: number[];
  memoryPolicy?: { mode: number; nodes: number[] };
  /** /proc/self/timens_offsets text for a new time namespace. */
  timeOffsets?: string;
  /** cgroup2 directory fd: clone3(CLONE_INTO_CGROUP) so the child starts in its cgroup (-1: no). */
  cgroupFd?: number;
  /** Bind the pty slave over /dev/console (create, not exec). */
  mountConsole?: boolean;
  /** exec: the child joins every namespace but pid and never enters the container's pid
   * namespace; tsrun-init forks into it and reports the pid (MSG.PID). */
  forkInStub?: boolean;
  /** startContainer hooks for tsrun-init (src/hooks/start-hooks.ts), handed over in a sealed memfd. */
  hooksBlob?: Buffer;
}

export interface KernelSupport {
  openTree: number; moveMount: number; fsopen: number; clone3: number; closeRange: number; openat2: number; mountSetattr: number;
}

export interface SyncMsg { type: number; step: number; errno: number; pid: number; index: number; detail: string; fd?: number }
export interface WaitStatus { pid: number; code: number | null; signal: number | null }

export interface Addon {
  spawn(plan: NativePlan): { pid: number; syncFd: number; intoCgroup: boolean };
  syncRecv(fd: number, timeoutMs: number): SyncMsg | null;
  /** One sync record; with index and an fd attached (SCM_RIGHTS) for MSG.SOURCE. */
  syncSend(fd: number, type: number, index?: number, passFd?: number): void;
  /** Each path opened O_PATH by this process's root inside the mount namespace nsFd: an fd, or -errno. */
  openInMountNs(nsFd: number, paths: string[]): number[];
  close(fd: number): void;
  waitpid(pid: number, nohang?: boolean): WaitStatus;
  waitExit(pid: number): Promise<WaitStatus>;
  mkfifo(path: string, mode: number): void;
  openPath(path: string): number;
  startFifo(path: string, pid: number, timeoutMs: number): number;
  flock(fd: number, op: number): boolean;
  /** timeoutMs > 0: SO_SNDTIMEO for the connect and later sends; a connect that times out throws errno ETIMEDOUT. */
  connectUnix(path: string, timeoutMs?: number): number;
  /** One sendmsg of data with fds attached (SCM_RIGHTS). */
  sendFds(sock: number, data: string, fds: number[]): void;
  /** A detached clone of source (recursive: rbind) idmapped with uidMap/gidMap, or with the user namespace at usernsPath; idmapRecursive: every mount of the tree (ridmap), else the top one. */
  idmappedTree(source: string, recursive: boolean, idmapRecursive: boolean, uidMap: string, gidMap: string, usernsPath?: string): number;
  /** Per syscall: 0 when this kernel has it, else the errno a probe got (ENOSYS, or EPERM from a parent's filter). */
  kernelSupport(): KernelSupport;
  bindUnixDgram(path: string): number;
  recvDgram(fd: number, timeoutMs: number): string | null;
  sendDgram(path: string, data: string): void;
  socketpair(): [number, number];
  recvFd(fd: number, timeoutMs: number): number;
  setWinsize(fd: number, rows: number, cols: number): void;
  getWinsize(fd: number): { rows: number; cols: number } | null;
  drainFd(fd: number, out: number, idleMs: number): void;
  buildSeccomp(d: { defaultAction: number; arches: string[]; enosys: boolean; rules: { field: string; names: string[]; action: number; args: { index: number; value: bigint; valueTwo: bigint; op: number }[] }[] }): Buffer;
  /**
   * Load a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[], e.g. deviceFilterProgram())
   * and attach it to the cgroup v2 directory with BPF_F_ALLOW_MULTI, replacing the device
   * programs attached there before. Throws an Error with errno (and verifierLog) on failure.
   */
  attachDeviceFilter(cgroupDir: string, program: Buffer): void;
  /**
   * A file of the image, resolved inside `rootfs` with openat2(RESOLVE_IN_ROOT|NO_MAGICLINKS),
   * or the same walk by hand where the kernel has no openat2 (addon/walk.h): absolute and `..`
   * symlinks stay in the rootfs. null when it is missing or unusable: not a regular file (fifo,
   * device, socket, directory) or larger than maxBytes. Throws an Error with errno when the rootfs cannot be opened or the read fails.
   */
  readFileInRoot(rootfs: string, rel: string, maxBytes: number): Buffer | null;
  /** Parent-side fd helpers (addon/pidfd.cc). */
  fds: {
    /** pidfd_open(2) of `pid` (close-on-exec); throws an Error with errno. */
    pidfdOpen(pid: number): number;
    /** Sets FD_CLOEXEC on every open fd >= lowFd that lacks it; returns those fds. */
    markCloexecFrom(lowFd: number): number[];
    /** Clears FD_CLOEXEC again on `fds` (what markCloexecFrom returned). */
    clearCloexec(fds: number[]): void;
    /** Clears ONLCR in the termios of a tty fd (a pty master: the whole pair). */
    clearOnlcr(fd: number): void;
  };
  /** Syscall name -> the errno a harmless invalid call got (0: it succeeded); see addon/probe.cc. */
  probeSyscalls(): Record<string, number>;
}

export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

let cached: { addon: Addon; dir: string } | undefined;

function buildDir(): string {
  // dist/tsrun.js and src/native/addon.ts both sit two levels below the package root.
  for (const up of ['..', '../..', '../../..']) {
    const dir = path.resolve(__dirname, up, 'build', 'Release');
    if (fs.existsSync(path.join(dir, 'tsrun.node'))) return dir;
  }
  throw new Error('tsrun addon not built: run `npm run build` (build/Release/tsrun.node is missing)');
}

export function addon(): Addon {
  if (!cached) {
    const dir = buildDir();
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    cached = { addon: require(path.join(dir, 'tsrun.node')) as Addon, dir };
  }
  return cached.addon;
}

export function stubPath(): string {
  addon();
  return path.join(cached!.dir, 'tsrun-init');
}
