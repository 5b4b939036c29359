// process.capabilities -> 64-bit masks for the child's prctl/capset calls.
import fs = require('fs');
import type { LinuxCapabilities } from '../spec/config-types';
import { CAPABILITIES } from '../native/constants';
import type { NativeCaps } from '../native/addon';

let lastCapCache: number | undefined;
export function lastCap(): number {
  if (lastCapCache === undefined) {
    try { lastCapCache = parseInt(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10); }
    catch { lastCapCache = CAPABILITIES.length - 1; }
  }
  return lastCapCache;
}

/** Unknown names, and ones this kernel lacks, are skipped with a warning, as runc does. */
export function capMask(names: string[] | undefined, warn: (msg: string) => void): bigint {
  let mask = 0n;
  const last = lastCap();
  for (const name of names ?? []) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) { warn(`unknown capability "${name}"`); continue; }
    if (bit > last) { warn(`capability "${name}" is not supported by this kernel`); continue; }
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

export function planCaps(caps: LinuxCapabilities | undefined, warn: (msg: string) => void): NativeCaps {
  return {
    bounding: capMask(caps?.bounding, warn),
    effective: capMask(caps?.effective, warn),
    permitted: capMask(caps?.permitted, warn),
    inheritable: capMask(caps?.inheritable, warn),
    ambient: capMask(caps?.ambient, warn),
  };
}

export function capNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
