// Where the pty master of a process.terminal container goes: to --console-socket (the
// caller's unix socket, as runc does), or back to tsrun itself for a foreground relay.
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import { connectUnix } from './unix-connect';

export interface ConsoleTarget {
  /** The fd the child sends the master over (-1: no terminal). */
  childFd: number;
  /** The parent's end of an internal socketpair (foreground relay), or -1. */
  relayFd: number;
  close(): void;
}

export function consoleTarget(terminal: boolean, consoleSocket: string | undefined, foreground: boolean): ConsoleTarget {
  const a = addon();
  if (!terminal) {
    if (consoleSocket) throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
    return { childFd: -1, relayFd: -1, close() { /* nothing */ } };
  }
  if (consoleSocket) {
    let fd: number;
    try {
      fd = connectUnix(consoleSocket);
    } catch (e) {
      throw new TsrunError(`--console-socket ${consoleSocket}: ${(e as Error).message}`);
    }
    return { childFd: fd, relayFd: -1, close() { a.close(fd); } };
  }
  if (!foreground) throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  const [mine, theirs] = a.socketpair();
  return { childFd: theirs, relayFd: mine, close() { a.close(theirs); } };
}

/**
 * The pty master the child sent over a foreground relay socket, with ONLCR cleared so the
 * container's "\n" stays "\n" (runc: console.ClearONLCR on the master it receives); only the
 * caller's own terminal, if any, translates. create receives it before start, so no output of
 * the process precedes it; exec receives it once the process runs (runc likewise).
 */
export function receiveMaster(relayFd: number, timeoutMs = 10_000): number {
  const a = addon();
  const master = a.recvFd(relayFd, timeoutMs);
  try {
    a.fds.clearOnlcr(master);
  } catch (e) {
    a.close(master);
    throw new TsrunError(`console: clearing ONLCR on the pty: ${(e as Error).message}`);
  }
  return master;
}
