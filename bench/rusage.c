/* rusage OUT CMD [ARG...]: runs CMD, waits for it with wait4 and writes "WALL_US CPU_US EXIT" to
 * OUT: wall time from fork to reap, user + sys time of CMD with all its threads and the children
 * it reaped, at microsecond resolution (GNU time prints 10 ms steps). Built by bench/cpu.mjs.
 *
 * Built with -DRUSAGE_LOG='"FILE"' -DRUSAGE_REAL='"RUNTIME"' (bench/shim.mjs) it is instead a
 * stand-in runtime binary for a client (containerd's shim BinaryName): it runs RUNTIME with its
 * own argv, appends "WALL_US CPU_US EXIT START_US ARGV..." to FILE (one write, O_APPEND: calls in
 * parallel do not interleave) and exits with RUNTIME's status. Stdio and every other fd are
 * inherited unchanged; the child is forked, not exec'd in place, so the line can be written after
 * it is reaped (the client's own wait sees this process exit after the line is there). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long us(struct timespec t) { return t.tv_sec * 1000000L + t.tv_nsec / 1000; }

int main(int argc, char **argv) {
#ifdef RUSAGE_LOG
  if (argc < 1) return 2;
  char **cmd = argv;
  cmd[0] = RUSAGE_REAL;
#else
  char **cmd = argv + 2;
  if (argc < 3) return 2;
#endif
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) { execvp(cmd[0], cmd); _exit(127); }
  int st = 0;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) return 3;
  clock_gettime(CLOCK_MONOTONIC, &b);
  long wall = us(b) - us(a);
  long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
#ifdef RUSAGE_LOG
  static char line[65536];
  int n = snprintf(line, sizeof line, "%ld %ld %d %ld", wall, cpu, code, us(a));
  for (int i = 1; i < argc && n < (int)sizeof line - 2; i++) n += snprintf(line + n, sizeof line - n, " %s", argv[i]);
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  int fd = open(RUSAGE_LOG, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) { (void)!write(fd, line, n); close(fd); }
  return code;
#else
  FILE *f = fopen(argv[1], "w");
  if (!f) return 4;
  fprintf(f, "%ld %ld %d\n", wall, cpu, code);
  fclose(f);
  return 0;
#endif
}
