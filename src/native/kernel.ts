// What this kernel can do, for the features that need a syscall of their own (no fallback):
// the r* mount options and idmapped mounts (mount_setattr, Linux 5.12). Read through
// plan/host-facts.ts. Everything else tsrun uses has a fallback in the child (addon/walk.h, addon/child/).
import { addon, type KernelSupport } from './addon';

const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 38: 'ENOSYS' };

let cached: KernelSupport | undefined;

export function kernelSupport(): KernelSupport {
  cached ??= addon().kernelSupport();
  return cached;
}

/** Why a syscall is missing, for an error: "this kernel returned ENOSYS". */
export function missingText(errno: number): string {
  return `this kernel returned ${ERRNO_NAMES[errno] ?? `errno ${errno}`}`;
}

/** The first missing syscall an idmapped mount needs, as text for an error; undefined when all are there. */
export function idmapMissing(): string | undefined {
  const k = kernelSupport();
  for (const [name, errno] of [['open_tree', k.openTree], ['move_mount', k.moveMount], ['mount_setattr', k.mountSetattr]] as const) {
    if (errno) return `idmapped mounts need ${name} (Linux 5.12); ${missingText(errno)}`;
  }
  return undefined;
}
