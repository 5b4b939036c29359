// Path resolution confined to a directory: openat2(2), or on kernels without it (before 5.6,
// or a seccomp filter of a parent answering ENOSYS/EPERM) a component walk that keeps the same
// guarantees. Header-only and allocation-free: used by the fork child (addon/child/: raw syscalls
// only, nothing allocated) and by the parent (inroot.cc).
//
// The walk (threat: a rootfs or volume that plants symlinks, ".." and magic links, and renames
// directories while we walk):
//   - each component is opened with openat(O_PATH|O_NOFOLLOW) relative to the fd of the one
//     before; nothing is ever looked up by a host path;
//   - a symlink is read (readlinkat on its O_PATH fd) and its text spliced in front of the rest:
//     an absolute target restarts at the base (RESOLVE_IN_ROOT) or fails (RESOLVE_BENEATH);
//     at most 40 links per lookup (MAXSYMLINKS), RESOLVE_NO_SYMLINKS refuses any;
//   - ".." pops a stack of the fds walked through, so it is clamped at the base and never asks
//     the kernel for a parent: a directory renamed out of the root mid-walk cannot lead above it
//     (openat2 answers EAGAIN to the same race);
//   - a symlink on procfs below its root is refused (-ELOOP): that covers the magic links
//     (/proc/PID/fd/N, /proc/PID/root, ns/*, ...) RESOLVE_NO_MAGICLINKS refuses; the plain
//     links at the root (self, thread-self, mounts, net) are followed as text;
//   - RESOLVE_NO_XDEV compares each component's mount id (from fdinfo, through the procfs the
//     caller names) with the base's;
//   - a non-O_PATH open reopens the final name from its parent fd with O_NOFOLLOW and checks
//     it is the inode the walk resolved (-EAGAIN otherwise: something was swapped in).
// Differences from openat2 that do not weaken it: 128 directories deep at most
// (-ENAMETOOLONG), a base without IN_ROOT/BENEATH is treated as IN_ROOT.
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscalls.h"

namespace tsrun {
namespace walk {

// openat2's resolve bits; the walk takes the same
constexpr uint64_t NO_XDEV = 0x01, NO_MAGICLINKS = 0x02, NO_SYMLINKS = 0x04, BENEATH = 0x08, IN_ROOT = 0x10;
constexpr long PROC_MAGIC = 0x9fa0;
constexpr int MAX_DEPTH = 128;
constexpr int MAX_LINKS = 40;

// set once openat2 answered ENOSYS: later lookups go straight to the walk
inline int no_openat2 = 0;

inline long sc(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  long r = syscall(n, a, b, c, d, e);
  return r < 0 ? -(long)errno : r;
}

inline size_t len_of(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

inline void close_fd(long fd) { if (fd >= 0) sc(SYS_close, fd); }

// The mount id of fd, read from "<procfs>/thread-self/fdinfo/N" ("mnt_id:", Linux 3.15+).
// procfd: a procfs root fd, or AT_FDCWD for the absolute "/proc". -errno on failure.
inline long mnt_id(long fd, long procfd) {
  char path[64];
  const char *pre = procfd == AT_FDCWD ? "/proc/thread-self/fdinfo/" : "thread-self/fdinfo/";
  size_t i = 0;
  for (; pre[i]; i++) path[i] = pre[i];
  char tmp[12]; int n = 0;
  long v = fd;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) path[i++] = tmp[--n];
  path[i] = 0;
  long f = sc(SYS_openat, procfd, (long)path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (f < 0) return f;
  char b[1024];
  long got = sc(SYS_read, f, (long)b, sizeof b - 1);
  close_fd(f);
  if (got <= 0) return got < 0 ? got : -EIO;
  b[got] = 0;
  const char key[] = "mnt_id:";
  for (long k = 0; k + 7 <= got; k++) {
    bool at = (k == 0 || b[k - 1] == '\n');
    for (int q = 0; at && q < 7; q++) if (b[k + q] != key[q]) at = false;
    if (!at) continue;
    long p = k + 7, id = 0;
    while (b[p] == ' ' || b[p] == '\t') p++;
    if (b[p] < '0' || b[p] > '9') return -EIO;
    while (b[p] >= '0' && b[p] <= '9') id = id * 10 + (b[p++] - '0');
    return id;
  }
  return -EIO;
}

// The walk itself: `path` below `base` (a directory fd; AT_FDCWD takes "/" of this process),
// `resolve` as openat2's, O_NOFOLLOW in oflags returns a final symlink itself. procfd is where
// mount ids are read for NO_XDEV. Returns an fd opened with oflags, or -errno.
inline long resolve_walk(long base, const char *path, uint64_t oflags, uint64_t resolve, long procfd) {
  char bufs[2][4096];
  int cb = 0;
  size_t plen = len_of(path);
  if (plen >= sizeof bufs[0]) return -ENAMETOOLONG;
  for (size_t i = 0; i <= plen; i++) bufs[0][i] = path[i];
  long root = base == AT_FDCWD ? sc(SYS_openat, AT_FDCWD, (long)"/", O_PATH | O_DIRECTORY | O_CLOEXEC)
                               : sc(SYS_fcntl, base, F_DUPFD_CLOEXEC, 0);
  if (root < 0) return root;
  long root_mnt = -1;
  if (resolve & NO_XDEV) {
    root_mnt = mnt_id(root, procfd);
    if (root_mnt < 0) { close_fd(root); return root_mnt; }
  }
  const bool beneath = (resolve & BENEATH) && !(resolve & IN_ROOT);
  int stack[MAX_DEPTH];
  int depth = 0;
  int hops = 0;
  char last_name[256];
  last_name[0] = 0;
  long err = 0;
  const char *p = bufs[cb];
  if (*p == '/' && beneath) err = -EXDEV;
  while (!err) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *e = p;
    while (*e && *e != '/') e++;
    size_t n = (size_t)(e - p);
    if (n >= sizeof last_name) { err = -ENAMETOOLONG; break; }
    char name[256];
    for (size_t i = 0; i < n; i++) name[i] = p[i];
    name[n] = 0;
    bool last = true;
    for (const char *q = e; *q; q++) if (*q != '/') { last = false; break; }
    const bool slash = *e == '/';  // "dir/" : the final component must be (or lead to) a directory
    p = e;
    if (n == 1 && name[0] == '.') continue;
    if (n == 2 && name[0] == '.' && name[1] == '.') {
      if (depth == 0) { if (beneath) err = -EXDEV; continue; }
      close_fd(stack[--depth]);
      last_name[0] = 0;
      continue;
    }
    long cur = depth ? stack[depth - 1] : root;
    long fd = sc(SYS_openat, cur, (long)name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) { err = fd; break; }
    struct stat st;
    long r = sc(SYS_fstat, fd, (long)&st);
    if (r < 0) { close_fd(fd); err = r; break; }
    if (S_ISLNK(st.st_mode) && !(last && !slash && (oflags & O_NOFOLLOW))) {
      struct statfs sfs;
      r = sc(SYS_fstatfs, fd, (long)&sfs);
      if (r == 0 && sfs.f_type == PROC_MAGIC) {
        // the links at procfs's root (self, thread-self, mounts, net) are plain text; every
        // other procfs link lives below /proc/PID and may be magic (fd/N, exe, cwd, root, ns/*)
        struct stat ps;
        if (sc(SYS_fstat, cur, (long)&ps) < 0 || ps.st_ino != 1) r = -ELOOP;
      }
      if (r == 0 && (resolve & NO_SYMLINKS)) r = -ELOOP;
      if (r == 0 && ++hops > MAX_LINKS) r = -ELOOP;
      char target[4096];
      long tl = r < 0 ? r : sc(SYS_readlinkat, fd, (long)"", (long)target, sizeof target - 1);
      close_fd(fd);
      if (tl == 0) tl = -ENOENT;
      if (tl < 0) { err = tl; break; }
      target[tl] = 0;
      if (target[0] == '/') {
        if (beneath) { err = -EXDEV; break; }
        while (depth) close_fd(stack[--depth]);  // IN_ROOT: an absolute link starts at the base
      }
      // the link's text, then what was left of the path
      size_t rest = len_of(p);
      if ((size_t)tl + rest + 1 >= sizeof bufs[0]) { err = -ENAMETOOLONG; break; }
      char *nb = bufs[cb ^ 1];
      size_t k = 0;
      for (long i = 0; i < tl; i++) nb[k++] = target[i];
      for (size_t i = 0; i <= rest; i++) nb[k++] = p[i];
      cb ^= 1;
      p = bufs[cb];
      last_name[0] = 0;
      continue;
    }
    if (resolve & NO_XDEV) {
      long id = mnt_id(fd, procfd);
      if (id < 0 || id != root_mnt) { close_fd(fd); err = id < 0 ? id : -EXDEV; break; }
    }
    if ((!last || slash) && !S_ISDIR(st.st_mode)) { close_fd(fd); err = -ENOTDIR; break; }
    if (depth == MAX_DEPTH) { close_fd(fd); err = -ENAMETOOLONG; break; }
    stack[depth++] = (int)fd;
    for (size_t i = 0; i <= n; i++) last_name[i] = name[i];
  }
  long out = err;
  if (!err) {
    long pathfd = depth ? stack[depth - 1] : root;
    const long want = (long)(oflags & ~(uint64_t)(O_NOFOLLOW | O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC;
    if ((oflags & O_PATH) || !last_name[0]) {
      // O_PATH: the fd the walk holds; the base itself ("", ".", "..") reopened as asked
      out = (oflags & O_PATH) ? sc(SYS_fcntl, pathfd, F_DUPFD_CLOEXEC, 0) : sc(SYS_openat, pathfd, (long)".", want);
    } else {
      long parent = depth >= 2 ? stack[depth - 2] : root;
      out = sc(SYS_openat, parent, (long)last_name, want | O_NOFOLLOW);
      struct stat a, b;
      if (out >= 0 && (sc(SYS_fstat, out, (long)&a) < 0 || sc(SYS_fstat, pathfd, (long)&b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
        close_fd(out);
        out = -EAGAIN;  // renamed between the walk and the open
      }
    }
  }
  while (depth) close_fd(stack[--depth]);
  close_fd(root);
  return out;
}

// openat2(base, path, {oflags, 0, resolve}), or the walk where the kernel has no openat2.
// EAGAIN (a rename raced ".."; the kernel cannot vouch for the walk) is retried. ENOSYS and
// EPERM from openat2 itself mean a kernel before 5.6 or a filter of a parent that does not
// know the syscall: the walk gives the same answer (a genuine permission problem comes back
// from its own openat calls).
inline long open_resolved(long base, const char *path, uint64_t oflags, uint64_t resolve, long procfd) {
  if (!path[0]) path = ".";
  if (!no_openat2) {
    struct { uint64_t flags, mode, resolve; } how = { oflags | O_CLOEXEC, 0, resolve };
    long r = -EAGAIN;
    for (int i = 0; i < 128 && r == -EAGAIN; i++) r = sc(SYS_openat2, base, (long)path, (long)&how, sizeof how);
    if (r != -ENOSYS && r != -EPERM) return r;
    if (r == -ENOSYS) no_openat2 = 1;
  }
  long r = -EAGAIN;
  for (int i = 0; i < 16 && r == -EAGAIN; i++) r = resolve_walk(base, path, oflags, resolve, procfd);
  return r;
}

}  // namespace walk
}  // namespace tsrun
