// --pidfd-socket (runc 1.2): the caller's AF_UNIX socket is sent one pidfd of the container's
// init (create, run) or of the exec'd process, in one message whose data is runc's init type
// ("standard" for an init, "setns" for an exec) and whose SCM_RIGHTS carries the pidfd
// (runc: utils.SendRawFd). The socket is connected before anything is created, so a bad path
// fails first, as runc dials it first; the pidfd is sent once the process exists.
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import { connectUnix } from './unix-connect';

export type PidfdKind = 'standard' | 'setns';

export interface PidfdSocket {
  /** pidfd_open(pid) and send it; the socket is closed afterwards either way. */
  send(pid: number): void;
  close(): void;
}

export function connectPidfdSocket(path: string | undefined, kind: PidfdKind): PidfdSocket | undefined {
  if (!path) return undefined;
  const a = addon();
  let sock: number;
  try {
    sock = connectUnix(path);
  } catch (e) {
    throw new TsrunError(`--pidfd-socket ${path}: ${(e as Error).message}`);
  }
  let open = true;
  const close = () => { if (open) { open = false; a.close(sock); } };
  return {
    send(pid: number) {
      try {
        let pidfd: number;
        try {
          pidfd = a.fds.pidfdOpen(pid);
        } catch (e) {
          const errno = (e as { errno?: number }).errno;
          throw new TsrunError(`--pidfd-socket ${path}: ${errno === 38 ? 'pidfd_open needs Linux 5.3 or later' : `pidfd of process ${pid}: ${(e as Error).message}`}`);
        }
        try {
          a.sendFds(sock, kind, [pidfd]);
        } catch (e) {
          throw new TsrunError(`--pidfd-socket ${path}: sending the pidfd: ${(e as Error).message}`);
        } finally {
          a.close(pidfd);
        }
      } finally {
        close();
      }
    },
    close,
  };
}
