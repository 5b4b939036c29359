// The JS plan object -> Plan, checked against the contract (contract.h). Every key is read
// through its generated contract::<object>::<key> constant, whose Kind fixes what the
// decoder accepts and returns: a key renamed or retyped in src/native/contract.def.mjs no
// longer compiles here, and a value of the wrong type is a TypeError naming the key, where
// the untyped reads before turned "1000" into uid 0 and aborted Node on a missing string.
#include "plan_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <type_traits>

namespace tsrun {
namespace {

using contract::Key;
using contract::Kind;
namespace tag = contract::tag;

// The first error of one decode; every read after it returns a default without touching JS.
struct Ctx {
  Napi::Env env;
  std::string error;      // "plan.uid: expected a uint32, got string"
  std::string key;        // "plan.uid"
  bool pending = false;   // a JS exception is pending already (a getter threw)
  bool ok() const { return error.empty() && !pending; }
};

std::string Describe(Napi::Value v) {
  if (v.IsEmpty() || v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return "boolean";
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (isnan(d)) return "NaN";
    if (isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    char b[64];
    if (trunc(d) == d && fabs(d) < 1e21) snprintf(b, sizeof b, "%.0f", d);
    else snprintf(b, sizeof b, "%.17g", d);
    return b;
  }
  if (v.IsBigInt()) return v.ToString().Utf8Value() + "n";
  if (v.IsString()) return "string";
  if (v.IsBuffer()) return "Buffer";
  if (v.IsArray()) return "array";
  if (v.IsFunction()) return "function";
  if (v.IsSymbol()) return "symbol";
  return "object";
}

const char *Expected(Kind k) {
  switch (k) {
    case Kind::Bool: return "a boolean";
    case Kind::String: return "a string";
    case Kind::U32: return "a uint32";
    case Kind::I32: return "an int32";
    case Kind::U64: case Kind::U64Big: return "a uint64";
    case Kind::I64: return "an int64";
    case Kind::Buffer: return "a Buffer";
    case Kind::Strings: return "an array of strings";
    case Kind::U32s: return "an array of uint32";
    case Kind::Object: return "an object";
    case Kind::Objects: return "an array of objects";
  }
  return "?";
}

// An integer JS number, or a bigint, that fits.
bool ToU64(Napi::Value v, uint64_t *out) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d < 18446744073709551616.0) || trunc(d) != d) return false;
    *out = (uint64_t)d;
    return true;
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless;
  }
  return false;
}
bool ToI64(Napi::Value v, int64_t *out) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || trunc(d) != d) return false;
    *out = (int64_t)d;
    return true;
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Int64Value(&lossless);
    return lossless;
  }
  return false;
}

template <Kind K> struct Num;
template <> struct Num<Kind::U32> { using T = uint32_t; };
template <> struct Num<Kind::I32> { using T = int32_t; };
template <> struct Num<Kind::U64> { using T = uint64_t; };
template <> struct Num<Kind::U64Big> { using T = uint64_t; };
template <> struct Num<Kind::I64> { using T = int64_t; };

template <Kind K> bool ToNum(Napi::Value v, typename Num<K>::T *out) {
  if constexpr (K == Kind::U64 || K == Kind::U64Big) {
    return ToU64(v, out);
  } else if constexpr (K == Kind::I64) {
    return ToI64(v, out);
  } else if constexpr (K == Kind::U32) {
    uint64_t x;
    if (!ToU64(v, &x) || x > 0xffffffffull) return false;
    *out = (uint32_t)x;
    return true;
  } else {
    static_assert(K == Kind::I32);
    int64_t x;
    if (!ToI64(v, &x) || x < INT32_MIN || x > INT32_MAX) return false;
    *out = (int32_t)x;
    return true;
  }
}

constexpr bool IsNum(Kind k) { return k == Kind::U32 || k == Kind::I32 || k == Kind::U64 || k == Kind::U64Big || k == Kind::I64; }

// A key's path ("plan.mounts[3]" + "target", or an element: "plan.groups" + [2]).
struct Where {
  const std::string *object;
  const char *key;
  int64_t index;  // -1: the key itself
  std::string str() const {
    std::string s = *object + "." + key;
    return index < 0 ? s : s + "[" + std::to_string(index) + "]";
  }
};

// One object of the plan. get(key) only takes keys of this object (Owner), and returns what
// the key's Kind says: bool, std::string, uint32_t, ..., Obj<Item>, std::vector<Obj<Item>>;
// wrapped in std::optional where the key may be absent and its absence means something.
template <typename Owner>
class Obj {
 public:
  Obj(Ctx *ctx, Napi::Object o, std::string path) : ctx_(ctx), o_(o), path_(std::move(path)) {}

  template <Kind K, bool A, typename I>
  auto get(const Key<K, A, Owner, I> &k) const {
    const Where where{&path_, k.name, -1};  // the key's path, spelled out only for an error
    Napi::Value v = Raw(k.name);
    const bool absent = !ctx_->ok() || v.IsUndefined() || v.IsNull();
    if (absent && !A) Fail(where, Expected(K), v);
    if constexpr (K == Kind::Bool) {
      if (!absent && !v.IsBoolean()) Fail(where, Expected(K), v);
      return ctx_->ok() && !absent && v.As<Napi::Boolean>().Value();
    } else if constexpr (K == Kind::String) {
      std::optional<std::string> r;
      if (!absent) {
        if (v.IsString()) r = v.As<Napi::String>().Utf8Value();
        else Fail(where, Expected(K), v);
      }
      if constexpr (A) return r;
      else return r.value_or(std::string());
    } else if constexpr (IsNum(K)) {
      using T = typename Num<K>::T;
      std::optional<T> r;
      if (!absent) {
        T x;
        if (ToNum<K>(v, &x)) r = x;
        else Fail(where, Expected(K), v);
      }
      if constexpr (A) return r;
      else return r.value_or(T{});
    } else if constexpr (K == Kind::Buffer) {
      std::optional<std::vector<char>> r;
      if (!absent) {
        if (v.IsBuffer()) {
          Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
          r.emplace(b.Data(), b.Data() + b.Length());
        } else Fail(where, Expected(K), v);
      }
      if constexpr (A) return r;
      else return r.value_or(std::vector<char>());
    } else if constexpr (K == Kind::Strings) {
      std::vector<std::string> r;  // absent: none
      ForEach(where, Expected(K), v, absent, [&](const Where &at, Napi::Value e) {
        if (e.IsString()) r.push_back(e.As<Napi::String>().Utf8Value());
        else Fail(at, "a string", e);
      });
      return r;
    } else if constexpr (K == Kind::U32s) {
      std::vector<uint32_t> r;
      ForEach(where, Expected(K), v, absent, [&](const Where &at, Napi::Value e) {
        uint32_t x;
        if (ToNum<Kind::U32>(e, &x)) r.push_back(x);
        else Fail(at, "a uint32", e);
      });
      if constexpr (A) return absent || !ctx_->ok() ? std::optional<std::vector<uint32_t>>() : std::optional<std::vector<uint32_t>>(std::move(r));
      else return r;
    } else if constexpr (K == Kind::Object) {
      std::optional<Obj<I>> r;
      if (!absent) {
        if (v.IsObject() && !v.IsArray()) r.emplace(ctx_, v.As<Napi::Object>(), where.str());
        else Fail(where, Expected(K), v);
      }
      if constexpr (A) return r;
      else return r ? *r : Obj<I>(ctx_, Napi::Object(), where.str());  // after a failure: reads nothing
    } else if constexpr (K == Kind::Objects) {
      std::vector<Obj<I>> r;
      ForEach(where, Expected(K), v, absent, [&](const Where &at, Napi::Value e) {
        if (e.IsObject() && !e.IsArray()) r.emplace_back(ctx_, e.As<Napi::Object>(), at.str());
        else Fail(at, "an object", e);
      });
      return r;
    }
  }

 private:
  Napi::Value Raw(const char *name) const {
    if (!ctx_->ok()) return ctx_->env.Undefined();
    Napi::Value v = o_.Get(name);
    if (v.IsEmpty()) { ctx_->pending = true; return ctx_->env.Undefined(); }  // a getter threw
    return v;
  }
  void Fail(const Where &where, const char *expected, Napi::Value got) const {
    if (!ctx_->ok()) return;
    ctx_->key = where.str();
    ctx_->error = ctx_->key + ": expected " + expected + ", got " + Describe(got);
  }
  // Each element of an array key (absent: none), until the first failure.
  template <typename F>
  void ForEach(const Where &where, const char *expected, Napi::Value v, bool absent, F f) const {
    if (absent || !ctx_->ok()) return;
    if (!v.IsArray()) return Fail(where, expected, v);
    Napi::Array a = v.As<Napi::Array>();
    uint32_t n = a.Length();
    for (uint32_t i = 0; i < n && ctx_->ok(); i++) {
      Napi::Value e = a.Get(i);
      if (e.IsEmpty()) { ctx_->pending = true; return; }
      f(Where{where.object, where.key, (int64_t)i}, e);
    }
  }

  Ctx *ctx_;
  Napi::Object o_;
  std::string path_;
};

const char *Opt(Storage &st, const std::optional<std::string> &s) { return s ? st.str(*s) : nullptr; }

void Throw(Napi::Env env, const std::string &message, const std::string &key) {
  Napi::Error e = Napi::TypeError::New(env, message);
  e.Set("key", Napi::String::New(env, key));
  e.ThrowAsJavaScriptException();
}

}  // namespace

bool ReadPlan(Napi::Env env, Storage &st, Napi::Value value) {
  if (!value.IsObject()) { Throw(env, "plan: expected an object, got " + Describe(value), "plan"); return false; }
  Ctx ctx{env};
  Obj<tag::NativePlan> o(&ctx, value.As<Napi::Object>(), "plan");
  namespace K = contract::plan;
  Plan &p = st.plan;
  p.rootfs = st.str(o.get(K::rootfs));
  p.rootfs_parent_mount = Opt(st, o.get(K::rootfsParentMount));
  p.clone_flags = o.get(K::cloneFlags);
  p.unshare_flags = o.get(K::unshareFlags);
  p.two_stage = o.get(K::twoStage);
  p.userns_sync = o.get(K::usernsSync);
  p.userns = o.get(K::userns);
  p.maps_unprivileged = o.get(K::mapsUnprivileged);
  for (const auto &j : o.get(K::joins)) {
    namespace J = contract::join;
    st.joins.push_back({j.get(J::type), st.str(j.get(J::path)), j.get(J::index)});
  }
  p.joins = st.joins.data(); p.n_joins = st.joins.size();
  p.hostname = Opt(st, o.get(K::hostname));
  p.domainname = Opt(st, o.get(K::domainname));
  p.root_propagation = o.get(K::rootPropagation);
  p.root_propagation_after = o.get(K::rootPropagationAfter).value_or(0);
  for (const auto &m : o.get(K::mounts)) {
    namespace M = contract::mount;
    MountOp op{};
    op.source = Opt(st, m.get(M::source));
    op.target = st.str(m.get(M::target));
    op.fstype = Opt(st, m.get(M::fstype));
    op.data = Opt(st, m.get(M::data));
    op.kind = m.get(M::kind);
    op.flags = m.get(M::flags);
    op.propagation = m.get(M::propagation);
    op.is_file = m.get(M::isFile);
    op.tmpcopyup = m.get(M::tmpcopyup);
    op.tree_fd = m.get(M::treeFd).value_or(-1);
    op.proc_ok = m.get(M::procOk);
    op.fallback_bind = Opt(st, m.get(M::fallbackBind));
    op.attr_set = m.get(M::attrSet).value_or(0);
    op.attr_clr = m.get(M::attrClr).value_or(0);
    op.index = m.get(M::index);
    op.ro_later = m.get(M::roLater).value_or(0);
    op.src_fd = -1;
    st.mounts.push_back(op);
  }
  p.mounts = st.mounts.data(); p.n_mounts = st.mounts.size();
  for (const auto &d : o.get(K::devices)) {
    namespace D = contract::device;
    DeviceOp op{};
    op.path = st.str(d.get(D::path));
    op.host_path = Opt(st, d.get(D::hostPath));
    op.mode = d.get(D::mode);
    // int64 in config.json, uint32 to mknod: truncated as runc's unix.Mkdev(uint32(major), ...)
    op.dev = makedev((unsigned)d.get(D::major), (unsigned)d.get(D::minor));
    op.uid = d.get(D::uid); op.gid = d.get(D::gid);
    op.index = d.get(D::index);
    st.devices.push_back(op);
  }
  p.devices = st.devices.data(); p.n_devices = st.devices.size();
  for (const auto &l : o.get(K::symlinks)) {
    namespace L = contract::symlink;
    st.symlinks.push_back({st.str(l.get(L::target)), st.str(l.get(L::link))});
  }
  p.symlinks = st.symlinks.data(); p.n_symlinks = st.symlinks.size();
  p.setup_rootfs = o.get(K::setupRootfs);
  p.mount_sources = o.get(K::mountSources);
  p.no_pivot = o.get(K::noPivot);
  for (const auto &h : o.get(K::hidePaths)) st.hide.push_back(st.str(h));
  p.hide_paths = st.hide.data(); p.n_hide = st.hide.size();
  p.readonly_root = o.get(K::readonlyRoot);
  p.hooks_sync = o.get(K::hooksSync);
  for (const auto &m : o.get(K::masked)) st.masked.push_back(st.str(m));
  p.masked = st.masked.data(); p.n_masked = st.masked.size();
  for (const auto &r : o.get(K::readonly)) st.readonly.push_back(st.str(r));
  p.readonly = st.readonly.data(); p.n_readonly = st.readonly.size();
  for (const auto &r : o.get(K::rlimits)) {
    namespace R = contract::rlimit;
    st.rlimits.push_back({r.get(R::resource), r.get(R::soft), r.get(R::hard), r.get(R::index)});
  }
  p.rlimits = st.rlimits.data(); p.n_rlimits = st.rlimits.size();
  p.umask = o.get(K::umask);
  p.cwd = st.str(o.get(K::cwd));
  p.uid = o.get(K::uid); p.gid = o.get(K::gid);
  st.groups = o.get(K::groups);
  p.groups = st.groups.data(); p.n_groups = st.groups.size();
  p.set_groups = o.get(K::setGroups);
  if (auto c = o.get(K::caps)) {
    namespace C = contract::caps;
    p.set_caps = 1;
    p.cap_bounding = c->get(C::bounding); p.cap_effective = c->get(C::effective); p.cap_permitted = c->get(C::permitted);
    p.cap_inheritable = c->get(C::inheritable); p.cap_ambient = c->get(C::ambient);
  }
  p.no_new_privs = o.get(K::noNewPrivs);
  for (const auto &c : o.get(K::pathCandidates)) st.candidates.push_back(st.str(c));
  p.path_candidates = st.candidates.data(); p.n_candidates = st.candidates.size();
  st.stub_path = o.get(K::stubPath);
  p.fork_in_stub = o.get(K::forkInStub);
  p.setsid = o.get(K::setsid);
  p.console_socket_fd = o.get(K::consoleSocketFd);
  // tsrun-init's argv in contract.h's StubArg order; the fd slots are filled by the child
  const uint32_t seccomp_flags = o.get(K::seccompFlags);
  uint64_t stub_flags = seccomp_flags;
  if (p.fork_in_stub && (p.setsid || p.console_socket_fd >= 0)) stub_flags |= STUB_SETSID;
  if (p.fork_in_stub && p.console_socket_fd >= 0) stub_flags |= STUB_CTTY;
  p.lsm_attr = Opt(st, o.get(K::lsmAttr));
  std::optional<std::string> lsm_value = o.get(K::lsmValue);
  st.stub_argv.assign(ARG_PATH, nullptr);
  st.stub_argv[0] = st.mut("tsrun-init");
  for (uint32_t slot : {ARG_FIFO_FD, ARG_SECCOMP_FD, ARG_PROC_FD, ARG_SYNC_FD, ARG_HOOKS_FD}) st.stub_argv[slot] = st.mut(std::string(16, '\0'));
  st.stub_argv[ARG_FLAGS] = st.mut(std::to_string(stub_flags));
  st.stub_argv[ARG_LSM_ATTR] = st.mut(p.lsm_attr ? p.lsm_attr : "");
  st.stub_argv[ARG_LSM_VALUE] = st.mut(lsm_value.value_or(std::string()));
  p.stub_path_slot = ARG_PATH;
  st.stub_argv.push_back(nullptr);  // ARG_PATH
  static_assert(ARG_ARGV == ARG_PATH + 1, "the user's argv follows the PATH slot");
  for (const auto &a : o.get(K::args)) st.stub_argv.push_back(st.mut(a));
  st.stub_argv.push_back(nullptr);
  p.stub_argv = st.stub_argv.data();
  for (const auto &e : o.get(K::env)) st.envp.push_back(st.mut(e));
  st.envp.push_back(nullptr);
  p.envp = st.envp.data();
  p.fifo_fd = o.get(K::fifoFd);
  p.seccomp_fd = o.get(K::seccompFd);
  p.preserve_fds = o.get(K::preserveFds);
  p.last_cap = o.get(K::lastCap);
  p.new_keyring = o.get(K::newKeyring);
  p.enter_rootfs = o.get(K::enterRootfs);
  p.hooks_fd = -1;
  p.parent_pid = (int32_t)getpid();
  // process.consoleSize is uint32; struct winsize takes uint16 (runc's conversion)
  p.console_width = (uint16_t)o.get(K::consoleWidth);
  p.console_height = (uint16_t)o.get(K::consoleHeight);
  p.mount_console = o.get(K::mountConsole);
  for (const auto &s : o.get(K::sysctls)) {
    namespace S = contract::sysctl;
    st.sysctl_paths.push_back(st.str(s.get(S::path)));
    st.sysctl_values.push_back(st.str(s.get(S::value)));
  }
  p.sysctl_paths = st.sysctl_paths.data(); p.sysctl_values = st.sysctl_values.data(); p.n_sysctl = st.sysctl_paths.size();
  p.personality = o.get(K::personality).value_or(-1);
  if (auto s = o.get(K::scheduler)) {
    namespace S = contract::scheduler;
    p.set_sched = 1;
    p.sched_policy = s->get(S::policy); p.sched_flags = s->get(S::flags); p.sched_nice = s->get(S::nice);
    p.sched_priority = (uint32_t)s->get(S::priority);  // int32 in config.json, __u32 in struct sched_attr
    p.sched_runtime = s->get(S::runtime); p.sched_deadline = s->get(S::deadline); p.sched_period = s->get(S::period);
  }
  p.ioprio = o.get(K::ioprio).value_or(-1);
  auto mask = [](const std::vector<uint32_t> &list, uint64_t *out) {
    for (uint32_t c : list) if (c < 1024) out[c / 64] |= 1ULL << (c % 64);
  };
  if (auto c = o.get(K::cpusInitial)) { mask(*c, p.cpus_initial); p.set_cpus_initial = 1; }
  if (auto c = o.get(K::cpusFinal)) { mask(*c, p.cpus_final); p.set_cpus_final = 1; }
  if (auto m = o.get(K::memoryPolicy)) {
    namespace MP = contract::memory_policy;
    p.mempolicy_mode = m->get(MP::mode);
    mask(m->get(MP::nodes), p.mempolicy_nodes);
    p.set_mempolicy = 1;
  }
  p.time_offsets = Opt(st, o.get(K::timeOffsets));
  std::optional<std::vector<char>> program = o.get(K::seccompProgram);
  bool in_child = o.get(K::seccompInChild), notify = o.get(K::seccompNotify);
  p.seccomp_flags = seccomp_flags;  // read by the child only with a program
  if (program) {
    st.seccomp = std::move(*program);
    p.seccomp_prog = st.seccomp.data();
    p.seccomp_count = (uint32_t)(st.seccomp.size() / 8);
    p.seccomp_in_child = in_child;
    p.seccomp_notify = notify;
  }
  st.cgroup_fd = o.get(K::cgroupFd).value_or(-1);
  if (auto b = o.get(K::hooksBlob)) { st.has_hooks_blob = true; st.hooks_blob = std::move(*b); }
  if (ctx.pending) return false;
  if (!ctx.ok()) { Throw(env, ctx.error, ctx.key); return false; }
  return true;
}

namespace {

// What the child would read, as a plan object again: the inverse of ReadPlan, for the round
// trip of the contract test. Written through the same key constants (a renamed key fails to
// compile here too); each key's Kind picks its JS type (a U64Big is a bigint).
template <typename Owner>
struct Out {
  Napi::Env env;
  Napi::Object o;
  explicit Out(Napi::Env e) : env(e), o(Napi::Object::New(e)) {}
  template <Kind K, bool A, typename I, typename T>
  void put(const Key<K, A, Owner, I> &k, const T &v) {
    if constexpr (K == Kind::Bool) o.Set(k.name, Napi::Boolean::New(env, (bool)v));
    else if constexpr (K == Kind::U64Big) o.Set(k.name, Napi::BigInt::New(env, (uint64_t)v));
    else if constexpr (IsNum(K)) o.Set(k.name, Napi::Number::New(env, (double)v));
    else if constexpr (K == Kind::String) {
      if constexpr (std::is_same_v<T, std::string>) o.Set(k.name, Napi::String::New(env, v));
      else o.Set(k.name, v ? Napi::Value(Napi::String::New(env, v)) : env.Null());
    } else o.Set(k.name, v);  // arrays and objects, built by the caller
  }
};

template <typename T, typename F>
Napi::Array ArrayOf(Napi::Env env, const T *items, size_t n, F f) {
  Napi::Array a = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) a.Set((uint32_t)i, f(items[i]));
  return a;
}

Napi::Array Strings(Napi::Env env, const char *const *items, size_t n) {
  return ArrayOf(env, items, n, [&](const char *s) { return Napi::String::New(env, s); });
}

Napi::Array Bits(Napi::Env env, const uint64_t *mask) {
  std::vector<uint32_t> on;
  for (uint32_t c = 0; c < 1024; c++) if (mask[c / 64] & (1ULL << (c % 64))) on.push_back(c);
  return ArrayOf(env, on.data(), on.size(), [&](uint32_t c) { return Napi::Number::New(env, c); });
}

Napi::Object Echo(Napi::Env env, const Storage &st) {
  const Plan &p = st.plan;
  namespace K = contract::plan;
  Out<tag::NativePlan> o(env);
  o.put(K::rootfs, p.rootfs);
  o.put(K::rootfsParentMount, p.rootfs_parent_mount);
  o.put(K::cloneFlags, p.clone_flags);
  o.put(K::unshareFlags, p.unshare_flags);
  o.put(K::twoStage, p.two_stage);
  o.put(K::usernsSync, p.userns_sync);
  o.put(K::userns, p.userns);
  o.put(K::mapsUnprivileged, p.maps_unprivileged);
  o.put(K::joins, ArrayOf(env, p.joins, p.n_joins, [&](const NsJoin &j) {
    namespace J = contract::join;
    Out<tag::NativeJoin> x(env);
    x.put(J::type, j.type); x.put(J::path, j.path); x.put(J::index, j.index);
    return x.o;
  }));
  o.put(K::hostname, p.hostname);
  o.put(K::domainname, p.domainname);
  o.put(K::rootPropagation, p.root_propagation);
  o.put(K::rootPropagationAfter, p.root_propagation_after);
  o.put(K::mounts, ArrayOf(env, p.mounts, p.n_mounts, [&](const MountOp &m) {
    namespace M = contract::mount;
    Out<tag::NativeMount> x(env);
    x.put(M::source, m.source); x.put(M::target, m.target); x.put(M::fstype, m.fstype); x.put(M::data, m.data);
    x.put(M::kind, m.kind); x.put(M::flags, m.flags); x.put(M::propagation, m.propagation); x.put(M::isFile, m.is_file);
    x.put(M::index, m.index); x.put(M::attrSet, m.attr_set); x.put(M::attrClr, m.attr_clr); x.put(M::tmpcopyup, m.tmpcopyup);
    if (m.tree_fd >= 0) x.put(M::treeFd, m.tree_fd);
    x.put(M::procOk, m.proc_ok); x.put(M::roLater, m.ro_later);
    if (m.fallback_bind) x.put(M::fallbackBind, m.fallback_bind);
    return x.o;
  }));
  o.put(K::devices, ArrayOf(env, p.devices, p.n_devices, [&](const DeviceOp &d) {
    namespace D = contract::device;
    Out<tag::NativeDevice> x(env);
    x.put(D::path, d.path); x.put(D::hostPath, d.host_path); x.put(D::mode, d.mode);
    x.put(D::major, major(d.dev)); x.put(D::minor, minor(d.dev)); x.put(D::uid, d.uid); x.put(D::gid, d.gid); x.put(D::index, d.index);
    return x.o;
  }));
  o.put(K::symlinks, ArrayOf(env, p.symlinks, p.n_symlinks, [&](const SymlinkOp &l) {
    namespace L = contract::symlink;
    Out<tag::NativeSymlink> x(env);
    x.put(L::target, l.target); x.put(L::link, l.link);
    return x.o;
  }));
  o.put(K::setupRootfs, p.setup_rootfs);
  o.put(K::noPivot, p.no_pivot);
  o.put(K::readonlyRoot, p.readonly_root);
  o.put(K::hooksSync, p.hooks_sync);
  o.put(K::mountSources, p.mount_sources);
  o.put(K::hidePaths, Strings(env, p.hide_paths, p.n_hide));
  o.put(K::enterRootfs, p.enter_rootfs);
  o.put(K::masked, Strings(env, p.masked, p.n_masked));
  o.put(K::readonly, Strings(env, p.readonly, p.n_readonly));
  o.put(K::rlimits, ArrayOf(env, p.rlimits, p.n_rlimits, [&](const Rlimit &r) {
    namespace R = contract::rlimit;
    Out<tag::NativeRlimit> x(env);
    x.put(R::resource, r.resource); x.put(R::soft, r.soft); x.put(R::hard, r.hard); x.put(R::index, r.index);
    return x.o;
  }));
  o.put(K::umask, p.umask);
  o.put(K::cwd, p.cwd);
  o.put(K::uid, p.uid);
  o.put(K::gid, p.gid);
  o.put(K::groups, ArrayOf(env, p.groups, p.n_groups, [&](uint32_t g) { return Napi::Number::New(env, g); }));
  o.put(K::setGroups, p.set_groups);
  if (p.set_caps) {
    namespace C = contract::caps;
    Out<tag::NativeCaps> x(env);
    x.put(C::bounding, p.cap_bounding); x.put(C::effective, p.cap_effective); x.put(C::permitted, p.cap_permitted);
    x.put(C::inheritable, p.cap_inheritable); x.put(C::ambient, p.cap_ambient);
    o.put(K::caps, x.o);
  } else o.put(K::caps, env.Null());
  o.put(K::noNewPrivs, p.no_new_privs);
  o.put(K::pathCandidates, Strings(env, p.path_candidates, p.n_candidates));
  size_t argc = 0;
  while (p.stub_argv[ARG_ARGV + argc]) argc++;
  o.put(K::args, Strings(env, p.stub_argv + ARG_ARGV, argc));
  size_t envc = 0;
  while (p.envp[envc]) envc++;
  o.put(K::env, Strings(env, p.envp, envc));
  o.put(K::stubPath, st.stub_path);
  o.put(K::fifoFd, p.fifo_fd);
  o.put(K::seccompFd, p.seccomp_fd);
  o.put(K::seccompFlags, p.seccomp_flags);
  o.put(K::preserveFds, p.preserve_fds);
  o.put(K::setsid, p.setsid);
  o.put(K::lastCap, p.last_cap);
  o.put(K::newKeyring, p.new_keyring);
  o.put(K::consoleSocketFd, p.console_socket_fd);
  o.put(K::consoleWidth, p.console_width);
  o.put(K::consoleHeight, p.console_height);
  if (p.seccomp_prog) {
    o.put(K::seccompProgram, Napi::Buffer<char>::Copy(env, st.seccomp.data(), st.seccomp.size()));
    o.put(K::seccompInChild, p.seccomp_in_child);
    o.put(K::seccompNotify, p.seccomp_notify);
  }
  if (p.lsm_attr) o.put(K::lsmAttr, p.lsm_attr);
  if (p.stub_argv[ARG_LSM_VALUE][0]) o.put(K::lsmValue, p.stub_argv[ARG_LSM_VALUE]);
  Napi::Array sysctls = Napi::Array::New(env, p.n_sysctl);
  for (uint32_t i = 0; i < p.n_sysctl; i++) {
    namespace S = contract::sysctl;
    Out<tag::NativeSysctl> x(env);
    x.put(S::path, p.sysctl_paths[i]); x.put(S::value, p.sysctl_values[i]);
    sysctls.Set(i, x.o);
  }
  o.put(K::sysctls, sysctls);
  if (p.personality >= 0) o.put(K::personality, p.personality);
  if (p.set_sched) {
    namespace S = contract::scheduler;
    Out<tag::NativeScheduler> x(env);
    x.put(S::policy, p.sched_policy); x.put(S::flags, p.sched_flags); x.put(S::nice, p.sched_nice);
    x.put(S::priority, (int32_t)p.sched_priority);
    x.put(S::runtime, p.sched_runtime); x.put(S::deadline, p.sched_deadline); x.put(S::period, p.sched_period);
    o.put(K::scheduler, x.o);
  }
  if (p.ioprio >= 0) o.put(K::ioprio, p.ioprio);
  if (p.set_cpus_initial) o.put(K::cpusInitial, Bits(env, p.cpus_initial));
  if (p.set_cpus_final) o.put(K::cpusFinal, Bits(env, p.cpus_final));
  if (p.set_mempolicy) {
    namespace MP = contract::memory_policy;
    Out<tag::NativeMemoryPolicy> x(env);
    x.put(MP::mode, p.mempolicy_mode); x.put(MP::nodes, Bits(env, p.mempolicy_nodes));
    o.put(K::memoryPolicy, x.o);
  }
  if (p.time_offsets) o.put(K::timeOffsets, p.time_offsets);
  if (st.cgroup_fd >= 0) o.put(K::cgroupFd, st.cgroup_fd);
  o.put(K::mountConsole, p.mount_console);
  o.put(K::forkInStub, p.fork_in_stub);
  if (st.has_hooks_blob) o.put(K::hooksBlob, Napi::Buffer<char>::Copy(env, st.hooks_blob.data(), st.hooks_blob.size()));
  // tsrun-init's argv as the child execs it (the fd slots and PATH are filled by the child)
  Napi::Array argv = Napi::Array::New(env);
  for (uint32_t i = 0; i < ARG_ARGV + argc; i++) {
    const char *a = p.stub_argv[i];
    argv.Set(i, a ? Napi::Value(Napi::String::New(env, a)) : env.Null());
  }
  o.o.Set("_stubArgv", argv);
  return o.o;
}

Napi::Object Table(Napi::Env env, const contract::Named *items, size_t n) {
  Napi::Object o = Napi::Object::New(env);
  for (size_t i = 0; i < n; i++) o.Set(items[i].name, Napi::Number::New(env, items[i].value));
  return o;
}

}  // namespace

Napi::Value DecodePlanForTest(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto st = std::make_unique<Storage>();
  if (!ReadPlan(env, *st, info[0])) return env.Null();
  return Echo(env, *st);
}

Napi::Object ContractExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", Napi::String::New(env, TSRUN_CONTRACT_VERSION));
  o.Set("msg", Table(env, contract::kMsgs, sizeof contract::kMsgs / sizeof *contract::kMsgs));
  o.Set("step", Table(env, contract::kSteps, sizeof contract::kSteps / sizeof *contract::kSteps));
  o.Set("stubArg", Table(env, contract::kStubArgs, sizeof contract::kStubArgs / sizeof *contract::kStubArgs));
  o.Set("stubFlag", Table(env, contract::kStubFlags, sizeof contract::kStubFlags / sizeof *contract::kStubFlags));
  return o;
}

}  // namespace tsrun
