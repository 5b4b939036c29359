// config.mounts: the new mount API (fsopen/fsmount, open_tree/move_mount), the mount(2)
// fallback with its verification, tmpcopyup, ro-later remounts, and mount sources from the parent.
#include "child.h"

namespace tsrun {
namespace child {

// Flags a bind remount must keep: the kernel refuses to clear locked ones in a user ns.
unsigned long locked_flags(long fd) {
  struct statfs st;
  if (SC(SYS_fstatfs, fd, &st) < 0) return 0;
  unsigned long f = 0;
  if (st.f_flags & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flags & ST_NODEV) f |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

const unsigned long REMOUNT_MASK = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                                   MS_RELATIME | MS_STRICTATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME;

// tmpcopyup: copy the tree under `src` (the directory before the tmpfs covered it) into
// `dst`, keeping modes, owners, symlinks and device nodes. Raw syscalls, bounded depth.
char copy_buf[65536];
long copy_tree(long src, long dst, int depth) {
  if (depth > 32) return -ELOOP;
  char dents[4096];
  for (;;) {
    long n = SC(SYS_getdents64, src, dents, sizeof dents);
    if (n < 0) return n;
    if (n == 0) return 0;
    for (long off = 0; off < n;) {
      struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[1]; } *d =
          reinterpret_cast<decltype(d)>(dents + off);
      off += d->reclen;
      const char *name = d->name;
      if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) continue;
      struct stat st;
      long r = SC(SYS_newfstatat, src, name, &st, AT_SYMLINK_NOFOLLOW);
      if (r < 0) return r;
      if (S_ISDIR(st.st_mode)) {
        r = SC(SYS_mkdirat, dst, name, st.st_mode & 07777);
        if (r < 0 && r != -EEXIST) return r;
        long s2 = SC(SYS_openat, src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s2 < 0) return s2;
        long d2 = SC(SYS_openat, dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d2 < 0) { SC(SYS_close, s2); return d2; }
        r = copy_tree(s2, d2, depth + 1);
        SC(SYS_close, s2); SC(SYS_close, d2);
        if (r < 0) return r;
      } else if (S_ISREG(st.st_mode)) {
        long in = SC(SYS_openat, src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0) return in;
        long out = SC(SYS_openat, dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
        if (out < 0) { SC(SYS_close, in); return out; }
        for (;;) {
          long got = SC(SYS_read, in, copy_buf, sizeof copy_buf);
          if (got <= 0) { r = got; break; }
          for (long w = 0; w < got;) {
            long put = SC(SYS_write, out, copy_buf + w, got - w);
            if (put <= 0) { got = -1; r = put < 0 ? put : -EIO; break; }
            w += put;
          }
          if (got < 0) break;
        }
        SC(SYS_close, in); SC(SYS_close, out);
        if (r < 0) return r;
      } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        long len = SC(SYS_readlinkat, src, name, target, sizeof target - 1);
        if (len < 0) return len;
        target[len] = 0;
        r = SC(SYS_symlinkat, target, dst, name);
        if (r < 0) return r;
      } else {
        r = SC(SYS_mknodat, dst, name, st.st_mode, st.st_rdev);
        if (r < 0) return r;
      }
      r = SC(SYS_fchownat, dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      if (r < 0) return r;
      if (!S_ISLNK(st.st_mode)) SC(SYS_fchmodat, dst, name, st.st_mode & 07777, 0);
    }
  }
}

// A filesystem mount made detached: fsopen + fsconfig (source, each comma-separated data
// option, the superblock flags) + fsmount with the mount flags. Returns the mount fd.
char fs_opts[4096];
long mount_detached(const MountOp &m) {
  long fsfd = SC(SYS_fsopen, m.fstype ? m.fstype : "", 1 /* FSOPEN_CLOEXEC */);
  if (fsfd < 0) return fsfd;
  long r = 0;
  if (m.source) r = SC(SYS_fsconfig, fsfd, 1 /* SET_STRING */, "source", m.source, 0);
  if (r >= 0 && m.data) {
    scopy(fs_opts, sizeof fs_opts, m.data);
    char *o = fs_opts;
    while (r >= 0 && *o) {
      char *end = o;
      while (*end && *end != ',') end++;
      char last = *end;
      *end = 0;
      char *eq = o;
      while (*eq && *eq != '=') eq++;
      if (*o) {
        if (*eq) { *eq = 0; r = SC(SYS_fsconfig, fsfd, 1 /* SET_STRING */, o, eq + 1, 0); *eq = '='; }
        else r = SC(SYS_fsconfig, fsfd, 0 /* SET_FLAG */, o, 0, 0);
      }
      *end = last;
      o = last ? end + 1 : end;
    }
  }
  const struct { uint64_t ms; const char *key; } sb[] = {
    { MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" },
  };
  for (const auto &f : sb) if (r >= 0 && (m.flags & f.ms)) r = SC(SYS_fsconfig, fsfd, 0 /* SET_FLAG */, f.key, 0, 0);
  if (r >= 0) r = SC(SYS_fsconfig, fsfd, 6 /* FSCONFIG_CMD_CREATE */, 0, 0, 0);
  if (r < 0) { SC(SYS_close, fsfd); return r; }
  uint64_t attr = 0;
  if (m.flags & MS_RDONLY) attr |= 0x1;
  if (m.flags & MS_NOSUID) attr |= 0x2;
  if (m.flags & MS_NODEV) attr |= 0x4;
  if (m.flags & MS_NOEXEC) attr |= 0x8;
  if (m.flags & MS_NOATIME) attr |= 0x10;
  else if (m.flags & MS_STRICTATIME) attr |= 0x20;
  if (m.flags & MS_NODIRATIME) attr |= 0x80;
  if (m.flags & MS_NOSYMFOLLOW) attr |= 0x200000;
  long mnt = SC(SYS_fsmount, fsfd, 1 /* FSMOUNT_CLOEXEC */, attr);
  SC(SYS_close, fsfd);
  return mnt;
}

// The steps after a mount is attached, made on its own fd (never the destination path): r*
// attributes recursively, then propagation. Closes fd.
void finish_attached(long fd, const MountOp &m) {
  if (m.attr_set || m.attr_clr) {
    struct { uint64_t set, clr, propagation, userns_fd; } attr = { m.attr_set, m.attr_clr, 0, 0 };
    long r = SC(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
    // the r* options are this syscall: nothing to fall back to (the planner refuses them first)
    if (r == -ENOSYS) die(STEP_MOUNT_SETATTR, r, m.index, "(recursive r* options) need mount_setattr (Linux 5.12)");
    check(r, STEP_MOUNT_SETATTR, m.index, m.target);
  }
  if (m.propagation) {
    FdPath p(fd);
    check(SC(SYS_mount, 0, p.s, 0, m.propagation, 0), STEP_MOUNT_PROPAGATION, m.index, m.target);
  }
  SC(SYS_close, fd);
}

bool streq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }

// proc and sysfs go on an ordinary directory: a symlink there is refused (runc's rule), and the
// mount is then made on the directory fd we resolved, never on what a path names later.
long fs_target(long rootfd, const MountOp &m) {
  char dir[4096];
  const char *base;
  long parent = 0;
  {
    scopy(dir, sizeof dir, m.target);
    size_t n = slen(dir);
    while (n && dir[n - 1] != '/') n--;
    base = m.target + n;
    if (n) dir[n - 1] = 0; else dir[0] = 0;
    parent = mkdir_in_root(rootfd, dir, false);
  }
  if (parent < 0) return parent;
  long fd = SC(SYS_openat, parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -ENOENT) {
    long r = SC(SYS_mkdirat, parent, base, 0755);
    if (r < 0 && r != -EEXIST) { SC(SYS_close, parent); return r; }
    fd = SC(SYS_openat, parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  SC(SYS_close, parent);
  if (fd < 0) return fd;
  struct stat st;
  long r = SC(SYS_fstat, fd, &st);
  if (r < 0) { SC(SYS_close, fd); return r; }
  if (!S_ISDIR(st.st_mode)) {
    SC(SYS_close, fd);
    char msg[96];
    scopy(msg, sizeof msg, "filesystem \"");
    size_t k = slen(msg);
    scopy(msg + k, sizeof msg - k, m.fstype);
    k = slen(msg);
    scopy(msg + k, sizeof msg - k, "\" must be mounted on ordinary directory");
    die(STEP_MOUNT_TARGET, -ENOTDIR, m.index, msg);
  }
  return fd;
}

bool is_fs(const MountOp &m, const char *type) { return m.kind == MOUNT_FS && m.fstype && streq(m.fstype, type); }

// Keeps a handle on the mount now attached at /proc or /sys (fd is that mount's root).
void keep_special(const MountOp &m, long fd) {
  long *slot = streq(m.target, "proc") ? &g_proc_mnt : streq(m.target, "sys") ? &g_sys_mnt : nullptr;
  if (!slot) return;
  if (*slot >= 0) SC(SYS_close, *slot);
  *slot = SC(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
  check(*slot, STEP_MOUNT, m.index, m.target);
}

// ---- kernels without the new mount API (open_tree, move_mount, fsopen: Linux 5.2) ----------
// The fallback is plain mount(2) onto the resolved fd ("/proc/self/fd/N"), then the new mount is
// looked up again through the rootfs (in-root walk) and checked to be the one just made before
// any later step (remount flags, propagation, tmpcopyup, keeping /proc and /sys by fd) touches
// it: a mount on another mount than the directory we resolved, not one this child made before,
// whose root is the bind source's inode, or a filesystem of the expected type (procfs and sysfs:
// their root inode). A racer who swapped the path meanwhile makes create fail; it cannot
// redirect a step to another mount (CVE-2021-30465 class).

int g_no_mount_api = 0;   // open_tree/fsopen answered ENOSYS once: go straight to mount(2)

// ENOSYS: the kernel predates the call. EPERM: also what a parent's seccomp filter that does not
// know it answers; mount(2) then reports a genuine permission problem itself.
bool mount_api_missing(long r) {
  if (r == -ENOSYS) g_no_mount_api = 1;
  return r == -ENOSYS || r == -EPERM;
}

long g_made[256];          // mount ids this child made through the fallback
uint32_t g_n_made = 0;

long fs_magic(const MountOp &m) {
  if (is_fs(m, "proc")) return 0x9fa0;
  if (is_fs(m, "sysfs")) return 0x62656572;
  if (is_fs(m, "tmpfs")) return 0x01021994;
  return 0;
}

// The mount now on `at` (an fd of what it was made on), found again as `found` (an O_PATH fd of
// the lookup): -EAGAIN unless it is that mount. `want`: the bind source (dev, ino); magic: the
// filesystem type (0: any). Records the mount as made by this child unless it is about to go
// (mount ids are reused once free).
long verify_new_mount(long found, long at, const struct stat *want, long magic, bool record) {
  struct stat st;
  long r = SC(SYS_fstat, found, &st);
  if (r < 0) return r;
  if (want && (st.st_dev != want->st_dev || st.st_ino != want->st_ino)) return -EAGAIN;
  if (magic) {
    struct statfs sfs;
    r = SC(SYS_fstatfs, found, &sfs);
    if (r < 0) return r;
    if ((long)sfs.f_type != magic) return -EAGAIN;
    // procfs and sysfs roots are inode 1: not a directory inside another procfs or sysfs
    if ((magic == 0x9fa0 || magic == 0x62656572) && st.st_ino != 1) return -EAGAIN;
  }
  long id = walk::mnt_id(found, g_fdinfo_proc), under = walk::mnt_id(at, g_fdinfo_proc);
  if (id < 0) return id;
  if (under < 0) return under;
  if (id == under) return -EAGAIN;
  for (uint32_t i = 0; i < g_n_made; i++) if (g_made[i] == id) return -EAGAIN;
  if (record && g_n_made < sizeof g_made / sizeof g_made[0]) g_made[g_n_made++] = id;
  return 0;
}

// Looks `rel` up again in the rootfs after a mount(2) onto `at`: an O_PATH fd of the new mount's
// root, checked by verify_new_mount. Dies on failure.
long reopen_mounted(long rootfd, const MountOp &m, long at, const struct stat *want, long magic) {
  // following a last symlink, inside the root: a destination that was a dangling link was
  // created (and mounted) where it points, as mkdir_in_root does
  long fd = open_in_root(rootfd, m.target, O_PATH);
  check(fd, STEP_MOUNT, m.index, m.target);
  long r = verify_new_mount(fd, at, want, magic);
  if (r == -EAGAIN) die(STEP_MOUNT, -EAGAIN, m.index, "the destination was swapped while it was mounted; refusing to work on what is there now");
  check(r, STEP_MOUNT, m.index, m.target);
  return fd;
}

// A bind without open_tree: mount(2) of the source (opened once, by its host path, as open_tree
// would look it up) onto the resolved destination fd. Returns the new mount's fd.
// A filesystem the user namespace may not mount: cgroup2 from a cgroup namespace a user
// namespace owns gets EBUSY (the superblock is the initial namespace's), EPERM elsewhere.
// MountOp.fallback_bind (the container's cgroup, or the caller's where a rootless container has
// none) is bound there instead, as runc and crun do, and given the mount's ro, nosuid, nodev,
// noexec by a remount of the new mount itself (verified: the source's inode). Returns 0 or -errno.
long bind_instead(long rootfd, const MountOp &m, long at) {
  long src = SC(SYS_openat, AT_FDCWD, m.fallback_bind, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0) return src;
  struct stat sst;
  long r = SC(SYS_fstat, src, &sst);
  FdPath s(src), t(at);
  if (r >= 0) r = SC(SYS_mount, s.s, t.s, 0, MS_BIND | MS_REC, 0);
  SC(SYS_close, src);
  if (r < 0) return r;
  long fd = reopen_mounted(rootfd, m, at, &sst, 0);
  unsigned long fl = m.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (fl) {
    FdPath q(fd);
    r = SC(SYS_mount, 0, q.s, 0, MS_BIND | MS_REMOUNT | fl | locked_flags(fd), 0);
  }
  SC(SYS_close, fd);
  return r < 0 ? r : 0;
}

long bind_fallback(long rootfd, const MountOp &m, long at) {
  long src = m.src_fd >= 0 ? SC(SYS_fcntl, m.src_fd, F_DUPFD_CLOEXEC, 0) : SC(SYS_openat, AT_FDCWD, m.source, O_PATH | O_CLOEXEC);
  check(src, STEP_MOUNT, m.index, m.source);
  struct stat sst;
  check(SC(SYS_fstat, src, &sst), STEP_MOUNT, m.index, m.source);
  FdPath s(src), t(at);
  check(SC(SYS_mount, s.s, t.s, 0, MS_BIND | (m.flags & MS_REC), 0), STEP_MOUNT, m.index, m.source);
  SC(SYS_close, src);
  return reopen_mounted(rootfd, m, at, &sst, 0);
}

// A filesystem without fsopen/fsmount: mount(2) onto the resolved destination fd, flags and data
// as given, then the new mount's fd. sysfs refused in a user namespace: the host's /sys bound
// instead (read-only through the new mount's fd when asked), as on the fsopen path.
long fs_fallback(long rootfd, const MountOp &m, long at) {
  FdPath t(at);
  long r = SC(SYS_mount, m.source, t.s, m.fstype, m.flags, m.data);
  bool sys_bind = r == -EPERM && is_fs(m, "sysfs");
  if (sys_bind) {
    long src = SC(SYS_openat, AT_FDCWD, "/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
    check(src, STEP_MOUNT, m.index, "/sys");
    FdPath s(src);
    r = SC(SYS_mount, s.s, t.s, 0, MS_BIND | MS_REC, 0);
    SC(SYS_close, src);
  }
  check(r, STEP_MOUNT, m.index, m.target);
  long fd = reopen_mounted(rootfd, m, at, nullptr, fs_magic(m));
  // (the top mount only: without mount_setattr there is no recursive remount, as with runc's rbind,ro)
  unsigned long sys_flags = m.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (sys_bind && sys_flags) {
    FdPath q(fd);
    check(SC(SYS_mount, 0, q.s, 0, MS_BIND | MS_REMOUNT | sys_flags | locked_flags(fd), 0), STEP_MOUNT_REMOUNT, m.index, m.target);
  }
  return fd;
}

// tmpcopyup: what the directory held (`dir`, the covered destination) copied into the new mount.
void copy_up(long dir, long mnt, const MountOp &m) {
  long before = SC(SYS_openat, dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check(before, STEP_MOUNT_TARGET, m.index, m.target);
  long after = SC(SYS_openat, mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check(after, STEP_MOUNT, m.index, m.target);
  struct stat st;
  if (SC(SYS_fstat, before, &st) == 0) {  // the mount root takes the directory's mode and owner
    SC(SYS_fchmod, after, st.st_mode & 07777);
    SC(SYS_fchown, after, st.st_uid, st.st_gid);
  }
  long r = copy_tree(before, after, 0);
  SC(SYS_close, after);
  SC(SYS_close, before);
  check(r, STEP_MOUNT, m.index, m.target);
}

// MountOp.ro_later: the `ro` the mount was made without, as a bind remount of its own fd (per
// mount, like runc: the superblock stays rw), now (1) or at the end of the rootfs setup (2).
long remount_ro(const char *path, long fd, unsigned long flags) {
  unsigned long keep = locked_flags(fd);
  if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) keep &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
  return SC(SYS_mount, 0, path, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | flags | keep, 0);
}

void read_only_later(long fd, const MountOp &m) {
  if (m.ro_later == 2) {
    if (g_dev_mnt >= 0) SC(SYS_close, g_dev_mnt);
    g_dev_mnt = SC(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
    check(g_dev_mnt, STEP_MOUNT, m.index, m.target);
    g_dev_flags = m.flags & REMOUNT_MASK;
    g_dev_index = m.index;
  } else if (m.ro_later == 1) {
    FdPath q(fd);
    check(remount_ro(q.s, fd, m.flags & REMOUNT_MASK), STEP_MOUNT_REMOUNT, m.index, m.target);
  }
}

void do_mount(long rootfd, const MountOp &m) {
  bool special_fs = is_fs(m, "proc") || is_fs(m, "sysfs");
  long fd = special_fs ? fs_target(rootfd, m) : mkdir_in_root(rootfd, m.target, m.is_file);
  if (fd >= 0) fd = refuse_procfs_target(fd, m.proc_ok);
  if (fd == -EXDEV) die(STEP_MOUNT_TARGET, -EXDEV, m.index, "the destination resolves into /proc");
  check(fd, STEP_MOUNT_TARGET, m.index, m.target);
  if (m.kind == MOUNT_BIND) {
    // Never looked up again by path once attached: the source is cloned as a detached tree
    // (open_tree), moved onto the resolved fd, and every later step (remount flags, r*
    // attributes, propagation) goes through that tree's fd. A racer swapping the path for a
    // symlink meanwhile cannot redirect the read-only remount to another mount
    // (CVE-2021-30465 class). Without open_tree: bind_fallback.
    long tree = m.tree_fd;  // idmapped: the parent made this detached tree
    if (tree < 0) {
      const long rec = (m.flags & MS_REC) ? AT_RECURSIVE : 0;
      tree = g_no_mount_api ? -ENOSYS
           : m.src_fd >= 0 ? SC(SYS_open_tree, m.src_fd, "", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | AT_EMPTY_PATH | rec)
                           : SC(SYS_open_tree, AT_FDCWD, m.source, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | rec);
      if (tree < 0 && !mount_api_missing(tree)) check(tree, STEP_MOUNT, m.index, m.source);
    }
    if (tree >= 0) {
      long r = SC(SYS_move_mount, tree, "", fd, "", 0x4 /* F_EMPTY_PATH */ | 0x40 /* T_EMPTY_PATH */);
      check(r, STEP_MOUNT, m.index, m.source);
    } else {
      tree = bind_fallback(rootfd, m, fd);
    }
    SC(SYS_close, fd);
    if (m.src_fd >= 0) SC(SYS_close, m.src_fd);
    fd = tree;
    unsigned long rflags = m.flags & REMOUNT_MASK;
    if (rflags) {
      FdPath q(fd);
      unsigned long keep = locked_flags(fd);
      if (rflags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) keep &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
      check(SC(SYS_mount, 0, q.s, 0, MS_BIND | MS_REMOUNT | rflags | keep, 0), STEP_MOUNT_REMOUNT, m.index, m.target);
    }
    keep_special(m, fd);
    finish_attached(fd, m);
    return;
  } else if ((special_fs || m.tmpcopyup || m.attr_set || m.attr_clr || m.propagation || m.ro_later) && !(m.flags & MS_REMOUNT)) {
    // steps after the mount itself: made detached (fsopen/fsmount), worked on by its fd and
    // attached by move_mount, so none of them looks the destination up again. Without
    // fsopen: fs_fallback, then the same steps on the verified new mount.
    long mnt = g_no_mount_api ? -ENOSYS : mount_detached(m);
    // sysfs cannot be made from a user namespace that does not own the network ns (rootless
    // without a network namespace of its own): the host's, as a tree given the mount's ro,
    // nosuid, nodev and noexec by its fd before it is attached, on every mount of the tree
    // (the host's cgroup hierarchies and debugfs below /sys are not left writable)
    if (mnt == -EPERM && is_fs(m, "sysfs") && !g_no_mount_api) {
      mnt = SC(SYS_open_tree, AT_FDCWD, "/sys", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | AT_RECURSIVE);
      // MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC have the values of MOUNT_ATTR_RDONLY .. NOEXEC
      uint64_t set = m.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (mnt >= 0 && set) {
        struct { uint64_t set, clr, propagation, userns_fd; } attr = { set, 0, 0, 0 };
        long r = SC(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
        if (r < 0) { SC(SYS_close, mnt); mnt = r; }
      }
    }
    if (mnt < 0 && mount_api_missing(mnt)) {
      long made = fs_fallback(rootfd, m, fd);
      if (m.tmpcopyup) copy_up(fd, made, m);
      SC(SYS_close, fd);
      read_only_later(made, m);
      keep_special(m, made);
      finish_attached(made, m);
      return;
    }
    check(mnt, STEP_MOUNT, m.index, m.target);
    if (m.tmpcopyup) copy_up(fd, mnt, m);
    check(SC(SYS_move_mount, mnt, "", fd, "", 0x4 /* F_EMPTY_PATH */ | 0x40 /* T_EMPTY_PATH */), STEP_MOUNT, m.index, m.target);
    SC(SYS_close, fd);
    fd = mnt;
    read_only_later(fd, m);
    keep_special(m, fd);
    finish_attached(fd, m);
    return;
  } else {
    // nothing follows the mount itself: mount(2) onto the resolved fd, flags and data as given
    FdPath p(fd);
    long r = SC(SYS_mount, m.source, p.s, m.fstype, m.flags, m.data);
    if ((r == -EBUSY || r == -EPERM) && m.fallback_bind) r = bind_instead(rootfd, m, fd);
    check(r, STEP_MOUNT, m.index, m.target);
  }
  SC(SYS_close, fd);
}

// In a user namespace the child cannot look up a bind source below a directory only the host's
// root may search (runc passes mount fds for this). It hands the parent its mount namespace; the
// parent, still the host's root, opens each source there (O_PATH) and sends the fds back. They
// are this namespace's mounts, with the locks its copy of the host's mounts carries, cloned by
// open_tree or bound from the fd in do_mount; a source the parent could not open is looked up
// by path here as before (and fails with its own error).
void receive_mount_sources() {
  long ns = SC(SYS_openat, AT_FDCWD, "/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  check(ns, STEP_MOUNT, -1, "/proc/self/ns/mnt");
  Msg req;
  char *p = reinterpret_cast<char *>(&req);
  for (size_t i = 0; i < sizeof req; i++) p[i] = 0;
  req.type = MSG_MOUNTSOURCES; req.index = -1;
  if (send_with_fd(P->sync_fd, &req, sizeof req, ns) < 0) SC(SYS_exit_group, 1);
  SC(SYS_close, ns);
  for (;;) {
    Msg m;
    long fd;
    long r = recv_record(&m, &fd);
    if (r == -EINTR) continue;
    if (r != (long)sizeof m) SC(SYS_exit_group, 1);
    if (m.type == MSG_GO) { if (fd >= 0) SC(SYS_close, fd); return; }
    if (m.type != MSG_SOURCE || m.index < 0 || (uint32_t)m.index >= P->n_mounts || fd < 0) {
      if (fd >= 0) SC(SYS_close, fd);
      continue;
    }
    if (W->mounts[m.index].src_fd >= 0) SC(SYS_close, W->mounts[m.index].src_fd);
    W->mounts[m.index].src_fd = (int32_t)fd;
  }
}

}  // namespace child
}  // namespace tsrun
