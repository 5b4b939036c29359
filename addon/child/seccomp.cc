// The container's seccomp filter when the child loads it (seccomp_in_child).
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
