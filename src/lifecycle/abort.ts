// AbortSignal on the long library calls (create, exec, run, wait, events), with Node's semantics: an aborted
// signal rejects at once, before any work, and the rejection is an AbortError (code ABORT_ERR)
// whose cause is signal.reason.
import { AbortError } from '../errors';

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}

/** setTimeout as a promise that an abort rejects (and whose timer it clears: nothing keeps the loop alive). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new AbortError(signal.reason)); return; }
    const onAbort = () => { clearTimeout(t); reject(new AbortError(signal!.reason)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
