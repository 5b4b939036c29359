// The host's mount table (/proc/self/mountinfo text, from host-facts), for finding the mount that
// holds the rootfs and the pseudo-filesystems --no-pivot hides. Pure: the text is passed in.

/** A mount point field as the kernel escapes it (\040 for a space, ...), unescaped. */
const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function mountPoints(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.push(unescape(f[4]));
  }
  return out;
}

/**
 * Mount points of whole procfs and sysfs instances (root "/" of the filesystem) outside `rootfs`:
 * what --no-pivot hides before it chroots. Each one would let a process in the container mount a
 * fresh, unmasked procfs or sysfs from a nested user namespace (the kernel only checks that a
 * fully visible instance exists in the mount namespace, not that it is reachable), as runc's
 * msMoveRoot explains.
 */
export function fullPseudoMounts(rootfs: string, text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[3] !== '/' || (f[sep + 1] !== 'proc' && f[sep + 1] !== 'sysfs')) continue;
    const point = unescape(f[4]);
    if (point === rootfs || point.startsWith(rootfs.endsWith('/') ? rootfs : rootfs + '/')) continue;
    out.push(point);
  }
  return out;
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
  let shared = false;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 7) continue;
    if (unescape(f[4]) !== mountPoint) continue;
    const sep = f.indexOf('-', 6);
    shared = f.slice(6, sep < 0 ? undefined : sep).some((o) => o.startsWith('shared:'));
  }
  return shared;
}
