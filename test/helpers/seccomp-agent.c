/*
 * seccomp-agent SOCKET LOG [HOLD]: a seccomp notify listener for tests (linux.seccomp.listenerPath).
 *
 * Accepts connections on SOCKET; each brings one message: the container process state JSON
 * with the notify fd attached (SCM_RIGHTS). The JSON goes to LOG as one line ("state <json>"),
 * then a child process answers that fd's notifications: mkdir/mkdirat fail with ENOMSG (so a
 * container sees the listener's answer, not the kernel's), everything else continues. Each
 * notification is logged as "notify <pid> <syscall nr>", then "comm <pid> <its comm>". With
 * HOLD (a path), each notification is logged at once but answered only once HOLD exists: a
 * runtime that waits for an answer during create hangs there. SIGTERM ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void logline(const char *path, const char *line) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  (void)!write(fd, line, strlen(line));
  close(fd);
}

static void serve(int nfd, const char *log, const char *hold) {
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    /* POLLHUP: every process using the filter is gone */
    struct pollfd pfd = { .fd = nfd, .events = POLLIN };
    if (poll(&pfd, 1, -1) < 0) { if (errno == EINTR) continue; _exit(0); }
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) _exit(0);
    memset(&req, 0, sizeof req);
    if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      /* ENOENT: the notifying thread was interrupted (a Go runtime's SIGURG preemption in runc's
       * init) and its notification withdrawn before we took it; exiting here would close the
       * listener and turn the container's next notified syscall into ENOSYS */
      if (errno == EINTR || errno == ENOENT) continue;
      _exit(0);
    }
    char line[128];
    snprintf(line, sizeof line, "notify %d %d\n", req.pid, req.data.nr);
    logline(log, line);
    char comm[32] = "", path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", req.pid);
    int cf = open(path, O_RDONLY);
    if (cf >= 0) {
      ssize_t n = read(cf, comm, sizeof comm - 1);
      close(cf);
      comm[n > 0 ? n : 0] = 0;
      if (n > 0 && comm[n - 1] == '\n') comm[n - 1] = 0;
    }
    snprintf(line, sizeof line, "comm %d %s\n", req.pid, comm);
    logline(log, line);
    while (hold && access(hold, F_OK) != 0) usleep(10000);
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    if (req.data.nr == SYS_mkdirat
#ifdef SYS_mkdir
        || req.data.nr == SYS_mkdir
#endif
    ) {
      resp.error = -ENOMSG;
    } else {
      resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
    ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: seccomp-agent SOCKET LOG [HOLD]\n"); return 2; }
  const char *hold = argc > 3 ? argv[3] : 0;
  signal(SIGCHLD, SIG_IGN);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  unlink(argv[1]);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) { perror("bind"); return 1; }
  logline(argv[2], "ready\n");
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) { if (errno == EINTR) continue; return 1; }
    char buf[8192];
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * 4)]; } ctl;
    struct iovec iov = { buf, sizeof buf - 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
    ssize_t n = recvmsg(c, &mh, 0);
    close(c);
    if (n <= 0) continue;
    buf[n] = 0;
    int nfd = -1, nfds = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
        nfds = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(&nfd, CMSG_DATA(h), sizeof nfd);
      }
    char head[64];
    snprintf(head, sizeof head, "fds %d\n", nfds);
    logline(argv[2], head);
    logline(argv[2], "state ");
    logline(argv[2], buf);
    logline(argv[2], "\n");
    if (nfd < 0) continue;
    if (fork() == 0) { close(s); serve(nfd, argv[2], hold); }
    close(nfd);
  }
}
