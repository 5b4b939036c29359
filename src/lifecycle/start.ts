// start: release a created container's init from its exec.fifo wait.
import fs = require('fs');
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import { Container } from './container';
import { GlobalOptions } from './options';

export async function start(id: string, opts: GlobalOptions = {}): Promise<void> {
  const c = new Container(id, opts);
  try {
    const status = c.status();
    if (status === 'stopped') throw new TsrunError('cannot start a container that has stopped');
    if (status !== 'created') throw new TsrunError('cannot start an already running container');
    const n = addon().startFifo(c.sd.fifo, c.state.pid, -1);
    fs.rmSync(c.sd.fifo, { force: true });
    if (n === 0) throw new TsrunError('cannot start a container that has stopped');
  } finally {
    c.sd.unlock();
  }
}
