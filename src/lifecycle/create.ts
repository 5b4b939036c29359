// create: claim the id, plan, clone the child, and walk it through the sync protocol:
// cgroup placement and id maps before it proceeds, then wait until it execs tsrun-init.
import fs = require('fs');
import path = require('path');
import { cgroupManager, checkCgroupBeforeCreate, type CgroupManager } from '../cgroups';
import { cgroupOwner } from '../cgroups/delegate';
import { TsrunError } from '../errors';
import { log } from '../log';
import { addon, stubPath } from '../native/addon';
import { MSG } from '../native/constants';
import { buildPlan, type ContainerPlan } from '../plan/plan';
import { loadSpec } from '../spec/load';
import type { LinuxResources, Spec } from '../spec/config-types';
import { StateDir, writePidFile, type StoredState } from '../state/store';
import { startTime } from '../state/status';
import { cgroupMountView } from './cgroup-view';
import { childError } from './child-error';
import { writeIdMaps } from './idmap';
import { consoleTarget } from './console';
import { checkNetDevices, moveNetDevicesIn } from './net-devices';
import { hostNotifySocket, withNotifySocket } from './notify';
import { hasHooks, runHooks } from '../hooks/run-hooks';
import { startHooksBlob } from '../hooks/start-hooks';
import { sendToListener, type ContainerState } from './seccomp-listener';
import { OCI_VERSION } from '../state/status';
import { phase } from '../trace';
import { GlobalOptions, rootOf } from './options';
import { checkPreservedFds } from './preserved-fds';

export interface CreateOptions extends GlobalOptions {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** Already-parsed config (library callers); default: <bundle>/config.json. */
  spec?: Spec;
  /** run without --detach: a terminal without --console-socket is relayed by tsrun. */
  foreground?: boolean;
}

export interface Created {
  id: string; pid: number; bundle: string;
  /** The pty master, when tsrun itself relays the container's terminal (foreground run). */
  consoleMaster?: number;
}

const SYNC_TIMEOUT_MS = 120_000;

/** systemd socket activation: how many fds (3..) were passed to this process. */
export function listenFds(): number {
  if (Number(process.env.LISTEN_PID) !== process.pid) return 0;
  const n = Number(process.env.LISTEN_FDS);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function withEnv(spec: Spec, entry: string): Spec {
  const key = entry.slice(0, entry.indexOf('=') + 1);
  const env = [...(spec.process?.env ?? []).filter((e) => !e.startsWith(key)), entry];
  return { ...spec, process: { ...spec.process!, env } };
}

export function ociTimestamp(d = new Date()): string {
  const frac = String(d.getMilliseconds() * 1e6 + Number(process.hrtime.bigint() % 1000000n)).padStart(9, '0').replace(/0+$/, '');
  return d.toISOString().slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

export async function create(id: string, opts: CreateOptions = {}): Promise<Created> {
  const bundle = path.resolve(opts.bundle ?? process.cwd());
  phase('startup');
  let spec = opts.spec ?? loadSpec(bundle);
  phase('load and validate config.json');
  // before anything of ours is opened: no fd of tsrun's may sit in the range
  checkPreservedFds(listenFds(), opts.preserveFds ?? 0);
  const consoleT = consoleTarget(!!spec.process?.terminal, opts.consoleSocket, !!opts.foreground);
  const sd = new StateDir(rootOf(opts), id);
  sd.create();
  let cg: CgroupManager | undefined;
  try {
    const notify = hostNotifySocket();
    if (notify) spec = withNotifySocket(spec, sd.dir);
    cg = checkCgroupBeforeCreate(cgroupManager({ path: spec.linux?.cgroupsPath ?? '', containerId: id, systemdCgroup: opts.systemdCgroup, annotations: spec.annotations, ownerUid: cgroupOwner(spec) }));
    addon().mkfifo(sd.fifo, 0o622);
    const fifoFd = addon().openPath(sd.fifo);
    let plan: ContainerPlan;
    try {
      const cgroupns = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
      // socket activation like runc: fds 3.. named by LISTEN_FDS (when LISTEN_PID is us) go to
      // the container ahead of --preserve-fds, and it is told how many
      const listen = listenFds();
      plan = buildPlan(listen ? withEnv(spec, `LISTEN_FDS=${listen}`) : spec, {
        bundle, stubPath: stubPath(), fifoFd, preserveFds: listen + (opts.preserveFds ?? 0), noPivot: !!opts.noPivot,
        consoleFd: -1, consoleSocketFd: consoleT.childFd, noNewKeyring: !!opts.noNewKeyring,
        cgroup: cgroupMountView(cg, cgroupns), warn: (m) => log('warning', m),
      });
      plan.native.mountConsole = true;
      plan.native.hooksBlob = startHooksBlob(spec.hooks?.startContainer, { id, bundle, annotations: spec.annotations });
      // prestart and createRuntime (runtime namespace), then createContainer (the container's
      // namespaces): after the namespaces exist, before pivot_root, while the child waits
      plan.native.hooksSync = hasHooks(spec.hooks, 'prestart', 'createRuntime', 'createContainer');
      // what hooks (stdin) and a seccomp listener are told while the container is being created
      const creatingState = (initPid: number): ContainerState =>
        ({ ociVersion: OCI_VERSION, id, status: 'creating', pid: initPid, bundle, annotations: spec.annotations });
      const onHooks = (initPid: number) => {
        const st = creatingState(initPid);
        runHooks('prestart', spec.hooks, st);
        runHooks('createRuntime', spec.hooks, st);
        runHooks('createContainer', spec.hooks, st, { inNamespacesOf: initPid });
      };
      phase('plan');
      checkNetDevices(spec);
      const pid = runChild({ ...plan, setResources: true, resources: spec.linux?.resources, devices: spec.linux?.devices, onHooks, seccompState: creatingState }, cg);
      try {
        moveNetDevicesIn(spec, pid);
      } catch (e) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        throw e;
      }
      consoleT.close();
      const consoleMaster = consoleT.relayFd >= 0 ? addon().recvFd(consoleT.relayFd, 10_000) : undefined;
      const state: StoredState = {
        ociVersion: spec.ociVersion, id, pid, pidStartTime: startTime(pid) ?? '', bundle, rootfs: plan.rootfs,
        created: ociTimestamp(), owner: '', annotations: spec.annotations, cgroupsPath: spec.linux?.cgroupsPath ?? '',
        systemdCgroup: !!opts.systemdCgroup, cgroupPaths: cg.paths, cgroupCreated: [...cg.created], newNamespaces: [...plan.newNamespaces], config: spec, notifySocket: notify,
      };
      if (!state.pidStartTime) throw new TsrunError('container init exited before it could be started');
      sd.write(state);
      if (opts.pidFile) writePidFile(opts.pidFile, pid);
      return { id, pid, bundle, consoleMaster };
    } finally {
      addon().close(fifoFd);
      if (consoleT.relayFd >= 0) addon().close(consoleT.relayFd);
    }
  } catch (e) {
    consoleT.close();
    try { cg?.destroy(); } catch (err) { log('warning', `removing cgroup: ${(err as Error).message}`); }
    sd.remove();
    throw e;
  } finally {
    sd.unlock();
  }
}

/** Clone the child and drive the sync protocol. Returns the init's pid; on failure nothing is left running. */
export function runChild(
  plan: Pick<ContainerPlan, 'native' | 'newNamespaces' | 'uidMappings' | 'gidMappings' | 'oomScoreAdj'>
    & {
      setResources?: boolean; resources?: LinuxResources; devices?: { path: string }[]; onHooks?: (initPid: number) => void;
      /** The container state the seccomp listener is sent (create: "creating"; exec: the container's). */
      seccompState?: (pid: number) => ContainerState;
      /** The cgroups exist (exec): place the process only. */
      existingCgroup?: boolean;
    },
  cg: Pick<CgroupManager, 'apply' | 'create' | 'setResources'> & { unifiedDir?: () => string | undefined },
): number {
  const a = addon();
  // Limits first, then the process: cpuset and realtime settings must be in place before a
  // task may join (runc's order). Born in the container's cgroup2 cgroup (clone3
  // CLONE_INTO_CGROUP) where there is one; v1 hierarchies are joined through cgroup.procs.
  // exec joins the container's cgroups, which exist: nothing to make (and no cgroup_mutex to wait for)
  if (!plan.existingCgroup) cg.create();
  if (plan.setResources) cg.setResources(plan.resources, plan.devices);
  phase('cgroup create and limits');
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
        m.treeFd = a.idmappedTree(m.source, m.idmap.recursive, m.idmap.uidMap, m.idmap.gidMap);
      } catch (e) {
        throw new TsrunError(`mounts[${m.index}]: ${(e as Error).message}`, { field: `mounts[${m.index}]` });
      }
      trees.push(m.treeFd);
    }
    spawned = a.spawn({ ...plan.native, cgroupFd });
  } finally {
    if (cgroupFd >= 0) fs.closeSync(cgroupFd);
    for (const t of trees) a.close(t);
  }
  const { pid: stage1, syncFd } = spawned;
  phase('clone');
  const bornInUnified = spawned.intoCgroup === true;
  let init = stage1;
  let stage1Reaped = false;
  try {
    cg.apply(stage1, bornInUnified);
    phase('cgroup placement');
    if (!plan.native.twoStage && plan.newNamespaces.has('user')) writeIdMaps(stage1, plan.uidMappings, plan.gidMappings);
    if (plan.oomScoreAdj !== undefined) fs.writeFileSync(`/proc/${stage1}/oom_score_adj`, String(plan.oomScoreAdj));
    a.syncSend(syncFd, MSG.GO);
    for (;;) {
      const msg = a.syncRecv(syncFd, SYNC_TIMEOUT_MS);
      if (!msg) break;
      if (msg.type === MSG.ERROR) throw childError(msg, plan.native.args);
      if (msg.type === MSG.USERNS) {
        writeIdMaps(msg.pid, plan.uidMappings, plan.gidMappings);
        a.syncSend(syncFd, MSG.GO);
      } else if (msg.type === MSG.PID) {
        init = msg.pid;
        a.waitpid(stage1);
        stage1Reaped = true;
      } else if (msg.type === MSG.SECCOMP) {
        const listener = plan.native.seccompListener;
        if (msg.fd === undefined || !listener || !plan.seccompState) {
          if (msg.fd !== undefined) a.close(msg.fd);
          throw new TsrunError('seccomp: the child sent a notify fd nobody asked for');
        }
        // the filter is loaded by the process that becomes the container's (or exec's) process
        sendToListener(listener, msg.fd, plan.seccompState(init), init);
        a.syncSend(syncFd, MSG.GO);
      } else if (msg.type === MSG.HOOKS) {
        plan.onHooks?.(init);
        a.syncSend(syncFd, MSG.GO);
      }
    }
    phase('child: namespaces, rootfs, credentials, exec of tsrun-init');
    return init;
  } catch (e) {
    for (const p of new Set([stage1, init])) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      if (p !== stage1 || !stage1Reaped) { try { a.waitpid(p); } catch { /* not ours */ } }
    }
    throw e;
  } finally {
    a.close(syncFd);
  }
}
