// Which of the syscalls tsrun uses this kernel (and any seccomp filter tsrun runs under) lets
// through: each is called with arguments it must refuse before doing anything (a bad fd, a
// zero size, undefined flags), so nothing is opened, cloned, closed or mounted. The answer is
// the errno: ENOSYS = not there (or stubbed by a filter), EPERM = refused by a filter or by
// missing privilege, anything else = present.
#include <napi.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscalls.h"

namespace tsrun {

namespace {
struct Probe { const char *name; long nr; long a, b, c, d, e; };

long err_of(long r) { return r < 0 ? errno : 0; }
}  // namespace

Napi::Value ProbeSyscalls(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  static char empty[] = "";
  static char rel[] = "tsrun-probe";
  static const long zero_how[3] = {0, 0, 0};
  const Probe probes[] = {
    {"openat2", SYS_openat2, -1, (long)rel, (long)zero_how, sizeof zero_how, 0},   // EBADF: relative path on fd -1
    {"clone3", SYS_clone3, 0, 0, 0, 0, 0},                                          // EINVAL: size 0
    {"close_range", SYS_close_range, 1, 0, 0, 0, 0},                                     // EINVAL: first > last
    {"open_tree", SYS_open_tree, -1, (long)rel, 0, 0, 0},                              // EBADF
    {"move_mount", SYS_move_mount, -1, (long)rel, -1, (long)rel, 0},                    // EBADF
    {"fsopen", SYS_fsopen, (long)rel, ~0L, 0, 0, 0},                                // EINVAL: undefined flags (EPERM without CAP_SYS_ADMIN)
    {"mount_setattr", SYS_mount_setattr, -1, (long)empty, 0, 0, 0},                        // EINVAL: attr size 0
  };
  Napi::Object out = Napi::Object::New(env);
  for (const Probe &p : probes) {
    long r = syscall(p.nr, p.a, p.b, p.c, p.d, p.e);
    out.Set(p.name, Napi::Number::New(env, (double)err_of(r)));
  }
  return out;
}

// Which of the newer syscalls tsrun uses this kernel has: each is called with arguments every
// kernel that has it refuses before doing anything (bad fd, zero size), so only ENOSYS (no such
// syscall) or EPERM (a seccomp filter of a parent that does not know it) mean "missing". The
// value per name is 0 (present) or the errno.
Napi::Value KernelSupport(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto probe = [](long r) -> int { return r < 0 && (errno == ENOSYS || errno == EPERM) ? errno : 0; };
  Napi::Object o = Napi::Object::New(env);
  o.Set("openTree", probe(syscall(SYS_open_tree, -1, "", 0)));
  o.Set("moveMount", probe(syscall(SYS_move_mount, -1, "", -1, "", 0)));
  o.Set("fsopen", probe(syscall(SYS_fsopen, nullptr, 0x80000000u /* no such flag */)));
  o.Set("clone3", probe(syscall(SYS_clone3, nullptr, 0)));
  o.Set("closeRange", probe(syscall(SYS_close_range, ~0u, 0u, 0u)));
  o.Set("openat2", probe(syscall(SYS_openat2, -1, "", nullptr, 0)));
  o.Set("mountSetattr", probe(syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0)));
  return o;
}

}  // namespace tsrun
