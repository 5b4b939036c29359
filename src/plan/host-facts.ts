// What planning needs from the host, gathered here and passed in: the rules of
// src/spec/host-rules.ts and the pure translation of src/plan/* read it, never the host itself.
// Every fact is read at most once and only when asked for (a create that names no r* option
// never probes mount_setattr). Tests pass plain objects of the same shape.
//
// TSRUN_ASSUME_LSM=apparmor|selinux makes tsrun take the LSM as present (tests of the write path
// on hosts without it: the kernel then refuses the write and the error names the attr file).
import fs = require('fs');
import { runningInUserNs } from '../native/userns';
import { addon } from '../native/addon';
import { idmapMissing, kernelSupport, missingText } from '../native/kernel';
import { LINUX_CAPABILITIES } from '../spec/capabilities';
import type { HostSupport } from '../spec/host-rules';
import type { SeccompDescriptor } from './seccomp';

export interface HostFacts extends HostSupport {
  /** /proc/self/mountinfo (the runtime's mount namespace). */
  readonly mountinfo: string;
  /** /proc/kcore exists: /dev/core links to it, as in runc. */
  readonly kcore: boolean;
  /** tsrun itself runs in a user namespace (rootless podman runs it as root in one): no mknod, devices are bound. */
  readonly runningInUserNs: boolean;
  /** The attr file (relative to the container's /proc) an AppArmor exec profile is written to. */
  readonly apparmorExecAttr: string;
  /**
   * The image's /etc/passwd, read inside the rootfs (symlinks resolve in the root, only a regular
   * file up to PASSWD_MAX_BYTES); null when there is none usable.
   */
  passwd(rootfs: string): string | null;
  /** The BPF program of a seccomp descriptor (libseccomp, in the addon). */
  compileSeccomp(d: SeccompDescriptor): Buffer;
}

/** Larger than this, the image's /etc/passwd is not read (HOME falls back to "/"). */
export const PASSWD_MAX_BYTES = 4 << 20;

function assumedLsm(name: string): boolean {
  return (process.env.TSRUN_ASSUME_LSM ?? '').split(',').map((s) => s.trim()).includes(name);
}

export function apparmorEnabled(): boolean {
  if (assumedLsm('apparmor')) return true;
  try { return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch { return false; }
}

export function selinuxEnabled(): boolean {
  if (assumedLsm('selinux')) return true;
  try { return fs.statfsSync('/sys/fs/selinux').type === 0xf97cff8c; } catch { return false; }
}

let lastCapCache: number | undefined;
/** The highest capability number this kernel has (the table's last when unreadable). */
export function lastCap(): number {
  if (lastCapCache === undefined) {
    try { lastCapCache = parseInt(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10); }
    catch { lastCapCache = LINUX_CAPABILITIES.length - 1; }
  }
  return lastCapCache;
}

/** Memoizes a getter's value on first use. */
function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) { v = f(); done = true; }
    return v;
  };
}

/** The facts of the running host. One per create or exec: paths are looked at when asked, once each. */
const PROC_SUPER_MAGIC = 0x9fa0;

export class LiveHostFacts implements HostFacts {
  private readonly realpaths = new Map<string, string | undefined>();
  private readonly kinds = new Map<string, 'dir' | 'other' | 'missing'>();
  private readonly mountinfoText = once(() => fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  private readonly apparmorOn = once(apparmorEnabled);
  private readonly selinuxOn = once(selinuxEnabled);

  get lastCap(): number { return lastCap(); }
  get apparmor(): boolean { return this.apparmorOn(); }
  get selinux(): boolean { return this.selinuxOn(); }
  get timeNamespace(): boolean { return fs.existsSync('/proc/self/ns/time'); }
  get resctrl(): boolean { return fs.existsSync('/sys/fs/resctrl/info'); }
  get mountSetattrMissing(): string | undefined {
    const errno = kernelSupport().mountSetattr;
    return errno === 0 ? undefined : missingText(errno);
  }
  get idmapMissing(): string | undefined { return idmapMissing(); }
  get mountinfo(): string { return this.mountinfoText(); }
  get kcore(): boolean { return fs.existsSync('/proc/kcore'); }
  get runningInUserNs(): boolean { return runningInUserNs(); }
  get apparmorExecAttr(): string {
    // Linux 5.8+ has a per-LSM directory; older kernels take AppArmor's value in attr/exec
    return fs.existsSync('/proc/self/attr/apparmor/exec') ? 'thread-self/attr/apparmor/exec' : 'thread-self/attr/exec';
  }

  realpath(p: string): string | undefined {
    if (!this.realpaths.has(p)) {
      let real: string | undefined;
      try { real = fs.realpathSync.native(p); } catch { real = undefined; }
      this.realpaths.set(p, real);
    }
    return this.realpaths.get(p);
  }

  kind(p: string): 'dir' | 'other' | 'missing' {
    let k = this.kinds.get(p);
    if (k === undefined) {
      try { k = fs.statSync(p).isDirectory() ? 'dir' : 'other'; } catch { k = 'missing'; }
      this.kinds.set(p, k);
    }
    return k;
  }

  onProcfs(p: string): boolean {
    try { return fs.statfsSync(p).type === PROC_SUPER_MAGIC; } catch { return false; }
  }

  passwd(rootfs: string): string | null {
    try {
      return addon().readFileInRoot(rootfs, 'etc/passwd', PASSWD_MAX_BYTES)?.toString('utf8') ?? null;
    } catch (e) {
      // missing, not a regular file, too large, unreadable: HOME=/ (an errno); anything else is a bug
      if (typeof (e as { errno?: unknown }).errno !== 'number') throw e;
      return null;
    }
  }

  compileSeccomp(d: SeccompDescriptor): Buffer {
    return addon().buildSeccomp(d);
  }
}
