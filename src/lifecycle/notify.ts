// NOTIFY_SOCKET passthrough, as runc does it: the container gets its own socket (bound in the
// state dir, bind-mounted at /run/notify), and `start` relays its READY=1 to the caller's
// NOTIFY_SOCKET with MAINPID set to the container's init. Threat: the container speaks to the
// host's service manager through us; anything but READY=1 (WATCHDOG_USEC, STOPPING,
// NOTIFYACCESS, FDSTORE, EXTEND_TIMEOUT_USEC, its own MAINPID) would act on the unit that runs
// the caller, so exactly `READY=1\nMAINPID=<init's host pid>\n` is sent, nothing else.
import fs = require('fs');
import path = require('path');
import type { Spec } from '../spec/config-types';
import { TsrunError } from '../errors';
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
  private fd: number;
  constructor(stateDir: string) {
    this.fd = addon().bindUnixDgram(path.join(stateDir, 'notify', SOCKET_NAME));
  }

  /** Idempotent; relayReady closes it too. */
  close(): void {
    if (this.fd >= 0) addon().close(this.fd);
    this.fd = -1;
  }

  /**
   * Wait until the container says READY=1 (then tell the caller) or its init is gone, for at
   * most `ms` (0: no bound). A container that never says it is ready must not keep `start`
   * (and the shim or unit that called it) waiting for ever. The wait is on the event loop.
   */
  async relayReady(host: string, pid: number, started: string, ms: number): Promise<void> {
    const deadline = ms > 0 ? Date.now() + ms : Infinity;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new TsrunError(`timed out after ${ms / 1000}s waiting for the container (init pid ${pid}) to send READY=1 on its NOTIFY_SOCKET `
            + `(relayed to the caller's NOTIFY_SOCKET ${host}): it was started but has not said it is ready; `
            + 'TSRUN_READY_TIMEOUT_MS sets the bound in milliseconds (0: none)');
        }
        const msg = await addon().waitReadable(this.fd, Math.min(200, left)) ? addon().recvDgram(this.fd, 0) : null;
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
      this.close();
    }
  }
}
