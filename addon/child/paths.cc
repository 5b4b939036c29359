// Resolving paths inside the rootfs: openat2(RESOLVE_IN_ROOT) or the walk of walk.h, and
// mkdir_in_root (securejoin-like creation of missing components).
#include "child.h"

namespace tsrun {
namespace child {

// Where mount ids are read (fdinfo) when the walk needs them: the host's /proc until
// pivot_root, tsrun's verified procfs of the container after it (enter_root).
long g_fdinfo_proc = AT_FDCWD;

// openat2(RESOLVE_*) or, on kernels without it, the equivalent walk (walk.h).
long resolve_at(long base, const char *rel, uint64_t oflags, uint64_t resolve) {
  return walk::open_resolved(base, rel, oflags, resolve, g_fdinfo_proc);
}

long open_in_root(long rootfd, const char *rel, long flags) {
  return resolve_at(rootfd, rel, (uint64_t)flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

// A mount target must not have resolved into procfs unless the config asked for /proc or an
// allowlisted /proc file: a symlink like /dev/pts -> /proc/sys cannot put a mount over /proc.
long refuse_procfs_target(long fd, uint32_t proc_ok) {
  if (proc_ok) return fd;
  struct statfs sfs;
  long r = SC(SYS_fstatfs, fd, &sfs);
  if (r < 0) { SC(SYS_close, fd); return r; }
  if (sfs.f_type == 0x9fa0 /* PROC_SUPER_MAGIC */) { SC(SYS_close, fd); return -EXDEV; }
  return fd;
}

// Resolve `rel` inside the rootfs (symlinks and ".." cannot leave it), creating
// missing directories (and, when is_file, a missing final file). A dangling symlink on
// the way is followed within the rootfs and what it names is created there, as runc's
// securejoin does: an absolute link target is taken relative to the rootfs. Returns an
// O_PATH fd.
long mkdir_in_root(long rootfd, const char *rel, bool is_file) {
  long fd = open_in_root(rootfd, rel, O_PATH);
  if (fd != -ENOENT) return fd;
  char buf[4096];
  scopy(buf, sizeof buf, rel);
  for (int hops = 0; hops < 40; hops++) {
    size_t len = slen(buf);
    long parent = SC(SYS_fcntl, rootfd, F_DUPFD_CLOEXEC, 0);
    if (parent < 0) return parent;
    size_t start = 0;
    bool restarted = false;
    while (start < len) {
      while (start < len && buf[start] == '/') start++;
      if (start >= len) break;
      size_t end = start;
      while (end < len && buf[end] != '/') end++;
      char saved = buf[end];
      buf[end] = 0;
      long next = open_in_root(rootfd, buf, O_PATH);
      if (next == -ENOENT) {
        bool last = end >= len;
        long r;
        if (last && is_file) {
          r = SC(SYS_openat, parent, buf + start, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
          if (r >= 0) { SC(SYS_close, r); r = 0; }
        } else {
          r = SC(SYS_mkdirat, parent, buf + start, 0755);
        }
        if (r == -EEXIST) {
          // a dangling symlink: continue with the path it names, inside the rootfs
          char target[4096];
          long n = SC(SYS_readlinkat, parent, buf + start, target, sizeof target - 1);
          if (n > 0) {
            target[n] = 0;
            char rebuilt[4096];
            size_t k = 0;
            if (target[0] != '/') { for (size_t q = 0; q < start && k < sizeof rebuilt - 1; q++) rebuilt[k++] = buf[q]; }
            for (long q = 0; q < n && k < sizeof rebuilt - 1; q++) rebuilt[k++] = target[q];
            buf[end] = saved;
            for (size_t q = end; q < len && k < sizeof rebuilt - 1; q++) rebuilt[k++] = buf[q];
            rebuilt[k] = 0;
            scopy(buf, sizeof buf, rebuilt);
            SC(SYS_close, parent);
            restarted = true;
            break;
          }
        }
        if (r < 0 && r != -EEXIST) { SC(SYS_close, parent); return r; }
        next = open_in_root(rootfd, buf, O_PATH);
      }
      SC(SYS_close, parent);
      if (next < 0) return next;
      parent = next;
      buf[end] = saved;
      start = end;
    }
    if (!restarted) return parent;
  }
  return -ELOOP;
}

}  // namespace child
}  // namespace tsrun
