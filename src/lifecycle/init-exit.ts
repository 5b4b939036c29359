// A container's init that died before `start`: said as such, with its exit status where the
// kernel still has it, instead of runc's "cannot start a container that has stopped". tsrun-init
// writes why it failed to the container's stderr ("tsrun-init: ...").
import fs = require('fs');
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import { statFields } from '../state/status';

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM', 31: 'SIGSYS' };

const killedBy = (sig: number) => `killed by signal ${SIGNALS[sig] ?? sig}`;

/** "exit status 126" / "killed by signal SIGKILL", from a wait status. */
export function describeWaitStatus(status: number): string {
  const sig = status & 0x7f;
  return sig ? killedBy(sig) : `exit status ${(status >> 8) & 0xff}`;
}

/** How the init (pid, with the start time recorded at create) ended, if it is a zombie still; else undefined. */
export function zombieStatus(pid: number, startTime: string): string | undefined {
  const f = statFields(pid);
  if (!f || f[0] !== 'Z' || f[19] !== startTime || f[49] === undefined) return undefined;
  return describeWaitStatus(Number(f[49]));
}

export function diedBeforeStart(pid: number, startTime: string): TsrunError {
  const how = zombieStatus(pid, startTime);
  return new TsrunError(`the container's init (pid ${pid}) exited before start${how ? ` (${how})` : ''}; tsrun-init's message, if it wrote one, is on the container's stderr`);
}

const NR_OPENAT = process.arch === 'arm64' ? 56 : 257;

/**
 * Blocked opening exec.fifo: the kernel's wait for a reader, or (no symbol names) asleep in
 * openat. A kernel with neither (user-mode Linux: wchan names its own scheduler, no
 * /proc/PID/syscall) shows only an interruptible sleep, which for tsrun-init before start can
 * only be that open: everything it reads before it was written before its exec.
 */
function blockedOnFifo(pid: number, state: string): boolean {
  let wchan = '';
  try {
    wchan = fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return false;
  }
  if (wchan === 'wait_for_partner' || wchan === 'fifo_open') return true;
  try {
    // "NR args... sp pc" while in a syscall, "running" otherwise; tsrun-init's first openat
    // is the fifo's (nothing else it opens before start can block)
    return Number(fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]) === NR_OPENAT;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' && state === 'S';
  }
}

/**
 * Create: wait until tsrun-init blocks on exec.fifo, or dies on the way there. Everything
 * tsrun-init does before that wait (argv, hooks blob, the fifo reopened through the procfs
 * handle) then fails `create`, not a later `start`. It gets there within a millisecond of its
 * exec; the bound only keeps a kernel that shows neither wchan nor syscall from stalling create.
 * Its sleeps are timers: other work of the process runs meanwhile.
 */
export async function awaitFifoWait(pid: number, boundMs = 500): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (let i = 0; ; i++) {
    const f = statFields(pid);
    if (!f || f[0] === 'Z' || f[0] === 'X') {
      let how = '';
      try {
        const st = addon().waitpid(pid, true);  // our child (the stub is forked CLONE_PARENT): reap it
        if (st.pid === pid) how = st.signal !== null ? killedBy(st.signal) : `exit status ${st.code}`;
      } catch { /* not ours */ }
      throw new TsrunError(`the container's init exited during create${how ? ` (${how})` : ''}; tsrun-init's message is on the container's stderr`);
    }
    // wchan "0" is a task running at that moment: keep looking
    if (f[0] !== 'R' && blockedOnFifo(pid, f[0])) return;
    if (Date.now() > deadline) return;
    if (i > 20) await new Promise((r) => setTimeout(r, 1));
  }
}
