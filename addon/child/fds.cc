// Which fds reach the container: closed at entry, moved and un-CLOEXEC'd before the exec.
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
