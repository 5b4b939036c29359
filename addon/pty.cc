// A container's pty master, the parent's end: window size and the relay's tail.
#include <napi.h>

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "napi/common.h"
#include "napi/exports.h"

namespace tsrun {

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

}  // namespace tsrun
