// A turn of the event loop between the synchronous steps of create and exec (config, plan,
// cgroups, clone): each step blocks for a few milliseconds, and without a turn between them
// the caller's timers, I/O and other creates wait for all of them at once (issue 16).
// Each turn is also where an abort of the call is seen (it rejects with an AbortError; the
// caller's rollback then undoes what was made).
import { throwIfAborted } from './abort';

export const yieldToLoop = (signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => setImmediate(() => {
  try { throwIfAborted(signal); resolve(); } catch (e) { reject(e); }
}));
