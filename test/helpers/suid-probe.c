// A setuid probe for the rootless tests: prints its real, effective and saved uid as the
// process sees them (in its user namespace), then, with an argument, sleeps that many seconds
// so that the host can read its ids from /proc/PID/status. Unlike busybox it never drops a
// setuid euid.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("%u %u %u\n", (unsigned)r, (unsigned)e, (unsigned)s);
  fflush(stdout);
  if (argc > 1) sleep((unsigned)atoi(argv[1]));
  return 0;
}
