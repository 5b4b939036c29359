// kill: signal the init, or with --all the container's processes: every process in its cgroup
// when the cgroup is its alone, else only its own (a shared cgroup's other container is left
// alone: see Container.members).
import { StatusError, TsrunError } from '../errors';
import { Container } from './container';
import { GlobalOptions } from './options';
import { parseSignal } from './signals';

/**
 * Sends `signal` (a name as "TERM" or "SIGTERM", or a number; default SIGTERM) to the container's
 * init, or with `all` to every process in its cgroup. StatusError if it is not running (unless `all`).
 */
export async function kill(id: string, signal?: string | number, opts: GlobalOptions & { all?: boolean } = {}): Promise<void> {
  const sig = parseSignal(signal);
  const c = await Container.open(id, opts);
  try {
    const status = c.status();
    if (status === 'stopped' && !opts.all) throw new StatusError('container not running', status);
    if (opts.all) {
      c.signalMembers(c.members(), sig);
      return;
    }
    try {
      process.kill(c.state.pid, sig);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') throw new StatusError('container not running', 'stopped');
      if (code === 'EINVAL') throw new TsrunError('unable to signal init: invalid argument');
      throw e;
    }
  } finally {
    c.sd.unlock();
  }
}
