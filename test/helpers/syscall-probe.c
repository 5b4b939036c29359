/* syscall-probe NR... : makes each raw syscall with every argument -1 and prints
 * "NR=RESULT" per line: the return value, or the errno's name (ENOSYS, EPERM, ...).
 * With all-ones arguments the syscalls it is used for fail in the kernel (EINVAL, E2BIG,
 * EBADF) without side effects, so a seccomp answer is told apart from the kernel's.
 * Built static (gcc -static) to run in the busybox test rootfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long nr = strtol(argv[i], NULL, 0);
    errno = 0;
    long r = syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
    if (r == -1 && errno) {
      const char *name = strerrorname_np(errno);
      printf("%s=%s\n", argv[i], name ? name : "?");
    } else {
      printf("%s=%ld\n", argv[i], r);
    }
  }
  return 0;
}
