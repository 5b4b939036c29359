// waitpid, synchronous and on the libuv thread pool.
#include <napi.h>

#include <errno.h>
#include <sys/wait.h>

#include "napi/common.h"
#include "napi/exports.h"

namespace tsrun {

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

}  // namespace tsrun
