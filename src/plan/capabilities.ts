// process.capabilities -> 64-bit masks for the child's prctl/capset calls. Which names count is
// src/spec/capabilities.ts's rule; this applies it against the running kernel.
import fs = require('fs');
import type { LinuxCapabilities } from '../spec/config-types';
import { LINUX_CAPABILITIES, ignoredCapabilitiesWarning, resolveCapabilities } from '../spec/capabilities';
import type { NativeCaps } from '../native/addon';

let lastCapCache: number | undefined;
export function lastCap(): number {
  if (lastCapCache === undefined) {
    try { lastCapCache = parseInt(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10); }
    catch { lastCapCache = LINUX_CAPABILITIES.length - 1; }
  }
  return lastCapCache;
}

/** Unknown names, and ones this kernel lacks, are left out with one warning for all of them, as runc does. */
export function planCaps(caps: LinuxCapabilities | undefined, warn: (msg: string) => void): NativeCaps {
  const { masks, ignored } = resolveCapabilities(caps, lastCap());
  if (ignored.length) warn(ignoredCapabilitiesWarning(ignored));
  return masks;
}

export function capNames(mask: bigint): string[] {
  return LINUX_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
