// events: the container's resource usage (--stats once, or every --interval) and OOM events.
import { StatusError } from '../errors';
import { throwIfAborted } from './abort';
import { sleep } from '../waits';
import { Container } from './container';
import { GlobalOptions } from './options';

export interface ContainerEvent { type: 'stats' | 'oom'; id: string; data?: Record<string, unknown> }

export interface EventsOptions extends GlobalOptions {
  /** Milliseconds between stats events (runc's --interval; default 5000). */
  interval?: number;
  /** Ends the iteration: the pending next() rejects with an AbortError. */
  signal?: AbortSignal;
}

/** One stats event: the container's cgroup statistics now (as `tsrun events --stats`). */
export async function stats(id: string, opts: GlobalOptions = {}): Promise<ContainerEvent> {
  const c = new Container(id, opts, false);
  if (c.status() === 'stopped') throw new StatusError('container not running', 'stopped');
  return { type: 'stats', id, data: c.cgroup.stats() };
}

/**
 * The container's events until it stops: stats every interval, and an "oom" event (before that
 * interval's stats) when its OOM kill count grew. `for await (const e of events(id))`.
 */
export async function* events(id: string, opts: EventsOptions = {}): AsyncGenerator<ContainerEvent, void, undefined> {
  const interval = opts.interval ?? 5000;
  let lastOom = -1;
  for (;;) {
    throwIfAborted(opts.signal);
    const c = new Container(id, opts, false);
    if (c.status() === 'stopped') return;
    const data = c.cgroup.stats();
    const oom = c.cgroup.oomKills();
    if (lastOom >= 0 && oom > lastOom) yield { type: 'oom', id };
    lastOom = oom;
    yield { type: 'stats', id, data };
    await sleep(interval, opts.signal);
  }
}

/** The CLI's `events`: every event to `emit` until the container stops. */
export async function streamEvents(id: string, intervalMs: number, emit: (e: ContainerEvent) => void, opts: GlobalOptions = {}): Promise<void> {
  for await (const e of events(id, { ...opts, interval: intervalMs })) emit(e);
}
