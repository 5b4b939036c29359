// Parent-side fd helpers (Node's thread, ordinary C++; nothing here runs after a fork):
//
// pidfdOpen(pid): pidfd_open(2) of a process, for --pidfd-socket (runc 1.2 sends one over
// SCM_RIGHTS). Linux 5.3+; the caller reports ENOSYS naming the flag.
//
// clearOnlcr(fd): a pty master tsrun relays itself (foreground run -t / exec -t) stops turning
// the container's "\n" into "\r\n", as runc's console.ClearONLCR on the master it receives.
//
// markCloexecFrom(lowfd) / clearCloexec(fds): hooks are started with child_process, whose
// children inherit every fd of this process that lacks FD_CLOEXEC: fds the caller of tsrun left
// open (a shim's pipes, --preserve-fds, LISTEN_FDS) and any the addon made inheritable. Threat:
// a hook (a third-party binary) gets a handle tsrun holds (the state dir lock, exec.fifo, a
// console socket, the container's sync socket). The caller marks every fd >= 3 close-on-exec
// for the synchronous spawn and clears the flag again on exactly the fds that lacked it, so the
// process (a library host too) keeps its own inheritance for later spawns. Ordering: mark, spawn,
// clear, with no JS in between (spawnSync).
#include <napi.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "napi/common.h"
#include "syscalls.h"

namespace tsrun {
namespace {

Napi::Value Fail(Napi::Env env, const std::string &what, int err) {
  SysError(env, what, err).ThrowAsJavaScriptException();
  return env.Null();
}

Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int pid = info[0].As<Napi::Number>().Int32Value();
  if (pid <= 0) return Fail(env, "pidfd_open", EINVAL);
  // pidfds are close-on-exec by definition (O_CLOEXEC is implied)
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Fail(env, "pidfd_open", errno);
  return Napi::Number::New(env, static_cast<double>(fd));
}

Napi::Value MarkCloexecFrom(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int low = info[0].As<Napi::Number>().Int32Value();
  DIR *d = opendir("/proc/self/fd");
  if (!d) return Fail(env, "opendir /proc/self/fd", errno);
  int self = dirfd(d);
  std::vector<int> changed;
  for (struct dirent *e; (e = readdir(d)) != nullptr;) {
    char *end = nullptr;
    long fd = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < low || fd == self) continue;
    int flags = fcntl(static_cast<int>(fd), F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC)) continue;
    if (fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC) == 0) changed.push_back(static_cast<int>(fd));
  }
  closedir(d);
  Napi::Array out = Napi::Array::New(env, changed.size());
  for (size_t i = 0; i < changed.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, changed[i]));
  return out;
}

Napi::Value ClearCloexec(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array fds = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < fds.Length(); i++) {
    int fd = fds.Get(i).As<Napi::Number>().Int32Value();
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  return env.Undefined();
}

Napi::Value ClearOnlcr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct termios t;
  if (tcgetattr(fd, &t) < 0) return Fail(env, "tcgetattr", errno);
  t.c_oflag &= ~ONLCR;
  if (tcsetattr(fd, TCSANOW, &t) < 0) return Fail(env, "tcsetattr", errno);
  return env.Undefined();
}

}  // namespace

/** The functions above, as one object (exports.fds of the addon). */
Napi::Object PidfdExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  o.Set("markCloexecFrom", Napi::Function::New(env, MarkCloexecFrom));
  o.Set("clearCloexec", Napi::Function::New(env, ClearCloexec));
  o.Set("clearOnlcr", Napi::Function::New(env, ClearOnlcr));
  return o;
}

}  // namespace tsrun
