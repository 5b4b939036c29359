// The parent's half of MSG.MOUNTSOURCES (addon/child.cc receive_mount_sources): a child in a user
// namespace cannot look up a bind source below a directory only the host's root may search, so
// the runtime, still that root, opens each source inside the child's mount namespace (the fd it
// sent) and passes the fds back, as runc passes mount fds. A source it cannot open is left to
// the child, which then fails on it with its own error naming the mount.
import type { Addon, NativeMount } from '../native/addon';
import { MSG } from '../native/contract';

export function sendMountSources(a: Addon, syncFd: number, nsFd: number | undefined, mounts: NativeMount[]): void {
  try {
    if (nsFd !== undefined) {
      const which = mounts.map((m, i) => (m.kind === 1 && m.source && !m.idmap ? i : -1)).filter((i) => i >= 0);
      const fds = a.openInMountNs(nsFd, which.map((i) => mounts[i].source!));
      fds.forEach((fd, k) => {
        if (fd < 0) return;
        try { a.syncSend(syncFd, MSG.SOURCE, which[k], fd); } finally { a.close(fd); }
      });
    }
  } finally {
    if (nsFd !== undefined) a.close(nsFd);
  }
  a.syncSend(syncFd, MSG.GO);
}
