// Connecting to a caller's AF_UNIX socket (--console-socket, --pidfd-socket,
// linux.seccomp.listenerPath), bounded: a listener that is stuck with its backlog full would
// otherwise block connect (and create) for ever, and a full receive buffer the send after it.
import { addon } from '../native/addon';
import { connectWaitMs } from '../state/wait-limits';

const ETIMEDOUT = 110;

/** A connected stream socket; errors read `connect PATH: ...`. */
export function connectUnix(path: string): number {
  const ms = connectWaitMs();
  try {
    return addon().connectUnix(path, ms);
  } catch (e) {
    if ((e as { errno?: number }).errno !== ETIMEDOUT) throw e;
    throw Object.assign(new Error(`connect ${path}: nothing accepted the connection within ${ms / 1000}s: its listener is stuck or overloaded (its backlog is full)`), { errno: ETIMEDOUT });
  }
}
