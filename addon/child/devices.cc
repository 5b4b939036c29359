// linux.devices and the default /dev symlinks, made inside the rootfs.
#include "child.h"

namespace tsrun {
namespace child {

// Split "a/b/c" into a parent fd (resolved in root, created) and the base name.
long parent_in_root(long rootfd, const char *rel, char *dir, const char **base) {
  scopy(dir, 4096, rel);
  size_t n = slen(dir);
  while (n && dir[n - 1] != '/') n--;
  *base = rel + n;
  if (n) dir[n - 1] = 0; else dir[0] = 0;
  return mkdir_in_root(rootfd, dir, false);
}

void make_device(long rootfd, const DeviceOp &d) {
  if (d.host_path) {
    long fd = mkdir_in_root(rootfd, d.path, true);
    if (fd >= 0) fd = refuse_procfs_target(fd, 0);
    if (fd == -EXDEV) die(STEP_DEVICE, -EXDEV, d.index, "the device path resolves into /proc");
    check(fd, STEP_DEVICE, d.index, d.path);
    FdPath p(fd);
    check(SC(SYS_mount, d.host_path, p.s, 0, MS_BIND, 0), STEP_DEVICE, d.index, d.host_path);
    SC(SYS_close, fd);
    return;
  }
  char dir[4096];
  const char *base;
  long pfd = parent_in_root(rootfd, d.path, dir, &base);
  check(pfd, STEP_DEVICE, d.index, d.path);
  long r = SC(SYS_mknodat, pfd, base, d.mode, d.dev);
  if (r == -EEXIST) {
    SC(SYS_unlinkat, pfd, base, 0);
    r = SC(SYS_mknodat, pfd, base, d.mode, d.dev);
  }
  check(r, STEP_DEVICE, d.index, d.path);
  check(SC(SYS_fchownat, pfd, base, d.uid, d.gid, AT_SYMLINK_NOFOLLOW), STEP_DEVICE, d.index, d.path);
  SC(SYS_close, pfd);
}

void make_symlink(long rootfd, const SymlinkOp &s) {
  char dir[4096];
  const char *base;
  long pfd = parent_in_root(rootfd, s.link, dir, &base);
  check(pfd, STEP_SYMLINK, -1, s.link);
  long r = SC(SYS_symlinkat, s.target, pfd, base);
  if (r != -EEXIST) check(r, STEP_SYMLINK, -1, s.link);
  SC(SYS_close, pfd);
}

}  // namespace child
}  // namespace tsrun
