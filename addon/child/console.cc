// process.terminal: the pty, the console socket, /dev/console.
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
