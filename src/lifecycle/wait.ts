// wait: resolve once the container's init has exited. A library process that created the
// container is its init's parent: it reaps it here (no zombie left) and gets the exit status.
// Any other caller polls the init's liveness and gets no status. Polled with timers: no
// thread of libuv's pool is held in a blocking waitpid, however many containers are waited on.
import { addon } from '../native/addon';
import { startTime } from '../state/status';
import { Container } from './container';
import { GlobalOptions } from './options';

export interface ExitStatus {
  /** Exit code, or null when killed by a signal or the status is unknown (not this process's child). */
  code: number | null;
  signal: number | null;
}

export async function wait(id: string, opts: GlobalOptions = {}): Promise<ExitStatus> {
  const { pid, pidStartTime } = new Container(id, opts, false).state;
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
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
