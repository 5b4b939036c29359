// waitReadable(fd, timeoutMs): a Promise of true once fd is readable (or at its EOF or an
// error, which the read that follows reports), false when timeoutMs passed first. The wait is
// a uv_poll_t on the event loop, not a blocked thread: any number of waits (one per concurrent
// create or exec) cost no threadpool thread, and the event loop keeps running meanwhile.
// Ordering: the poll handle is closed (its fd removed from epoll) before the promise settles,
// so the caller may read or close the fd at once; one wait per fd at a time.
#include <napi.h>
#include <poll.h>
#include <string.h>
#include <uv.h>

namespace tsrun {
namespace {

struct Waiter {
  napi_env env;
  Napi::Promise::Deferred deferred;
  Napi::AsyncContext ctx;
  uv_poll_t poll;
  uv_timer_t timer;
  int open = 0;  // handles not yet closed; the last close frees the waiter
  bool settled = false;
  explicit Waiter(Napi::Env e) : env(e), deferred(Napi::Promise::Deferred::New(e)), ctx(e, "tsrun.waitReadable") {}
};

void OnClosed(uv_handle_t *h) {
  Waiter *w = static_cast<Waiter *>(h->data);
  if (--w->open == 0) delete w;
}

void CloseHandles(Waiter *w) {
  uv_close(reinterpret_cast<uv_handle_t *>(&w->poll), OnClosed);
  if (w->open == 2) uv_close(reinterpret_cast<uv_handle_t *>(&w->timer), OnClosed);
}

void Settle(Waiter *w, bool readable) {
  if (w->settled) return;
  w->settled = true;
  CloseHandles(w);
  Napi::Env env(w->env);
  Napi::HandleScope hs(env);
  // a callback scope: the promise's continuations (microtasks) run when it closes
  Napi::CallbackScope cs(env, w->ctx);
  w->deferred.Resolve(Napi::Boolean::New(env, readable));
}

void OnPoll(uv_poll_t *h, int, int) { Settle(static_cast<Waiter *>(h->data), true); }
void OnTimer(uv_timer_t *t) { Settle(static_cast<Waiter *>(t->data), false); }

Napi::Error UvError(Napi::Env env, int r) {
  Napi::Error e = Napi::Error::New(env, std::string("waiting for the container's child: ") + uv_strerror(r));
  e.Set("errno", Napi::Number::New(env, -r));
  return e;
}

}  // namespace

Napi::Value WaitReadable(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  double ms = info[1].As<Napi::Number>().DoubleValue();
  Napi::Promise::Deferred now = Napi::Promise::Deferred::New(env);
  // readable already (the common case: the child was quicker than the parent): no handle
  struct pollfd pfd = {fd, POLLIN, 0};
  int pr;
  do { pr = poll(&pfd, 1, 0); } while (pr < 0 && errno == EINTR);
  if (pr != 0 || ms <= 0) { now.Resolve(Napi::Boolean::New(env, pr != 0)); return now.Promise(); }
  uv_loop_t *loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) { now.Reject(UvError(env, UV_EINVAL).Value()); return now.Promise(); }
  Waiter *w = new Waiter(env);
  Napi::Promise p = w->deferred.Promise();
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r < 0) { w->deferred.Reject(UvError(env, r).Value()); delete w; return p; }
  w->poll.data = w;
  w->timer.data = w;
  w->open = 1;
  uv_timer_init(loop, &w->timer);
  w->open = 2;
  r = uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, OnPoll);
  if (r < 0) {
    w->settled = true;
    w->deferred.Reject(UvError(env, r).Value());
    CloseHandles(w);
    return p;
  }
  uv_timer_start(&w->timer, OnTimer, (uint64_t)ms, 0);
  return p;
}

}  // namespace tsrun
