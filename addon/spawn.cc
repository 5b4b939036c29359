// Spawning the child: the plan decoded, the sealed init stub, its memfds, clone (into its cgroup
// where the kernel can), and openInMountNs (the setns helper that opens mount sources).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <linux/sched.h>
#include <unistd.h>
#include <memory>
#include <string>
#include <vector>

#include "napi/common.h"
#include "napi/exports.h"
#include "plan.h"
#include "plan_read.h"
#include "syscalls.h"

namespace tsrun {

namespace {

// The init stub, copied into a sealed memfd: what /proc/PID/exe of a waiting container shows.
int SealedStub(const std::string &path) {
  Fd src(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (src.fd < 0) return -errno;
  Fd fd((int)syscall(SYS_memfd_create, "tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd.fd < 0) return -errno;
  char buf[16384];
  for (;;) {
    ssize_t n = read(src.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(fd.fd, buf + off, n - off);
      if (w < 0) return -errno;
      off += w;
    }
  }
  src.reset();
  if (fcntl(fd.fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) return -errno;
  return fd.release();
}

}  // namespace

Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto st = std::make_unique<Storage>();
  if (!ReadPlan(env, *st, info[0])) return env.Null();  // a TypeError naming the key
  // Every fd made here is owned (Fd) until the clone: an error on the way closes them all.
  Fd stub(SealedStub(st->stub_path));
  if (stub.fd < 0) { SysError(env, "open init stub " + st->stub_path, -stub.fd).ThrowAsJavaScriptException(); return env.Null(); }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    int e = errno;
    SysError(env, "socketpair", e).ThrowAsJavaScriptException(); return env.Null();
  }
  Fd parent_end(sv[0]), child_end(sv[1]);
  st->plan.stub_fd = stub.fd;
  st->plan.sync_fd = child_end.fd;
  // With no_new_privs the filter is loaded by tsrun-init after the start handshake, as close
  // to the user's execve as runc loads it: hand it the program in a memfd (u32 count + insns).
  Fd secfd;
  if (st->plan.seccomp_count && !st->plan.seccomp_in_child) {
    secfd.fd = (int)syscall(SYS_memfd_create, "tsrun-seccomp", MFD_CLOEXEC);
    uint32_t n = st->plan.seccomp_count;
    if (secfd.fd < 0 || write(secfd.fd, &n, sizeof n) != sizeof n ||
        write(secfd.fd, st->plan.seccomp_prog, n * 8) != (ssize_t)(n * 8) || lseek(secfd.fd, 0, SEEK_SET) != 0) {
      int e = errno;
      SysError(env, "seccomp program memfd", e).ThrowAsJavaScriptException();
      return env.Null();
    }
    st->plan.seccomp_fd = secfd.fd;
  }
  // startContainer hooks: tsrun-init runs them itself, from this blob (see addon/init/hooks.c).
  // Sealed: nothing that reaches the fd (a process in the container, through /proc) can edit it.
  Fd hooksfd;
  if (st->has_hooks_blob) {
    const std::vector<char> &b = st->hooks_blob;
    hooksfd.fd = (int)syscall(SYS_memfd_create, "tsrun-hooks", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (hooksfd.fd < 0 || write(hooksfd.fd, b.data(), b.size()) != (ssize_t)b.size() || lseek(hooksfd.fd, 0, SEEK_SET) != 0 ||
        fcntl(hooksfd.fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
      int e = errno;
      SysError(env, "startContainer hooks memfd", e).ThrowAsJavaScriptException();
      return env.Null();
    }
    st->plan.hooks_fd = hooksfd.fd;
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
    pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) child_main(&st->plan);
    into_cgroup = pid > 0;
  }
  if (pid < 0) pid = syscall(SYS_clone, (unsigned long)(st->plan.clone_flags | SIGCHLD), 0, 0, 0, 0);
  if (pid == 0) child_main(&st->plan);
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  // this process's copies of what the child inherited
  child_end.reset();
  stub.reset();
  secfd.reset();
  hooksfd.reset();
  if (pid < 0) { SysError(env, "clone", e).ThrowAsJavaScriptException(); return env.Null(); }
  Napi::Object r = Napi::Object::New(env);
  r.Set("pid", Napi::Number::New(env, (double)pid));
  r.Set("syncFd", Napi::Number::New(env, parent_end.release()));
  r.Set("intoCgroup", Napi::Boolean::New(env, into_cgroup));
  return r;
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

}  // namespace tsrun
