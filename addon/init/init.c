/*
 * tsrun-init: the only code a created-but-not-started container runs.
 *
 * The addon's child sets up namespaces, mounts, credentials and capabilities,
 * then execs this program from a sealed memfd, so the waiting container is a
 * few KiB of static code instead of a forked copy of Node, and /proc/PID/exe
 * points at a sealed anonymous file rather than at any host binary.
 *
 * No libc: raw syscalls only, nothing is allocated.
 *
 *   argv (the slots of addon/contract.h's StubArg, ARG_*):
 *   tsrun-init FIFO_FD SECCOMP_FD FLAGS PROC_FD LSM_ATTR LSM_VALUE SYNC_FD HOOKS_FD PATH ARG0 [ARG...]
 *     FIFO_FD     O_PATH fd of the state dir's exec.fifo, or -1 (exec: no wait)
 *     SECCOMP_FD  fd holding "u32 count + count*8 bytes" of BPF, or -1
 *     FLAGS       decimal bits: 1 = load the filter with SECCOMP_FILTER_FLAG_TSYNC,
 *                 2 = FLAG_LOG, 4 = FLAG_SPEC_ALLOW; 1<<20 = setsid after the fork below,
 *                 1<<21 = and make fd 0 the controlling terminal
 *     PROC_FD     O_PATH fd of a procfs of the container's pid namespace that the runtime
 *                 mounted and verified, or -1. The fifo and the LSM attr file are reached only
 *                 through it: never through the path /proc, which the image (or another
 *                 container sharing its volume) may have swapped for a symlink.
 *     LSM_ATTR    attr file below it to write ("thread-self/attr/apparmor/exec"), or ""
 *     LSM_VALUE   what to write there ("exec PROFILE", or an SELinux label)
 *     SYNC_FD     exec: the runtime's sync socket, or -1. The caller has joined every
 *                 namespace but pid (setns to a pid namespace only moves children), so no copy
 *                 of the runtime ever lives in the container's pid namespace: this stub forks
 *                 into it (CLONE_PARENT: the runtime reaps the child), reports the child's pid
 *                 as an MSG_PID record and exits.
 *     HOOKS_FD    startContainer hooks, or -1
 *     PATH        the resolved executable; ARG0... its argv
 *
 * Order after `start` opened the fifo: LSM label, seccomp filter, startContainer hooks (each
 * forked from here, so confined by all of the above), then the user's execve. With hooks,
 * "0" is written to the fifo only after they all succeeded, and any failure up to then is
 * reported through it instead (start fails); without, "0" goes right away, as before.
 *
 * Exit codes: 126 when the exec.fifo handshake, the setup or a startContainer hook fails,
 * 127 when exec fails.
 */
#include "../syscalls.h"

typedef unsigned long size_t;
typedef long ssize_t;

#if defined(__x86_64__)
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_prctl 157
#define NR_exit_group 231
#define NR_openat 257
#define NR_execve 59
#define NR_seccomp 317
#define NR_fstatfs 138
#define NR_openat2 SYS_openat2
#define NR_clone 56
#define NR_setsid 112
#define NR_ioctl 16
#define NR_fstat 5
#define NR_sendto 44
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call init_main\n hlt\n");
#elif defined(__aarch64__)
#define NR_read 63
#define NR_write 64
#define NR_close 57
#define NR_prctl 167
#define NR_exit_group 94
#define NR_openat 56
#define NR_execve 221
#define NR_seccomp 277
#define NR_fstatfs 44
#define NR_openat2 SYS_openat2
#define NR_clone 220
#define NR_setsid 157
#define NR_ioctl 29
#define NR_fstat 80
#define NR_sendto 206
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n bl init_main\n");
#else
#error "tsrun-init: unsupported architecture"
#endif

#define AT_FDCWD -100
#define O_RDONLY 0
#define O_WRONLY 1
#define O_CLOEXEC 02000000
#define SECCOMP_SET_MODE_FILTER 1
#define O_NOFOLLOW 0400000
#define MAX_BPF 4096
#define CLONE_PARENT 0x00008000
#define TIOCSCTTY 0x540E
#define S_IFMT 0170000
#define S_IFIFO 0010000
/* the sync records (struct Msg, MsgType, Step), tsrun-init's argv slots (StubArg) and its
 * FLAGS bits (STUB_*): generated from src/native/contract.def.mjs, shared with the addon */
#include "../contract.h"

struct sock_filter { unsigned short code; unsigned char jt, jf; unsigned int k; };
struct sock_fprog { unsigned short len; struct sock_filter *filter; };


static long parse_int(const char *s) {
  long sign = 1, v = 0;
  if (*s == '-') { sign = -1; s++; }
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return sign * v;
}

static void put_int(char *buf, size_t *pos, long v) {
  char tmp[24]; int n = 0;
  if (v < 0) { buf[(*pos)++] = '-'; v = -v; }
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) buf[(*pos)++] = tmp[--n];
}

static void put_str(char *buf, size_t *pos, size_t cap, const char *s) {
  while (*s && *pos < cap - 1) buf[(*pos)++] = *s++;
}

static void report_failure(const char *body, size_t n);

/* strerror's text for the errnos setup and exec meet (Go's wording, as the runtime's messages) */
static const char *const errtext[] = {
  [1] = "operation not permitted", [2] = "no such file or directory", [3] = "no such process",
  [4] = "interrupted system call", [5] = "input/output error", [6] = "no such device or address",
  [7] = "argument list too long", [8] = "exec format error", [9] = "bad file descriptor",
  [11] = "resource temporarily unavailable", [12] = "cannot allocate memory", [13] = "permission denied",
  [14] = "bad address", [16] = "device or resource busy", [17] = "file exists", [18] = "invalid cross-device link",
  [19] = "no such device", [20] = "not a directory", [21] = "is a directory", [22] = "invalid argument",
  [23] = "too many open files in system", [24] = "too many open files", [25] = "inappropriate ioctl for device",
  [26] = "text file busy", [27] = "file too large", [28] = "no space left on device", [30] = "read-only file system",
  [32] = "broken pipe", [36] = "file name too long", [38] = "function not implemented",
  [39] = "directory not empty", [40] = "too many levels of symbolic links", [95] = "operation not supported",
};

static void die(int code, const char *what, const char *path, long err) {
  char msg[512]; size_t p = 0;
  put_str(msg, &p, sizeof msg - 48, what);
  if (path) { put_str(msg, &p, sizeof msg - 48, " "); put_str(msg, &p, sizeof msg - 48, path); }
  long e = -err;
  if (e > 0 && e < (long)(sizeof errtext / sizeof errtext[0]) && errtext[e]) {
    put_str(msg, &p, sizeof msg, ": ");
    put_str(msg, &p, sizeof msg, errtext[e]);
  } else {
    put_str(msg, &p, sizeof msg, ": errno ");
    put_int(msg, &p, e);
  }
  report_failure(msg, p);  /* to `start` while it waits on the fifo, else stderr */
  sys6(NR_exit_group, code, 0, 0, 0, 0, 0);
  for (;;) {}
}

#include "hooks.c"

/* Block until `tsrun start` opens the fifo for reading, then tell it we are going; with
 * hooks, keep the write end (report_fd) and tell it only once they ran (start_done). The fifo
 * is reopened for writing through the verified procfs handle: a path lookup of
 * /proc/self/fd/N could land on a regular file the image planted, and the process would run
 * before start. */
static void await_start(long fifo_fd, long proc_fd, int defer) {
  char path[40]; size_t p = 0;
  put_str(path, &p, sizeof path, "thread-self/fd/");
  put_int(path, &p, fifo_fd);
  path[p] = 0;
  if (proc_fd < 0) die(126, "open exec fifo: no procfs handle", path, -9);
  long fd = sys6(NR_openat, proc_fd, (long)path, O_WRONLY | O_CLOEXEC, 0, 0, 0);
  if (fd < 0) die(126, "open exec fifo", path, fd);
  struct { unsigned long dev, ino, nlink; unsigned int mode; char rest[128]; } st;
#if defined(__aarch64__)
  struct { unsigned long dev, ino; unsigned int mode; char rest[128]; } st64;
  long sr = sys6(NR_fstat, fd, (long)&st64, 0, 0, 0, 0);
  st.mode = st64.mode;
#else
  long sr = sys6(NR_fstat, fd, (long)&st, 0, 0, 0, 0);
#endif
  if (sr == 0 && (st.mode & S_IFMT) != S_IFIFO) die(126, "exec fifo is not a fifo:", path, -22);
  sys6(NR_close, fifo_fd, 0, 0, 0, 0, 0);
  if (defer) { report_fd = fd; return; }
  long w = sys6(NR_write, fd, (long)"0", 1, 0, 0, 0);
  if (w != 1) die(126, "write exec fifo", path, w < 0 ? w : -5);
  sys6(NR_close, fd, 0, 0, 0, 0, 0);
}

static void start_done(void) {
  long fd = report_fd;
  report_fd = -1;
  long w = sys6(NR_write, fd, (long)"0", 1, 0, 0, 0);
  if (w != 1) die(126, "write exec fifo", 0, w < 0 ? w : -5);
  sys6(NR_close, fd, 0, 0, 0, 0, 0);
}

static int read_full(long fd, void *buf, size_t n) {
  char *b = (char *)buf;
  while (n) {
    long r = sys6(NR_read, fd, (long)b, (long)n, 0, 0, 0);
    if (r <= 0) return -1;
    b += r; n -= (size_t)r;
  }
  return 0;
}

static void load_seccomp(long fd, long flags) {
  static struct sock_filter prog[MAX_BPF];
  unsigned int count = 0;
  if (read_full(fd, &count, sizeof count) < 0 || count == 0 || count > MAX_BPF) die(126, "read seccomp program", 0, -22);
  if (read_full(fd, prog, count * sizeof(struct sock_filter)) < 0) die(126, "read seccomp program", 0, -5);
  sys6(NR_close, fd, 0, 0, 0, 0, 0);
  struct sock_fprog fprog = { (unsigned short)count, prog };
  long sflags = 0;
  if (flags & 1) sflags |= 1; /* SECCOMP_FILTER_FLAG_TSYNC */
  if (flags & 2) sflags |= 2; /* SECCOMP_FILTER_FLAG_LOG */
  if (flags & 4) sflags |= 4; /* SECCOMP_FILTER_FLAG_SPEC_ALLOW */
  long r = sys6(NR_seccomp, SECCOMP_SET_MODE_FILTER, sflags, (long)&fprog, 0, 0, 0);
  if (r < 0) die(126, "seccomp", 0, r);
}

/* The LSM label for the user's program: written by this process (the kernel only accepts a
 * process's own attr writes, from the image that opened the file), through the procfs handle
 * the runtime verified, never following magic links or crossing a mount. The transition
 * happens at the execve below. */
static void apply_lsm(long procfd, const char *attr, const char *value) {
  /* openat, not openat2: a seccomp filter loaded by the runtime may predate openat2; the
   * handle is a procfs the runtime verified and nothing is mounted under attr/ */
  long fd = sys6(NR_openat, procfd, (long)attr, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0, 0, 0);
  if (fd < 0) die(126, "open", attr, fd);
  struct { long type; char rest[112]; } sfs;
  long r = sys6(NR_fstatfs, fd, (long)&sfs, 0, 0, 0, 0);
  if (r == 0 && sfs.type != 0x9fa0) die(126, "not procfs:", attr, -1);
  size_t n = 0;
  while (value[n]) n++;
  long w = sys6(NR_write, fd, (long)value, (long)n, 0, 0, 0);
  if (w != (long)n) die(126, "write LSM label to", attr, w < 0 ? w : -5);
  sys6(NR_close, fd, 0, 0, 0, 0, 0);
}

static void send_record(long sync_fd, unsigned int type, unsigned int step, long err, long pid) {
  struct Msg m;
  char *b = (char *)&m;
  for (size_t i = 0; i < sizeof m; i++) b[i] = 0;
  m.type = type; m.step = step; m.err = (int)-err; m.pid = (int)pid; m.index = -1;
  sys6(NR_sendto, sync_fd, (long)&m, sizeof m, 0x4000 /* MSG_NOSIGNAL */, 0, 0);
}

/* exec: fork into the pid namespace the caller joined; the parent half reports and exits. */
static void fork_into_pidns(long sync_fd, long flags) {
  long pid = sys6(NR_clone, CLONE_PARENT, 0, 0, 0, 0, 0);
  if (pid < 0) {
    send_record(sync_fd, MSG_ERROR, STEP_CLONE, pid, 0);
    sys6(NR_exit_group, 1, 0, 0, 0, 0, 0);
  }
  if (pid > 0) {
    send_record(sync_fd, MSG_PID, 0, 0, pid);
    sys6(NR_exit_group, 0, 0, 0, 0, 0, 0);
  }
  sys6(NR_close, sync_fd, 0, 0, 0, 0, 0);
  /* the session and terminal belong to the process that stays: a session leader that exits
   * would hang up its terminal's foreground group */
  if (flags & STUB_SETSID) {
    long r = sys6(NR_setsid, 0, 0, 0, 0, 0, 0);
    if (r < 0) die(126, "setsid", 0, r);
  }
  if (flags & STUB_CTTY) {
    long r = sys6(NR_ioctl, 0, TIOCSCTTY, 0, 0, 0, 0);
    if (r < 0) die(126, "TIOCSCTTY", 0, r);
  }
}

void init_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  if (argc < ARG_ARGV + 1) die(126, "usage: tsrun-init FIFO_FD SECCOMP_FD FLAGS PROC_FD LSM_ATTR LSM_VALUE SYNC_FD HOOKS_FD PATH ARG0...", 0, -22);
  long fifo_fd = parse_int(argv[ARG_FIFO_FD]);
  long seccomp_fd = parse_int(argv[ARG_SECCOMP_FD]);
  long flags = parse_int(argv[ARG_FLAGS]);
  long proc_fd = parse_int(argv[ARG_PROC_FD]);
  long sync_fd = parse_int(argv[ARG_SYNC_FD]);
  long hooks_fd = parse_int(argv[ARG_HOOKS_FD]);
  if (sync_fd >= 0) fork_into_pidns(sync_fd, flags);
  if (hooks_fd >= 0) read_hooks(hooks_fd);
  int hooks = hooks_fd >= 0 && fifo_fd >= 0;
  if (fifo_fd >= 0) await_start(fifo_fd, proc_fd, hooks);
  if (proc_fd >= 0 && argv[ARG_LSM_ATTR][0]) apply_lsm(proc_fd, argv[ARG_LSM_ATTR], argv[ARG_LSM_VALUE]);
  if (proc_fd >= 0) sys6(NR_close, proc_fd, 0, 0, 0, 0, 0);
  if (seccomp_fd >= 0) load_seccomp(seccomp_fd, flags);
  /* after the label and the filter: a hook gets no more than the user's process */
  if (hooks) { run_start_hooks(envp); start_done(); }
  long r = sys6(NR_execve, (long)argv[ARG_PATH], (long)(argv + ARG_ARGV), (long)envp, 0, 0, 0);
  die(127, "exec", argv[ARG_PATH], r);
}
