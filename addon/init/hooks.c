/*
 * startContainer hooks, run by tsrun-init itself as runc's init runs them: after `start`
 * opened the exec fifo, after the LSM label and the seccomp filter are in place, right before
 * the user's execve. A hook is forked from here and so has exactly what the user process will
 * have: the container's namespaces, root, cgroup, credentials, capabilities, no_new_privs,
 * seccomp filter, LSM exec label and cwd; its path resolves in the container.
 * (Threat class: a hook path from the image run by the host runtime unconfined.)
 *
 * #included by init.c (one static binary, no libc): raw syscalls, static buffers only. The
 * syscalls are the ones a seccomp allow-list that lets a shell run has: clone (SIGCHLD only),
 * execve, pipe2, dup3, fcntl, read, write, close, wait4, kill, nanosleep, getpid, exit_group;
 * close_range only where it works.
 *
 * The blob (HOOKS_FD, built by src/hooks/start-hooks.ts) is NUL-terminated strings:
 *   "tsrun-hooks-1" STATE_PREFIX STATE_SUFFIX COUNT
 *   then per hook: TIMEOUT ARGC ENVC PATH ARG*ARGC ENV*ENVC      (ENVC -1: the process's env)
 * The state JSON on each hook's stdin is STATE_PREFIX getpid() STATE_SUFFIX.
 *
 * A failure is reported to `tsrun start` through the exec fifo, which start keeps reading
 * until "0" (see src/lifecycle/start.ts): one write of REPORT_HEADER + message, then exit 126.
 */
#if defined(__x86_64__)
#define NR_pipe2 293
#define NR_clone 56
#define NR_dup3 292
#define NR_wait4 61
#define NR_kill 62
#define NR_nanosleep 35
#define NR_getpid 39
#define NR_fcntl 72
#define NR_close_range SYS_close_range
#elif defined(__aarch64__)
#define NR_pipe2 59
#define NR_clone 220
#define NR_dup3 24
#define NR_wait4 260
#define NR_kill 129
#define NR_nanosleep 101
#define NR_getpid 172
#define NR_fcntl 25
#define NR_close_range SYS_close_range
#endif

#define HOOKS_MAX (1 << 20)          /* the blob; src/hooks/start-hooks.ts enforces the same limits */
#define HOOK_MAX_ARGS 1024
#define HOOK_MAX_ENV 1024
#define HOOK_OUTPUT 1024             /* kept of a failing hook's stdout+stderr */
#define REPORT_HEADER "tsrun-init:fail\n"   /* 16 bytes: what `start`'s first fifo read takes */
#define F_SETFD 2
#define F_SETFL 4
#define F_SETPIPE_SZ 1031
#define O_NONBLOCK 04000
#define SIGCHLD 17
#define SIGKILL 9
#define WNOHANG 1
#define CLOSE_RANGE_CLOEXEC 4
#define EAGAIN 11
#define EINTR 4

static char hooks_blob[HOOKS_MAX + 1];
static size_t hooks_len;
static const char *hooks_cursor;
static char *hook_argv[HOOK_MAX_ARGS + 1];
static char *hook_envp[HOOK_MAX_ENV + 1];
static char hook_out[HOOK_OUTPUT];
static size_t hook_out_len;
/* The exec fifo's write end while hooks may still fail (-1: "0" was written already). */
static long report_fd = -1;

static size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

static void put_n(char *buf, size_t *pos, size_t cap, const char *s, size_t n) {
  while (n-- && *pos < cap) buf[(*pos)++] = *s++;
}

/* One write (atomic below PIPE_BUF) to `start`; stderr when nobody reads the fifo any more. */
static void report_failure(const char *body, size_t n) {
  static char rec[4000];
  size_t p = 0;
  put_n(rec, &p, sizeof rec, REPORT_HEADER, sizeof REPORT_HEADER - 1);
  put_n(rec, &p, sizeof rec, body, n);
  if (report_fd < 0 || sys6(NR_write, report_fd, (long)rec, (long)p, 0, 0, 0) != (long)p) {
    static char err[4000];
    size_t q = 0;
    put_n(err, &q, sizeof err - 1, "tsrun-init: ", 12);
    put_n(err, &q, sizeof err - 1, body, n);
    err[q++] = '\n';
    sys6(NR_write, 2, (long)err, (long)q, 0, 0, 0);
  }
}

static const char *next_str(void) {
  const char *s = hooks_cursor;
  if (s >= hooks_blob + hooks_len) die(126, "hooks blob truncated", 0, -22);
  hooks_cursor = s + slen(s) + 1;
  return s;
}

/* Read the blob and close its fd: it must reach neither a hook nor the user's process. */
static void read_hooks(long fd) {
  for (;;) {
    if (hooks_len >= HOOKS_MAX) die(126, "hooks blob too large", 0, -27);
    long r = sys6(NR_read, fd, (long)(hooks_blob + hooks_len), (long)(HOOKS_MAX - hooks_len), 0, 0, 0);
    if (r < 0) die(126, "read hooks blob", 0, r);
    if (r == 0) break;
    hooks_len += (size_t)r;
  }
  sys6(NR_close, fd, 0, 0, 0, 0, 0);
  hooks_blob[hooks_len] = 0;
  hooks_cursor = hooks_blob;
  const char *magic = next_str(), *want = "tsrun-hooks-1";
  for (size_t i = 0; magic[i] || want[i]; i++) if (magic[i] != want[i]) die(126, "hooks blob: bad magic", 0, -22);
}

static const char *signame(long sig) {
  switch (sig) {
  case 1: return "SIGHUP"; case 2: return "SIGINT"; case 3: return "SIGQUIT"; case 4: return "SIGILL";
  case 6: return "SIGABRT"; case 7: return "SIGBUS"; case 8: return "SIGFPE"; case 9: return "SIGKILL";
  case 11: return "SIGSEGV"; case 13: return "SIGPIPE"; case 14: return "SIGALRM"; case 15: return "SIGTERM";
  case 31: return "SIGSYS";
  }
  return 0;
}

static const char *errname(long e) {
  switch (e) {
  case 1: return "EPERM"; case 2: return "ENOENT"; case 7: return "E2BIG"; case 8: return "ENOEXEC";
  case 12: return "ENOMEM"; case 13: return "EACCES"; case 20: return "ENOTDIR"; case 21: return "EISDIR";
  case 26: return "ETXTBSY"; case 38: return "ENOSYS"; case 40: return "ELOOP";
  }
  return 0;
}

/* "hooks.startContainer[N]: PATH" + what, reported, then the container stops (exit 126). */
static void hook_fail(long index, const char *path, const char *what, long num, const char *name, int output) {
  static char msg[3000];
  size_t p = 0, cap = sizeof msg;
  put_str(msg, &p, cap, "hooks.startContainer[");
  put_int(msg, &p, index);
  put_str(msg, &p, cap, "]: ");
  size_t pl = slen(path);
  put_n(msg, &p, cap, path, pl > 512 ? 512 : pl);
  put_str(msg, &p, cap, what);
  if (name) put_str(msg, &p, cap, name);
  if (num >= 0) {
    if (name) put_str(msg, &p, cap, " (errno ");
    put_int(msg, &p, num);
    if (name) put_str(msg, &p, cap, ")");
  }
  if (output) {
    /* the hook's stdout+stderr, trimmed, as tsrun's other hook errors show it */
    size_t a = 0, b = hook_out_len;
    while (a < b && (hook_out[a] == ' ' || hook_out[a] == '\n' || hook_out[a] == '\t' || hook_out[a] == '\r')) a++;
    while (b > a && (hook_out[b - 1] == ' ' || hook_out[b - 1] == '\n' || hook_out[b - 1] == '\t' || hook_out[b - 1] == '\r')) b--;
    if (b > a) { put_str(msg, &p, cap, ": "); put_n(msg, &p, cap, hook_out + a, b - a); }
  }
  report_failure(msg, p);
  sys6(NR_exit_group, 126, 0, 0, 0, 0, 0);
  for (;;) {}
}

/* A setup syscall of the runner failed (e.g. refused by the container's seccomp filter). */
static void runner_fail(long index, const char *path, const char *call, long err) {
  static char what[64];
  size_t p = 0;
  put_str(what, &p, sizeof what, ": ");
  put_str(what, &p, sizeof what, call);
  put_str(what, &p, sizeof what, errname(-err) ? ": " : ": errno ");
  what[p] = 0;
  hook_fail(index, path, what, -err, errname(-err), 0);
}

/* At most 64 KiB a call: a hook that writes without pause must not keep us from its timeout. */
static void drain(long fd) {
  static char scratch[4096];
  for (int i = 0; i < 16; i++) {
    long r = sys6(NR_read, fd, (long)scratch, sizeof scratch, 0, 0, 0);
    if (r <= 0) return;  /* -EAGAIN: nothing now; 0: every writer closed */
    for (long i = 0; i < r && hook_out_len < HOOK_OUTPUT; i++) hook_out[hook_out_len++] = scratch[i];
  }
}

static long write_all(long fd, const char *s, size_t n) {
  while (n) {
    long w = sys6(NR_write, fd, (long)s, (long)n, 0, 0, 0);
    if (w < 0) return w;
    s += w; n -= (size_t)w;
  }
  return 0;
}

static void run_hook(long index, const char *state_prefix, const char *state_suffix, char **process_env) {
  long timeout = parse_int(next_str());
  if (timeout > 1000000000L) timeout = 1000000000L;  /* ~31 years: no overflow in ns */
  long argc = parse_int(next_str());
  long envc = parse_int(next_str());
  const char *path = next_str();
  if (argc < 0 || argc > HOOK_MAX_ARGS || envc > HOOK_MAX_ENV) die(126, "hooks blob: bad counts", 0, -22);
  for (long i = 0; i < argc; i++) hook_argv[i] = (char *)next_str();
  if (argc == 0) hook_argv[argc++] = (char *)path;  /* no args: argv is {path}, as runc's exec.Cmd does */
  hook_argv[argc] = 0;
  char **envp = process_env;  /* no env in the hook: the process's, as runc's (Go's exec) nil Env */
  if (envc >= 0) {
    for (long i = 0; i < envc; i++) hook_envp[i] = (char *)next_str();
    hook_envp[envc] = 0;
    envp = hook_envp;
  }

  /* stdin: the whole state is in the pipe and its write end closed before the hook runs, so
   * O_NONBLOCK never shows (no EAGAIN with data queued and no writer) and nothing here blocks
   * on a hook that does not read. */
  char pid[24]; size_t pl = 0;
  put_int(pid, &pl, sys6(NR_getpid, 0, 0, 0, 0, 0, 0));
  size_t total = slen(state_prefix) + pl + slen(state_suffix);
  int in[2], out[2], err[2];
  long r = sys6(NR_pipe2, (long)in, O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0);
  if (r < 0) runner_fail(index, path, "pipe2", r);
  if (total > 65536) sys6(NR_fcntl, in[1], F_SETPIPE_SZ, (long)total, 0, 0, 0);
  if (write_all(in[1], state_prefix, slen(state_prefix)) < 0 || write_all(in[1], pid, pl) < 0 ||
      write_all(in[1], state_suffix, slen(state_suffix)) < 0)
    runner_fail(index, path, "state JSON larger than a pipe holds", -7);
  sys6(NR_close, in[1], 0, 0, 0, 0, 0);
  /* stdout+stderr: read non-blocking while waiting, the first HOOK_OUTPUT bytes kept */
  r = sys6(NR_pipe2, (long)out, O_CLOEXEC, 0, 0, 0, 0);
  if (r < 0) runner_fail(index, path, "pipe2", r);
  r = sys6(NR_fcntl, out[0], F_SETFL, O_NONBLOCK, 0, 0, 0);
  if (r < 0) runner_fail(index, path, "fcntl", r);
  /* exec failure: the child writes its errno here; a successful exec closes it */
  r = sys6(NR_pipe2, (long)err, O_CLOEXEC, 0, 0, 0, 0);
  if (r < 0) runner_fail(index, path, "pipe2", r);
  hook_out_len = 0;

  long child = sys6(NR_clone, SIGCHLD, 0, 0, 0, 0, 0);
  if (child < 0) runner_fail(index, path, "clone", child);
  if (child == 0) {
    const int want[3] = { in[0], out[1], out[1] };
    for (int fd = 0; fd < 3; fd++) {
      long d = want[fd] == fd ? sys6(NR_fcntl, fd, F_SETFD, 0, 0, 0, 0) : sys6(NR_dup3, want[fd], fd, 0, 0, 0, 0);
      if (d < 0) { int e = (int)-d; sys6(NR_write, err[1], (long)&e, sizeof e, 0, 0, 0); sys6(NR_exit_group, 127, 0, 0, 0, 0, 0); }
    }
    /* only stdio: the preserved fds are the user process's (kernels before 5.11: they stay, as in runc) */
    sys6(NR_close_range, 3, ~0UL, CLOSE_RANGE_CLOEXEC, 0, 0, 0);
    long e = sys6(NR_execve, (long)path, (long)hook_argv, (long)envp, 0, 0, 0);
    int ev = (int)-e;
    sys6(NR_write, err[1], (long)&ev, sizeof ev, 0, 0, 0);
    sys6(NR_exit_group, 127, 0, 0, 0, 0, 0);
  }
  sys6(NR_close, in[0], 0, 0, 0, 0, 0);
  sys6(NR_close, out[1], 0, 0, 0, 0, 0);
  sys6(NR_close, err[1], 0, 0, 0, 0, 0);

  /* wait bounded by the hook's timeout: WNOHANG polls with a sleep growing to 10 ms; the sum of
   * the sleeps undercounts the time, so a hook never gets less than its timeout */
  int status = 0;
  long slept_ns = 0, step_ns = 1000000, limit_ns = timeout > 0 ? timeout * 1000000000L : -1;
  int timed_out = 0;
  for (;;) {
    drain(out[0]);
    long w = sys6(NR_wait4, child, (long)&status, WNOHANG, 0, 0, 0);
    if (w == child) break;
    if (w < 0 && w != -EINTR) runner_fail(index, path, "wait4", w);
    if (limit_ns >= 0 && slept_ns >= limit_ns) {
      sys6(NR_kill, child, SIGKILL, 0, 0, 0, 0);
      while (sys6(NR_wait4, child, (long)&status, 0, 0, 0, 0) == -EINTR) {}
      timed_out = 1;
      break;
    }
    struct { long sec, nsec; } ts = { 0, step_ns };
    sys6(NR_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
    slept_ns += step_ns;
    if (step_ns < 10000000) step_ns *= 2;
    if (step_ns > 10000000) step_ns = 10000000;
  }
  drain(out[0]);  /* what is there now: a grandchild holding the pipe is not waited for */
  sys6(NR_close, out[0], 0, 0, 0, 0, 0);
  int exec_errno = 0;
  long er = sys6(NR_read, err[0], (long)&exec_errno, sizeof exec_errno, 0, 0, 0);
  sys6(NR_close, err[0], 0, 0, 0, 0, 0);

  if (timed_out) {
    static char what[96];
    size_t p = 0;
    put_str(what, &p, sizeof what, " did not finish within its timeout of ");
    put_int(what, &p, timeout);
    put_str(what, &p, sizeof what, "s and was killed");
    what[p] = 0;
    hook_fail(index, path, what, -1, 0, 0);
  }
  if (er == (long)sizeof exec_errno) {
    const char *n = errname(exec_errno);
    hook_fail(index, path, n ? ": exec failed: " : ": exec failed: errno ", exec_errno, n, 0);
  }
  long sig = status & 0x7f, code = (status >> 8) & 0xff;
  if (sig) {
    const char *n = signame(sig);
    hook_fail(index, path, n ? " was killed by " : " was killed by signal ", n ? -1 : sig, n, 1);
  }
  if (code) hook_fail(index, path, " exited with status ", code, 0, 1);
}

/* Every startContainer hook in order; the first failure reports and exits. */
static void run_start_hooks(char **process_env) {
  const char *prefix = next_str();
  const char *suffix = next_str();
  long count = parse_int(next_str());
  for (long i = 0; i < count; i++) run_hook(i, prefix, suffix, process_env);
}
