// The one rule for capability names, for config.json's process.capabilities, `exec --process`
// and `exec --cap`: a name this tsrun does not know, or one beyond the kernel's cap_last_cap, is
// ignored with one warning naming them all (runtime-spec 1.1+: "Any value which cannot be mapped
// to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by
// the runtime. Runtimes SHOULD NOT fail if the container configuration requests capabilities that
// cannot be granted"), in runc's words (libcontainer/capabilities.New):
//   ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]
// Names are matched exactly (runc's map is keyed by "CAP_" + the upper-case name): "chown" and
// "cap_chown" are unknown, not CAP_CHOWN.
import type { LinuxCapabilities } from './config-types';

/** Linux capability names, indexed by capability number (capabilities(7), up to Linux 6.x). */
export const LINUX_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', // 0-4
  'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', // 5-9
  'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', // 10-14
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', // 15-19
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', // 20-24
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', // 25-29
  'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', // 30-34
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', // 35-39
  'CAP_CHECKPOINT_RESTORE', // 40
]);

export const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
export type CapabilitySet = (typeof CAPABILITY_SETS)[number];

export interface ResolvedCapabilities {
  /** One 64-bit mask per set (bit N = capability N). */
  masks: Record<CapabilitySet, bigint>;
  /** Every name that was ignored, sorted and without duplicates (runc's order). */
  ignored: string[];
}

/**
 * Resolves the names of every set against the capabilities this kernel has (numbers 0..lastCap).
 * Never throws: what cannot be granted is left out and listed in `ignored`.
 */
export function resolveCapabilities(caps: LinuxCapabilities | undefined, lastCap: number): ResolvedCapabilities {
  const ignored = new Set<string>();
  const masks = {} as Record<CapabilitySet, bigint>;
  for (const set of CAPABILITY_SETS) {
    let mask = 0n;
    for (const name of caps?.[set] ?? []) {
      const bit = LINUX_CAPABILITIES.indexOf(name);
      if (bit < 0 || bit > lastCap) ignored.add(name);
      else mask |= 1n << BigInt(bit);
    }
    masks[set] = mask;
  }
  // Go's sort.Strings: byte order, which is what the default sort of these strings gives
  return { masks, ignored: [...ignored].sort() };
}

/** runc's warning for the names resolveCapabilities left out (fmt.Sprint of a []string). */
export function ignoredCapabilitiesWarning(ignored: readonly string[]): string {
  return `ignoring unknown or unavailable capabilities: [${ignored.join(' ')}]`;
}

/** The names of the bits set in a mask (trace output, `features`). */
export function capNames(mask: bigint): string[] {
  return LINUX_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
