// process.capabilities -> 64-bit masks for the child's prctl/capset calls. Which names count,
// and the warning for the others, is src/spec/capabilities.ts's rule (run by spec/host-rules).
import type { LinuxCapabilities } from '../spec/config-types';
import { resolveCapabilities } from '../spec/capabilities';
import type { NativeCaps } from '../native/addon';

/** The masks of the names this kernel (capabilities 0..lastCap) has; the rest are left out. */
export function planCaps(caps: LinuxCapabilities | undefined, lastCap: number): NativeCaps {
  return resolveCapabilities(caps, lastCap).masks;
}
