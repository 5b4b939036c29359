// A bounded polling wait written once, driven two ways. A wait is a generator that yields how
// many ms to sleep before its next look and returns its result. waitSync sleeps by blocking the
// thread (the CLI, and steps that must not yield); waitAsync on a timer, so a library caller's
// event loop runs meanwhile. Used by the freezer, delete's kill wait and the state-dir lock.
import { sleep } from './lifecycle/abort';

export type Waits<T> = Generator<number, T, void>;

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
