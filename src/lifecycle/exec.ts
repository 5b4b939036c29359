// exec: a new process in a running container. Joins every namespace of the init (user
// first; pid through a second fork), its cgroup, and runs with the process.json given or
// the container's own process with runc's overrides.
import { throwIfAborted } from './abort';
import fs = require('fs');
import { StatusError, TsrunError } from '../errors';
import { log } from '../log';
import { addon, stubPath } from '../native/addon';
import { NAMESPACES } from '../native/constants';
import { LiveHostFacts } from '../plan/host-facts';
import { planPersonality, processFields } from '../plan/plan';
import { planMemoryPolicy } from '../plan/process-attrs';
import { OCI_VERSION } from '../state/status';
import { execProcess, type ExecProcessFlags } from '../spec/exec-process';
import { checkProcessOnHost } from '../spec/host-rules';
import { writePidFile } from '../state/store';
import { consoleTarget, receiveMaster } from './console';
import { Container } from './container';
import { runChild } from './create';
import { crashPoint } from './crash-point';
import { reapWhenExited } from './reaper';
import { waitExit } from './wait';
import { killAndReap } from './reap';
import { GlobalOptions } from './options';
import { relayTerminal } from './tty-relay';
import { signalForwarder } from './forward-signals';
import { parseSubCgroups, withSubCgroups } from './sub-cgroup';
import { checkMappedUser, rootlessProcess } from './rootless';
import { checkPreservedFds } from './preserved-fds';
import { connectPidfdSocket, type PidfdSocket } from './pidfd-socket';

export interface ExecOptions extends GlobalOptions, ExecProcessFlags {
  consoleSocket?: string;
  detach?: boolean;
  /** Forward this process's signals to the exec'd process (the CLI does; a library call installs no handler unless asked). */
  forwardSignals?: boolean;
  pidFile?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  /** --cgroup: sub-cgroups, "path" or "ctrl[,ctrl]:path". */
  cgroup?: string[];
  /** --pidfd-socket: an AF_UNIX socket sent a pidfd of the process (runc 1.2). */
  pidfdSocket?: string;
  /**
   * Aborting stops the exec while it sets up (what it started is killed) or, in the foreground,
   * kills the process (SIGKILL) and rejects with an AbortError once it has exited; the container
   * is left as it was.
   */
  signal?: AbortSignal;
}

/** Runs the process; resolves to its exit status (foreground) or 0 (detached). */
export async function exec(id: string, o: ExecOptions): Promise<number> {
  // The lock is held only to read a consistent state: an exec into a frozen container
  // (--ignore-paused) blocks until resume, which must be able to take the lock.
  // before anything of ours is opened: no fd of tsrun's may sit in the range
  checkPreservedFds(0, o.preserveFds ?? 0);
  throwIfAborted(o.signal);
  const c = await Container.open(id, o);
  let status;
  try {
    status = c.status();
  } finally {
    c.sd.unlock();
  }
  let pid = 0;
  let relayFd = -1;
  // foreground: signals are caught from before the process exists (it may run, and its caller
  // signal tsrun, before runChild returns); SIGWINCH only when tsrun does not relay a terminal
  let forwarder: ReturnType<typeof signalForwarder> | undefined;
  let pidfdSock: PidfdSocket | undefined;
  try {
    if (status === 'stopped') throw new StatusError('cannot exec in a stopped container', status);
    if (status === 'paused' && !o.ignorePaused) throw new StatusError('cannot exec in a paused container (use --ignore-paused to override)', status);
    const warn = (m: string) => log('warning', m);
    const proc = execProcess(c.state.config.process, o, warn);
    const host = new LiveHostFacts();
    checkProcessOnHost(proc, host, warn);
    pidfdSock = connectPidfdSocket(o.pidfdSocket, 'setns');
    const target = consoleTarget(!!proc.terminal, o.consoleSocket, !o.detach);
    relayFd = target.relayFd;
    if (!o.detach && o.forwardSignals) forwarder = signalForwarder(relayFd < 0);
    const joins = joinsOf(c);
    const native = {
      rootfs: c.state.rootfs, rootfsParentMount: null, cloneFlags: 0, unshareFlags: 0, twoStage: true,
      usernsSync: false, userns: joins.some((j) => j.type === NAMESPACES.user.flag), joins,
      hostname: null, domainname: null, rootPropagation: 0, mounts: [], devices: [], symlinks: [],
      setupRootfs: false, noPivot: false, readonlyRoot: false, hooksSync: false, enterRootfs: false, forkInStub: true,
      masked: [], readonly: [], fifoFd: -1, setsid: true, newKeyring: false,
      // the container's, as its init got them (runc and crun apply both to exec'd processes)
      personality: planPersonality(c.state.config.linux?.personality),
      memoryPolicy: planMemoryPolicy(c.state.config.linux?.memoryPolicy),
      ...processFields(proc, c.state.rootfs, {
        stubPath: stubPath(), preserveFds: o.preserveFds ?? 0, consoleSocketFd: target.childFd,
        seccomp: c.state.config.linux?.seccomp,
      }, host),
    };
    checkMappedUser(proc.user, c.state.config.linux, o.user ? '--user' : 'process.user');
    rootlessProcess(native, o.additionalGids?.length ? '--additional-gids' : 'process.user.additionalGids');
    try {
      const cg = o.cgroup?.length ? withSubCgroups(c.cgroup, parseSubCgroups(o.cgroup, c.cgroup.paths)) : c.cgroup;
      const st = c.state;
      const seccompState = () => ({ ociVersion: OCI_VERSION, id: st.id, status: String(status), pid: st.pid, bundle: st.bundle, annotations: st.annotations });
      pid = await runChild({ native, newNamespaces: new Set(), uidMappings: [], gidMappings: [], oomScoreAdj: proc.oomScoreAdj, seccompState, existingCgroup: true, signal: o.signal }, cg);
    } finally {
      target.close();
    }
    pidfdSock?.send(pid);
    crashPoint('exec:execd');
    if (o.pidFile) writePidFile(o.pidFile, pid);
  } catch (e) {
    if (relayFd >= 0) addon().close(relayFd);
    if (pid > 0) killAndReap([pid]); // started, but the caller cannot manage it (runc stops it too)
    forwarder?.stop();
    throwIfAborted(o.signal);
    throw e;
  } finally {
    pidfdSock?.close();
  }
  if (o.detach) {
    reapWhenExited(pid);
    return 0;
  }
  forwarder?.to(pid);
  try {
    let master = -1;
    try {
      if (relayFd >= 0) master = receiveMaster(relayFd);
    } finally {
      if (relayFd >= 0) addon().close(relayFd);
    }
    const relay = master >= 0 ? relayTerminal(master, !!o.forwardSignals) : undefined;
    // the pid stays ours (unreaped) until waitExit resolves: the kill cannot hit a reused pid
    const onAbort = () => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } };
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const st = await waitExit(pid);
      throwIfAborted(o.signal);
      return st.code ?? 128 + (st.signal ?? 0);
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      relay?.stop();
    }
  } finally {
    forwarder?.stop();
  }
}

/** Every namespace of the container's init that is not already ours, user namespace first. */
function joinsOf(c: Container): { type: number; path: string; index: number }[] {
  const out: { type: number; path: string; index: number }[] = [];
  (c.state.config.linux?.namespaces ?? []).forEach((ns, index) => {
    const info = NAMESPACES[ns.type];
    if (!info) return;
    const path = `/proc/${c.state.pid}/ns/${info.proc}`;
    let same = false;
    try { same = fs.readlinkSync(path) === fs.readlinkSync(`/proc/self/ns/${info.proc}`); } catch { /* gone: setns reports it */ }
    if (!same) out.push({ type: info.flag, path, index });
  });
  return out.sort((a, b) => Number(b.type === NAMESPACES.user.flag) - Number(a.type === NAMESPACES.user.flag));
}
