// The rootfs: its bind, pivot_root (or chroot / MS_MOVE), tsrun's own procfs, and the last
// steps after the mounts: maskedPaths, readonlyPaths, a read-only /dev and root.
#include "child.h"

namespace tsrun {
namespace child {

// No fsopen: a procfs mounted over the rootfs's root in this mount namespace (the bind of the
// rootfs made above: private or a slave, nothing propagates out), opened through the rootfs's
// host path (trusted: config's root.path, resolved by the parent), checked to be a procfs root
// on a new mount, and detached at once: the fd keeps it, the container never sees it.
long procfs_fallback() {
  long under = SC(SYS_openat, AT_FDCWD, P->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (under < 0) return under;
  FdPath t(under);
  long r = SC(SYS_mount, "proc", t.s, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  if (r < 0) { SC(SYS_close, under); return r; }  // e.g. no fully visible procfs in a user ns
  long fd = SC(SYS_openat, AT_FDCWD, P->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  check(fd, STEP_MOUNT, -1, "tsrun's procfs");
  check(verify_new_mount(fd, under, nullptr, 0x9fa0, false), STEP_MOUNT, -1, "tsrun's procfs over the rootfs");
  FdPath q(fd);
  check(SC(SYS_umount2, q.s, MNT_DETACH), STEP_MOUNT, -1, "detach tsrun's procfs");
  SC(SYS_close, under);
  return fd;
}

void setup_rootfs() {
  check(SC(SYS_mount, 0, "/", 0, P->root_propagation, 0), STEP_ROOT_PROPAGATION, -1, "/");
  if (P->rootfs_parent_mount) SC(SYS_mount, 0, P->rootfs_parent_mount, 0, MS_PRIVATE, 0);
  check(SC(SYS_mount, P->rootfs, P->rootfs, "bind", MS_BIND | MS_REC, 0), STEP_ROOTFS_BIND, -1, P->rootfs);
  long rootfd = SC(SYS_openat, AT_FDCWD, P->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  check(rootfd, STEP_ROOTFS_BIND, -1, P->rootfs);
  SC(SYS_umask, 0);
  for (uint32_t i = 0; i < P->n_mounts; i++) do_mount(rootfd, P->mounts[i]);
  for (uint32_t i = 0; i < P->n_devices; i++) make_device(rootfd, P->devices[i]);
  for (uint32_t i = 0; i < P->n_symlinks; i++) make_symlink(rootfd, P->symlinks[i]);
  // process.cwd is created when missing (runc and crun do), before the rootfs turns read-only
  if (P->cwd && P->cwd[0] == '/' && P->cwd[1]) {
    long cwd = mkdir_in_root(rootfd, P->cwd + 1, false);
    check(cwd, STEP_CHDIR, -1, P->cwd);
    SC(SYS_close, cwd);
  }
  SC(SYS_umask, 022);
  SC(SYS_close, rootfd);
  // tsrun's own procfs handle: the one mounted on /proc, or else a detached procfs of this pid
  // namespace that the container never sees (made here, while a procfs is still visible in
  // this mount namespace, as a user namespace requires)
  if (g_proc_mnt >= 0) {
    g_procfd = g_proc_mnt;
  } else {
    MountOp proc = {};
    proc.fstype = "proc"; proc.source = "proc"; proc.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC; proc.index = -1;
    long fd = g_no_mount_api ? -ENOSYS : mount_detached(proc);
    if (fd < 0 && mount_api_missing(fd)) fd = procfs_fallback();
    if (fd >= 0) g_procfd = fd;
  }
}

// linux.rootfsPropagation shared/slave/unbindable (r*) on the container's "/": until now "/" was
// the rootfs's bind, private so that pivot_root takes it (runc 1.4's fix; crun does the same).
// Last of the rootfs steps: the masks and read-only paths bind mounts, which an unbindable
// tree would refuse.
void root_propagation_after() {
  if (!P->root_propagation_after) return;
  check(SC(SYS_mount, 0, "/", 0, P->root_propagation_after, 0), STEP_ROOT_PROPAGATION, -1, "/");
}

void enter_root() {
  if (!P->setup_rootfs) {
    // no mount namespace: tsrun-init reaches exec.fifo (and the console and sysctls are
    // written) through the runtime's own /proc, held before the chroot and checked to be
    // procfs; the container's /proc, if any, is never asked
    long procfd = SC(SYS_openat, AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    check(procfd, STEP_PIVOT, -1, "/proc");
    struct statfs sfs;
    check(SC(SYS_fstatfs, procfd, &sfs), STEP_PIVOT, -1, "/proc");
    if (sfs.f_type != 0x9fa0) die(STEP_PIVOT, -EPERM, -1, "the runtime's /proc is not procfs");
    g_procfd = procfd;
    check(SC(SYS_chroot, P->rootfs), STEP_PIVOT, -1, P->rootfs);
    check(SC(SYS_chdir, "/"), STEP_PIVOT, -1, "/");
    return;
  }
  if (P->no_pivot) {
    // chroot leaves the rest of the mount tree in this namespace: a whole procfs or sysfs there,
    // unreachable as it is, still lets a nested user namespace mount a fresh, unmasked one
    // (the kernel checks only that a fully visible instance exists). Detached first (made a
    // slave so that nothing propagates to the host), or covered by a tmpfs where that is
    // refused, as runc's msMoveRoot does.
    for (uint32_t i = 0; i < P->n_hide; i++) {
      const char *h = P->hide_paths[i];
      long r = SC(SYS_mount, 0, h, 0, MS_SLAVE | MS_REC, 0);
      if (r == -ENOENT || r == -EINVAL) continue;  // gone with a mount detached before it
      check(r, STEP_PIVOT, -1, h);
      r = SC(SYS_umount2, h, MNT_DETACH);
      if (r == -EINVAL || r == -EPERM) r = SC(SYS_mount, "tmpfs", h, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
      check(r, STEP_PIVOT, -1, h);
    }
    check(SC(SYS_chdir, P->rootfs), STEP_PIVOT, -1, P->rootfs);
    check(SC(SYS_mount, P->rootfs, "/", 0, MS_MOVE, 0), STEP_PIVOT, -1, "move rootfs");
    check(SC(SYS_chroot, "."), STEP_PIVOT, -1, "chroot");
    check(SC(SYS_chdir, "/"), STEP_PIVOT, -1, "/");
    return;
  }
  long oldroot = SC(SYS_openat, AT_FDCWD, "/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  check(oldroot, STEP_PIVOT, -1, "/");
  long newroot = SC(SYS_openat, AT_FDCWD, P->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  check(newroot, STEP_PIVOT, -1, P->rootfs);
  check(SC(SYS_fchdir, newroot), STEP_PIVOT, -1, P->rootfs);
  check(SC(SYS_pivot_root, ".", "."), STEP_PIVOT, -1, "pivot_root");
  check(SC(SYS_fchdir, oldroot), STEP_PIVOT, -1, "old root");
  check(SC(SYS_mount, 0, ".", 0, MS_SLAVE | MS_REC, 0), STEP_PIVOT, -1, "old root propagation");
  check(SC(SYS_umount2, ".", MNT_DETACH), STEP_PIVOT, -1, "unmount old root");
  check(SC(SYS_chdir, "/"), STEP_PIVOT, -1, "/");
  SC(SYS_close, oldroot);
  SC(SYS_close, newroot);
}

// After enter_root the host's /proc is gone: mount ids (the walk's NO_XDEV, the fallback's
// checks) are read through tsrun's own procfs of the container.
void after_enter_root() { g_fdinfo_proc = g_procfd >= 0 ? g_procfd : -EBADF; }

// The working directory becomes tsrun's procfs, so that ProcRel paths resolve inside it. Without
// one (no /proc in the config and no fsopen), "/proc" of the container is the best there is.
void cwd_to_procfs(uint32_t step) {
  long r = g_procfd >= 0 ? SC(SYS_fchdir, g_procfd) : SC(SYS_chdir, "/proc");
  check(r, step, -1, "/proc");
}

// A masked or read-only path, resolved through the mount it lives on: under /proc and /sys
// relative to the mount we made there (no magic links, never leaving it), elsewhere inside the
// root. Returns an O_PATH fd, or -errno (-ENOENT: nothing to cover).
long resolve_covered(long rootfd, const char *p) {
  long base = rootfd;
  const char *rel = p + 1;
  uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const struct { const char *prefix; size_t n; long fd; } mnts[] = { { "/proc", 5, g_proc_mnt }, { "/sys", 4, g_sys_mnt } };
  for (const auto &mt : mnts) {
    bool under = true;
    for (size_t i = 0; i < mt.n; i++) if (p[i] != mt.prefix[i]) under = false;
    if (under && mt.fd >= 0 && (p[mt.n] == '/' || p[mt.n] == 0)) {
      base = mt.fd;
      rel = p[mt.n] ? p + mt.n + 1 : "";
      resolve = 0x08 /* RESOLVE_BENEATH */ | RESOLVE_NO_MAGICLINKS;
      break;
    }
  }
  while (*rel == '/') rel++;
  return resolve_at(base, rel, O_PATH, resolve);
}

void finish_rootfs() {
  long rootfd = SC(SYS_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  check(rootfd, STEP_READONLY_PATH, -1, "/");
  cwd_to_procfs(STEP_READONLY_PATH);
  // runc's order: read-only paths first, then masked ones. Each is bound onto itself and made
  // read-only through the new mount's own fd.
  for (uint32_t i = 0; i < P->n_readonly; i++) {
    const char *p = P->readonly[i];
    long fd = resolve_covered(rootfd, p);
    if (fd == -ENOENT) continue;
    check(fd, STEP_READONLY_PATH, (int32_t)i, p);
    long tree = g_no_mount_api ? -ENOSYS : SC(SYS_open_tree, fd, "", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    if (tree >= 0 || !mount_api_missing(tree)) {
      check(tree, STEP_READONLY_PATH, (int32_t)i, p);
      check(SC(SYS_move_mount, tree, "", fd, "", 0x4 | 0x40), STEP_READONLY_PATH, (int32_t)i, p);
    } else {
      // no open_tree: bound onto itself by mount(2), the new mount found again the same way
      // and checked to be it (same inode, a new mount on top of the one resolved)
      ProcRel self(fd);
      check(SC(SYS_mount, self.s, self.s, 0, MS_BIND | MS_REC, 0), STEP_READONLY_PATH, (int32_t)i, p);
      struct stat want;
      check(SC(SYS_fstat, fd, &want), STEP_READONLY_PATH, (int32_t)i, p);
      tree = resolve_covered(rootfd, p);
      check(tree, STEP_READONLY_PATH, (int32_t)i, p);
      long r = verify_new_mount(tree, fd, &want, 0);
      if (r == -EAGAIN) die(STEP_READONLY_PATH, -EAGAIN, (int32_t)i, "the path was swapped while it was bound; refusing to work on what is there now");
      check(r, STEP_READONLY_PATH, (int32_t)i, p);
    }
    SC(SYS_close, fd);
    ProcRel q(tree);
    unsigned long keep = locked_flags(tree);
    check(SC(SYS_mount, 0, q.s, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, 0), STEP_READONLY_PATH, (int32_t)i, p);
    SC(SYS_close, tree);
  }
  // Masks are bind mounts of the container's /dev/null: it must be the real null device, not a
  // symlink or another node planted by the rootfs (CVE-2025-31133 class: a "mask" that binds
  // /proc/sys/kernel/core_pattern writable). Checked through an O_PATH fd, mounted from it.
  long nullfd = -1;
  if (P->n_masked) {
    nullfd = resolve_at(rootfd, "dev/null", O_PATH | O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    check(nullfd, STEP_MASK, -1, "/dev/null");
    struct stat st;
    check(SC(SYS_fstat, nullfd, &st), STEP_MASK, -1, "/dev/null");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev_(1, 3)) die(STEP_MASK, -EPERM, -1, "/dev/null is not the null device (1:3)");
  }
  ProcRel nullpath(nullfd < 0 ? 0 : nullfd);
  for (uint32_t i = 0; i < P->n_masked; i++) {
    const char *p = P->masked[i];
    long fd = resolve_covered(rootfd, p);
    if (fd == -ENOENT) continue;
    check(fd, STEP_MASK, (int32_t)i, p);
    struct stat st;
    check(SC(SYS_fstat, fd, &st), STEP_MASK, (int32_t)i, p);
    ProcRel target(fd);
    long r = S_ISDIR(st.st_mode) ? SC(SYS_mount, "tmpfs", target.s, "tmpfs", MS_RDONLY, 0) : SC(SYS_mount, nullpath.s, target.s, 0, MS_BIND, 0);
    check(r, STEP_MASK, (int32_t)i, p);
    SC(SYS_close, fd);
  }
  if (nullfd >= 0) SC(SYS_close, nullfd);
  // runc's finalizeRootfs order: /dev read-only, then the rootfs
  if (g_dev_mnt >= 0) {
    ProcRel q(g_dev_mnt);
    check(remount_ro(q.s, g_dev_mnt, g_dev_flags), STEP_MOUNT_REMOUNT, g_dev_index, "/dev");
    SC(SYS_close, g_dev_mnt);
    g_dev_mnt = -1;
  }
  if (P->readonly_root) {
    unsigned long keep = locked_flags(rootfd);
    check(SC(SYS_mount, 0, "/", 0, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, 0), STEP_READONLY_ROOT, -1, "/");
  }
  SC(SYS_close, rootfd);
  root_propagation_after();
}

}  // namespace child
}  // namespace tsrun
