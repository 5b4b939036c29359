// The child side: everything between clone and the exec of tsrun-init.
//
// Runs in a process forked from multithreaded Node: only raw syscalls, no
// allocation, no locks, no exceptions, no glibc wrappers that keep process-wide
// state (glibc's setuid family would try to signal threads that do not exist
// here). Every failure is reported to the parent as one fixed-size record on
// the sync socket, then the child exits.
#include "plan.h"
#include "walk.h"

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

#include "syscalls.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10

namespace tsrun {
namespace {

const Plan *P;
Plan *W;                  // the same plan: the child's own copy, whose fd numbers it may move
long g_lsm_procfd = -1;   // verified /proc handle for tsrun-init's LSM write (prepare_lsm)
// The mounts made on /proc and /sys, held by fd from the moment they exist: masks and read-only
// paths are applied through them, never by looking "/proc/..." up again (a shared volume may
// have renamed the directory away and left a symlink, CVE-2019-19921 class).
long g_proc_mnt = -1, g_sys_mnt = -1;
// A read-only /dev, held by fd until its nodes, links and the console are in (MountOp.ro_later 2).
long g_dev_mnt = -1;
unsigned long g_dev_flags = 0;
int32_t g_dev_index = -1;
// A procfs of the container's pid namespace that this child mounted itself (g_proc_mnt, or a
// detached one): magic-link paths ("thread-self/fd/N") are resolved relative to it, with it as
// the working directory, after pivot_root.
long g_procfd = -1;

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

// One record that may carry an fd (SCM_RIGHTS, received close-on-exec): *fd is -1 without one.
long recv_record(Msg *m, long *fd) {
  struct iovec iov = { m, sizeof *m };
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
  struct msghdr mh = {};
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  mh.msg_control = ctl.b; mh.msg_controllen = sizeof ctl.b;
  *fd = -1;
  long r = SC(SYS_recvmsg, P->sync_fd, &mh, MSG_CMSG_CLOEXEC);
  if (r < 0) return r;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int v;
      const char *d = reinterpret_cast<const char *>(CMSG_DATA(c));
      for (size_t i = 0; i < sizeof v; i++) reinterpret_cast<char *>(&v)[i] = d[i];
      *fd = v;
    }
  return r;
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

// "thread-self/fd/N": the fd as a path relative to a verified procfs (the working directory is
// set to g_procfd before use). After pivot_root, "/proc/self/fd/N" would be looked up in a
// /proc the image controls.
struct ProcRel {
  char s[40];
  explicit ProcRel(long fd) {
    const char *pre = "thread-self/fd/";
    size_t i = 0;
    for (; pre[i]; i++) s[i] = pre[i];
    char tmp[12]; int n = 0;
    do { tmp[n++] = (char)('0' + fd % 10); fd /= 10; } while (fd);
    while (n) s[i++] = tmp[--n];
    s[i] = 0;
  }
};

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
long verify_new_mount(long found, long at, const struct stat *want, long magic, bool record = true) {
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


// fds 0-2 and the preserved ones reach the container; everything else was closed at entry
// (close_inherited) or is close-on-exec. What tsrun-init needs is moved above the preserved
// range. No close_range here: the container's seccomp filter may already be loaded, and an
// allow-list older than Linux 5.9 does not name it.
void prepare_fds() {
  long base = 3 + P->preserve_fds;
  // Node marks its stdio close-on-exec at startup: the container must get 0-2 all the same.
  for (long fd = 0; fd < base; fd++) check(SC(SYS_fcntl, fd, F_SETFD, 0), STEP_FDS, -1, "preserved fd");
  auto above = [&](long fd, const char *what) -> long {
    if (fd < 0) return -1;
    long r = SC(SYS_fcntl, fd, F_DUPFD, base);
    check(r, STEP_FDS, -1, what);
    return r;
  };
  put_num(P->stub_argv[ARG_FIFO_FD], above(P->fifo_fd, "exec fifo"));
  put_num(P->stub_argv[ARG_SECCOMP_FD], above(P->seccomp_fd, "seccomp"));
  put_num(P->stub_argv[ARG_PROC_FD], above(P->fifo_fd >= 0 ? g_procfd : g_lsm_procfd, "procfs handle"));
  put_num(P->stub_argv[ARG_SYNC_FD], above(P->fork_in_stub ? P->sync_fd : -1, "sync socket"));
  put_num(P->stub_argv[ARG_HOOKS_FD], above(P->hooks_fd, "startContainer hooks"));
}


// process.terminal: a pty from the container's own devpts. The master goes to the console
// socket (SCM_RIGHTS, with the name "/dev/ptmx" as data, as runc sends it); the slave becomes
// stdio and the controlling terminal, and (create) is bound over /dev/console.
void setup_console() {
  if (P->console_socket_fd < 0) return;
  // no magic links: a /dev/ptmx -> /proc/self/fd/N planted in the container cannot hand us a
  // pty of the host's devpts; and it must be the pty multiplexer (char 5:2)
  long master = resolve_at(AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY, RESOLVE_NO_MAGICLINKS);
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
    ProcRel peer(slave);
    cwd_to_procfs(STEP_CONSOLE);
    long con = resolve_at(AT_FDCWD, "/dev/console", O_PATH | O_NOFOLLOW, walk::NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (con == -ENOENT) {
      long dev = resolve_at(AT_FDCWD, "/dev", O_PATH | O_DIRECTORY, walk::NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
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
    ProcRel target(con);
    check(SC(SYS_mount, peer.s, target.s, 0, MS_BIND, 0), STEP_CONSOLE, -1, "bind /dev/console");
    SC(SYS_close, con);
    (void)n;
  }
  SC(SYS_fchown, slave, P->uid, -1);  // like runc: the process user owns its terminal (errors ignored)
  for (int i = 0; i < 3; i++) check(SC(SYS_dup3, slave, i, 0), STEP_CONSOLE, -1, "pty as stdio");
  SC(SYS_close, slave);
  // exec: the process tsrun-init forks into the pid namespace takes the terminal (STUB_CTTY)
  if (!P->fork_in_stub) check(SC(SYS_ioctl, 0, TIOCSCTTY, 0), STEP_CONSOLE, -1, "TIOCSCTTY");
}

// First act of the child: it holds nothing of the runtime's but what it was handed. The fds it
// needs are moved above the preserved range (a caller's --preserve-fds range must never hold
// one of ours), then every other fd from the runtime (the parent's end of the sync socket,
// the state dir's lock, libuv's epoll and eventfds, cgroup files) is closed, before any
// namespace is joined: nothing the container could reach through /proc/PID/fd.
void close_inherited() {
  long base = 3 + P->preserve_fds;
  int32_t *mine[] = { &W->sync_fd, &W->stub_fd, &W->fifo_fd, &W->seccomp_fd, &W->console_socket_fd, &W->hooks_fd };
  long keep[72];
  int n = 0;
  auto hold = [&](int32_t *fd) {
    if (*fd < 0) return;
    if (*fd < base) {
      long moved = SC(SYS_fcntl, *fd, F_DUPFD_CLOEXEC, base);
      if (moved < 0) SC(SYS_exit_group, 1);
      *fd = (int32_t)moved;
    }
    if (n >= 72) SC(SYS_exit_group, 1);
    keep[n++] = *fd;
  };
  for (int32_t *fd : mine) hold(fd);
  for (uint32_t i = 0; i < P->n_mounts; i++) hold(&W->mounts[i].tree_fd);
  for (int i = 1; i < n; i++) for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) { long t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t; }
  long from = base;
  bool ok = true;
  for (int i = 0; i < n && ok; i++) {
    if (keep[i] > from) ok = SC(SYS_close_range, from, keep[i] - 1, 0) >= 0;
    if (keep[i] + 1 > from) from = keep[i] + 1;
  }
  if (ok) ok = SC(SYS_close_range, from, ~0U, 0) >= 0;
  if (ok) return;
  // no close_range (Linux < 5.9): the fds this process has, from the host's /proc
  long dir = SC(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) SC(SYS_exit_group, 1);
  char dents[4096];
  for (;;) {
    long got = SC(SYS_getdents64, dir, dents, sizeof dents);
    if (got <= 0) break;
    for (long off = 0; off < got;) {
      struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[1]; } *d =
          reinterpret_cast<decltype(d)>(dents + off);
      off += d->reclen;
      long fd = 0;
      const char *c = d->name;
      if (*c < '0' || *c > '9') continue;
      for (; *c >= '0' && *c <= '9'; c++) fd = fd * 10 + (*c - '0');
      bool kept = fd < base || fd == dir;
      for (int i = 0; i < n; i++) if (keep[i] == fd) kept = true;
      if (!kept) SC(SYS_close, fd);
    }
  }
  SC(SYS_close, dir);
}

// The child dies with its parent: the kernel's signal for the thread that cloned us, and a
// check that it has not died already. Redone after every credential change (which clears it).
void die_with_parent() {
  SC(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  long pp = SC(SYS_getppid);
  // 0: the first process of a new pid namespace, whose parent lives outside it
  if (pp != 0 && pp != P->parent_pid) SC(SYS_exit_group, 1);
}

// The kernel prefixes getcwd with "(unreachable)" when the cwd is outside our root
// (CVE-2024-21626 class). Checked before the seccomp filter is loaded; only a cwd that needs the
// container user's credentials is checked after it, where a filter that denies getcwd is not an
// error of the cwd (no fd of the runtime is open any more to lead outside).
void check_cwd_inside(bool filtered) {
  char buf[4096];
  long r = SC(SYS_getcwd, buf, sizeof buf);
  if (r < 0 && filtered && r != -ENOENT) return;
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
  if (g_procfd >= 0) return SC(SYS_fcntl, g_procfd, F_DUPFD_CLOEXEC, 0);
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
  check(g_lsm_procfd, STEP_LSM, -1, "/proc");
  // exec: this process is outside the container's pid namespace, where thread-self of its
  // procfs does not resolve; tsrun-init, forked into it, opens the attr file
  if (P->fork_in_stub) return;
  long fd = resolve_at(g_lsm_procfd, P->lsm_attr, O_WRONLY, walk::BENEATH | walk::NO_MAGICLINKS | walk::NO_XDEV);
  check(fd, STEP_LSM, -1, P->lsm_attr);
  SC(SYS_close, fd);
}

// Through the container's own /proc: network keys land in its network namespace.
void write_sysctls() {
  if (!P->n_sysctl) return;
  long procfd = open_procfs(STEP_SYSCTL);
  for (uint32_t i = 0; i < P->n_sysctl; i++) {
    long fd = resolve_at(procfd, P->sysctl_paths[i] + 6 /* past "/proc/" */, O_WRONLY,
                         walk::BENEATH | walk::NO_SYMLINKS | walk::NO_MAGICLINKS | walk::NO_XDEV);
    check(fd, STEP_SYSCTL, (int32_t)i, P->sysctl_paths[i]);
    long n = slen(P->sysctl_values[i]);
    long w = SC(SYS_write, fd, P->sysctl_values[i], n);
    SC(SYS_close, fd);
    if (w != n) die(STEP_SYSCTL, w < 0 ? w : -EIO, (int32_t)i, P->sysctl_paths[i]);
  }
  SC(SYS_close, procfd);
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

// The container's filter, loaded by this process (seccomp_in_child). With NEW_LISTENER the
// notify fd goes to the parent, which hands it to linux.seccomp.listenerPath before its go:
// no syscall between the load and the sendmsg (a notified one would wait for a listener that
// has no fd yet), and sendmsg itself may not be notified (the planner refuses it).
void load_filter() {
  struct { unsigned short len; const void *filter; } prog = { (unsigned short)P->seccomp_count, P->seccomp_prog };
  long r = SC(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, P->seccomp_flags, &prog);
  check(r, STEP_SECCOMP, -1, "seccomp");
  if (!P->seccomp_notify) return;
  send_fd_msg(MSG_SECCOMP, r);
  SC(SYS_close, r);
  await_go();
}

[[noreturn]] void init_main() {
  // exec: the session belongs to the process tsrun-init forks into the pid namespace
  if (!P->fork_in_stub && (P->setsid || P->console_socket_fd >= 0)) check(SC(SYS_setsid), STEP_SETSID, -1, "setsid");
  if (P->new_keyring) {
    // KEYCTL_JOIN_SESSION_KEYRING with no name: a fresh anonymous session keyring, so the
    // container cannot see the host's keys. Kernels without keyrings (ENOSYS) go on without.
    long r = SC(SYS_keyctl, 1, 0, 0, 0, 0);
    if (r < 0 && r != -ENOSYS && r != -EACCES && r != -EDQUOT) die(STEP_KEYRING, r, -1, "join session keyring");
  }
  if (!P->enter_rootfs) setup_console();  // exec: the container's /dev/ptmx is reachable already
  if (P->hostname) check(SC(SYS_sethostname, P->hostname, slen(P->hostname)), STEP_HOSTNAME, -1, P->hostname);
  if (P->domainname) check(SC(SYS_setdomainname, P->domainname, slen(P->domainname)), STEP_DOMAINNAME, -1, P->domainname);
  if (P->mount_sources) receive_mount_sources();
  if (P->setup_rootfs) setup_rootfs();
  if (P->hooks_sync) { send_msg(MSG_HOOKS, 0, 0, 0, -1, ""); await_go(); }
  if (P->enter_rootfs) {
    enter_root();
    after_enter_root();
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
  long cwd_err = SC(SYS_chdir, P->cwd);
  if (cwd_err < 0 && cwd_err != -EACCES && cwd_err != -EPERM) die(STEP_CHDIR, cwd_err, -1, P->cwd);
  if (cwd_err == 0) check_cwd_inside(false);
  // Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it while we have it
  // (runc's order); it then also covers the credential steps below. With no_new_privs (here:
  // a notify filter, which must reach the listener during create) it is loaded last, so a
  // listener is never asked about the runtime's own setup (credentials, cwd, umask, fds).
  bool filter_early = P->seccomp_in_child && P->seccomp_count && !P->no_new_privs;
  if (filter_early) load_filter();
  set_credentials();
  die_with_parent();
  if (cwd_err < 0) {
    check(SC(SYS_chdir, P->cwd), STEP_CHDIR, -1, P->cwd);
    check_cwd_inside(filter_early);
  }
  if (P->umask >= 0) SC(SYS_umask, P->umask);
  P->stub_argv[P->stub_path_slot] = const_cast<char *>(lookup());
  if (P->no_new_privs) check(SC(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), STEP_NNP, -1, "no_new_privs");
  prepare_fds();
  // a created container outlives the create command that made it (a parent that dies while
  // load_filter awaits its go ends this process all the same: the socket reads EOF)
  SC(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (P->seccomp_in_child && P->seccomp_count && !filter_early) load_filter();
  long r = SC(SYS_execveat, P->stub_fd, "", P->stub_argv, P->envp, AT_EMPTY_PATH);
  die(STEP_EXEC_INIT, r, -1, "tsrun-init");
}

// linux.timeOffsets: /proc/self/timens_offsets opened while this process is still the runtime's
// root in the initial user namespace. After it enters a new user namespace its /proc files
// belong to the host's root (it is not dumpable) and the open is refused; the write is checked
// against the opener's credentials (CAP_SYS_TIME over the time namespace's owner), which these
// have.
long g_timens_fd = -EBADF;
void open_time_offsets() {
  if (!P->time_offsets) return;
  g_timens_fd = SC(SYS_openat, AT_FDCWD, "/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
}

}  // namespace

[[noreturn]] void child_main(const Plan *plan) {
  P = plan;
  W = const_cast<Plan *>(plan);  // this process's private copy of the parent's memory
  close_inherited();
  open_time_offsets();
  die_with_parent();
  if (P->set_cpus_initial) SC(SYS_sched_setaffinity, 0, sizeof P->cpus_initial, P->cpus_initial);
  // Not dumpable until exec: processes in the namespaces we join cannot ptrace us or open
  // /proc/PID/exe (the host's node) or /proc/PID/mem. exec resets it.
  // Rootless: the parent is not root, and a non-dumpable process's /proc/PID files are root's,
  // so neither it nor newuidmap (which checks that /proc/PID is the caller's) could write the
  // new user namespace's maps: dumpable until they are written, as runc does. Nothing else of
  // the container exists yet, and who could ptrace us then (the same user, by uid) can ptrace
  // the tsrun parent too.
  bool maps_window = P->maps_unprivileged && !P->two_stage;
  if (!maps_window) SC(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  await_go();
  if (maps_window) SC(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
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
      // rootless: dumpable while the parent writes the maps (see child_main's start)
      if (P->maps_unprivileged) SC(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
      send_msg(MSG_USERNS, 0, 0, (int32_t)SC(SYS_getpid), -1, "");
      await_go();
      if (P->maps_unprivileged) SC(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
      in_userns = true;
    }
    if (in_userns) {
      check(SC(SYS_setresgid, 0, 0, 0), STEP_SETID_USERNS, -1, "setresgid 0 in user namespace");
      check(SC(SYS_setresuid, 0, 0, 0), STEP_SETID_USERNS, -1, "setresuid 0 in user namespace");
    }
    if (P->unshare_flags) check(SC(SYS_unshare, P->unshare_flags), STEP_UNSHARE, -1, "unshare");
    if (P->time_offsets) {
      // must be written before the first process enters the new time namespace, through the fd
      // opened before any user namespace (open_time_offsets)
      long fd = g_timens_fd;
      check(fd, STEP_TIME_OFFSETS, -1, "/proc/self/timens_offsets");
      long n = slen(P->time_offsets);
      long w = SC(SYS_write, fd, P->time_offsets, n);
      SC(SYS_close, fd);
      g_timens_fd = -EBADF;
      if (w != n) die(STEP_TIME_OFFSETS, w < 0 ? w : -EIO, -1, "/proc/self/timens_offsets");
    }
    // exec: this process stays outside the pid namespace it joined; tsrun-init forks into it
    if (P->fork_in_stub) init_main();
    long pid = SC(SYS_clone, CLONE_PARENT, 0, 0, 0, 0);
    check(pid, STEP_CLONE, -1, "clone");
    if (pid > 0) {
      send_msg(MSG_PID, 0, 0, (int32_t)pid, -1, "");
      SC(SYS_exit_group, 0);
    }
    // the init: no record of its own before the parent has stage 1's MSG_PID (and its GO),
    // or one could overtake it on the shared socket (src/lifecycle/sync.ts, create step 3)
    await_go();
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
