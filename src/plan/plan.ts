// Spec -> everything create needs: the native plan the child executes, and the parent's
// own work (id maps, cgroup, oom score, hooks) that the sync protocol interleaves with it.
// Pure translation of a spec that src/spec validated (validateForCreate, then the host rules
// of spec/host-rules.ts): what it needs of the host comes in as HostFacts (./host-facts.ts).
import path = require('path');
import type { LinuxIdMapping, LinuxSeccomp, Process, Spec } from '../spec/config-types';
import { planSeccomp } from './seccomp';
import { planAffinity, planIoPriority, planMemoryPolicy, planScheduler, planTimeOffsets } from './process-attrs';
import type { NativePlan } from '../native/addon';
import { CLONE, MS, NAMESPACES } from '../native/constants';
import { planCaps } from './capabilities';
import { devSymlinks, needsDevSetup, planDevices } from './devices';
import type { HostFacts } from './host-facts';
import { fullPseudoMounts, isSharedMount, mountOf, mountPoints } from './mountinfo';
import { CgroupMountView, planMounts } from './mounts';
import { PROPAGATION } from './mount-options';
import { dedupEnv, pathCandidates, withHome } from './process';
import { planRlimits } from './rlimits';
import { labelMounts, planLsm } from './lsm';
import { known, invariant } from './assert';
import { sysctlPath } from '../spec/semantic';

export interface PlanOptions {
  bundle: string;
  stubPath: string;
  fifoFd: number;          // -1: none
  preserveFds: number;
  noPivot: boolean;
  /** Connected console socket (or internal socketpair end) that receives the pty master; -1: none. */
  consoleSocketFd?: number;
  noNewKeyring?: boolean;
  cgroup: CgroupMountView;
}

export interface ContainerPlan {
  native: NativePlan;
  rootfs: string;
  newNamespaces: Set<string>;
  uidMappings: LinuxIdMapping[];
  gidMappings: LinuxIdMapping[];
  oomScoreAdj: number | undefined;
}

/** root.path, relative to the bundle, symlinks resolved (spec/host-rules checked it is a directory). */
export function resolveRootfs(spec: Spec, bundle: string, host: Pick<HostFacts, 'realpath'>): string {
  const real = spec.root?.path ? host.realpath(path.resolve(bundle, spec.root.path)) : undefined;
  invariant(real, 'root.path', 'no rootfs directory');
  return real;
}

export type ProcessFields = Pick<NativePlan, 'rlimits' | 'umask' | 'cwd' | 'uid' | 'gid' | 'groups' | 'setGroups' | 'caps'
  | 'noNewPrivs' | 'pathCandidates' | 'args' | 'env' | 'stubPath' | 'seccompFd' | 'seccompFlags' | 'preserveFds'
  | 'consoleSocketFd' | 'consoleWidth' | 'consoleHeight' | 'lastCap' | 'seccompProgram' | 'seccompInChild'
  | 'scheduler' | 'ioprio' | 'cpusInitial' | 'cpusFinal' | 'seccompNotify' | 'seccompListener' | 'lsmAttr' | 'lsmValue'>;

/** The part of the plan that process (config.json's or exec's process.json) decides. */
export function processFields(
  proc: Process, rootfs: string,
  opts: Pick<PlanOptions, 'stubPath' | 'preserveFds' | 'consoleSocketFd'> & { seccomp?: LinuxSeccomp },
  host: Pick<HostFacts, 'lastCap' | 'apparmorExecAttr' | 'passwd' | 'compileSeccomp'>,
): ProcessFields {
  const lsm = planLsm(proc, host); // the attr file is looked for only with a profile
  const user = proc.user ?? {};
  const uid = user.uid ?? 0; // runc: Go's zero value for a missing id
  const env = dedupEnv(proc.env ?? []);
  const withHomeEnv = env.some((e) => e.startsWith('HOME=')) ? env : withHome(env, host.passwd(rootfs), uid);
  const args = proc.args!;
  const seccomp = planSeccomp(opts.seccomp, (d) => host.compileSeccomp(d));
  return {
    rlimits: planRlimits(proc.rlimits),
    umask: user.umask ?? -1,
    cwd: proc.cwd,
    uid, gid: user.gid ?? 0,
    groups: user.additionalGids ?? [],
    setGroups: true,
    caps: planCaps(proc.capabilities, host.lastCap),
    noNewPrivs: proc.noNewPrivileges === true,
    pathCandidates: pathCandidates(args[0], withHomeEnv),
    args, env: withHomeEnv,
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
    consoleSocketFd: proc.terminal ? (opts.consoleSocketFd ?? -1) : -1,
    consoleWidth: proc.terminal ? proc.consoleSize?.width ?? 0 : 0,
    consoleHeight: proc.terminal ? proc.consoleSize?.height ?? 0 : 0,
    lastCap: host.lastCap,
    scheduler: planScheduler(proc.scheduler),
    ioprio: planIoPriority(proc.ioPriority),
    ...planAffinity(proc.execCPUAffinity),
  };
}

/** linux.personality as personality(2) takes it (undefined: leave it). */
export function planPersonality(p: { domain?: string } | undefined): number | undefined {
  return p ? (p.domain === 'LINUX32' ? 0x0008 : 0x0000) : undefined;
}

export function buildPlan(spec: Spec, opts: PlanOptions, host: HostFacts): ContainerPlan {
  const proc = spec.process;
  invariant(proc, 'process', 'no process');
  const rootfs = resolveRootfs(spec, opts.bundle, host);
  const linux = spec.linux ?? {};
  const nsList = linux.namespaces ?? [];
  const newNs = new Set<string>();
  const joins: NativePlan['joins'] = [];
  nsList.forEach((ns, index) => {
    const info = known(NAMESPACES, ns.type, `linux.namespaces[${index}].type`);
    if (ns.path) joins.push({ type: info.flag, path: ns.path, index });
    else newNs.add(ns.type);
  });
  const joinedUser = nsList.some((n) => n.type === 'user' && n.path);
  const userns = newNs.has('user') || joinedUser;
  const uidMappings = linux.uidMappings ?? [];
  const gidMappings = linux.gidMappings ?? [];
  const flagsOf = (names: Iterable<string>) => [...names].reduce((f, n) => f | NAMESPACES[n].flag, 0);
  const twoStage = joins.length > 0 || newNs.has('time');
  const cloneFlags = twoStage ? 0 : flagsOf([...newNs].filter((n) => n !== 'cgroup'));
  const unshareFlags = twoStage ? flagsOf([...newNs].filter((n) => n !== 'user')) : (newNs.has('cgroup') ? CLONE.NEWCGROUP : 0);
  const setupRootfs = newNs.has('mount') || nsList.some((n) => n.type === 'mount' && n.path);
  const joinedUserPath = nsList.find((n) => n.type === 'user' && n.path)?.path;
  const mounts = labelMounts(planMounts(spec.mounts, opts.bundle, opts.cgroup, host,
    newNs.has('user') ? { uid: uidMappings, gid: gidMappings } : joinedUserPath ? { path: joinedUserPath } : undefined, userns), spec);
  const devSetup = needsDevSetup(spec.mounts);
  const prop = linux.rootfsPropagation ? known(PROPAGATION, linux.rootfsPropagation, 'linux.rootfsPropagation') : 0;
  const native: NativePlan = {
    rootfs,
    // the mount holding the rootfs, the rootfs's own when it is a mount point (containerd's
    // overlay), made private only where pivot_root needs it (runc's rootfsParentMountPrivate)
    rootfsParentMount: parentMountToMakePrivate(rootfs, prop || (MS.SLAVE | MS.REC), host.mountinfo),
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
    devices: setupRootfs && devSetup ? planDevices(linux.devices, userns || host.runningInUserNs) : [],
    symlinks: setupRootfs && devSetup ? devSymlinks(host.kcore) : [],
    setupRootfs,
    mountSources: setupRootfs && userns && mounts.some((m) => m.kind === 1 && m.source && !m.idmap),
    noPivot: opts.noPivot,
    hidePaths: setupRootfs && opts.noPivot ? fullPseudoMounts(rootfs, host.mountinfo) : [],
    readonlyRoot: spec.root?.readonly === true,
    enterRootfs: true,
    hooksSync: false,
    masked: linux.maskedPaths ?? [],
    readonly: linux.readonlyPaths ?? [],
    ...processFields(proc, rootfs, { ...opts, seccomp: linux.seccomp }, host),
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
function parentMountToMakePrivate(rootfs: string, rootPropagation: number, mountinfo: string): string | null {
  const parent = mountOf(rootfs, mountPoints(mountinfo));
  if (rootPropagation & MS.REC) return rootPropagation & MS.SHARED ? parent : null;
  // only "/" itself changed: the parent keeps the host's propagation (unless it is "/")
  if (parent === '/') return rootPropagation & MS.SHARED ? parent : null;
  return isSharedMount(parent, mountinfo) ? parent : null;
}
