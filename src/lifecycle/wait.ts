// wait: resolve once the container's init has exited. A library process that created the
// container is its init's parent: it reaps it here (no zombie left) and gets the exit status.
// Any other caller polls the init's liveness and gets no status. Polled with timers: no
// thread of libuv's pool is held in a blocking waitpid, however many containers are waited on.
import { addon } from '../native/addon';
import { startTime, statFields } from '../state/status';
import { Container } from './container';
import { GlobalOptions } from './options';
import { throwIfAborted } from './abort';
import { sleep } from '../waits';
import { reapedElsewhere } from './reaper';

export interface ExitStatus {
  /** Exit code, or null when killed by a signal or the status is unknown (not this process's child). */
  code: number | null;
  signal: number | null;
}

export interface WaitOptions extends GlobalOptions {
  /** Stops waiting (the container runs on): the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Resolves once the container's init has exited: with its exit status when this process created
 * the container (and reaps it), else `{ code: null, signal: null }`. An abort leaves it running.
 */
export async function wait(id: string, opts: WaitOptions = {}): Promise<ExitStatus> {
  throwIfAborted(opts.signal);
  const { pid, pidStartTime } = new Container(id, opts, false).state;
  return waitPid(pid, pidStartTime, opts.signal);
}

/** Pids a waitPid of this process is polling: their waiter reaps them and takes the status. */
const awaited = new Map<number, number>();

/**
 * After delete killed a container: reap its init and the processes it killed that are zombie
 * children of this process (a library process that created the container, or exec'd a detached
 * process into it, and never waited), unless a wait() is pending on one. Threat: a host that
 * creates and deletes containers without wait() gathered one zombie per container until it ran
 * out of pids. A zombie keeps its pid until reaped, so Z with this process as parent is the
 * process delete killed; the init's start time is checked too (a pid reaped by a waiter and
 * reused by another container of this process is not taken for it).
 */
export function reapDeleted(pid: number, pidStartTime: string, killed: number[]): void {
  const ourZombie = (p: number, started?: string) => {
    if (p <= 0 || awaited.has(p)) return false;
    const f = statFields(p);
    return !!f && f[0] === 'Z' && Number(f[1]) === process.pid && (started === undefined || f[19] === started);
  };
  for (const p of [...(ourZombie(pid, pidStartTime) ? [pid] : []), ...killed.filter((k) => k !== pid && ourZombie(k))]) {
    try { addon().waitpid(p, true); } catch { /* reaped meanwhile */ }
    reapedElsewhere(p);
  }
}

/** `wait` with `pid` marked as awaited while it runs: reapDeleted leaves it to this waiter. */
async function whileAwaited<T>(pid: number, wait: () => Promise<T>): Promise<T> {
  awaited.set(pid, (awaited.get(pid) ?? 0) + 1);
  try {
    return await wait();
  } finally {
    const n = awaited.get(pid)! - 1;
    if (n) awaited.set(pid, n); else awaited.delete(pid);
  }
}

/** wait() for a pid already read from the state (start's result waits without the state dir). */
export function waitPid(pid: number, pidStartTime: string, signal?: AbortSignal): Promise<ExitStatus> {
  return whileAwaited(pid, () => pollPid(pid, pidStartTime, signal));
}

/** The addon's waitExit (a blocking waitpid on the threadpool: run's and exec's foreground process), marked awaited. */
export function waitExit(pid: number): Promise<ExitStatus> {
  return whileAwaited(pid, () => addon().waitExit(pid));
}

async function pollPid(pid: number, pidStartTime: string, signal?: AbortSignal): Promise<ExitStatus> {
  // 1 ms first: a short-lived container is seen within about a millisecond of its exit (a
  // create+start+wait+delete cycle is ~10 ms; a first wait of 5 ms cost it ~4 ms); doubling to
  // 100 ms keeps a long wait to ~10 polls a second
  for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
    let ours = true;
    try {
      const r = addon().waitpid(pid, true);
      if (r.pid === pid) return { code: r.code, signal: r.signal };
    } catch {
      ours = false; // ECHILD: not our child, or reaped already
    }
    if (!ours && startTime(pid) !== pidStartTime) return { code: null, signal: null };
    await sleep(delay, signal);
  }
}
