// Plain fd operations Node lacks: close, mkfifo with an exact mode, O_PATH, flock and a bounded
// poll (the synchronous D-Bus client).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <string>

#include "napi/common.h"
#include "napi/exports.h"

namespace tsrun {

Napi::Value Close(const Napi::CallbackInfo &info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  mode_t mode = info[1].As<Napi::Number>().Uint32Value();
  // The mode exactly, without flipping the process's umask (a library's host may have threads
  // creating files meanwhile): made with the umask applied (narrower), then chmod'ed. The path is
  // in the state dir, root's own (no other user can swap it between the two calls).
  int r = mkfifo(path.c_str(), mode);
  if (r == 0 && chmod(path.c_str(), mode) < 0) {
    int e = errno;
    unlink(path.c_str());
    SysError(env, "chmod " + path, e).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (r < 0) SysError(env, "mkfifo " + path, errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value OpenPath(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) { SysError(env, "open " + path, errno).ThrowAsJavaScriptException(); return env.Null(); }
  return Napi::Number::New(env, fd);
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

}  // namespace tsrun
