// Where the pty master of a process.terminal container goes: to --console-socket (the
// caller's unix socket, as runc does), or back to tsrun itself for a foreground relay.
import { TsrunError } from '../errors';
import { addon } from '../native/addon';

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
    const fd = a.connectUnix(consoleSocket);
    return { childFd: fd, relayFd: -1, close() { a.close(fd); } };
  }
  if (!foreground) throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  const [mine, theirs] = a.socketpair();
  return { childFd: theirs, relayFd: mine, close() { a.close(theirs); } };
}
