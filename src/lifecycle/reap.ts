// Killing what a failed create or exec started, and reaping it, without ever blocking for good:
// a process stuck in the kernel (D state: a hung FUSE or NFS mount, a frozen cgroup) does not
// die on SIGKILL until it leaves that state, and a blocking waitpid on it would hang tsrun
// (or a library process's event loop) with it.
import { addon } from '../native/addon';
import { sleepMs } from '../waits';

/** SIGKILL every pid, then reap those that are this process's children, for at most `ms`. Returns the pids still not reaped. */
export function killAndReap(pids: number[], ms = 2000): number[] {
  const a = addon();
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  let left = [...new Set(pids.filter((p) => p > 0))];
  const deadline = Date.now() + ms;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    left = left.filter((p) => {
      try { return a.waitpid(p, true).pid === 0; } catch { return false; /* ECHILD: reaped already, or not ours */ }
    });
    if (!left.length || Date.now() >= deadline) return left;
    sleepMs(delay);
  }
}
