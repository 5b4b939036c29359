// Typed access to the C++ addon (a source build in build/Release, or the prebuild in prebuilds/) and the init stub next to it.
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
  /** True once fd is readable (or at EOF/error), false after timeoutMs: a uv_poll on the event loop, never a blocked thread. */
  waitReadable(fd: number, timeoutMs: number): Promise<boolean>;
  /** One sync record; with index and an fd attached (SCM_RIGHTS) for MSG.SOURCE. */
  syncSend(fd: number, type: number, index?: number, passFd?: number): void;
  /** Each path opened O_PATH by this process's root inside the mount namespace nsFd: an fd, or -errno. */
  openInMountNs(nsFd: number, paths: string[]): number[];
  close(fd: number): void;
  waitpid(pid: number, nohang?: boolean): WaitStatus;
  waitExit(pid: number): Promise<WaitStatus>;
  mkfifo(path: string, mode: number): void;
  openPath(path: string): number;
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
  /** Raise RLIMIT_MEMLOCK of this process when a BPF load needs it (kernels < 5.11): the CLI only. */
  setRaiseMemlock(on: boolean): void;
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

let cached: { addon: Addon; dir: string; file: string } | undefined;

/** The package root: dist/*.js and src/native/addon.ts sit one and two levels below it. */
function packageRoot(): string {
  for (const up of ['..', '../..']) {
    const dir = path.resolve(__dirname, up);
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
  }
  return path.resolve(__dirname, '..');
}

/**
 * The addon file node-gyp-build picks: build/Release/tsrun.node when it was built from source
 * (npm run build, or an install where no prebuild matched), else the prebuild for this
 * platform, arch and libc (prebuilds/linux-<arch>/tsrun.napi.glibc.node, scripts/prebuild.mjs).
 * tsrun-init is the file beside it, built from the same sources.
 */
export function nativeFile(root: string): string {
  // node-gyp-build's first choice, without loading it and reading package.json (every call pays that)
  const built = path.join(root, 'build/Release/tsrun.node');
  if (fs.existsSync(built)) return built;
  // its pick among the prebuilds, for the one name this package ships (glibc), without loading it:
  // node-gyp-build's require and scan cost an installed tsrun 2.5-4.5 ms of CPU per call.
  // LIBC and /etc/alpine-release are how node-gyp-build tells musl; build/Debug it would take first.
  const libc = process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
  const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'tsrun.napi.glibc.node');
  if (libc === 'glibc' && !fs.existsSync(path.join(root, 'build/Debug')) && fs.existsSync(prebuild)) return prebuild;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const gypBuild = require('node-gyp-build') as { path(dir: string): string };
  try {
    return gypBuild.path(root);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new Error(`tsrun: no native addon for ${process.platform}-${process.arch} in ${root}: ${why}; `
      + 'this package has prebuilds for linux x64 and arm64 (glibc); elsewhere build it from source: install a C++ compiler, '
      + 'make, python3 and libseccomp-dev, then `npm rebuild tsrun --allow-scripts=tsrun` (or `npm run build` in a checkout)');
  }
}

export function addon(): Addon {
  if (!cached) {
    const file = nativeFile(packageRoot());
    let loaded: Addon;
    try {
      // process.dlopen, not require(): require's path to it (resolution, the .node extension
      // handler) costs every call that loads the addon ~0.8 ms of CPU more (0.45 against 1.3 ms)
      const m = { exports: {} };
      process.dlopen(m, file);
      loaded = m.exports as Addon;
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(`tsrun: cannot load the native addon ${file}: ${msg}`
        + (/libseccomp\.so/.test(msg) ? ' (install the libseccomp runtime library: Debian/Ubuntu libseccomp2, Fedora/RHEL libseccomp)' : '')
        + (/GLIBC_|GLIBCXX_/.test(msg) ? ' (the prebuild needs glibc 2.33+ and libstdc++ of GCC 11+: build from source with `npm rebuild tsrun --build-from-source --allow-scripts=tsrun`)' : ''));
    }
    // an addon built from another contract would read this plan differently: refuse it
    if (loaded.contract?.version !== CONTRACT_VERSION) {
      throw new Error(`tsrun addon ${file} was built for contract ${loaded.contract?.version ?? '(none)'}, this code needs ${CONTRACT_VERSION}: rebuild it (\`npm run build\`)`);
    }
    cached = { addon: loaded, dir: path.dirname(file), file };
    if (raiseMemlock) loaded.setRaiseMemlock(true);
  }
  return cached.addon;
}

let raiseMemlock = false;
/** The CLI's process may raise its own RLIMIT_MEMLOCK for a BPF load (a library's host never). */
export function allowRaisingMemlock(): void {
  raiseMemlock = true;
  cached?.addon.setRaiseMemlock(true);
}

/** The addon file loaded (throws as addon() does when none loads). */
export function addonFile(): string {
  addon();
  return cached!.file;
}

/** tsrun-init, the file beside the addon that was loaded. */
export function stubPath(): string {
  addon();
  return path.join(cached!.dir, 'tsrun-init');
}
