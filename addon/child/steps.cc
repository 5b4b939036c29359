// init_main: the order of every step after the namespaces are entered, up to the exec of
// tsrun-init.
#include "child.h"

namespace tsrun {
namespace child {

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

}  // namespace child
}  // namespace tsrun
