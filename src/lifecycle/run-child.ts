// The clone of the child, shared by create and exec: cgroup placement and id maps before it
// proceeds, then the sync protocol (sync.ts: hooks, mount sources, the seccomp listener while
// it waits) until it execs tsrun-init. Every wait for the child is bounded and says which
// step it waited for; on any failure the child (and a second stage) is killed and reaped.
import fs = require('fs');
import type { CgroupManager } from '../cgroups';
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import type { ContainerPlan } from '../plan/plan';
import type { LinuxResources } from '../spec/config-types';
import { describeChild, phase, trace } from '../trace';
import { childError } from './child-error';
import { crashPoint } from './crash-point';
import { writeIdMaps } from './idmap';
import { onField } from './field-fs';
import { sendMountSources } from './mount-sources';
import { killAndReap } from './reap';
import { sendToListener, type ContainerState } from './seccomp-listener';
import { runSync, socketTransport, syncFlow } from './sync';
import { yieldToLoop } from './yield';

export interface ChildPlan extends Pick<ContainerPlan, 'native' | 'newNamespaces' | 'uidMappings' | 'gidMappings' | 'oomScoreAdj'> {
  setResources?: boolean; resources?: LinuxResources; devices?: { path: string }[]; onHooks?: (initPid: number) => void | Promise<void>;
  /** The container state the seccomp listener is sent (create: "creating"; exec: the container's). */
  seccompState?: (pid: number) => ContainerState;
  /** The cgroups exist (exec): place the process only. */
  existingCgroup?: boolean;
  /** Told what exists so far (create's journal): the cgroups made, then the child's and the init's pid. */
  onProgress?: (p: { created?: readonly string[]; pid?: number }) => void;
  /** Prefix of the crash points (test-only fault injection): "create" or "exec". */
  verb?: string;
  /** The library call's AbortSignal: seen at each step and while waiting for the child (then it is killed, as on any failure). */
  signal?: AbortSignal;
}

/**
 * Clone the child and drive the sync protocol. Resolves to the init's pid; on failure nothing is
 * left running. Every wait for the child is on the event loop (sync.ts), not a blocked thread.
 */
export async function runChild(
  plan: ChildPlan,
  cg: Pick<CgroupManager, 'apply' | 'create' | 'setResources'> & { applyAsync?: (pid: number, bornInUnified: boolean) => Promise<void>; unifiedDir?: () => string | undefined; readonly created?: readonly string[] },
): Promise<number> {
  const a = addon();
  const verb = plan.verb ?? 'exec';
  // Limits first, then the process: cpuset and realtime settings must be in place before a
  // task may join (runc's order). Born in the container's cgroup2 cgroup (clone3
  // CLONE_INTO_CGROUP) where there is one; v1 hierarchies are joined through cgroup.procs.
  // exec joins the container's cgroups, which exist: nothing to make (and no cgroup_mutex to wait for)
  if (!plan.existingCgroup) {
    try {
      cg.create();
    } finally {
      plan.onProgress?.({ created: cg.created ?? [] });
    }
  }
  if (plan.setResources) cg.setResources(plan.resources, plan.devices);
  const cgPaths = () => Object.entries((cg as { paths?: Record<string, string> }).paths ?? {}).map(([k, d]) => `${k || 'unified'} ${d}`).join(', ');
  phase('cgroup create and limits', () => `${plan.existingCgroup ? 'joining' : 'made'} ${cgPaths()}${plan.setResources ? '; linux.resources written' : ''}`);
  crashPoint(`${verb}:cgroups`);
  await yieldToLoop(plan.signal);
  const unified = cg.unifiedDir?.();
  let cgroupFd = -1;
  if (unified) {
    try { cgroupFd = fs.openSync(unified, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); } catch { cgroupFd = -1; }
  }
  // idmapped binds: the trees are made here, in the initial user namespace, and moved by the child
  const trees: number[] = [];
  let spawned: { pid: number; syncFd: number; intoCgroup?: boolean };
  try {
    for (const m of plan.native.mounts) {
      if (!m.idmap || !m.source) continue;
      try {
        m.treeFd = a.idmappedTree(m.source, m.idmap.recursive, m.idmap.idmapRecursive, m.idmap.uidMap, m.idmap.gidMap, m.idmap.usernsPath);
      } catch (e) {
        throw new TsrunError(`mounts[${m.index}]: ${(e as Error).message}`, { field: `mounts[${m.index}]` });
      }
      trees.push(m.treeFd);
    }
    trace('child', () => describeChild(plan.native));
    spawned = a.spawn({ ...plan.native, cgroupFd });
  } finally {
    if (cgroupFd >= 0) fs.closeSync(cgroupFd);
    for (const t of trees) a.close(t);
  }
  const { pid: stage1, syncFd } = spawned;
  phase('clone', () => `child pid ${stage1}${spawned.intoCgroup ? ', born in its cgroup2 cgroup (clone3 CLONE_INTO_CGROUP)' : ''}`);
  const bornInUnified = spawned.intoCgroup === true;
  let init = stage1;
  let stage1Reaped = false;
  try {
    plan.onProgress?.({ pid: stage1 });
    crashPoint(`${verb}:cloned`);
    await yieldToLoop(plan.signal);
    // v1 cgroup.procs writes wait in the kernel: off the event loop where the manager can
    if (cg.applyAsync) await cg.applyAsync(stage1, bornInUnified);
    else cg.apply(stage1, bornInUnified);
    phase('cgroup placement', () => `pid ${stage1} in ${cgPaths()}`);
    await yieldToLoop(plan.signal);
    if (!plan.native.twoStage && plan.newNamespaces.has('user')) writeIdMaps(stage1, plan.uidMappings, plan.gidMappings);
    if (plan.oomScoreAdj !== undefined) {
      const file = `/proc/${stage1}/oom_score_adj`;
      onField('process.oomScoreAdj', 'write', file, () => fs.writeFileSync(file, String(plan.oomScoreAdj)));
    }
    // the exchange with the child, in the order sync.ts lists
    await runSync(syncFlow(plan.native), socketTransport(syncFd, () => init, plan.signal), {
      userns: (pid) => writeIdMaps(pid, plan.uidMappings, plan.gidMappings),
      pid: (pid) => {
        init = pid;
        plan.onProgress?.({ pid: init });
        a.waitpid(stage1); // it exits right after sending the record
        stage1Reaped = true;
      },
      mountSources: (nsFd, send) => sendMountSources(a, nsFd, plan.native.mounts, send),
      hooks: async () => {
        crashPoint(`${verb}:hooks`);
        await plan.onHooks?.(init);
      },
      seccomp: (fd) => {
        const listener = plan.native.seccompListener;
        if (!listener || !plan.seccompState) {
          a.close(fd);
          throw new TsrunError('seccomp: the child sent a notify fd nobody asked for');
        }
        // the filter is loaded by the process that becomes the container's (or exec's) process
        sendToListener(listener, fd, plan.seccompState(init), init);
      },
      error: (msg) => childError(msg, plan.native.args),
    }, 'join its cgroups and namespaces, set up the rootfs and exec tsrun-init');
    phase('child: namespaces, rootfs, credentials, exec of tsrun-init');
    return init;
  } catch (e) {
    // the second stage, if there is one, is our child too (CLONE_PARENT). Briefly: a frozen
    // child dies only once thawed, which create's rollback does (and reaps it then)
    killAndReap(stage1Reaped ? [init] : [stage1, init], 300);
    throw e;
  } finally {
    a.close(syncFd);
  }
}
