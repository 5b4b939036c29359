// child_main, the entry after clone: namespaces joined or unshared (two-stage for a user
// namespace, a fork for a new pid namespace), linux.timeOffsets, then init_main.
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child

using namespace child;

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
