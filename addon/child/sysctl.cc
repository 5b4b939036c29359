// linux.sysctl, written through the container's own /proc.
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
