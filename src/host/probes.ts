// What this host gives containers, probed (never assumed from the kernel version: a seccomp
// filter tsrun itself runs under, or a distribution's backports, decide too). `tsrun check`
// reports these with a verdict each; `tsrun features` lists only what they found.
import fs = require('fs');
import os = require('os');
import path = require('path');
import { detectCgroups } from '../cgroups/detect';
import { addon, addonFile, stubPath } from '../native/addon';
import { NAMESPACES } from '../native/constants';
import { apparmorEnabled, selinuxEnabled } from '../plan/host-facts';

export type SyscallState = 'ok' | 'missing' | 'blocked' | 'unknown';

export interface HostProbes {
  kernel: { release: string; major: number; minor: number; arch: string };
  root: boolean;
  cgroup: { mode: 'v1' | 'v2' | 'hybrid' | 'none'; error?: string; unified?: string; controllers: string[]; systemd: boolean };
  /** runtime-spec namespace type -> the kernel has it (/proc/self/ns/X). */
  namespaces: Record<string, boolean>;
  userns: { maxUserNamespaces: number | null };
  seccomp: { enabled: boolean; actions: string[] };
  /** Syscall -> probed state (addon/probe.cc). */
  syscalls: Record<string, SyscallState>;
  /** An idmapped clone of a directory really made (null: not tried, needs root and the syscalls). */
  idmap: { ok: boolean | null; on: string; error?: string };
  lsm: { active: string[]; apparmor: boolean; selinux: boolean };
  overlay: 'loaded' | 'module' | 'missing';
  /** The native addon loaded (a prebuild or a source build), or why none loads. */
  native: { file?: string; error?: string };
}

const read = (f: string): string | null => { try { return fs.readFileSync(f, 'utf8'); } catch { return null; } };
const ENOSYS = 38, EPERM = 1;

let memo: HostProbes | undefined;

export function probeSyscalls(): Record<string, SyscallState> {
  let raw: Record<string, number>;
  try { raw = addon().probeSyscalls(); } catch { return {}; }
  return Object.fromEntries(Object.entries(raw).map(([k, e]) => [k, e === ENOSYS ? 'missing' : e === EPERM ? 'blocked' : 'ok']));
}

function probeCgroup(): HostProbes['cgroup'] {
  const systemd = fs.existsSync('/run/systemd/system');
  try {
    const l = detectCgroups();
    const v2 = l.unified ? (read(path.join(l.unified, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean) : [];
    const v1 = [...l.v1.keys()].filter((k) => !k.startsWith('name='));
    return { mode: l.mode, unified: l.unified, controllers: [...new Set([...v1, ...v2])].sort(), systemd };
  } catch (e) {
    return { mode: 'none', error: (e as Error).message, controllers: [], systemd };
  }
}

function probeIdmap(syscalls: Record<string, SyscallState>, userns: boolean): HostProbes['idmap'] {
  const on = os.tmpdir();
  if (process.getuid?.() !== 0 || !userns || syscalls.open_tree !== 'ok' || syscalls.mount_setattr !== 'ok') return { ok: null, on };
  try {
    // a detached idmapped clone of the directory, dropped at once: nothing is attached anywhere
    addon().close(addon().idmappedTree(on, false, false, '0 100000 1', '0 100000 1'));
    return { ok: true, on };
  } catch (e) {
    return { ok: false, on, error: (e as Error).message };
  }
}

function probeOverlay(): HostProbes['overlay'] {
  if (/\toverlay$/m.test(read('/proc/filesystems') ?? '')) return 'loaded';
  const dir = `/lib/modules/${os.release()}/kernel/fs/overlayfs`;
  return fs.existsSync(dir) ? 'module' : 'missing';
}

function probeNative(): HostProbes['native'] {
  let file: string;
  try { file = addonFile(); } catch (e) { return { error: (e as Error).message }; }
  // create execs tsrun-init from beside the addon: one without the other is a broken install
  const init = stubPath();
  try { fs.accessSync(init, fs.constants.X_OK); } catch (e) { return { error: `${init}: ${(e as NodeJS.ErrnoException).code}: the init stub built with ${file} is missing; reinstall tsrun` }; }
  return { file };
}

export function hostProbes(): HostProbes {
  if (memo) return memo;
  const [major, minor] = os.release().split(/[.-]/).map(Number);
  const namespaces = Object.fromEntries(Object.entries(NAMESPACES).map(([t, n]) => [t, fs.existsSync(`/proc/self/ns/${n.proc}`)]));
  const max = read('/proc/sys/user/max_user_namespaces');
  const syscalls = probeSyscalls();
  const actions = read('/proc/sys/kernel/seccomp/actions_avail');
  const lsmList = read('/sys/kernel/security/lsm');
  memo = {
    kernel: { release: os.release(), major, minor, arch: process.arch },
    root: process.getuid?.() === 0,
    cgroup: probeCgroup(),
    namespaces,
    userns: { maxUserNamespaces: max === null ? null : Number(max) },
    seccomp: { enabled: /^Seccomp:/m.test(read('/proc/self/status') ?? ''), actions: actions ? actions.trim().split(/\s+/) : [] },
    syscalls,
    idmap: probeIdmap(syscalls, namespaces.user && max !== '0\n'),
    lsm: { active: lsmList ? lsmList.trim().split(',').filter(Boolean) : [], apparmor: apparmorEnabled(), selinux: selinuxEnabled() },
    overlay: probeOverlay(),
    native: probeNative(),
  };
  return memo;
}
