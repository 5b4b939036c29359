// start: release a created container's init from its exec.fifo wait.
import fs = require('fs');
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import { runHooks } from '../hooks/run-hooks';
import { NotifyRelay } from './notify';
import { OCI_VERSION } from '../state/status';
import { Container } from './container';
import { GlobalOptions } from './options';

export async function start(id: string, opts: GlobalOptions = {}): Promise<void> {
  const c = new Container(id, opts);
  let relay: NotifyRelay | undefined;
  try {
    const status = c.status();
    if (status === 'stopped') throw new TsrunError('cannot start a container that has stopped');
    if (status !== 'created') throw new TsrunError('cannot start an already running container');
    const hooks = c.state.config.hooks;
    const st = (status: string) => ({ ociVersion: OCI_VERSION, id, status, pid: c.state.pid, bundle: c.state.bundle, annotations: c.state.config.annotations });
    // startContainer: in the container (its root too) before the user's process runs;
    // poststart after it started. A failure of either stops the container, as runc does.
    try {
      runHooks('startContainer', hooks, st('created'), { inNamespacesOf: c.state.pid, withRoot: true });
    } catch (e) {
      try { process.kill(c.state.pid, 'SIGKILL'); } catch { /* gone */ }
      throw e;
    }
    relay = c.state.notifySocket ? new NotifyRelay(c.sd.dir) : undefined;
    const n = addon().startFifo(c.sd.fifo, c.state.pid, -1);
    fs.rmSync(c.sd.fifo, { force: true });
    if (n === 0) throw new TsrunError('cannot start a container that has stopped');
    try {
      runHooks('poststart', hooks, st('running'));
    } catch (e) {
      try { process.kill(c.state.pid, 'SIGKILL'); } catch { /* gone */ }
      throw e;
    }
  } finally {
    c.sd.unlock();
  }
  // like runc, start returns once the container said READY=1 (or died), without the lock
  relay?.relayReady(c.state.notifySocket!, c.state.pid, c.state.pidStartTime);
}
