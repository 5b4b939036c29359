/*
 * proc-watch OUT SECONDS: runs inside a container (as its init, with CAP_SYS_PTRACE) and scans
 * /proc as fast as it can for SECONDS, appending to OUT one line per process it sees whose
 * /proc/PID/exe (or comm) is the host's node: a copy of the runtime visible in the container's
 * pid namespace (issue 11, item 1). Also records the fds and the environment size it could read
 * from such a process. Ends with "scanned N" so the caller knows it ran.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  FILE *out = fopen(argv[1], "w");
  if (!out) return 3;
  setvbuf(out, NULL, _IOLBF, 0);
  double end = now() + atof(argv[2]);
  unsigned long scans = 0;
  int self = getpid();
  int reported[64], nrep = 0;
  while (now() < end) {
    DIR *d = opendir("/proc");
    if (!d) { fprintf(out, "no /proc\n"); return 4; }
    struct dirent *e;
    while ((e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 0 || pid == self) continue;
      char p[64], exe[512] = "", comm[64] = "";
      snprintf(p, sizeof p, "/proc/%d/exe", pid);
      ssize_t n = readlink(p, exe, sizeof exe - 1);
      if (n > 0) exe[n] = 0;
      snprintf(p, sizeof p, "/proc/%d/comm", pid);
      int fd = open(p, O_RDONLY);
      if (fd >= 0) { n = read(fd, comm, sizeof comm - 1); if (n > 0) comm[n - 1] = 0; close(fd); }
      int seen = 0;
      for (int i = 0; i < nrep; i++) if (reported[i] == pid) seen = 1;
      if (!seen && (strstr(exe, "node") || strcmp(comm, "node") == 0 || strcmp(comm, "tsrun") == 0)) {
        if (nrep < 64) reported[nrep++] = pid;
        int fds = 0;
        snprintf(p, sizeof p, "/proc/%d/fd", pid);
        DIR *fdd = opendir(p);
        if (fdd) { while (readdir(fdd)) fds++; closedir(fdd); }
        fprintf(out, "node pid %d exe %s comm %s fds %d\n", pid, exe, comm, fds);
      }
    }
    closedir(d);
    if (++scans % 2000 == 0) fprintf(out, "scanned %lu\n", scans);
  }
  fprintf(out, "scanned %lu\n", scans);
  fclose(out);
  return 0;
}
