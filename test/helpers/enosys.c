/*
 * enosys -- CMD [ARG...]: run CMD as on a kernel without the new mount and fd API.
 *
 * Installs a seccomp filter that makes openat2, close_range, clone3, open_tree, move_mount,
 * fsopen, fsconfig, fsmount, fspick and mount_setattr fail with ENOSYS (what a 5.4 or 4.18
 * kernel answers), then execs CMD. The filter is inherited by every descendant: the test
 * runner, each tsrun it spawns, the child tsrun clones, and the containers. crun's CI proves
 * its fallbacks the same way.
 *
 * Loaded without no_new_privs when the caller has CAP_SYS_ADMIN (root), so a container's
 * NoNewPrivs stays what its config says; with no_new_privs otherwise.
 * Sets TSRUN_TEST_ENOSYS=1 so tests of features that need these syscalls can skip.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "enosys: unsupported architecture"
#endif

/* the same numbers on every architecture (asm-generic unified table, Linux 5.1+) */
static const unsigned int nrs[] = {
  428, /* open_tree */ 429, /* move_mount */ 430, /* fsopen */ 431, /* fsconfig */
  432, /* fsmount */ 433, /* fspick */ 435, /* clone3 */ 436, /* close_range */
  437, /* openat2 */ 442, /* mount_setattr */
};
#define N (sizeof nrs / sizeof nrs[0])

int main(int argc, char **argv) {
  int i = 1;
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  if (i >= argc) {
    fprintf(stderr, "usage: enosys -- CMD [ARG...]\n");
    return 2;
  }
  struct sock_filter f[4 + 2 * N];
  unsigned int k = 0;
  f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  /* another ABI: allowed (its numbers differ) */
  f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
  f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (unsigned int j = 0; j < N; j++) {
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[j], 0, 1);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  }
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_filter all[sizeof f / sizeof f[0] + 1];
  memcpy(all, f, k * sizeof f[0]);
  all[k++] = allow;
  struct sock_fprog prog = { (unsigned short)k, all };
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
    if (errno != EACCES) { perror("enosys: seccomp"); return 1; }
    /* no CAP_SYS_ADMIN: the kernel wants no_new_privs */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("enosys: no_new_privs"); return 1; }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) { perror("enosys: seccomp"); return 1; }
  }
  setenv("TSRUN_TEST_ENOSYS", "1", 1);
  execvp(argv[i], argv + i);
  fprintf(stderr, "enosys: exec %s: %s\n", argv[i], strerror(errno));
  return 127;
}
