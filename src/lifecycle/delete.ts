// delete: kill what is left, remove the cgroups and the state dir.
import { NotExistError, TsrunError } from '../errors';
import { log } from '../log';
import { OCI_VERSION, startTime } from '../state/status';
import { runHooks } from '../hooks/run-hooks';
import { moveNetDevicesOut } from './net-devices';
import { Container } from './container';
import { GlobalOptions } from './options';

export async function deleteContainer(id: string, opts: GlobalOptions & { force?: boolean } = {}): Promise<void> {
  let c: Container;
  try {
    c = new Container(id, opts);
  } catch (e) {
    if (e instanceof NotExistError && opts.force) return;
    throw e;
  }
  try {
    const status = c.status();
    if ((status === 'running' || status === 'paused') && !opts.force) {
      throw new TsrunError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    destroy(c);
  } finally {
    c.sd.unlock();
  }
}

/** Kill every process, wait for the init to go, remove cgroups and state. */
export function destroy(c: Container): void {
  if (c.status() !== 'stopped') {
    // while its network namespace still exists: hand the moved devices back
    for (const err of moveNetDevicesOut(c.state.config, c.state.pid)) log('warning', err);
    try { c.cgroup.thaw(); } catch { /* no freezer */ }
    try { process.kill(c.state.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  try { c.cgroup.killAll('SIGKILL'); } catch { /* empty or gone */ }
  waitGone(c.state.pid, c.state.pidStartTime);
  try {
    c.cgroup.destroy();
  } catch (e) {
    log('warning', `removing cgroup of ${c.state.id}: ${(e as Error).message}`);
  }
  c.sd.remove();
  // poststop: after the container is gone; a failure is a warning, delete still succeeds
  try {
    runHooks('poststop', c.state.config.hooks, {
      ociVersion: OCI_VERSION, id: c.state.id, status: 'stopped', bundle: c.state.bundle, annotations: c.state.config.annotations,
    });
  } catch (e) {
    log('warning', (e as Error).message);
  }
}

function waitGone(pid: number, started: string, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  while (startTime(pid) === started && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
}
