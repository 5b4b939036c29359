/* rusage OUT CMD [ARG...]: runs CMD, waits for it with wait4 and writes "WALL_US CPU_US EXIT" to
 * OUT: wall time from fork to reap, user + sys time of CMD with all its threads and the children
 * it reaped, at microsecond resolution (GNU time prints 10 ms steps). Built by bench/cpu.mjs. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) { execvp(argv[2], argv + 2); _exit(127); }
  int st = 0;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) return 3;
  clock_gettime(CLOCK_MONOTONIC, &b);
  long wall = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
  long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  FILE *f = fopen(argv[1], "w");
  if (!f) return 4;
  fprintf(f, "%ld %ld %d\n", wall, cpu, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  fclose(f);
  return 0;
}
