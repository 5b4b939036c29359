// A bounded polling wait written once, driven two ways. A wait is a generator that yields how
// many ms to sleep before its next look and returns its result. waitSync sleeps by blocking the
// thread (the CLI, and steps that must not yield); waitAsync on a timer, so a library caller's
// event loop runs meanwhile. Used by the freezer, delete's kill wait and the state-dir lock.
import { AbortError } from './errors';

export type Waits<T> = Generator<number, T, void>;

/** setTimeout as a promise that an abort rejects (and whose timer it clears: nothing keeps the loop alive). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new AbortError(signal.reason)); return; }
    const onAbort = () => { clearTimeout(t); reject(new AbortError(signal!.reason)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Block the thread for `ms` milliseconds (no busy loop). */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function waitSync<T>(g: Waits<T>): T {
  for (let r = g.next(); ; r = g.next()) {
    if (r.done) return r.value;
    sleepMs(r.value);
  }
}

/** An abort ends the wait: the AbortError is thrown into the generator (its catch blocks release what it holds) and out. */
export async function waitAsync<T>(g: Waits<T>, signal?: AbortSignal): Promise<T> {
  for (let r = g.next(); ;) {
    if (r.done) return r.value;
    try {
      await sleep(r.value, signal);
    } catch (e) {
      r = g.throw(e);
      continue;
    }
    r = g.next();
  }
}
