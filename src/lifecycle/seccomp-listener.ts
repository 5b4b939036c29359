// linux.seccomp.listenerPath: the seccomp notify fd goes to the listener as runc sends it: one
// message on a fresh stream connection, the container process state as JSON, the fd attached
// (SCM_RIGHTS) and named "seccompFd" in fds[]. The listener answers the notifications.
import { TsrunError } from '../errors';
import { addon } from '../native/addon';
import { connectUnix } from './unix-connect';
import { OCI_VERSION } from '../state/status';

export interface ContainerState {
  ociVersion: string; id: string; status: string; pid: number; bundle: string; annotations?: Record<string, string>;
}

export function containerProcessState(state: ContainerState, pid: number, metadata?: string) {
  return { ociVersion: OCI_VERSION, fds: ['seccompFd'], pid, metadata: metadata ?? '', state };
}

/** Send the notify fd (closed here either way) to the listener. */
export function sendToListener(listener: { path: string; metadata?: string }, fd: number, state: ContainerState, pid: number): void {
  const a = addon();
  let sock = -1;
  try {
    try {
      sock = connectUnix(listener.path);
    } catch (e) {
      throw new TsrunError(`linux.seccomp.listenerPath: ${(e as Error).message}`, { field: 'linux.seccomp.listenerPath' });
    }
    a.sendFds(sock, JSON.stringify(containerProcessState(state, pid, listener.metadata)), [fd]);
  } finally {
    if (sock >= 0) a.close(sock);
    a.close(fd);
  }
}
