// Spec -> everything create needs: the native plan the child executes, and the parent's
// own work (id maps, cgroup, oom score, hooks) that the sync protocol interleaves with it.
import fs = require('fs');
import path = require('path');
import type { LinuxIdMapping, LinuxSeccomp, Process, Spec } from '../spec/config-types';
import { planSeccomp } from './seccomp';
import { planAffinity, planIoPriority, planMemoryPolicy, planScheduler, planTimeOffsets } from './process-attrs';
import type { NativePlan } from '../native/addon';
import { ConfigError } from '../errors';
import { CLONE, MS, NAMESPACES } from '../native/constants';
import { planCaps, lastCap } from './capabilities';
import { devSymlinks, needsDevSetup, planDevices } from './devices';
import { fullPseudoMounts, isSharedMount, mountOf } from './mountinfo';
import { hasTimeNamespace } from '../native/kernel';
import { runningInUserNs } from '../native/userns';
import { checkWithoutMountNs } from './mount-namespace';
import { CgroupMountView, planMounts } from './mounts';
import { PROPAGATION } from './mount-options';
import { checkProcess, dedupEnv, pathCandidates, withHome } from './process';
import { planRlimits } from './rlimits';
import { labelMounts, planLsm } from './lsm';
import { sysctlPath } from '../spec/semantic';

export interface PlanOptions {
  bundle: string;
  stubPath: string;
  fifoFd: number;          // -1: none
  preserveFds: number;
  noPivot: boolean;
  consoleFd: number;       // -1: no terminal
  /** Connected console socket (or internal socketpair end) that receives the pty master; -1: none. */
  consoleSocketFd?: number;
  noNewKeyring?: boolean;
  cgroup: CgroupMountView;
  warn: (msg: string) => void;
}

export interface ContainerPlan {
  native: NativePlan;
  rootfs: string;
  newNamespaces: Set<string>;
  uidMappings: LinuxIdMapping[];
  gidMappings: LinuxIdMapping[];
  oomScoreAdj: number | undefined;
}

export function resolveRootfs(spec: Spec, bundle: string): string {
  if (!spec.root?.path) throw new ConfigError('root.path', 'is required');
  const p = path.resolve(bundle, spec.root.path);
  try {
    const real = fs.realpathSync.native(p);
    if (!fs.statSync(real).isDirectory()) throw new ConfigError('root.path', `${p}: not a directory`);
    return real;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('root.path', `invalid rootfs: stat ${p}: no such file or directory`);
  }
}

export type ProcessFields = Pick<NativePlan, 'rlimits' | 'umask' | 'cwd' | 'uid' | 'gid' | 'groups' | 'setGroups' | 'caps'
  | 'noNewPrivs' | 'pathCandidates' | 'args' | 'env' | 'stubPath' | 'seccompFd' | 'seccompFlags' | 'preserveFds'
  | 'consoleFd' | 'consoleSocketFd' | 'consoleWidth' | 'consoleHeight' | 'lastCap' | 'seccompProgram' | 'seccompInChild'
  | 'scheduler' | 'ioprio' | 'cpusInitial' | 'cpusFinal' | 'seccompNotify' | 'seccompListener' | 'lsmAttr' | 'lsmValue'>;

/** The part of the plan that process (config.json's or exec's process.json) decides. */
export function processFields(
  proc: Process, rootfs: string,
  opts: Pick<PlanOptions, 'stubPath' | 'preserveFds' | 'consoleFd' | 'warn' | 'consoleSocketFd'> & { seccomp?: LinuxSeccomp },
): ProcessFields {
  const lsm = planLsm(proc);
  const user = proc.user ?? {};
  const uid = user.uid ?? 0; // runc: Go's zero value for a missing id
  const env = withHome(dedupEnv(proc.env ?? []), rootfs, uid);
  const args = proc.args!;
  const seccomp = planSeccomp(opts.seccomp);
  return {
    rlimits: planRlimits(proc.rlimits),
    umask: user.umask ?? -1,
    cwd: proc.cwd,
    uid, gid: user.gid ?? 0,
    groups: user.additionalGids ?? [],
    setGroups: true,
    caps: planCaps(proc.capabilities, opts.warn),
    noNewPrivs: proc.noNewPrivileges === true,
    pathCandidates: pathCandidates(args[0], env),
    args, env,
    stubPath: opts.stubPath,
    // no_new_privs: tsrun-init loads the filter after the start handshake; otherwise the child
    // loads it before dropping capabilities (the kernel wants CAP_SYS_ADMIN then), as runc does
    seccompFd: -1, seccompFlags: seccomp?.flags ?? 0,
    // SCMP_ACT_NOTIFY: the child loads it too (with NEW_LISTENER), so the fd reaches the listener during
    // create; with no_new_privs as its last step before tsrun-init (the listener never sees the setup)
    seccompProgram: seccomp?.program, seccompInChild: !!seccomp && (proc.noNewPrivileges !== true || seccomp.notify),
    seccompNotify: seccomp?.notify ?? false,
    seccompListener: seccomp?.notify ? { path: seccomp.listenerPath!, metadata: seccomp.listenerMetadata } : undefined,
    ...lsm,
    preserveFds: opts.preserveFds,
    consoleFd: opts.consoleFd,
    consoleSocketFd: proc.terminal ? (opts.consoleSocketFd ?? -1) : -1,
    consoleWidth: proc.terminal ? proc.consoleSize?.width ?? 0 : 0,
    consoleHeight: proc.terminal ? proc.consoleSize?.height ?? 0 : 0,
    lastCap: lastCap(),
    scheduler: planScheduler(proc.scheduler),
    ioprio: planIoPriority(proc.ioPriority),
    ...planAffinity(proc.execCPUAffinity),
  };
}

/** linux.personality as personality(2) takes it (undefined: leave it). */
export function planPersonality(p: { domain?: string } | undefined): number | undefined {
  return p ? (p.domain === 'LINUX32' ? 0x0008 : 0x0000) : undefined;
}

export function buildPlan(spec: Spec, opts: PlanOptions): ContainerPlan {
  const proc = spec.process;
  checkProcess(proc);
  const rootfs = resolveRootfs(spec, opts.bundle);
  const linux = spec.linux ?? {};
  const nsList = linux.namespaces ?? [];
  const newNs = new Set<string>();
  const joins: NativePlan['joins'] = [];
  nsList.forEach((ns, index) => {
    const info = NAMESPACES[ns.type];
    if (!info) throw new ConfigError(`linux.namespaces[${index}].type`, `unknown namespace type "${ns.type}"`);
    if (ns.type === 'time' && !hasTimeNamespace()) {
      throw new ConfigError(`linux.namespaces[${index}]`, 'time namespaces need Linux 5.6 (CLONE_NEWTIME); this kernel has none (no /proc/self/ns/time)');
    }
    if (ns.path) {
      if (!fs.existsSync(ns.path)) throw new ConfigError(`linux.namespaces[${index}].path`, `${ns.path}: no such file`);
      joins.push({ type: info.flag, path: ns.path, index });
    } else newNs.add(ns.type);
  });
  const joinedUser = nsList.some((n) => n.type === 'user' && n.path);
  const userns = newNs.has('user') || joinedUser;
  const uidMappings = linux.uidMappings ?? [];
  const gidMappings = linux.gidMappings ?? [];
  if (newNs.has('user') && (uidMappings.length === 0 || gidMappings.length === 0)) {
    throw new ConfigError('linux.uidMappings', 'a new user namespace needs uidMappings and gidMappings');
  }
  // a uts namespace of its own, new or joined by path: set there, as runc and crun do
  if ((spec.hostname || spec.domainname) && !nsList.some((n) => n.type === 'uts')) {
    throw new ConfigError(spec.hostname ? 'hostname' : 'domainname', `unable to set ${spec.hostname ? 'hostname' : 'domainname'} without a private UTS namespace`);
  }
  const flagsOf = (names: Iterable<string>) => [...names].reduce((f, n) => f | NAMESPACES[n].flag, 0);
  const twoStage = joins.length > 0 || newNs.has('time');
  const cloneFlags = twoStage ? 0 : flagsOf([...newNs].filter((n) => n !== 'cgroup'));
  const unshareFlags = twoStage ? flagsOf([...newNs].filter((n) => n !== 'user')) : (newNs.has('cgroup') ? CLONE.NEWCGROUP : 0);
  const setupRootfs = newNs.has('mount') || nsList.some((n) => n.type === 'mount' && n.path);
  if (!setupRootfs) checkWithoutMountNs(spec);

  if (linux.intelRdt) {
    throw new ConfigError('linux.intelRdt', fs.existsSync('/sys/fs/resctrl/info')
      ? 'Intel RDT (resctrl) is not supported by this tsrun version yet'
      : 'this host has no resctrl filesystem mounted at /sys/fs/resctrl (Intel RDT unavailable)');
  }
  const joinedUserPath = nsList.find((n) => n.type === 'user' && n.path)?.path;
  const mounts = labelMounts(planMounts(spec.mounts, opts.bundle, opts.cgroup,
    newNs.has('user') ? { uid: uidMappings, gid: gidMappings } : joinedUserPath ? { path: joinedUserPath } : undefined, userns), spec);
  const devSetup = needsDevSetup(spec.mounts);
  const prop = linux.rootfsPropagation ? PROPAGATION[linux.rootfsPropagation] : 0;
  if (linux.rootfsPropagation && prop === undefined) {
    throw new ConfigError('linux.rootfsPropagation', `unknown propagation "${linux.rootfsPropagation}"`);
  }
  const native: NativePlan = {
    rootfs,
    // the mount holding the rootfs, the rootfs's own when it is a mount point (containerd's
    // overlay), made private only where pivot_root needs it (runc's rootfsParentMountPrivate)
    rootfsParentMount: parentMountToMakePrivate(rootfs, prop || (MS.SLAVE | MS.REC)),
    cloneFlags, unshareFlags, twoStage,
    usernsSync: twoStage && newNs.has('user'),
    userns, joins,
    hostname: spec.hostname ?? null,
    domainname: spec.domainname ?? null,
    // the runtime's copy of the mount tree first (what reaches the host, what comes in from it);
    // unbindable there would only make every later bind of a host path fail (runc and crun do
    // fail): the container's "/" gets it after pivot_root instead
    rootPropagation: prop && !(prop & MS.UNBINDABLE) ? prop : (MS.SLAVE | MS.REC),
    // the container's own "/" gets it again after pivot_root (runc 1.4, crun): before it, "/"
    // is the private bind of the rootfs. Private is what it is already.
    rootPropagationAfter: prop && !(prop & MS.PRIVATE) ? prop : 0,
    mounts,
    // bound from the host in a user namespace, ours (rootless podman runs tsrun as root in one) or the container's: no mknod there (runc)
    devices: setupRootfs && devSetup ? planDevices(linux.devices, userns || runningInUserNs()) : [],
    symlinks: setupRootfs && devSetup ? devSymlinks() : [],
    setupRootfs,
    mountSources: setupRootfs && userns && mounts.some((m) => m.kind === 1 && m.source && !m.idmap),
    noPivot: opts.noPivot,
    hidePaths: setupRootfs && opts.noPivot ? fullPseudoMounts(rootfs) : [],
    readonlyRoot: spec.root?.readonly === true,
    enterRootfs: true,
    hooksSync: false,
    masked: linux.maskedPaths ?? [],
    readonly: linux.readonlyPaths ?? [],
    ...processFields(proc, rootfs, { ...opts, seccomp: linux.seccomp }),
    fifoFd: opts.fifoFd,
    setsid: true,
    // sysctl(8)'s mapping: in a dotted key "/" stands for a literal dot; a key whose first separator is "/" is a path
    sysctls: Object.entries(linux.sysctl ?? {}).map(([key, value]) => ({ key, value, path: `/proc/sys/${sysctlPath(key)}` })),
    personality: planPersonality(linux.personality),
    memoryPolicy: planMemoryPolicy(linux.memoryPolicy),
    timeOffsets: planTimeOffsets(linux.timeOffsets),
    newKeyring: !opts.noNewKeyring,
  };
  return { native, rootfs, newNamespaces: newNs, uidMappings, gidMappings, oomScoreAdj: proc.oomScoreAdj };
}

/**
 * runc's rootfsParentMountPrivate: the mount holding the rootfs is made private only if it is
 * still shared once the root propagation is applied (pivot_root refuses a shared parent, and
 * the rootfs bind would propagate back to the host). Otherwise it keeps its propagation: with
 * the default rslave, a rootfs on a shared host mount (systemd hosts) is a slave, as in runc.
 */
function parentMountToMakePrivate(rootfs: string, rootPropagation: number): string | null {
  const parent = mountOf(rootfs);
  if (rootPropagation & MS.REC) return rootPropagation & MS.SHARED ? parent : null;
  // only "/" itself changed: the parent keeps the host's propagation (unless it is "/")
  if (parent === '/') return rootPropagation & MS.SHARED ? parent : null;
  return isSharedMount(parent) ? parent : null;
}
