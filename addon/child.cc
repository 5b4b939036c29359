// The child side: everything between clone and the exec of tsrun-init.
//
// Runs in a process forked from multithreaded Node: only raw syscalls, no
// allocation, no locks, no exceptions, no glibc wrappers that keep process-wide
// state (glibc's setuid family would try to signal threads that do not exist
// here). Every failure is reported to the parent as one fixed-size record on
// the sync socket, then the child exits.
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10

namespace tsrun {
namespace {

const Plan *P;
long g_lsm_procfd = -1;   // verified /proc handle for tsrun-init's LSM write (prepare_lsm)

// syscall(2) returning -errno on failure.
#define SC(...) ({ long _r = syscall(__VA_ARGS__); _r < 0 ? -(long)errno : _r; })

constexpr uint64_t makedev_(uint64_t ma, uint64_t mi) {
  return ((ma & 0xfffff000ULL) << 32) | ((ma & 0xfffULL) << 8) | ((mi & 0xffffff00ULL) << 12) | (mi & 0xffULL);
}

size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

void scopy(char *dst, size_t cap, const char *src) {
  size_t i = 0;
  for (; src && src[i] && i + 1 < cap; i++) dst[i] = src[i];
  dst[i] = 0;
}

void put_num(char *slot, long v) {
  char tmp[16]; int n = 0; size_t i = 0;
  if (v < 0) { slot[i++] = '-'; v = -v; }
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) slot[i++] = tmp[--n];
  slot[i] = 0;
}

void send_msg(uint32_t type, uint32_t step, long err, int32_t pid, int32_t index, const char *detail) {
  Msg m;
  char *p = reinterpret_cast<char *>(&m);
  for (size_t i = 0; i < sizeof m; i++) p[i] = 0;
  m.type = type; m.step = step; m.err = (int32_t)(err < 0 ? -err : err); m.pid = pid; m.index = index;
  scopy(m.detail, sizeof m.detail, detail);
  SC(SYS_sendto, P->sync_fd, &m, sizeof m, 0x4000, 0, 0);
}

[[noreturn]] void die(uint32_t step, long err, int32_t index, const char *detail) {
  send_msg(MSG_ERROR, step, err, 0, index, detail);
  SC(SYS_exit_group, 1);
  __builtin_unreachable();
}

void check(long r, uint32_t step, int32_t index, const char *detail) {
  if (r < 0) die(step, r, index, detail);
}

// Wait for the parent's go. EOF means the parent gave up: exit quietly.
// One sendmsg of buf with fd attached (SCM_RIGHTS): the seccomp notify fd to the parent, the
// pty master to the console socket.
long send_with_fd(long sock, const void *buf, size_t len, long fd) {
  struct iovec iov = { const_cast<void *>(buf), len };
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
  for (size_t i = 0; i < sizeof ctl; i++) reinterpret_cast<char *>(&ctl)[i] = 0;
  struct msghdr msg = {};
  msg.msg_iov = &iov; msg.msg_iovlen = 1;
  msg.msg_control = ctl.b; msg.msg_controllen = sizeof ctl.b;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
  int ifd = (int)fd;
  char *data = reinterpret_cast<char *>(CMSG_DATA(c));
  for (size_t i = 0; i < sizeof ifd; i++) data[i] = reinterpret_cast<char *>(&ifd)[i];
  return SC(SYS_sendmsg, sock, &msg, 0x4000 /* MSG_NOSIGNAL */);
}

// A record with one fd attached: the seccomp notify fd for the parent.
void send_fd_msg(uint32_t type, long fd) {
  Msg m;
  char *p = reinterpret_cast<char *>(&m);
  for (size_t i = 0; i < sizeof m; i++) p[i] = 0;
  m.type = type; m.index = -1;
  if (send_with_fd(P->sync_fd, &m, sizeof m, fd) < 0) SC(SYS_exit_group, 1);
}

void await_go() {
  Msg m;
  for (;;) {
    long r = SC(SYS_recvfrom, P->sync_fd, &m, sizeof m, 0, 0, 0);
    if (r == -EINTR) continue;
    if (r != (long)sizeof m) SC(SYS_exit_group, 1);
    if (m.type == MSG_GO) return;
  }
}

void reset_signals() {
  struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } act = {};
  act.handler = reinterpret_cast<void *>(SIG_DFL);
  for (int sig = 1; sig < 65; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    SC(SYS_rt_sigaction, sig, &act, 0, 8);
  }
  unsigned long empty = 0;
  check(SC(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8), STEP_SIGNALS, -1, "sigprocmask");
}

// "/proc/self/fd/N" for fd-based operations on paths resolved inside the rootfs.
struct FdPath {
  char s[32];
  explicit FdPath(long fd) {
    const char *pre = "/proc/self/fd/";
    size_t i = 0;
    for (; pre[i]; i++) s[i] = pre[i];
    char tmp[12]; int n = 0;
    do { tmp[n++] = (char)('0' + fd % 10); fd /= 10; } while (fd);
    while (n) s[i++] = tmp[--n];
    s[i] = 0;
  }
};

struct OpenHow { uint64_t flags, mode, resolve; };

long open_in_root(long rootfd, const char *rel, long flags) {
  OpenHow how = { (uint64_t)(flags | O_CLOEXEC), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  if (!rel[0]) rel = ".";
  // EAGAIN: a rename raced the resolution of ".." (the kernel cannot vouch for the walk);
  // retry rather than let a racer in a shared volume make create fail
  long r = -EAGAIN;
  for (int i = 0; i < 128 && r == -EAGAIN; i++) r = SC(SYS_openat2, rootfd, rel, &how, sizeof how);
  return r;
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
  long fsfd = SC(430 /* fsopen */, m.fstype ? m.fstype : "", 1 /* FSOPEN_CLOEXEC */);
  if (fsfd < 0) return fsfd;
  long r = 0;
  if (m.source) r = SC(431 /* fsconfig */, fsfd, 1 /* SET_STRING */, "source", m.source, 0);
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
        if (*eq) { *eq = 0; r = SC(431, fsfd, 1 /* SET_STRING */, o, eq + 1, 0); *eq = '='; }
        else r = SC(431, fsfd, 0 /* SET_FLAG */, o, 0, 0);
      }
      *end = last;
      o = last ? end + 1 : end;
    }
  }
  const struct { uint64_t ms; const char *key; } sb[] = {
    { MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" },
  };
  for (const auto &f : sb) if (r >= 0 && (m.flags & f.ms)) r = SC(431, fsfd, 0 /* SET_FLAG */, f.key, 0, 0);
  if (r >= 0) r = SC(431, fsfd, 6 /* FSCONFIG_CMD_CREATE */, 0, 0, 0);
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
  long mnt = SC(432 /* fsmount */, fsfd, 1 /* FSMOUNT_CLOEXEC */, attr);
  SC(SYS_close, fsfd);
  return mnt;
}

// The steps after a mount is attached, made on its own fd (never the destination path): r*
// attributes recursively, then propagation. Closes fd.
void finish_attached(long fd, const MountOp &m) {
  if (m.attr_set || m.attr_clr) {
    struct { uint64_t set, clr, propagation, userns_fd; } attr = { m.attr_set, m.attr_clr, 0, 0 };
    check(SC(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr), STEP_MOUNT_SETATTR, m.index, m.target);
  }
  if (m.propagation) {
    FdPath p(fd);
    check(SC(SYS_mount, 0, p.s, 0, m.propagation, 0), STEP_MOUNT_PROPAGATION, m.index, m.target);
  }
  SC(SYS_close, fd);
}

void do_mount(long rootfd, const MountOp &m) {
  long fd = mkdir_in_root(rootfd, m.target, m.is_file);
  if (fd >= 0) fd = refuse_procfs_target(fd, m.proc_ok);
  if (fd == -EXDEV) die(STEP_MOUNT_TARGET, -EXDEV, m.index, "the destination resolves into /proc");
  check(fd, STEP_MOUNT_TARGET, m.index, m.target);
  if (m.kind == MOUNT_BIND) {
    // Never looked up again by path once attached: the source is cloned as a detached tree
    // (open_tree), moved onto the resolved fd, and every later step (remount flags, r*
    // attributes, propagation) goes through that tree's fd. A racer swapping the path for a
    // symlink meanwhile cannot redirect the read-only remount to another mount
    // (CVE-2021-30465 class).
    long tree = m.tree_fd;  // idmapped: the parent made this detached tree
    if (tree < 0) {
      tree = SC(428 /* open_tree */, AT_FDCWD, m.source, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | ((m.flags & MS_REC) ? AT_RECURSIVE : 0));
      check(tree, STEP_MOUNT, m.index, m.source);
    }
    check(SC(429 /* move_mount */, tree, "", fd, "", 0x4 /* F_EMPTY_PATH */ | 0x40 /* T_EMPTY_PATH */), STEP_MOUNT, m.index, m.source);
    SC(SYS_close, fd);
    fd = tree;
    unsigned long rflags = m.flags & REMOUNT_MASK;
    if (rflags) {
      FdPath q(fd);
      unsigned long keep = locked_flags(fd);
      if (rflags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) keep &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
      check(SC(SYS_mount, 0, q.s, 0, MS_BIND | MS_REMOUNT | rflags | keep, 0), STEP_MOUNT_REMOUNT, m.index, m.target);
    }
    finish_attached(fd, m);
    return;
  } else if ((m.tmpcopyup || m.attr_set || m.attr_clr || m.propagation) && !(m.flags & MS_REMOUNT)) {
    // steps after the mount itself: made detached (fsopen/fsmount), worked on by its fd and
    // attached by move_mount, so none of them looks the destination up again
    long mnt = mount_detached(m);
    check(mnt, STEP_MOUNT, m.index, m.target);
    if (m.tmpcopyup) {
      long before = SC(SYS_openat, fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
    check(SC(429 /* move_mount */, mnt, "", fd, "", 0x4 /* F_EMPTY_PATH */ | 0x40 /* T_EMPTY_PATH */), STEP_MOUNT, m.index, m.target);
    SC(SYS_close, fd);
    fd = mnt;
    finish_attached(fd, m);
    return;
  } else {
    // nothing follows the mount itself: mount(2) onto the resolved fd, flags and data as given
    FdPath p(fd);
    long r = SC(SYS_mount, m.source, p.s, m.fstype, m.flags, m.data);
    // sysfs cannot be mounted from a user namespace that does not own the network ns: bind the
    // host's, as a tree made read-only by its fd before it is attached
    if (r == -EPERM && m.fstype && slen(m.fstype) == 5 && m.fstype[0] == 's' && m.fstype[1] == 'y') {
      long tree = SC(428 /* open_tree */, AT_FDCWD, "/sys", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | AT_RECURSIVE);
      r = tree;
      if (tree >= 0) {
        if (m.flags & MS_RDONLY) {
          struct { uint64_t set, clr, propagation, userns_fd; } attr = { 0x1 /* MOUNT_ATTR_RDONLY */, 0, 0, 0 };
          r = SC(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
        }
        if (r >= 0) r = SC(429 /* move_mount */, tree, "", fd, "", 0x4 | 0x40);
        SC(SYS_close, tree);
      }
    }
    check(r, STEP_MOUNT, m.index, m.target);
  }
  SC(SYS_close, fd);
}

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
  SC(SYS_umask, 022);
  SC(SYS_close, rootfd);
}

void enter_root() {
  if (!P->setup_rootfs) {
    check(SC(SYS_chroot, P->rootfs), STEP_PIVOT, -1, P->rootfs);
    check(SC(SYS_chdir, "/"), STEP_PIVOT, -1, "/");
    return;
  }
  if (P->no_pivot) {
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

void finish_rootfs() {
  // runc's order: read-only paths first, then masked ones.
  for (uint32_t i = 0; i < P->n_readonly; i++) {
    const char *p = P->readonly[i];
    long r = SC(SYS_mount, p, p, 0, MS_BIND | MS_REC, 0);
    if (r == -ENOENT) continue;
    check(r, STEP_READONLY_PATH, (int32_t)i, p);
    long fd = SC(SYS_openat, AT_FDCWD, p, O_PATH | O_CLOEXEC);
    unsigned long keep = fd >= 0 ? locked_flags(fd) : 0;
    if (fd >= 0) SC(SYS_close, fd);
    check(SC(SYS_mount, p, p, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | keep, 0), STEP_READONLY_PATH, (int32_t)i, p);
  }
  // Masks are bind mounts of the container's /dev/null: it must be the real null device, not a
  // symlink or another node planted by the rootfs (CVE-2025-31133 class: a "mask" that binds
  // /proc/sys/kernel/core_pattern writable). Checked through an O_PATH fd, mounted from it.
  long nullfd = -1;
  if (P->n_masked) {
    nullfd = SC(SYS_openat, AT_FDCWD, "/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    check(nullfd, STEP_MASK, -1, "/dev/null");
    struct stat st;
    check(SC(SYS_fstat, nullfd, &st), STEP_MASK, -1, "/dev/null");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev_(1, 3)) die(STEP_MASK, -EPERM, -1, "/dev/null is not the null device (1:3)");
  }
  FdPath nullpath(nullfd < 0 ? 0 : nullfd);
  for (uint32_t i = 0; i < P->n_masked; i++) {
    const char *p = P->masked[i];
    struct stat st;
    long r = SC(SYS_newfstatat, AT_FDCWD, p, &st, 0);
    if (r == -ENOENT) continue;
    check(r, STEP_MASK, (int32_t)i, p);
    if (S_ISDIR(st.st_mode)) r = SC(SYS_mount, "tmpfs", p, "tmpfs", MS_RDONLY, 0);
    else r = SC(SYS_mount, nullpath.s, p, 0, MS_BIND, 0);
    check(r, STEP_MASK, (int32_t)i, p);
  }
  if (nullfd >= 0) SC(SYS_close, nullfd);
  if (P->readonly_root) {
    long fd = SC(SYS_openat, AT_FDCWD, "/", O_PATH | O_CLOEXEC);
    unsigned long keep = fd >= 0 ? locked_flags(fd) : 0;
    if (fd >= 0) SC(SYS_close, fd);
    check(SC(SYS_mount, 0, "/", 0, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, 0), STEP_READONLY_ROOT, -1, "/");
  }
}

const char *lookup() {
  for (uint32_t i = 0; i < P->n_candidates; i++) {
    struct stat st;
    if (SC(SYS_newfstatat, AT_FDCWD, P->path_candidates[i], &st, 0) < 0) continue;
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) return P->path_candidates[i];
  }
  die(STEP_LOOKUP, -ENOENT, -1, P->stub_argv[P->stub_path_slot + 1]);
}

void set_credentials() {
  if (P->set_caps) {
    for (int c = 0; c <= P->last_cap; c++)
      if (!(P->cap_bounding & (1ULL << c))) {
        long r = SC(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0);
        if (r < 0 && r != -EINVAL) die(STEP_CAPS, r, c, "drop bounding capability");
      }
    check(SC(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0), STEP_CAPS, -1, "keepcaps");
  }
  if (P->set_groups) check(SC(SYS_setgroups, P->n_groups, P->groups), STEP_SETGROUPS, -1, "setgroups");
  check(SC(SYS_setresgid, P->gid, P->gid, P->gid), STEP_SETGID, -1, "setresgid");
  check(SC(SYS_setresuid, P->uid, P->uid, P->uid), STEP_SETUID, -1, "setresuid");
  if (P->set_caps) {
    check(SC(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0), STEP_CAPS, -1, "keepcaps");
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)P->cap_effective; data[1].effective = (uint32_t)(P->cap_effective >> 32);
    data[0].permitted = (uint32_t)P->cap_permitted; data[1].permitted = (uint32_t)(P->cap_permitted >> 32);
    data[0].inheritable = (uint32_t)P->cap_inheritable; data[1].inheritable = (uint32_t)(P->cap_inheritable >> 32);
    check(SC(SYS_capset, &hdr, data), STEP_CAPS, -1, "capset");
    for (int c = 0; c <= P->last_cap; c++)
      if (P->cap_ambient & (1ULL << c)) {
        // The kernel refuses (EPERM) ambient capabilities outside permitted & inheritable;
        // runc ignores that too, so the same config.json gives the same CapAmb.
        long r = SC(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
        if (r < 0 && r != -EPERM && r != -EINVAL) die(STEP_CAPS, r, c, "raise ambient capability");
      }
  }
}


// fds 0-2 and the preserved ones stay; everything else is closed by exec, except
// what tsrun-init itself needs, moved above the preserved range.
void prepare_fds() {
  long base = 3 + P->preserve_fds;
  // Node marks its stdio close-on-exec at startup: the container must get 0-2 all the same.
  for (long fd = 0; fd < base; fd++) SC(SYS_fcntl, fd, F_SETFD, 0);
  long r = SC(SYS_close_range, base, ~0U, CLOSE_RANGE_CLOEXEC);
  if (r < 0) die(STEP_FDS, r, -1, "close_range");
  long fifo = -1, sec = -1;
  if (P->fifo_fd >= 0) { fifo = SC(SYS_fcntl, P->fifo_fd, F_DUPFD, base); check(fifo, STEP_FDS, -1, "exec fifo"); }
  if (P->seccomp_fd >= 0) { sec = SC(SYS_fcntl, P->seccomp_fd, F_DUPFD, base); check(sec, STEP_FDS, -1, "seccomp"); }
  long lsm = -1;
  if (g_lsm_procfd >= 0) { lsm = SC(SYS_fcntl, g_lsm_procfd, F_DUPFD, base); check(lsm, STEP_FDS, -1, "procfs handle"); }
  long hooks = -1;  // tsrun-init reads and closes it before any hook or the user's process runs
  if (P->hooks_fd >= 0) { hooks = SC(SYS_fcntl, P->hooks_fd, F_DUPFD, base); check(hooks, STEP_FDS, -1, "startContainer hooks"); }
  put_num(P->stub_argv[1], fifo);
  put_num(P->stub_argv[2], sec);
  put_num(P->stub_argv[4], lsm);
  put_num(P->stub_argv[8], hooks);
}


// process.terminal: a pty from the container's own devpts. The master goes to the console
// socket (SCM_RIGHTS, with the name "/dev/ptmx" as data, as runc sends it); the slave becomes
// stdio and the controlling terminal, and (create) is bound over /dev/console.
void setup_console() {
  if (P->console_socket_fd < 0) return;
  // no magic links: a /dev/ptmx -> /proc/self/fd/N planted in the container cannot hand us a
  // pty of the host's devpts; and it must be the pty multiplexer (char 5:2)
  OpenHow how = { (uint64_t)(O_RDWR | O_NOCTTY | O_CLOEXEC), 0, 0x02 /* RESOLVE_NO_MAGICLINKS */ };
  long master = SC(SYS_openat2, AT_FDCWD, "/dev/ptmx", &how, sizeof how);
  check(master, STEP_CONSOLE, -1, "open /dev/ptmx");
  struct stat mst;
  check(SC(SYS_fstat, master, &mst), STEP_CONSOLE, -1, "stat /dev/ptmx");
  if (!S_ISCHR(mst.st_mode) || mst.st_rdev != makedev_(5, 2)) die(STEP_CONSOLE, -EPERM, -1, "/dev/ptmx is not the pty multiplexer (char 5:2)");
  int unlock = 0;
  check(SC(SYS_ioctl, master, TIOCSPTLCK, &unlock), STEP_CONSOLE, -1, "unlock pty");
  unsigned int n = 0;
  check(SC(SYS_ioctl, master, TIOCGPTN, &n), STEP_CONSOLE, -1, "pty number");
  if (P->console_width || P->console_height) {
    struct winsize ws = {};
    ws.ws_row = P->console_height; ws.ws_col = P->console_width;
    check(SC(SYS_ioctl, master, TIOCSWINSZ, &ws), STEP_CONSOLE, -1, "consoleSize");
  }
  long slave = SC(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  check(slave, STEP_CONSOLE, -1, "open pty slave");
  const char name[] = "/dev/ptmx";
  check(send_with_fd(P->console_socket_fd, name, sizeof name - 1, master), STEP_CONSOLE, -1, "send pty master to the console socket");
  SC(SYS_close, master);
  SC(SYS_close, P->console_socket_fd);
  if (P->mount_console) {
    // bound from the peer fd, not the /dev/pts/N path: a swapped /dev/pts cannot redirect it
    // ... and onto a verified /dev/console by fd: no symlink anywhere on the way (a
    // /dev/console -> /proc/sys/kernel/core_pattern would put the pty over a procfs file,
    // CVE-2025-52565 class), a regular file or char device, not on procfs or sysfs
    FdPath peer(slave);
    OpenHow nolinks = { (uint64_t)(O_PATH | O_NOFOLLOW | O_CLOEXEC), 0, 0x04 /* RESOLVE_NO_SYMLINKS */ | 0x02 /* NO_MAGICLINKS */ };
    long con = SC(SYS_openat2, AT_FDCWD, "/dev/console", &nolinks, sizeof nolinks);
    if (con == -ENOENT) {
      OpenHow dirhow = { (uint64_t)(O_PATH | O_DIRECTORY | O_CLOEXEC), 0, 0x04 | 0x02 };
      long dev = SC(SYS_openat2, AT_FDCWD, "/dev", &dirhow, sizeof dirhow);
      check(dev, STEP_CONSOLE, -1, "/dev");
      long c = SC(SYS_openat, dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (c >= 0) SC(SYS_close, c);
      con = SC(SYS_openat, dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
      SC(SYS_close, dev);
    }
    if (con == -ELOOP) die(STEP_CONSOLE, -ELOOP, -1, "/dev/console (or /dev) is a symlink: refusing to bind the console over what it names");
    check(con, STEP_CONSOLE, -1, "/dev/console");
    struct stat cst;
    struct statfs cfs;
    check(SC(SYS_fstat, con, &cst), STEP_CONSOLE, -1, "/dev/console");
    check(SC(SYS_fstatfs, con, &cfs), STEP_CONSOLE, -1, "/dev/console");
    if (!(S_ISREG(cst.st_mode) || S_ISCHR(cst.st_mode)) || cfs.f_type == 0x9fa0 /* procfs */ || cfs.f_type == 0x62656572 /* sysfs */)
      die(STEP_CONSOLE, -EPERM, -1, "/dev/console is not a regular file or character device outside /proc and /sys");
    FdPath target(con);
    check(SC(SYS_mount, peer.s, target.s, 0, MS_BIND, 0), STEP_CONSOLE, -1, "bind /dev/console");
    SC(SYS_close, con);
    (void)n;
  }
  SC(SYS_fchown, slave, P->uid, -1);  // like runc: the process user owns its terminal (errors ignored)
  for (int i = 0; i < 3; i++) check(SC(SYS_dup3, slave, i, 0), STEP_CONSOLE, -1, "pty as stdio");
  SC(SYS_close, slave);
  check(SC(SYS_ioctl, 0, TIOCSCTTY, 0), STEP_CONSOLE, -1, "TIOCSCTTY");
}

// Before chdir(process.cwd): nothing but stdio, the preserved fds and what we still need may
// stay open, so a cwd like /proc/self/fd/N cannot reach a host directory through an fd
// inherited from Node (CVE-2024-21626 class).
void close_unneeded_fds() {
  long keep[8];
  int n = 0;
  const long cand[] = { P->sync_fd, P->stub_fd, P->fifo_fd, P->seccomp_fd, P->console_socket_fd, g_lsm_procfd, P->hooks_fd };
  for (long fd : cand) if (fd >= 3 + P->preserve_fds) keep[n++] = fd;
  for (int i = 1; i < n; i++) for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) { long t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t; }
  long from = 3 + P->preserve_fds;
  for (int i = 0; i < n; i++) {
    if (keep[i] > from) SC(SYS_close_range, from, keep[i] - 1, 0);
    if (keep[i] + 1 > from) from = keep[i] + 1;
  }
  SC(SYS_close_range, from, ~0U, 0);
}

// The kernel prefixes getcwd with "(unreachable)" when the cwd is outside our root.
void check_cwd_inside() {
  char buf[4096];
  long r = SC(SYS_getcwd, buf, sizeof buf);
  if (r < 0) die(STEP_CHDIR, r, -1, P->cwd);
  if (buf[0] != '/') die(STEP_CHDIR, -EPERM, -1, "the working directory is outside the container");
}

// Scheduling, I/O priority, memory policy and the final CPU affinity of the process: set
// while we still have the capabilities they may need, inherited through both execs.
void process_attributes() {
  if (P->set_sched) {
    struct {
      uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t priority;
      uint64_t runtime, deadline, period; uint32_t util_min, util_max;
    } attr = {};
    attr.size = sizeof attr; attr.policy = P->sched_policy; attr.flags = P->sched_flags; attr.nice = P->sched_nice;
    attr.priority = P->sched_priority; attr.runtime = P->sched_runtime; attr.deadline = P->sched_deadline; attr.period = P->sched_period;
    check(SC(SYS_sched_setattr, 0, &attr, 0), STEP_SCHEDULER, -1, "sched_setattr");
  }
  if (P->ioprio >= 0) check(SC(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, P->ioprio), STEP_IOPRIO, -1, "ioprio_set");
  if (P->set_mempolicy) check(SC(SYS_set_mempolicy, P->mempolicy_mode, P->mempolicy_nodes, 1024 + 1), STEP_MEMPOLICY, -1, "set_mempolicy");
  if (P->set_cpus_final) check(SC(SYS_sched_setaffinity, 0, sizeof P->cpus_final, P->cpus_final), STEP_AFFINITY, -1, "execCPUAffinity.final");
}

// An O_PATH handle on the container's /proc, checked to be procfs: every write to /proc goes
// through it, never following links or crossing mounts (CVE-2025-52881 class).
long open_procfs(uint32_t step) {
  long procfd = SC(SYS_openat, AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  check(procfd, step, -1, "/proc");
  struct statfs sfs;
  check(SC(SYS_fstatfs, procfd, &sfs), step, -1, "/proc");
  if (sfs.f_type != 0x9fa0 /* PROC_SUPER_MAGIC */) die(step, -EPERM, -1, "/proc is not procfs");
  return procfd;
}

// process.apparmorProfile / selinuxLabel: the label is written by tsrun-init itself, right
// before the user's execve (the kernel only lets a process write its own attr files, and the
// transition happens at that exec, not at the stub's). It gets a verified procfs handle; here
// the attr file is opened once through that handle so a missing or unwritable one fails create.
void prepare_lsm() {
  if (!P->lsm_attr) return;
  g_lsm_procfd = open_procfs(STEP_LSM);
  OpenHow how = { (uint64_t)(O_WRONLY | O_CLOEXEC), 0, 0x08 /* RESOLVE_BENEATH */ | 0x02 /* NO_MAGICLINKS */ | 0x01 /* NO_XDEV */ };
  long fd = SC(SYS_openat2, g_lsm_procfd, P->lsm_attr, &how, sizeof how);
  check(fd, STEP_LSM, -1, P->lsm_attr);
  SC(SYS_close, fd);
}

// Through the container's own /proc: network keys land in its network namespace.
void write_sysctls() {
  if (!P->n_sysctl) return;
  long procfd = open_procfs(STEP_SYSCTL);
  for (uint32_t i = 0; i < P->n_sysctl; i++) {
    OpenHow how = { (uint64_t)(O_WRONLY | O_CLOEXEC), 0, 0x08 /* RESOLVE_BENEATH */ | 0x04 /* NO_SYMLINKS */ | 0x02 /* NO_MAGICLINKS */ | 0x01 /* NO_XDEV */ };
    long fd = SC(SYS_openat2, procfd, P->sysctl_paths[i] + 6 /* past "/proc/" */, &how, sizeof how);
    check(fd, STEP_SYSCTL, (int32_t)i, P->sysctl_paths[i]);
    long n = slen(P->sysctl_values[i]);
    long w = SC(SYS_write, fd, P->sysctl_values[i], n);
    SC(SYS_close, fd);
    if (w != n) die(STEP_SYSCTL, w < 0 ? w : -EIO, (int32_t)i, P->sysctl_paths[i]);
  }
  SC(SYS_close, procfd);
}

[[noreturn]] void init_main() {
  if (P->setsid || P->console_socket_fd >= 0) check(SC(SYS_setsid), STEP_SETSID, -1, "setsid");
  if (P->new_keyring) {
    // KEYCTL_JOIN_SESSION_KEYRING with no name: a fresh anonymous session keyring, so the
    // container cannot see the host's keys. Kernels without keyrings (ENOSYS) go on without.
    long r = SC(SYS_keyctl, 1, 0, 0, 0, 0);
    if (r < 0 && r != -ENOSYS && r != -EACCES && r != -EDQUOT) die(STEP_KEYRING, r, -1, "join session keyring");
  }
  if (!P->enter_rootfs) setup_console();  // exec: the container's /dev/ptmx is reachable already
  if (P->hostname) check(SC(SYS_sethostname, P->hostname, slen(P->hostname)), STEP_HOSTNAME, -1, P->hostname);
  if (P->domainname) check(SC(SYS_setdomainname, P->domainname, slen(P->domainname)), STEP_DOMAINNAME, -1, P->domainname);
  if (P->setup_rootfs) setup_rootfs();
  if (P->hooks_sync) { send_msg(MSG_HOOKS, 0, 0, 0, -1, ""); await_go(); }
  if (P->enter_rootfs) {
    enter_root();
    setup_console();
    write_sysctls();  // before /proc/sys becomes read-only (runc's order)
    if (P->setup_rootfs) finish_rootfs();
  }
  prepare_lsm();
  if (P->personality >= 0) check(SC(SYS_personality, (unsigned long)P->personality), STEP_PERSONALITY, -1, "personality");
  process_attributes();
  for (uint32_t i = 0; i < P->n_rlimits; i++) {
    const Rlimit &l = P->rlimits[i];
    struct rlimit64 { uint64_t cur, max; } v = { l.soft, l.hard };
    check(SC(SYS_prlimit64, 0, l.resource, &v, 0), STEP_RLIMIT, l.index, "setrlimit");
  }
  close_unneeded_fds();
  long cwd_err = SC(SYS_chdir, P->cwd);
  if (cwd_err < 0 && cwd_err != -EACCES && cwd_err != -EPERM) die(STEP_CHDIR, cwd_err, -1, P->cwd);
  if (P->seccomp_in_child && P->seccomp_count) {
    // Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it while we have it
    // (runc's order). It then also covers the rest of this setup and tsrun-init.
    struct { unsigned short len; const void *filter; } prog = { (unsigned short)P->seccomp_count, P->seccomp_prog };
    long r = SC(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, P->seccomp_flags, &prog);
    check(r, STEP_SECCOMP, -1, "seccomp");
    if (P->seccomp_notify) {
      // NEW_LISTENER: r is the notify fd. The parent hands it to linux.seccomp.listenerPath.
      send_fd_msg(MSG_SECCOMP, r);
      SC(SYS_close, r);
      await_go();
    }
  }
  set_credentials();
  if (cwd_err < 0) check(SC(SYS_chdir, P->cwd), STEP_CHDIR, -1, P->cwd);
  check_cwd_inside();
  if (P->umask >= 0) SC(SYS_umask, P->umask);
  P->stub_argv[P->stub_path_slot] = const_cast<char *>(lookup());
  if (P->no_new_privs) check(SC(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), STEP_NNP, -1, "no_new_privs");
  prepare_fds();
  long r = SC(SYS_execveat, P->stub_fd, "", P->stub_argv, P->envp, AT_EMPTY_PATH);
  die(STEP_EXEC_INIT, r, -1, "tsrun-init");
}

}  // namespace

[[noreturn]] void child_main(const Plan *plan) {
  P = plan;
  if (P->set_cpus_initial) SC(SYS_sched_setaffinity, 0, sizeof P->cpus_initial, P->cpus_initial);
  // Not dumpable until exec: processes in the namespaces we join cannot ptrace us or open
  // /proc/PID/exe (the host's node) or /proc/PID/mem. exec resets it.
  SC(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  await_go();
  if (P->two_stage) {
    long fds[16];
    for (uint32_t i = 0; i < P->n_joins && i < 16; i++) {
      fds[i] = SC(SYS_openat, AT_FDCWD, P->joins[i].path, O_RDONLY | O_CLOEXEC);
      check(fds[i], STEP_SETNS_OPEN, P->joins[i].index, P->joins[i].path);
    }
    bool in_userns = false;
    for (int pass = 0; pass < 2; pass++)  // the user namespace first: it owns the others
      for (uint32_t i = 0; i < P->n_joins && i < 16; i++) {
        bool user = P->joins[i].type == CLONE_NEWUSER;
        if (user != (pass == 0)) continue;
        check(SC(SYS_setns, fds[i], P->joins[i].type), STEP_SETNS, P->joins[i].index, P->joins[i].path);
        SC(SYS_close, fds[i]);
        if (user) in_userns = true;
      }
    if (P->userns_sync) {
      check(SC(SYS_unshare, CLONE_NEWUSER), STEP_UNSHARE_USER, -1, "unshare user namespace");
      send_msg(MSG_USERNS, 0, 0, (int32_t)SC(SYS_getpid), -1, "");
      await_go();
      in_userns = true;
    }
    if (in_userns) {
      check(SC(SYS_setresgid, 0, 0, 0), STEP_SETID_USERNS, -1, "setresgid 0 in user namespace");
      check(SC(SYS_setresuid, 0, 0, 0), STEP_SETID_USERNS, -1, "setresuid 0 in user namespace");
    }
    if (P->unshare_flags) check(SC(SYS_unshare, P->unshare_flags), STEP_UNSHARE, -1, "unshare");
    if (P->time_offsets) {
      // must be written before the first process enters the new time namespace
      long fd = SC(SYS_openat, AT_FDCWD, "/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
      check(fd, STEP_TIME_OFFSETS, -1, "/proc/self/timens_offsets");
      long n = slen(P->time_offsets);
      long w = SC(SYS_write, fd, P->time_offsets, n);
      SC(SYS_close, fd);
      if (w != n) die(STEP_TIME_OFFSETS, w < 0 ? w : -EIO, -1, "/proc/self/timens_offsets");
    }
    long pid = SC(SYS_clone, CLONE_PARENT, 0, 0, 0, 0);
    check(pid, STEP_CLONE, -1, "clone");
    if (pid > 0) {
      send_msg(MSG_PID, 0, 0, (int32_t)pid, -1, "");
      SC(SYS_exit_group, 0);
    }
  } else {
    if (P->userns) {
      check(SC(SYS_setresgid, 0, 0, 0), STEP_SETID_USERNS, -1, "setresgid 0 in user namespace");
      check(SC(SYS_setresuid, 0, 0, 0), STEP_SETID_USERNS, -1, "setresuid 0 in user namespace");
    }
    if (P->unshare_flags) check(SC(SYS_unshare, P->unshare_flags), STEP_UNSHARE, -1, "unshare");
  }
  init_main();
}

}  // namespace tsrun
