// start: release a created container's init from its exec.fifo wait.
import fs = require('fs');
import { StatusError, TsrunError } from '../errors';
import { addon } from '../native/addon';
import { runHooks } from '../hooks/run-hooks';
import { INIT_FAILURE_HEADER } from '../hooks/start-hooks';
import { NotifyRelay } from './notify';
import { OCI_VERSION, processState } from '../state/status';
import { Container } from './container';
import { crashPoint } from './crash-point';
import type { Hook } from '../spec/config-types';
import { readyWaitMs, startWaitMs } from '../state/wait-limits';
import { diedBeforeStart } from './init-exit';
import { trace } from '../trace';
import { GlobalOptions } from './options';
import { waitPid, type ExitStatus } from './wait';

/** A started container: its init's pid, and its exit status when it exits. */
export interface Started {
  pid: number;
  /** Resolves when the container's init exits: its status if this process created it (else both null). */
  wait(opts?: { signal?: AbortSignal }): Promise<ExitStatus>;
}

/**
 * With startContainer hooks tsrun-init answers on the fifo only after they ran: "0", or one
 * write of INIT_FAILURE_HEADER + message, after which it exits. readFifoAnswer took the
 * first `n` bytes of that record; the rest is read here from a second reader of the fifo.
 */
function initFailure(fd: number, n: number): TsrunError {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (;;) {
    let r = 0;
    try { r = fs.readSync(fd, buf, 0, buf.length, null); } catch { break; }  // EAGAIN: all read
    if (r <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, r)));
  }
  const body = Buffer.concat(chunks).toString('utf8').slice(Math.max(0, INIT_FAILURE_HEADER.length - n)).trim();
  const field = /^hooks\.startContainer\[\d+\]/.exec(body)?.[0];
  if (field) return new TsrunError(body, { field });
  return new TsrunError(`the container's init failed after start: ${body ? `tsrun-init: ${body}` : 'no detail'}`);
}

/**
 * Open exec.fifo for reading: the init's open completes and it answers (after its
 * startContainer hooks, if any). Bounded: an init that is stopped (SIGSTOP) or stuck in the
 * kernel must not keep start, and the lock it holds, forever. Hooks with a timeout add it; a
 * hook without one may run as long as it likes (as with runc), so then there is no bound.
 */
async function takeStart(c: Container, startHooks: Hook[] | undefined): Promise<number> {
  const hooks = startHooks ?? [];
  const ms = hooks.every((h) => h.timeout) ? startWaitMs() + hooks.reduce((t, h) => t + h.timeout! * 1000, 0) : -1;
  const n = await readFifoAnswer(c.sd.fifo, c.state.pid, ms);
  if (n >= 0) return n;
  throw new TsrunError(`timed out after ${ms / 1000}s waiting for the container's init (pid ${c.state.pid}) to take the start signal `
    + `on exec.fifo${hooks.length ? ' and run its startContainer hooks' : ''}: it is stopped (SIGSTOP) or stuck in the kernel; `
    + `the container stays created (\`delete --force ${c.state.id}\` removes it)`);
}

/**
 * Open the fifo as its reader (the init's blocked open for writing completes) and read its
 * answer: the bytes read (up to 16), 0 if the init died first, -1 after `ms` (none when < 0).
 * The waits are on the event loop (waitReadable), 20 ms at a time between liveness checks.
 */
async function readFifoAnswer(fifo: string, pid: number, ms: number): Promise<number> {
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const t0 = Date.now();
  const buf = Buffer.alloc(16);
  try {
    const answer = (): number => {
      try { return fs.readSync(fd, buf, 0, buf.length, null); } catch { return 0; } // EAGAIN: nothing yet
    };
    for (;;) {
      if (await addon().waitReadable(fd, 20)) {
        const n = answer();
        if (n > 0) return n;
        // readable without data: the writer's end closed (POLLHUP); do not spin on it
        await new Promise((r) => setTimeout(r, 1));
      }
      // an init that answered and whose process already ended: its answer is in the pipe
      if (processState(pid) === 'gone') return Math.max(answer(), 0);
      if (ms >= 0 && Date.now() - t0 > ms) return -1;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Starts a created container's process and runs the poststart hooks; `wait()` on the result
 * resolves with its exit status. StatusError if the container is not in the created state.
 */
export async function start(id: string, opts: GlobalOptions = {}): Promise<Started> {
  const c = await Container.open(id, opts);
  let relay: NotifyRelay | undefined;
  let reportFd = -1;
  try {
    const status = c.status();
    // exec.fifo is there until a start opened it: a stopped container with it never started
    if (status === 'stopped' && fs.existsSync(c.sd.fifo)) throw diedBeforeStart(c.state.pid, c.state.pidStartTime);
    if (status === 'stopped') throw new StatusError('cannot start a container that has stopped', status);
    if (status !== 'created') throw new StatusError('cannot start an already running container', status);
    const hooks = c.state.config.hooks;
    const st = (status: string) => ({ ociVersion: OCI_VERSION, id, status, pid: c.state.pid, bundle: c.state.bundle, annotations: c.state.config.annotations });
    // startContainer hooks are run by the container's init itself (addon/init/hooks.c); it
    // reports a failure on the fifo and exits: a second reader gets the message
    if (hooks?.startContainer?.length) reportFd = fs.openSync(c.sd.fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    relay = c.state.notifySocket ? new NotifyRelay(c.sd.dir) : undefined;
    crashPoint('start:locked');
    const n = await takeStart(c, hooks?.startContainer);
    crashPoint('start:released');
    fs.rmSync(c.sd.fifo, { force: true });
    if (n > 1 && reportFd >= 0) throw initFailure(reportFd, n);
    if (n === 0) throw diedBeforeStart(c.state.pid, c.state.pidStartTime);
    trace('start', () => `exec.fifo opened: init pid ${c.state.pid} released${reportFd >= 0 ? ' (startContainer hooks ran)' : ''}`);
    // poststart after the user's process started. A failure stops the container, as runc does.
    try {
      await runHooks('poststart', hooks, st('running'));
    } catch (e) {
      try { process.kill(c.state.pid, 'SIGKILL'); } catch { /* gone */ }
      throw e;
    }
  } catch (e) {
    relay?.close(); // a library process calls start again
    throw e;
  } finally {
    if (reportFd >= 0) fs.closeSync(reportFd);
    c.sd.unlock();
  }
  // like runc, start returns once the container said READY=1 (or died), without the lock; unlike
  // runc, not after the bound
  await relay?.relayReady(c.state.notifySocket!, c.state.pid, c.state.pidStartTime, readyWaitMs());
  const { pid, pidStartTime } = c.state;
  return { pid, wait: (o = {}) => waitPid(pid, pidStartTime, o.signal) };
}
