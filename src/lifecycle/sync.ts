// The parent's side of the sync protocol with the container's child (addon/child/, and
// tsrun-init on exec): 256-byte records (addon/contract.h struct Msg) on a SOCK_SEQPACKET
// socketpair, fds attached with SCM_RIGHTS. Which records come, and in which order, is fixed
// by the plan before the clone (syncFlow), so the parent walks a list of states (syncStates):
// each waits for exactly one record type, and anything else -- another type, a type nobody
// defined, the socket's EOF before the last record, a record after it -- is an error naming
// the state and the record at once, not a 60 s timeout (threat: a protocol drift between
// the TypeScript and the child, or a child that died without a record, taken for success).
//
// The exchange, in order (numbers as crun's `/* sync N */`; [condition] from the plan):
//
//  create, one stage (no namespace joined by path, no time namespace):
//   0. parent: cgroups made and limited; clone (clone3 into the cgroup2 cgroup where it can);
//      cgroup.procs; the uid/gid maps of a new user namespace; oom_score_adj
//   1. parent -> child  GO
//   2. child -> parent  MOUNTSOURCES + its mount namespace fd   [mountSources: binds in a user ns]
//      parent -> child  SOURCE(index) + O_PATH fd, per bind source it could open; then GO
//   3. child -> parent  HOOKS, the rootfs is ready   [hooksSync]
//      parent: prestart, createRuntime, createContainer hooks; parent -> child GO
//   4. child -> parent  SECCOMP + the notify fd   [a notify filter the child loads]
//      parent: the fd to linux.seccomp.listenerPath; parent -> child GO
//   5. child: sets its credentials, execs tsrun-init; the socket is close-on-exec: EOF
//
//  create, two stages (a namespace joined by path, or a time namespace):
//   0-1. as above, without the maps
//   2. stage 1 joins by setns; child -> parent USERNS + its pid   [a new user namespace]
//      parent: writes the maps; parent -> child GO
//   3. stage 1 unshares the rest and clones the init (CLONE_PARENT): child -> parent PID + the
//      init's pid, and stage 1 exits. parent: reaps stage 1; parent -> child GO. The init waits
//      for that GO, so no record of the init's can overtake stage 1's PID.
//   4-7. the init: as 2-5 of one stage
//
//  exec (the child joins every namespace but pid and never enters the container's pid ns):
//   0. parent: clone into the container's cgroups; oom_score_adj
//   1. parent -> child  GO
//   2. child -> parent  SECCOMP + the notify fd   [as create 4]; parent -> child GO
//   3. the child execs tsrun-init with the socket as SYNC_FD; tsrun-init forks into the pid
//      namespace: tsrun-init -> parent PID + the process's pid, and exits; the fork closes the
//      socket: EOF
//
//  At any point before EOF: child (or tsrun-init) -> parent ERROR(step, errno, index, detail),
//  a fixed record, and it exits. The parent turns it into an error naming the config field
//  (child-error.ts); runChild kills and reaps what was started.
//
//  Not on this socket: the pty master of process.terminal, which the child sends to the
//  console socket (--console-socket, or tsrun's own relay) after pivot_root on create, and
//  before its credentials change on exec, without waiting for an answer.
import { throwIfAborted } from './abort';
import { TsrunError } from '../errors';
import { addon, type NativePlan, type SyncMsg } from '../native/addon';
import { MSG, type MsgName } from '../native/contract';
import { syncWaitMs } from '../state/wait-limits';

const ETIMEDOUT = 110;

/** The records a child sends to the parent. */
type ChildRecord = 'USERNS' | 'PID' | 'MOUNTSOURCES' | 'HOOKS' | 'SECCOMP';

/** What the plan makes the child send (mirrors the conditions in addon/child/ and init.c). */
export interface SyncFlow {
  /** Two stages with a new user namespace: stage 1 asks for its maps. */
  usernsMaps: boolean;
  /** Two stages (create): stage 1 reports the init it cloned. */
  initPid: boolean;
  /** A user namespace with bind mounts: the parent opens their sources. */
  mountSources: boolean;
  /** prestart/createRuntime/createContainer hooks run while the child waits. */
  hooks: boolean;
  /** The child loads a notify filter and sends its listener fd. */
  seccompNotify: boolean;
  /** exec: tsrun-init forks into the pid namespace and reports the process. */
  stubPid: boolean;
}

export function syncFlow(p: NativePlan): SyncFlow {
  return {
    usernsMaps: p.twoStage && p.usernsSync,
    initPid: p.twoStage && !p.forkInStub,
    mountSources: !!p.mountSources,
    hooks: p.hooksSync,
    // the child loads it only with a program of at least one instruction, and only in itself
    seccompNotify: !!(p.seccompNotify && p.seccompInChild && p.seccompProgram && p.seccompProgram.length >= 8),
    stubPid: !!p.forkInStub,
  };
}

export interface SyncState {
  /** Named in errors: "userns-maps", "init-pid", "mount-sources", "hooks", "seccomp-listener", "exec-pid", "exec-init". */
  name: string;
  /** The record this state waits for; EOF: the socket's end (the child exec'd tsrun-init). */
  expect: ChildRecord | 'EOF';
  /** What the child does next, after the parent answered (for a timeout's message); unchanged if absent. */
  then?: string;
}

/** The states of one exchange, in order: the table at the top of this file, for this plan. */
export function syncStates(f: SyncFlow): SyncState[] {
  const s: SyncState[] = [];
  if (f.usernsMaps) s.push({ name: 'userns-maps', expect: 'USERNS', then: 'set up its namespaces and the rootfs and exec tsrun-init (after its user namespace was mapped)' });
  if (f.initPid) s.push({ name: 'init-pid', expect: 'PID' });
  if (f.mountSources) s.push({ name: 'mount-sources', expect: 'MOUNTSOURCES' });
  if (f.hooks) s.push({ name: 'hooks', expect: 'HOOKS', then: 'enter the rootfs, set its credentials and exec tsrun-init (after the prestart, createRuntime and createContainer hooks)' });
  if (f.seccompNotify) s.push({ name: 'seccomp-listener', expect: 'SECCOMP', then: 'set its credentials and exec tsrun-init (after the seccomp listener got its fd)' });
  if (f.stubPid) s.push({ name: 'exec-pid', expect: 'PID' });
  s.push({ name: 'exec-init', expect: 'EOF' });
  return s;
}

/** The socket, as the state machine sees it. */
export interface SyncTransport {
  /** The next record, null at EOF; rejects on a timeout (its message says what the child was to `doing`). */
  recv(doing: string): Promise<SyncMsg | null>;
  send(type: number, index?: number, fd?: number): void;
  close(fd: number): void;
}

/** The parent's part of each step; each may throw or reject (the exchange stops there). */
export interface SyncHandlers {
  /** USERNS: write the uid/gid maps of pid. */
  userns(pid: number): void;
  /** PID: the container's process (create: the init stage 1 cloned; exec: tsrun-init's fork). */
  pid(pid: number): void;
  /** MOUNTSOURCES: open the bind sources in the child's mount namespace (closes nsFd), send each with `send`. */
  mountSources(nsFd: number, send: (index: number, fd: number) => void): void;
  /** HOOKS: run the hooks. */
  hooks(): void | Promise<void>;
  /** SECCOMP: hand the notify fd (closed by the handler) to the listener. */
  seccomp(fd: number): void;
  /** ERROR: the error to throw for the child's failure record. */
  error(msg: SyncMsg): Error;
}

const NAME_OF: Record<number, MsgName> = Object.fromEntries(Object.entries(MSG).map(([k, v]) => [v, k as MsgName]));

/** "HOOKS", "SOURCE (a parent's record)", "unknown record type 77", with " + fd" when one came. */
function describe(msg: SyncMsg): string {
  const name = NAME_OF[msg.type];
  const what = !name ? `unknown record type ${msg.type}` : msg.type >= MSG.GO ? `${name} (a record only the parent sends)` : name;
  return msg.fd !== undefined ? `${what} with an fd` : what;
}

export class SyncProtocolError extends TsrunError {}

/**
 * Drive the exchange: the first GO, then for each state receive one record and answer it. Returns after the
 * EOF that ends it; throws the child's error, a handler's, or a SyncProtocolError naming the
 * state. Every fd a record carried is closed unless a handler took it.
 */
export async function runSync(flow: SyncFlow, t: SyncTransport, h: SyncHandlers, doing: string): Promise<void> {
  t.send(MSG.GO); // 1: the parent's setup (cgroups, maps of a one-stage user namespace) is done
  for (const state of syncStates(flow)) {
    const msg = await t.recv(doing);
    const waited = state.expect === 'EOF' ? 'the end of the exchange (the exec of tsrun-init)' : state.expect;
    if (msg === null) {
      if (state.expect === 'EOF') return;
      throw new SyncProtocolError(`sync state "${state.name}": the container's child closed the socket while the runtime waited for ${waited}: it exited without an error record (killed, or by a seccomp filter)`);
    }
    if (msg.type === MSG.ERROR) {
      if (msg.fd !== undefined) t.close(msg.fd);
      throw h.error(msg);
    }
    if (state.expect === 'EOF' || msg.type !== MSG[state.expect]) {
      if (msg.fd !== undefined) t.close(msg.fd);
      throw new SyncProtocolError(`sync state "${state.name}": the container's child sent ${describe(msg)} while the runtime waited for ${waited}`);
    }
    const carriesFd = state.expect === 'MOUNTSOURCES' || state.expect === 'SECCOMP';
    if (carriesFd !== (msg.fd !== undefined)) {
      if (msg.fd !== undefined) t.close(msg.fd);
      throw new SyncProtocolError(`sync state "${state.name}": the container's child sent ${describe(msg)}, ${carriesFd ? 'without the fd it carries' : 'which carries none'}`);
    }
    switch (state.expect) {
      case 'USERNS': h.userns(msg.pid); break;
      case 'PID': h.pid(msg.pid); break;
      case 'MOUNTSOURCES': h.mountSources(msg.fd!, (index, fd) => t.send(MSG.SOURCE, index, fd)); break;
      case 'HOOKS': await h.hooks(); break;
      case 'SECCOMP': h.seccomp(msg.fd!); break;
    }
    // tsrun-init's fork does not read: only the child's records are answered
    if (state.name !== 'exec-pid') t.send(MSG.GO);
    if (state.then) doing = state.then;
  }
}

/**
 * The addon's socket: each wait bounded by syncWaitMs(), its timeout naming the child's pid and
 * what it was to do. The wait is on the event loop (waitReadable), the read then does not block:
 * other creates, execs and the caller's timers run while this child works.
 */
export function socketTransport(syncFd: number, pid: () => number, signal?: AbortSignal): SyncTransport {
  const a = addon();
  return {
    async recv(doing) {
      const ms = syncWaitMs();
      try {
        // with a signal, in slices: a uv_poll cannot be cancelled, and the fd is closed by the
        // rollback that follows an abort (never while a poll on it is open)
        for (const deadline = Date.now() + ms; ;) {
          const left = deadline - Date.now();
          if (left <= 0) throw Object.assign(new Error('timed out'), { errno: ETIMEDOUT });
          if (await a.waitReadable(syncFd, signal ? Math.min(left, 50) : left)) break;
          throwIfAborted(signal);
        }
        return a.syncRecv(syncFd, 0);
      } catch (e) {
        if ((e as { errno?: number }).errno !== ETIMEDOUT) throw e;
        throw new TsrunError(`timed out after ${ms / 1000}s waiting for the container's child (pid ${pid()}) to ${doing}: `
          + 'it is stuck in the kernel (a mount source that does not answer, such as a hung NFS or FUSE server, or its cgroup frozen); it was killed');
      }
    },
    send(type, index, fd) {
      // the addon reads every argument given: pass none that is undefined
      if (index === undefined) a.syncSend(syncFd, type);
      else if (fd === undefined) a.syncSend(syncFd, type, index);
      else a.syncSend(syncFd, type, index, fd);
    },
    close: (fd) => a.close(fd),
  };
}
