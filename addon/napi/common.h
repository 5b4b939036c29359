// The parent side's one error convention and fd owner, for every N-API file of the addon (not the
// child: addon/child/ reports through sync records and never allocates).
#pragma once
#include <napi.h>

#include <string.h>
#include <unistd.h>

#include <string>

namespace tsrun {

// A failed call as a JS Error: "<what>: <strerror>[<detail>]", with .errno and .syscall = what
// (the TypeScript side maps errno; `what` names the call and its object, e.g. "open PATH").
inline Napi::Error SysError(Napi::Env env, const std::string &what, int err, const std::string &detail = "") {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err) + detail);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, what));
  return e;
}

// Owns one fd: closed when it goes out of scope unless release()d, so no error path leaks it.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd &&o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() { if (fd >= 0) close(fd); }
  int release() { int f = fd; fd = -1; return f; }
  void reset() { if (fd >= 0) close(fd); fd = -1; }
};

// Wait until fd is readable; throws (and returns false) on error or timeout (sync_io.cc).
bool PollIn(Napi::Env env, int fd, int timeout, const char *what);

}  // namespace tsrun
