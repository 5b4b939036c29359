// pause/resume (the cgroup freezer) and ps (the container's processes).
import { StatusError, TsrunError } from '../errors';
import { Container } from './container';
import { GlobalOptions } from './options';

/** Freezes every process of a running container (the cgroup freezer). */
export async function pause(id: string, opts: GlobalOptions = {}): Promise<void> {
  const c = await Container.open(id, opts);
  try {
    const status = c.status();
    if (status !== 'running' && status !== 'created') throw new StatusError('container not running', status);
    // a created container keeps its exec.fifo; isFrozen() tells paused from created
    await c.cgroup.freezeAsync();
  } finally {
    c.sd.unlock();
  }
}

/** Thaws a paused container. */
export async function resume(id: string, opts: GlobalOptions = {}): Promise<void> {
  const c = await Container.open(id, opts);
  try {
    if (c.status() !== 'paused') throw new TsrunError('container not paused');
    await c.cgroup.thawAsync();
  } finally {
    c.sd.unlock();
  }
}

/** Host pids of every process in the container's cgroup. */
export async function pids(id: string, opts: GlobalOptions = {}): Promise<number[]> {
  const c = new Container(id, opts, false);
  if (c.status() === 'stopped') return [];
  // rootless in no cgroup of its own: found through its pid namespace or its init
  if (c.inNoCgroup()) return c.members().pids;
  return c.cgroup.pids().sort((a, b) => a - b);
}

/** runc's ps table: host `ps` output (default -ef) filtered to the container's pids. */
export async function psTable(id: string, psArgs: string[], opts: GlobalOptions = {}): Promise<string> {
  const mine = new Set(await pids(id, opts));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (r.status !== 0) throw new TsrunError(`ps: ${r.stderr.trim() || `exit ${r.status}`}`);
  const lines = r.stdout.split('\n');
  const col = lines[0].trim().split(/\s+/).indexOf('PID');
  if (col < 0) throw new TsrunError("couldn't find PID field in ps output");
  const out = [lines[0]];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length > col && mine.has(Number(f[col]))) out.push(l);
  }
  return out.join('\n') + '\n';
}
