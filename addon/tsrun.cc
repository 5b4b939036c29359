// N-API surface of the addon: build the flat plan, clone the child, and the few
// parent-side syscalls Node lacks (sync socket, waitpid, mkfifo, flock, O_PATH).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sched.h>
#include <linux/sched.h>
#include <time.h>
#include <unistd.h>

#include <stddef.h>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "plan.h"
#include "plan_read.h"

namespace tsrun {
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info);  // bpf.cc
Napi::Value ReadFileInRoot(const Napi::CallbackInfo &info);  // inroot.cc
Napi::Object PidfdExports(Napi::Env env);  // pidfd.cc
Napi::Value ProbeSyscalls(const Napi::CallbackInfo &info);   // probe.cc
Napi::Value WaitReadable(const Napi::CallbackInfo &info);    // wait-readable.cc
namespace {

Napi::Error SysError(Napi::Env env, const std::string &what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, what));
  return e;
}

// The init stub, copied into a sealed memfd: what /proc/PID/exe of a waiting container shows.
int SealedStub(const std::string &path) {
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) return -errno;
  int fd = (int)syscall(SYS_memfd_create, "tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) { int e = errno; close(src); return -e; }
  char buf[16384];
  for (;;) {
    ssize_t n = read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { int e = errno; close(src); close(fd); return -e; }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, n - off);
      if (w < 0) { int e = errno; close(src); close(fd); return -e; }
      off += w;
    }
  }
  close(src);
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno; close(fd); return -e;
  }
  return fd;
}

Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto st = std::make_unique<Storage>();
  if (!ReadPlan(env, *st, info[0])) return env.Null();  // a TypeError naming the key
  int stub = SealedStub(st->stub_path);
  if (stub < 0) { SysError(env, "open init stub " + st->stub_path, -stub).ThrowAsJavaScriptException(); return env.Null(); }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    int e = errno; close(stub);
    SysError(env, "socketpair", e).ThrowAsJavaScriptException(); return env.Null();
  }
  st->plan.stub_fd = stub;
  st->plan.sync_fd = sv[1];
  // With no_new_privs the filter is loaded by tsrun-init after the start handshake, as close
  // to the user's execve as runc loads it: hand it the program in a memfd (u32 count + insns).
  int secfd = -1;
  if (st->plan.seccomp_count && !st->plan.seccomp_in_child) {
    secfd = (int)syscall(SYS_memfd_create, "tsrun-seccomp", MFD_CLOEXEC);
    uint32_t n = st->plan.seccomp_count;
    if (secfd < 0 || write(secfd, &n, sizeof n) != sizeof n ||
        write(secfd, st->plan.seccomp_prog, n * 8) != (ssize_t)(n * 8) || lseek(secfd, 0, SEEK_SET) != 0) {
      int e = errno;
      if (secfd >= 0) close(secfd);
      close(stub); close(sv[0]); close(sv[1]);
      SysError(env, "seccomp program memfd", e).ThrowAsJavaScriptException();
      return env.Null();
    }
    st->plan.seccomp_fd = secfd;
  }
  // startContainer hooks: tsrun-init runs them itself, from this blob (see addon/init/hooks.c).
  // Sealed: nothing that reaches the fd (a process in the container, through /proc) can edit it.
  int hooksfd = -1;
  if (st->has_hooks_blob) {
    const std::vector<char> &b = st->hooks_blob;
    hooksfd = (int)syscall(SYS_memfd_create, "tsrun-hooks", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (hooksfd < 0 || write(hooksfd, b.data(), b.size()) != (ssize_t)b.size() || lseek(hooksfd, 0, SEEK_SET) != 0 ||
        fcntl(hooksfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
      int e = errno;
      if (hooksfd >= 0) close(hooksfd);
      if (secfd >= 0) close(secfd);
      close(stub); close(sv[0]); close(sv[1]);
      SysError(env, "startContainer hooks memfd", e).ThrowAsJavaScriptException();
      return env.Null();
    }
    st->plan.hooks_fd = hooksfd;
  }
  // Into its cgroup2 cgroup at birth where asked (clone3 CLONE_INTO_CGROUP, Linux 5.7+);
  // kernels without it get the plain clone and the parent writes cgroup.procs instead.
  int cgfd = st->cgroup_fd;
  long pid = -1;
  bool into_cgroup = false;
  // Every signal blocked across the clone: a handler of Node's must never run in the child
  // before it has reset them all to default (crun's order); the child unblocks.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  if (cgfd >= 0) {
    struct {
      uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
    } args = {};
    args.flags = st->plan.clone_flags | 0x200000000ULL /* CLONE_INTO_CGROUP */;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgfd;
    pid = syscall(435 /* SYS_clone3 */, &args, sizeof args);
    if (pid == 0) child_main(&st->plan);
    into_cgroup = pid > 0;
  }
  if (pid < 0) pid = syscall(SYS_clone, (unsigned long)(st->plan.clone_flags | SIGCHLD), 0, 0, 0, 0);
  if (pid == 0) child_main(&st->plan);
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  close(sv[1]);
  close(stub);
  if (secfd >= 0) close(secfd);
  if (hooksfd >= 0) close(hooksfd);
  if (pid < 0) { close(sv[0]); SysError(env, "clone", e).ThrowAsJavaScriptException(); return env.Null(); }
  Napi::Object r = Napi::Object::New(env);
  r.Set("pid", Napi::Number::New(env, (double)pid));
  r.Set("syncFd", Napi::Number::New(env, sv[0]));
  r.Set("intoCgroup", Napi::Boolean::New(env, into_cgroup));
  return r;
}

// Wait until fd is readable; throws (and returns false) on error or timeout.
bool PollIn(Napi::Env env, int fd, int timeout, const char *what) {
  struct pollfd pfd = {fd, POLLIN, 0};
  int r;
  do { r = poll(&pfd, 1, timeout); } while (r < 0 && errno == EINTR);
  if (r > 0) return true;
  SysError(env, what, r == 0 ? ETIMEDOUT : errno).ThrowAsJavaScriptException();
  return false;
}

Napi::Value SyncRecv(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (!PollIn(env, fd, info[1].As<Napi::Number>().Int32Value(), "waiting for the container's init")) return env.Null();
  Msg m;
  ssize_t n;
  // a record may carry one fd (MSG_SECCOMP): received close-on-exec
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  struct iovec iov = { &m, sizeof m };
  struct msghdr mh = {};
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  int passed = -1;
  do {
    mh.msg_control = ctl.buf; mh.msg_controllen = sizeof ctl.buf;
    n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) { SysError(env, "recv sync socket", errno).ThrowAsJavaScriptException(); return env.Null(); }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
      memcpy(&passed, CMSG_DATA(c), sizeof passed);
  if (n == 0) { if (passed >= 0) close(passed); return env.Null(); }
  if (n != sizeof m) { if (passed >= 0) close(passed); SysError(env, "short sync record", EPROTO).ThrowAsJavaScriptException(); return env.Null(); }
  m.detail[sizeof m.detail - 1] = 0;
  Napi::Object o = Napi::Object::New(env);
  if (passed >= 0) o.Set("fd", passed);
  o.Set("type", m.type); o.Set("step", m.step); o.Set("errno", m.err); o.Set("pid", m.pid); o.Set("index", m.index);
  o.Set("detail", Napi::String::New(env, m.detail));
  return o;
}

// syncSend(sock, type[, index, fd]): one record, with fd attached (SCM_RIGHTS) when given.
Napi::Value SyncSend(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Msg m;
  memset(&m, 0, sizeof m);
  m.type = info[1].As<Napi::Number>().Uint32Value();
  m.index = info.Length() > 2 ? info[2].As<Napi::Number>().Int32Value() : -1;
  int pass = info.Length() > 3 ? info[3].As<Napi::Number>().Int32Value() : -1;
  struct iovec iov = { &m, sizeof m };
  struct msghdr mh = {};
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  if (pass >= 0) {
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.buf; mh.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass, sizeof pass);
  }
  ssize_t n;
  do { n = sendmsg(fd, &mh, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
  if (n != sizeof m) SysError(env, "send sync record", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// openInMountNs(nsFd, paths): each path opened O_PATH by this process's credentials (the
// host's root) inside the mount namespace nsFd names: a container's, before its rootfs is set
// up. The result is an fd in this process (or -errno) per path. The fds refer to that
// namespace's mounts, so a child in a user namespace can bind them (with the locks its copy of
// the host's mounts carries) where it could not look the path up itself (root-only
// directories). setns needs a single-threaded caller: a helper shares our fd table and memory
// (CLONE_FILES | CLONE_VM, vfork-style) and only joins, opens and exits.
struct NsOpen { int nsfd; const char *const *paths; size_t n; long *out; };
int NsOpenHelper(void *arg) {
  NsOpen *a = static_cast<NsOpen *>(arg);
  long r = syscall(SYS_setns, a->nsfd, CLONE_NEWNS);
  long err = r < 0 ? -(long)errno : 0;
  for (size_t i = 0; i < a->n; i++) {
    long fd = err ? err : syscall(SYS_openat, AT_FDCWD, a->paths[i], O_PATH | O_CLOEXEC);
    a->out[i] = fd < 0 && !err ? -(long)errno : fd;
  }
  return 0;
}
Napi::Value OpenInMountNs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int nsfd = info[0].As<Napi::Number>().Int32Value();
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < arr.Length(); i++) paths.push_back(arr.Get(i).As<Napi::String>());
  std::vector<const char *> cpaths;
  for (auto &p : paths) cpaths.push_back(p.c_str());
  std::vector<long> out(paths.size(), -EIO);
  NsOpen a = { nsfd, cpaths.data(), paths.size(), out.data() };
  std::vector<char> stack(256 * 1024);
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int pid = clone(NsOpenHelper, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) { SysError(env, "clone", e).ThrowAsJavaScriptException(); return env.Null(); }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  Napi::Array res = Napi::Array::New(env, out.size());
  for (size_t i = 0; i < out.size(); i++) res.Set((uint32_t)i, Napi::Number::New(env, (double)out[i]));
  return res;
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Object WaitResult(Napi::Env env, pid_t pid, int status) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", pid);
  if (pid > 0 && WIFEXITED(status)) { o.Set("code", WEXITSTATUS(status)); o.Set("signal", env.Null()); }
  else if (pid > 0 && WIFSIGNALED(status)) { o.Set("code", env.Null()); o.Set("signal", WTERMSIG(status)); }
  return o;
}

Napi::Value WaitPid(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  bool nohang = info.Length() > 1 && info[1].ToBoolean();
  int status = 0;
  pid_t r;
  do { r = waitpid(pid, &status, nohang ? WNOHANG : 0); } while (r < 0 && errno == EINTR);
  if (r < 0) { SysError(env, "waitpid", errno).ThrowAsJavaScriptException(); return env.Null(); }
  return WaitResult(env, r, status);
}

class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    pid_t r;
    do { r = waitpid(pid_, &status_, 0); } while (r < 0 && errno == EINTR);
    if (r < 0) err_ = errno;
  }
  void OnOK() override {
    if (err_) deferred_.Reject(SysError(Env(), "waitpid", err_).Value());
    else deferred_.Resolve(WaitResult(Env(), pid_, status_));
  }
 private:
  pid_t pid_;
  int status_ = 0, err_ = 0;
  Napi::Promise::Deferred deferred_;
};

Napi::Value WaitExit(const Napi::CallbackInfo &info) {
  auto *w = new WaitWorker(info.Env(), info[0].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  mode_t mode = info[1].As<Napi::Number>().Uint32Value();
  mode_t old = umask(0);
  int r = mkfifo(path.c_str(), mode);
  int e = errno;
  umask(old);
  if (r < 0) SysError(env, "mkfifo " + path, e).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value OpenPath(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) { SysError(env, "open " + path, errno).ThrowAsJavaScriptException(); return env.Null(); }
  return Napi::Number::New(env, fd);
}

bool Alive(pid_t pid) {
  if (kill(pid, 0) < 0 && errno == ESRCH) return false;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  const char *p = strrchr(buf, ')');
  return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

// start: open exec.fifo for reading; the waiting init's open completes, it writes "0"
// and execs. Returns the bytes read (0: nobody was waiting any more).
Napi::Value StartFifo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  pid_t pid = info[1].As<Napi::Number>().Int32Value();
  int timeout = info[2].As<Napi::Number>().Int32Value();
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { SysError(env, "open " + path, errno).ThrowAsJavaScriptException(); return env.Null(); }
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char buf[16];
  for (;;) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, 20);
    if (r > 0 && (pfd.revents & POLLIN)) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) { close(fd); return Napi::Number::New(env, (double)n); }
    }
    if (!Alive(pid)) { close(fd); return Napi::Number::New(env, 0); }
    clock_gettime(CLOCK_MONOTONIC, &t);
    long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
    if (timeout >= 0 && ms > timeout) { close(fd); SysError(env, "waiting for the container's init to open exec.fifo", ETIMEDOUT).ThrowAsJavaScriptException(); return env.Null(); }
  }
}

Napi::Value Flock(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  int r;
  do { r = flock(fd, op); } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    SysError(env, "flock", errno).ThrowAsJavaScriptException();
  }
  return Napi::Boolean::New(env, true);
}

// A unix socket address for `path` ("@name": abstract); throws and returns false if too long.
bool UnixAddr(Napi::Env env, const std::string &path, struct sockaddr_un *addr, socklen_t *len) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr->sun_path) {
    SysError(env, "socket path " + path, ENAMETOOLONG).ThrowAsJavaScriptException();
    return false;
  }
  memcpy(addr->sun_path, path.c_str(), path.size());
  if (path[0] == '@') addr->sun_path[0] = 0;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  return true;
}

Napi::Value ConnectUnix(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  struct sockaddr_un addr;
  socklen_t alen;
  if (!UnixAddr(env, path, &addr, &alen)) return env.Null();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { SysError(env, "socket", errno).ThrowAsJavaScriptException(); return env.Null(); }
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) {
    int e = errno; close(fd);
    SysError(env, "connect " + path, e).ThrowAsJavaScriptException(); return env.Null();
  }
  return Napi::Number::New(env, fd);
}

// sendFds(sock, data, fds): one sendmsg of data with fds as SCM_RIGHTS (the seccomp notify
// listener protocol: the container process state JSON and the notify fd in one message).
Napi::Value SendFds(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  std::string data = info[1].As<Napi::String>();
  Napi::Array arr = info[2].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t i = 0; i < arr.Length(); i++) fds.push_back(arr.Get(i).As<Napi::Number>().Int32Value());
  std::vector<char> ctl(CMSG_SPACE(sizeof(int) * fds.size()));
  struct iovec iov = { const_cast<char *>(data.data()), data.size() };
  struct msghdr mh = {};
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  if (!fds.empty()) {
    mh.msg_control = ctl.data(); mh.msg_controllen = ctl.size();
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do { n = sendmsg(sock, &mh, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
  if (n < 0) { SysError(env, "sendmsg", errno).ThrowAsJavaScriptException(); return env.Null(); }
  if ((size_t)n != data.size()) { SysError(env, "sendmsg: short write", EIO).ThrowAsJavaScriptException(); return env.Null(); }
  return env.Undefined();
}

// Idmapped mounts, the parent's half (mount_setattr(MOUNT_ATTR_IDMAP) needs privilege in the
// initial user namespace): a user namespace holding the mount's mappings (or the one the
// container joins, by its path), and a detached clone of the source tree (recursive for rbind)
// idmapped with it: every mount of the tree for ridmap, the top one only for idmap (runc's
// semantics). The child only moves that tree into place.
//   idmappedTree(source, cloneRecursive, idmapRecursive, uidMap, gidMap, usernsPath?)
Napi::Value IdmappedTree(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string source = info[0].As<Napi::String>();
  bool recursive = info[1].ToBoolean();
  bool idmap_recursive = info[2].ToBoolean();
  std::string uid_map = info[3].As<Napi::String>();
  std::string gid_map = info[4].As<Napi::String>();
  if (info.Length() > 5 && info[5].IsString()) {
    // a user namespace the container joins: its own mappings, by its nsfs file
    std::string ns = info[5].As<Napi::String>();
    int userns = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (userns < 0) { SysError(env, "open user namespace " + ns, errno).ThrowAsJavaScriptException(); return env.Null(); }
    int tree = (int)syscall(428 /* open_tree */, AT_FDCWD, source.c_str(), 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
    int err = tree < 0 ? errno : 0;
    std::string what = "open_tree " + source;
    if (!err) {
      struct { uint64_t set, clr, propagation, userns_fd; } attr = { 0x00100000 /* MOUNT_ATTR_IDMAP */, 0, 0, (uint64_t)userns };
      if (syscall(442 /* mount_setattr */, tree, "", AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
        err = errno; what = "idmap " + source + " with " + ns + " (does its filesystem support idmapped mounts?)";
      }
    }
    close(userns);
    if (err) {
      if (tree >= 0) close(tree);
      SysError(env, what, err).ThrowAsJavaScriptException();
      return env.Null();
    }
    return Napi::Number::New(env, tree);
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) { SysError(env, "pipe", errno).ThrowAsJavaScriptException(); return env.Null(); }
  // a child that only waits: async-signal-safe calls only
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0);
  if (pid == 0) {
    char c;
    syscall(SYS_close, pipefd[1]);  // or the read below never sees EOF
    syscall(SYS_read, pipefd[0], &c, 1);
    syscall(SYS_exit_group, 0);
  }
  int err = 0, userns = -1, tree = -1;
  std::string what;
  if (pid < 0) { err = errno; what = "clone user namespace"; }
  auto write_file = [&](const std::string &file, const std::string &data) {
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, data.data(), data.size()) != (ssize_t)data.size()) { err = errno ? errno : EIO; what = "write " + file; }
    if (fd >= 0) close(fd);
  };
  if (!err) write_file("/proc/" + std::to_string(pid) + "/uid_map", uid_map);
  if (!err) write_file("/proc/" + std::to_string(pid) + "/gid_map", gid_map);
  if (!err) {
    userns = open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
    if (userns < 0) { err = errno; what = "open user namespace"; }
  }
  close(pipefd[1]);
  close(pipefd[0]);
  if (pid > 0) waitpid((pid_t)pid, nullptr, 0);
  if (!err) {
    tree = (int)syscall(428 /* open_tree */, AT_FDCWD, source.c_str(), 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
    if (tree < 0) { err = errno; what = "open_tree " + source; }
  }
  if (!err) {
    struct { uint64_t set, clr, propagation, userns_fd; } attr = { 0x00100000 /* MOUNT_ATTR_IDMAP */, 0, 0, (uint64_t)userns };
    if (syscall(442 /* mount_setattr */, tree, "", AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
      err = errno; what = "idmap " + source + " (does its filesystem support idmapped mounts?)";
    }
  }
  if (userns >= 0) close(userns);
  if (err) {
    if (tree >= 0) close(tree);
    SysError(env, what, err).ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Number::New(env, tree);
}

// Which of the newer syscalls tsrun uses this kernel has: each is called with arguments every
// kernel that has it refuses before doing anything (bad fd, zero size), so only ENOSYS (no such
// syscall) or EPERM (a seccomp filter of a parent that does not know it) mean "missing". The
// value per name is 0 (present) or the errno.
Napi::Value KernelSupport(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto probe = [](long r) -> int { return r < 0 && (errno == ENOSYS || errno == EPERM) ? errno : 0; };
  Napi::Object o = Napi::Object::New(env);
  o.Set("openTree", probe(syscall(428 /* open_tree */, -1, "", 0)));
  o.Set("moveMount", probe(syscall(429 /* move_mount */, -1, "", -1, "", 0)));
  o.Set("fsopen", probe(syscall(430 /* fsopen */, nullptr, 0x80000000u /* no such flag */)));
  o.Set("clone3", probe(syscall(435 /* clone3 */, nullptr, 0)));
  o.Set("closeRange", probe(syscall(436 /* close_range */, ~0u, 0u, 0u)));
  o.Set("openat2", probe(syscall(437 /* openat2 */, -1, "", nullptr, 0)));
  o.Set("mountSetattr", probe(syscall(442 /* mount_setattr */, -1, "", 0, nullptr, 0)));
  return o;
}

// sd_notify relay: a datagram socket bound in the state dir, bind-mounted into the container.
Napi::Value BindUnixDgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  struct sockaddr_un addr;
  socklen_t alen;
  if (!UnixAddr(env, path, &addr, &alen)) return env.Null();
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, alen) < 0) {
    int e = errno; if (fd >= 0) close(fd);
    SysError(env, "bind " + path, e).ThrowAsJavaScriptException(); return env.Null();
  }
  chmod(path.c_str(), 0777);  // any container user may notify
  return Napi::Number::New(env, fd);
}

// One datagram as a string, or null after timeoutMs.
Napi::Value RecvDgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct pollfd pfd = {fd, POLLIN, 0};
  int r;
  do { r = poll(&pfd, 1, info[1].As<Napi::Number>().Int32Value()); } while (r < 0 && errno == EINTR);
  if (r <= 0) return env.Null();
  char buf[4096];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) return env.Null();
  return Napi::String::New(env, buf, n);
}

Napi::Value SendDgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  std::string data = info[1].As<Napi::String>();
  struct sockaddr_un addr;
  socklen_t alen;
  if (!UnixAddr(env, path, &addr, &alen)) return env.Null();  // "@name": abstract, as systemd writes it
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ssize_t w = fd < 0 ? -1 : sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
  int e = errno;
  if (fd >= 0) close(fd);
  if (w < 0) SysError(env, "send to NOTIFY_SOCKET " + path, e).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { SysError(env, "socketpair", errno).ThrowAsJavaScriptException(); return env.Null(); }
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set((uint32_t)0, sv[0]); a.Set((uint32_t)1, sv[1]);
  return a;
}

// Receive one fd sent with SCM_RIGHTS (the pty master from the container).
Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (!PollIn(env, fd, info[1].As<Napi::Number>().Int32Value(), "waiting for the pty master")) return env.Null();
  char name[256];
  struct iovec iov = {name, sizeof name};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  struct msghdr msg = {};
  msg.msg_iov = &iov; msg.msg_iovlen = 1; msg.msg_control = ctl.buf; msg.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do { n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
  if (n < 0) { SysError(env, "recvmsg", errno).ThrowAsJavaScriptException(); return env.Null(); }
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return Napi::Number::New(env, -1);
  int got;
  memcpy(&got, CMSG_DATA(c), sizeof got);
  return Napi::Number::New(env, got);
}

Napi::Value SetWinsize(const Napi::CallbackInfo &info) {
  struct winsize ws = {};
  ws.ws_row = (unsigned short)info[1].As<Napi::Number>().Uint32Value();
  ws.ws_col = (unsigned short)info[2].As<Napi::Number>().Uint32Value();
  ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws);
  return info.Env().Undefined();
}

Napi::Value GetWinsize(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct winsize ws = {};
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCGWINSZ, &ws) < 0) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", ws.ws_row); o.Set("cols", ws.ws_col);
  return o;
}

// Copy what is left on a pty master to `out` until the slave side is closed (EIO) or
// nothing arrives for `idleMs`: the tail of a terminal relay after the process exited.
Napi::Value DrainFd(const Napi::CallbackInfo &info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int out = info[1].As<Napi::Number>().Int32Value();
  int idle = info[2].As<Napi::Number>().Int32Value();
  char buf[16384];
  for (;;) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, idle);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, n - off);
      if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (w < 0) return info.Env().Undefined();
      off += w;
    }
  }
  return info.Env().Undefined();
}

// pollIn(fd, timeoutMs): whether fd became readable (data, EOF or an error to read) within the
// timeout; false on timeout. Lets TypeScript read a blocking socket synchronously with a
// deadline (the systemd D-Bus client).
Napi::Value PollInFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info[1].As<Napi::Number>().Int32Value();
  struct pollfd pfd = {fd, POLLIN, 0};
  int r;
  do { r = poll(&pfd, 1, timeout); } while (r < 0 && errno == EINTR);
  if (r < 0) { SysError(env, "poll", errno).ThrowAsJavaScriptException(); return env.Null(); }
  return Napi::Boolean::New(env, r > 0);
}

}  // namespace
Napi::Value BuildSeccomp(const Napi::CallbackInfo &info);
namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildSeccomp", Napi::Function::New(env, BuildSeccomp));
  exports.Set("drainFd", Napi::Function::New(env, DrainFd));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("sendFds", Napi::Function::New(env, SendFds));
  exports.Set("kernelSupport", Napi::Function::New(env, KernelSupport));
  exports.Set("idmappedTree", Napi::Function::New(env, IdmappedTree));
  exports.Set("bindUnixDgram", Napi::Function::New(env, BindUnixDgram));
  exports.Set("recvDgram", Napi::Function::New(env, RecvDgram));
  exports.Set("sendDgram", Napi::Function::New(env, SendDgram));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize));
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("decodePlanForTest", Napi::Function::New(env, DecodePlanForTest));
  exports.Set("contract", ContractExports(env));
  exports.Set("syncRecv", Napi::Function::New(env, SyncRecv));
  exports.Set("syncSend", Napi::Function::New(env, SyncSend));
  exports.Set("openInMountNs", Napi::Function::New(env, OpenInMountNs));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("waitpid", Napi::Function::New(env, WaitPid));
  exports.Set("waitExit", Napi::Function::New(env, WaitExit));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("openPath", Napi::Function::New(env, OpenPath));
  exports.Set("startFifo", Napi::Function::New(env, StartFifo));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  exports.Set("readFileInRoot", Napi::Function::New(env, ReadFileInRoot));
  exports.Set("fds", PidfdExports(env));
  exports.Set("probeSyscalls", Napi::Function::New(env, ProbeSyscalls));
  exports.Set("pollIn", Napi::Function::New(env, PollInFd));
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable));
  return exports;
}

}  // namespace
}  // namespace tsrun

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tsrun::Init(env, exports); }
NODE_API_MODULE(tsrun_addon, InitAddon)
