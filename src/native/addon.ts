// Typed access to the C++ addon (build/Release/tsrun.node) and the init stub next to it.
import fs = require('fs');
import path = require('path');
import { CONTRACT_VERSION, type NativePlan } from './contract';

// The plan's types are generated from the contract (src/native/contract.def.mjs).
export type {
  NativeCaps, NativeDevice, NativeJoin, NativeMemoryPolicy, NativeMount, NativePlan, NativeRlimit, NativeScheduler, NativeSymlink, NativeSysctl,
} from './contract';

export interface KernelSupport {
  openTree: number; moveMount: number; fsopen: number; clone3: number; closeRange: number; openat2: number; mountSetattr: number;
}

export interface SyncMsg { type: number; step: number; errno: number; pid: number; index: number; detail: string; fd?: number }
export interface WaitStatus { pid: number; code: number | null; signal: number | null }

export interface Addon {
  /** Throws a TypeError naming the key ("plan.uid: expected a uint32, got string") for a plan off the contract. */
  spawn(plan: NativePlan): { pid: number; syncFd: number; intoCgroup: boolean };
  /** The contract test's round trip: the plan as the child would read it (plus _stubArgv), or the TypeError spawn would throw. Spawns nothing. */
  decodePlanForTest(plan: unknown): Record<string, unknown> & { _stubArgv: (string | null)[] };
  /** The contract the addon was built with (addon/contract.h). */
  contract: { version: string; msg: Record<string, number>; step: Record<string, number>; stubArg: Record<string, number>; stubFlag: Record<string, number> };
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
  connectUnix(path: string): number;
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
  /** Whether `fd` is readable (data, EOF or a pending error) within timeoutMs; false on timeout. */
  pollIn(fd: number, timeoutMs: number): boolean;
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
    const a = require(path.join(dir, 'tsrun.node')) as Addon;
    // an addon built from another contract would read this plan differently: refuse it
    if (a.contract?.version !== CONTRACT_VERSION) {
      throw new Error(`tsrun addon ${path.join(dir, 'tsrun.node')} was built for contract ${a.contract?.version ?? '(none)'}, this code needs ${CONTRACT_VERSION}: rebuild it (\`npm run build\`)`);
    }
    cached = { addon: a, dir };
  }
  return cached.addon;
}

export function stubPath(): string {
  addon();
  return path.join(cached!.dir, 'tsrun-init');
}
