// NOTIFY_SOCKET passthrough, as runc does it: the container gets its own socket (bound in the
// state dir, bind-mounted at /run/notify), and `start` relays its READY=1 to the caller's
// NOTIFY_SOCKET with MAINPID set to the container's init. Threat: the container speaks to the
// host's service manager through us; anything but READY=1 (WATCHDOG_USEC, STOPPING,
// NOTIFYACCESS, FDSTORE, EXTEND_TIMEOUT_USEC, its own MAINPID) would act on the unit that runs
// the caller, so exactly `READY=1\nMAINPID=<init's host pid>\n` is sent, nothing else.
import fs = require('fs');
import path = require('path');
import type { Spec } from '../spec/config-types';
import { addon } from '../native/addon';
import { startTime } from '../state/status';

export const NOTIFY_DIR_IN_CONTAINER = '/run/notify';
const SOCKET_NAME = 'notify.sock';

export function hostNotifySocket(): string | undefined {
  return process.env.NOTIFY_SOCKET || undefined;
}

/** The config with the notify directory bound in and NOTIFY_SOCKET pointing at it. */
export function withNotifySocket(spec: Spec, stateDir: string): Spec {
  const dir = path.join(stateDir, 'notify');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const env = [...(spec.process?.env ?? []).filter((e) => !e.startsWith('NOTIFY_SOCKET=')), `NOTIFY_SOCKET=${NOTIFY_DIR_IN_CONTAINER}/${SOCKET_NAME}`];
  return {
    ...spec,
    process: { ...spec.process!, env },
    mounts: [...(spec.mounts ?? []), { destination: NOTIFY_DIR_IN_CONTAINER, type: 'bind', source: dir, options: ['bind', 'nosuid', 'noexec', 'nodev', 'ro'] }],
  };
}

export class NotifyRelay {
  private readonly fd: number;
  constructor(stateDir: string) {
    this.fd = addon().bindUnixDgram(path.join(stateDir, 'notify', SOCKET_NAME));
  }

  /** Block until the container says READY=1 (then tell the caller) or its init is gone. */
  relayReady(host: string, pid: number, started: string): void {
    try {
      for (;;) {
        const msg = addon().recvDgram(this.fd, 200);
        if (msg === null) {
          if (startTime(pid) !== started) return;
          continue;
        }
        if (msg.split('\n').includes('READY=1')) {
          addon().sendDgram(host, `READY=1\nMAINPID=${pid}\n`);
          return;
        }
      }
    } finally {
      addon().close(this.fd);
    }
  }
}
