// Shared state of the child, its string helpers, and the sync records it sends and receives
// (one fixed-size Msg each, see contract.h); every failure goes out through die().
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
