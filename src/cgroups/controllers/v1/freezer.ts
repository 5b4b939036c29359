// v1 freezer: freezer.state THAWED | FREEZING | FROZEN. Freezing can stall in FREEZING while
// tasks fork; like runc, keep re-writing FROZEN and occasionally thaw briefly, until FROZEN or
// the deadline. Thawing is polled until THAWED.

import { TsrunError } from '../../../errors';
import { readCg, readCgOptional, writeCg } from '../../fsutil';
import { sleepMs, waitSync, type Waits } from '../../../waits';
import type { V1Controller } from '../types';

export type V1FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

export const freezer: V1Controller = { name: 'freezer' };

export function freezerState(dir: string): V1FreezerState {
  const s = readCg(dir, 'freezer.state');
  if (s === 'THAWED' || s === 'FREEZING' || s === 'FROZEN') return s;
  throw new TsrunError(`unexpected freezer.state ${JSON.stringify(s)} in ${dir}`);
}

/** Frozen by itself (not merely because an ancestor is frozen). */
export function isFrozenV1(dir: string, timeoutMs = 1000): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = freezerState(dir);
    if (s === 'THAWED') return false;
    if (s === 'FROZEN') {
      const self = readCgOptional(dir, 'freezer.self_freezing');
      return self === undefined ? true : self !== '0';
    }
    if (Date.now() > deadline) return true; // stuck FREEZING: report as frozen
    sleepMs(1);
  }
}

export function* freezeV1Waits(dir: string, timeoutMs = 5000): Waits<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (i % 50 === 49) {
      writeCg(dir, 'freezer.state', 'THAWED');
      yield 10;
    }
    writeCg(dir, 'freezer.state', 'FROZEN');
    const s = freezerState(dir);
    if (s === 'FROZEN') return;
    if (s !== 'FREEZING') throw new TsrunError(`unexpected freezer.state ${s} while freezing ${dir}`);
    if (Date.now() > deadline) {
      try { writeCg(dir, 'freezer.state', 'THAWED'); } catch { /* best effort */ }
      throw new TsrunError(`cannot freeze ${dir}: still FREEZING after ${timeoutMs}ms`);
    }
    if (i % 25 === 24 || i >= 100) yield 1; // don't spin on a slow kernel
  }
}

export function* thawV1Waits(dir: string, timeoutMs = 5000): Waits<void> {
  const deadline = Date.now() + timeoutMs;
  writeCg(dir, 'freezer.state', 'THAWED');
  while (freezerState(dir) !== 'THAWED') {
    if (Date.now() > deadline) throw new TsrunError(`cannot thaw ${dir}: not THAWED after ${timeoutMs}ms`);
    yield 1;
    writeCg(dir, 'freezer.state', 'THAWED');
  }
}

export const freezeV1 = (dir: string, timeoutMs = 5000): void => waitSync(freezeV1Waits(dir, timeoutMs));
export const thawV1 = (dir: string, timeoutMs = 5000): void => waitSync(thawV1Waits(dir, timeoutMs));
