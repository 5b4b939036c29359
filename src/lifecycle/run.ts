// run: create + start, then (unless detached) forward signals, wait, delete, and return
// the container's exit status (128+N when killed by signal N).
import { log } from '../log';
import { phase } from '../trace';
import { create, type CreateOptions } from './create';
import { crashPoint } from './crash-point';
import { waitExit } from './wait';
import { deleteContainer } from './delete';
import { start } from './start';
import { relayTerminal } from './tty-relay';
import { forwardSignals } from './forward-signals';
import { throwIfAborted } from './abort';

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
  /**
   * Forward the signals this process receives (SIGINT, SIGTERM, ...; SIGWINCH to a relayed
   * terminal) to the container's process while it runs, as the CLI does. Off by default: a
   * library call installs no handler on its host process.
   */
  forwardSignals?: boolean;
  /** Aborting kills the container (SIGKILL), deletes it (unless keep) and rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * create + start; then, unless `detach`, waits for the process, deletes the container (unless
 * `keep`) and resolves with its exit status (128+N when killed by signal N). 0 when detached.
 */
export async function run(id: string, opts: RunOptions = {}): Promise<number> {
  throwIfAborted(opts.signal);
  const { pid, consoleMaster } = await create(id, { ...opts, foreground: !opts.detach });
  crashPoint('run:created');
  if (opts.detach) {
    await start(id, opts);
    return 0;
  }
  const stopForwarding = opts.forwardSignals ? forwardSignals(pid, consoleMaster === undefined) : () => {};
  // the pid stays ours (unreaped) until `exited` resolves: the kill cannot hit a reused pid
  const onAbort = () => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exited = waitExit(pid);
    try {
      throwIfAborted(opts.signal);
      await start(id, opts);
    } catch (e) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
      await deleteContainer(id, { ...opts, force: true });
      throwIfAborted(opts.signal); // a start that failed because the abort killed the init
      throw e;
    }
    const relay = consoleMaster !== undefined ? relayTerminal(consoleMaster, !!opts.forwardSignals) : undefined;
    phase('start');
    crashPoint('run:started');
    const st = await exited;
    relay?.stop();
    phase('container ran');
    if (opts.signal?.aborted && !opts.keep) await deleteContainer(id, { ...opts, force: true });
    throwIfAborted(opts.signal);
    if (!opts.keep) {
      try { await deleteContainer(id, { ...opts, force: true }); } catch (e) { log('warning', (e as Error).message); }
      phase('delete');
    }
    return st.code ?? 128 + (st.signal ?? 0);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stopForwarding();
  }
}
