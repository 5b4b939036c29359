// The per-container flock, taken with LOCK_NB in a bounded retry loop. Threat: a lock held by a
// wedged or stuck operation (a create whose hook never returns, a start blocked on its init, a
// process that inherited the lock fd) must not hang `delete --force`, `start` or `kill`, nor
// block a library process's event loop forever: after the wait the caller gets an error naming
// the id and the process that holds the lock.
import fs = require('fs');
import { LockedError } from '../errors';
import { addon, LOCK } from '../native/addon';
import { lockWaitMs } from './wait-limits';
import type { Waits } from '../waits';

/**
 * flock(fd, LOCK_EX), retried without blocking until `waitMs` passed; then a LockedError naming
 * `id` and the holder. A Waits generator: create drives it blocking, every other verb on timers.
 */
export function* lockWaits(fd: number, id: string, waitMs = lockWaitMs()): Waits<void> {
  const deadline = Date.now() + waitMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    if (addon().flock(fd, LOCK.EX | LOCK.NB)) return;
    const left = deadline - Date.now();
    if (left <= 0) break;
    yield Math.min(delay, left);
  }
  const holder = lockHolder(fd);
  const who = holder === undefined ? '' : ` (pid ${holder}${fs.existsSync(`/proc/${holder}`) ? '' : ', which has exited: a process it started still holds the lock'})`;
  throw new LockedError(`container ${id} is locked by another tsrun operation${who}; gave up after ${waitMs / 1000}s: retry when it has finished, or kill it`);
}

/** The pid /proc/locks gives for the flock on fd's inode (the process that took it), if any. */
export function lockHolder(fd: number): number | undefined {
  let st: fs.Stats;
  let text: string;
  try {
    st = fs.fstatSync(fd);
    text = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF": MAJOR:MINOR in hex, the inode in decimal
  const major = Number((BigInt(st.dev) >> 8n) & 0xfffn | ((BigInt(st.dev) >> 32n) & ~0xfffn));
  const minor = Number((BigInt(st.dev) & 0xffn) | ((BigInt(st.dev) >> 12n) & ~0xffn));
  const key = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === 'FLOCK' && f[5] === key) return Number(f[4]);
  }
  return undefined;
}
