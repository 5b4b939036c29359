// The process itself: signals reset, PATH lookup, parent-death signal, the cwd check,
// scheduling/ioprio/mempolicy/affinity.
#include "child.h"

namespace tsrun {
namespace child {

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

const char *lookup() {
  for (uint32_t i = 0; i < P->n_candidates; i++) {
    struct stat st;
    if (SC(SYS_newfstatat, AT_FDCWD, P->path_candidates[i], &st, 0) < 0) continue;
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) return P->path_candidates[i];
  }
  die(STEP_LOOKUP, -ENOENT, -1, P->stub_argv[P->stub_path_slot + 1]);
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

}  // namespace child
}  // namespace tsrun
