// The host's mount table (/proc/self/mountinfo text, from host-facts), for finding the mount that
// holds the rootfs and the pseudo-filesystems --no-pivot hides. Pure: the text is passed in; the
// lines are parsed by src/host/mountinfo.ts, as for the cgroup layout.
import { parseMountinfoLines } from '../host/mountinfo';

export function mountPoints(text: string): string[] {
  return parseMountinfoLines(text).map((m) => m.mountPoint);
}

/**
 * Mount points of whole procfs and sysfs instances (root "/" of the filesystem) outside `rootfs`:
 * what --no-pivot hides before it chroots. Each one would let a process in the container mount a
 * fresh, unmasked procfs or sysfs from a nested user namespace (the kernel only checks that a
 * fully visible instance exists in the mount namespace, not that it is reachable), as runc's
 * msMoveRoot explains.
 */
export function fullPseudoMounts(rootfs: string, text: string): string[] {
  const inside = (p: string) => p === rootfs || p.startsWith(rootfs.endsWith('/') ? rootfs : rootfs + '/');
  return parseMountinfoLines(text)
    .filter((m) => m.root === '/' && (m.fsType === 'proc' || m.fsType === 'sysfs') && !inside(m.mountPoint))
    .map((m) => m.mountPoint);
}

/** The deepest mount point that contains `p`. */
export function mountOf(p: string, points: string[]): string {
  let best = '/';
  for (const mp of points) {
    if ((p === mp || p.startsWith(mp.endsWith('/') ? mp : mp + '/')) && mp.length > best.length) best = mp;
  }
  return best;
}

/** Whether the mount at `mountPoint` (the last, visible one) is in a shared peer group ("shared:N"). */
export function isSharedMount(mountPoint: string, text: string): boolean {
  const last = parseMountinfoLines(text).filter((m) => m.mountPoint === mountPoint).pop();
  return !!last?.optional.some((o) => o.startsWith('shared:'));
}
