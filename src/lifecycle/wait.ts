// wait: resolve once the container's init has exited. A library process that created the
// container is its init's parent: it reaps it here (no zombie left) and gets the exit status.
// Any other caller polls the init's liveness and gets no status. Polled with timers: no
// thread of libuv's pool is held in a blocking waitpid, however many containers are waited on.
import { addon } from '../native/addon';
import { startTime } from '../state/status';
import { Container } from './container';
import { GlobalOptions } from './options';
import { sleep, throwIfAborted } from './abort';

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

/** wait() for a pid already read from the state (start's result waits without the state dir). */
export async function waitPid(pid: number, pidStartTime: string, signal?: AbortSignal): Promise<ExitStatus> {
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
