// AbortSignal on the long library calls (create, exec, run, wait, events), with Node's semantics: an aborted
// signal rejects at once, before any work, and the rejection is an AbortError (code ABORT_ERR)
// whose cause is signal.reason.
import { AbortError } from '../errors';

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}
