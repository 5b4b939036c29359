// The parent's half of MSG.MOUNTSOURCES (addon/child/mounts.cc receive_mount_sources): a child in a user
// namespace cannot look up a bind source below a directory only the host's root may search, so
// the runtime, still that root, opens each source inside the child's mount namespace (the fd it
// sent) and passes the fds back, as runc passes mount fds. A source it cannot open is left to
// the child, which then fails on it with its own error naming the mount.
import type { Addon, NativeMount } from '../native/addon';

/** Opens each bind source in the mount namespace nsFd (closed here) and sends it as SOURCE(index); the GO after them is sync.ts's. */
export function sendMountSources(a: Addon, nsFd: number, mounts: NativeMount[], send: (index: number, fd: number) => void): void {
  try {
    const which = mounts.map((m, i) => (m.kind === 1 && m.source && !m.idmap ? i : -1)).filter((i) => i >= 0);
    const fds = a.openInMountNs(nsFd, which.map((i) => mounts[i].source!));
    fds.forEach((fd, k) => {
      if (fd < 0) return;
      try { send(which[k], fd); } finally { a.close(fd); }
    });
  } finally {
    a.close(nsFd);
  }
}
