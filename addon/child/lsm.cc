// AppArmor/SELinux: the verified procfs handle tsrun-init writes the label through.
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
