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
import { isSharedMount, mountOf } from './mountinfo';
import { CgroupMountView, planMounts } from './mounts';
import { PROPAGATION } from './mount-options';
import { checkProcess, pathCandidates, withHome } from './process';
import { planRlimits } from './rlimits';
import { labelMounts, planLsm } from './lsm';

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
  const user = proc.user ?? { uid: 0, gid: 0 };
  const env = withHome(proc.env ?? [], rootfs, user.uid);
  const args = proc.args!;
  const seccomp = planSeccomp(opts.seccomp);
  return {
    rlimits: planRlimits(proc.rlimits),
    umask: user.umask ?? -1,
    cwd: proc.cwd,
    uid: user.uid, gid: user.gid,
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
    // SCMP_ACT_NOTIFY: the child loads it too (with NEW_LISTENER), so the fd reaches the listener during create
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
  if ((spec.hostname || spec.domainname) && !newNs.has('uts')) {
    throw new ConfigError(spec.hostname ? 'hostname' : 'domainname', 'cannot be set without a new uts namespace');
  }
  const flagsOf = (names: Iterable<string>) => [...names].reduce((f, n) => f | NAMESPACES[n].flag, 0);
  const twoStage = joins.length > 0 || newNs.has('time');
  const cloneFlags = twoStage ? 0 : flagsOf([...newNs].filter((n) => n !== 'cgroup'));
  const unshareFlags = twoStage ? flagsOf([...newNs].filter((n) => n !== 'user')) : (newNs.has('cgroup') ? CLONE.NEWCGROUP : 0);
  const setupRootfs = newNs.has('mount') || nsList.some((n) => n.type === 'mount' && n.path);

  if (linux.intelRdt) {
    throw new ConfigError('linux.intelRdt', fs.existsSync('/sys/fs/resctrl/info')
      ? 'Intel RDT (resctrl) is not supported by this tsrun version yet'
      : 'this host has no resctrl filesystem mounted at /sys/fs/resctrl (Intel RDT unavailable)');
  }
  const mounts = labelMounts(planMounts(spec.mounts, opts.bundle, opts.cgroup, newNs.has('user') ? { uid: uidMappings, gid: gidMappings } : undefined, userns), spec);
  const devSetup = needsDevSetup(spec.mounts);
  const prop = linux.rootfsPropagation ? PROPAGATION[linux.rootfsPropagation] : 0;
  if (linux.rootfsPropagation && prop === undefined) {
    throw new ConfigError('linux.rootfsPropagation', `unknown propagation "${linux.rootfsPropagation}"`);
  }
  const native: NativePlan = {
    rootfs,
    rootfsParentMount: parentMountToMakePrivate(rootfs, prop || (MS.SLAVE | MS.REC)),
    cloneFlags, unshareFlags, twoStage,
    usernsSync: twoStage && newNs.has('user'),
    userns, joins,
    hostname: spec.hostname ?? null,
    domainname: spec.domainname ?? null,
    rootPropagation: prop || (MS.SLAVE | MS.REC),
    mounts,
    devices: setupRootfs && devSetup ? planDevices(linux.devices, userns) : [],
    symlinks: setupRootfs && devSetup ? devSymlinks() : [],
    setupRootfs,
    noPivot: opts.noPivot,
    readonlyRoot: spec.root?.readonly === true,
    enterRootfs: true,
    hooksSync: false,
    masked: linux.maskedPaths ?? [],
    readonly: linux.readonlyPaths ?? [],
    ...processFields(proc, rootfs, { ...opts, seccomp: linux.seccomp }),
    fifoFd: opts.fifoFd,
    setsid: true,
    // runc's mapping: dots become path separators under /proc/sys
    sysctls: Object.entries(linux.sysctl ?? {}).map(([key, value]) => ({ key, value, path: `/proc/sys/${key.replace(/\./g, '/')}` })),
    personality: linux.personality ? (linux.personality.domain === 'LINUX32' ? 0x0008 : 0x0000) : undefined,
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
  const parent = mountOf(path.dirname(rootfs));
  if (rootPropagation & MS.REC) return rootPropagation & MS.SHARED ? parent : null;
  // only "/" itself changed: the parent keeps the host's propagation (unless it is "/")
  if (parent === '/') return rootPropagation & MS.SHARED ? parent : null;
  return isSharedMount(parent) ? parent : null;
}
