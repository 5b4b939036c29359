// Unix sockets Node cannot make: console and seccomp-listener sockets (SCM_RIGHTS), the
// sd_notify relay's datagrams, socketpairs.
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <stddef.h>
#include <unistd.h>
#include <string>
#include <vector>

#include "napi/common.h"
#include "napi/exports.h"

namespace tsrun {

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
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.fd < 0) { SysError(env, "socket", errno).ThrowAsJavaScriptException(); return env.Null(); }
  // Bounded: a listener that never accepts (its backlog full) blocks connect, and a full
  // receive buffer blocks sendmsg; AF_UNIX honours SO_SNDTIMEO for both (EAGAIN after it)
  int ms = info.Length() > 1 ? info[1].As<Napi::Number>().Int32Value() : 0;
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  if (ms > 0) setsockopt(fd.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int r;
  do { r = connect(fd.fd, (struct sockaddr *)&addr, alen); } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno;
    SysError(env, "connect " + path, e == EAGAIN && ms > 0 ? ETIMEDOUT : e).ThrowAsJavaScriptException(); return env.Null();
  }
  return Napi::Number::New(env, fd.release());
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

// sd_notify relay: a datagram socket bound in the state dir, bind-mounted into the container.
Napi::Value BindUnixDgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  struct sockaddr_un addr;
  socklen_t alen;
  if (!UnixAddr(env, path, &addr, &alen)) return env.Null();
  unlink(path.c_str());
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.fd < 0 || bind(fd.fd, (struct sockaddr *)&addr, alen) < 0) {
    int e = errno;
    SysError(env, "bind " + path, e).ThrowAsJavaScriptException(); return env.Null();
  }
  chmod(path.c_str(), 0777);  // any container user may notify
  return Napi::Number::New(env, fd.release());
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
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ssize_t w = fd.fd < 0 ? -1 : sendto(fd.fd, data.data(), data.size(), MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
  int e = errno;
  fd.reset();
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

}  // namespace tsrun
