// events: the container's resource usage (--stats once, or every --interval) and OOM events.
import { TsrunError } from '../errors';
import { Container } from './container';
import { GlobalOptions } from './options';

export interface ContainerEvent { type: 'stats' | 'oom'; id: string; data?: Record<string, unknown> }

export async function stats(id: string, opts: GlobalOptions = {}): Promise<ContainerEvent> {
  const c = new Container(id, opts, false);
  if (c.status() === 'stopped') throw new TsrunError('container not running');
  return { type: 'stats', id, data: c.cgroup.stats() };
}

/** Stream events until the container stops: stats every interval, and an "oom" event when the OOM kill count grows. */
export async function streamEvents(id: string, intervalMs: number, emit: (e: ContainerEvent) => void, opts: GlobalOptions = {}): Promise<void> {
  let lastOom = -1;
  for (;;) {
    const c = new Container(id, opts, false);
    if (c.status() === 'stopped') return;
    const data = c.cgroup.stats();
    const oom = c.cgroup.oomKills();
    if (lastOom >= 0 && oom > lastOom) emit({ type: 'oom', id });
    lastOom = oom;
    emit({ type: 'stats', id, data });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
