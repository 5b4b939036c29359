// v2 freezer: write cgroup.freeze, then wait until cgroup.events reports "frozen 1" (or 0).
// A cgroup without cgroup.events (never on a real kernel; test fixtures) is judged by
// cgroup.freeze alone.

import { TsrunError } from '../../../errors';
import { readCgOptional, writeCg } from '../../fsutil';
import { waitSync, type Waits } from '../../../waits';

function eventsFrozen(dir: string): boolean | undefined {
  const ev = readCgOptional(dir, 'cgroup.events');
  if (ev === undefined) return undefined;
  const m = /^frozen (\d)$/m.exec(ev);
  return m ? m[1] === '1' : undefined;
}

function ensureSupported(dir: string): void {
  if (readCgOptional(dir, 'cgroup.freeze') === undefined) {
    throw new TsrunError(`cgroup v2 freezer not supported (no cgroup.freeze in ${dir}; kernel < 5.2?)`);
  }
}

function* waitFrozen(dir: string, want: boolean, timeoutMs: number): Waits<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 10)) {
    const f = eventsFrozen(dir) ?? readCgOptional(dir, 'cgroup.freeze') === '1';
    if (f === want) return;
    if (Date.now() > deadline) {
      throw new TsrunError(`timed out after ${timeoutMs}ms waiting for ${dir}/cgroup.events to show "frozen ${want ? 1 : 0}"`);
    }
    yield delay;
  }
}

export function* freezeV2Waits(dir: string, timeoutMs = 5000): Waits<void> {
  ensureSupported(dir);
  writeCg(dir, 'cgroup.freeze', '1');
  try {
    yield* waitFrozen(dir, true, timeoutMs);
  } catch (e) {
    try { writeCg(dir, 'cgroup.freeze', '0'); } catch { /* best effort */ }
    throw e;
  }
}

export function* thawV2Waits(dir: string, timeoutMs = 5000): Waits<void> {
  ensureSupported(dir);
  writeCg(dir, 'cgroup.freeze', '0');
  yield* waitFrozen(dir, false, timeoutMs);
}

export const freezeV2 = (dir: string, timeoutMs = 5000): void => waitSync(freezeV2Waits(dir, timeoutMs));
export const thawV2 = (dir: string, timeoutMs = 5000): void => waitSync(thawV2Waits(dir, timeoutMs));

/** Frozen by request of this cgroup itself (cgroup.freeze = 1). */
export function isFrozenV2(dir: string): boolean {
  return readCgOptional(dir, 'cgroup.freeze') === '1';
}
