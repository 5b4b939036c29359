// The sync socket's records (contract.h Msg), the parent's end: one record per call, an fd
// attached (SCM_RIGHTS) where the protocol passes one. The order is src/lifecycle/sync.ts's.
#include <napi.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi/common.h"
#include "napi/exports.h"
#include "contract.h"

namespace tsrun {

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

}  // namespace tsrun
