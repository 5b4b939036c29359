// How long the lifecycle waits for something before it gives up with an error naming what it
// waited for (docs/crash-safety.md). Each bound can be lowered through an environment variable
// for the fault tests (test/e2e/fault.test.ts); they are not an interface for users, except
// TSRUN_READY_TIMEOUT_MS: how long a service may take to say READY=1 is the user's to choose.
function envMs(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return process.env[name] && Number.isInteger(v) && v >= 0 ? v : fallback;
}

/** A container's lock (state dir flock): another tsrun operation on the same id. */
export const lockWaitMs = (): number => envMs('TSRUN_LOCK_TIMEOUT_MS', 10_000);
/** One step of the child between clone and the exec of tsrun-init (sync socket records). */
export const syncWaitMs = (): number => envMs('TSRUN_SYNC_TIMEOUT_MS', 60_000);
/** start: the init taking the start signal on exec.fifo (plus any startContainer hook timeouts). */
export const startWaitMs = (): number => envMs('TSRUN_START_TIMEOUT_MS', 10_000);
/**
 * start with NOTIFY_SOCKET: the container sending READY=1 (runc waits for as long as the init
 * lives). Default systemd's DefaultTimeoutStartSec; TSRUN_READY_TIMEOUT_MS=0 waits as runc does.
 */
export const readyWaitMs = (): number => envMs('TSRUN_READY_TIMEOUT_MS', 90_000);
/** A connect (and the send after it) to the caller's console socket, pidfd socket or seccomp listener. */
export const connectWaitMs = (): number => envMs('TSRUN_CONNECT_TIMEOUT_MS', 10_000);
