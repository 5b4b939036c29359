// linux.seccomp -> a BPF program, built with libseccomp in the parent (never in the child).
// The program is returned as bytes; the child (or tsrun-init) only hands it to seccomp(2).
#include <napi.h>
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace tsrun {

namespace {

Napi::Error Err(Napi::Env env, const std::string &msg, int err) {
  Napi::Error e = Napi::Error::New(env, msg + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

uint64_t U64(Napi::Value v) {
  bool lossless;
  if (v.IsBigInt()) return v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (v.IsNumber()) return (uint64_t)v.As<Napi::Number>().Int64Value();
  return 0;
}

}  // namespace

// buildSeccomp({defaultAction, arches: [name], rules: [{names, action, args: [{index, value, valueTwo, op}], field}]})
// -> Buffer of struct sock_filter. Unknown syscall names are skipped (as runc does); rules
// whose action equals the default are skipped (libseccomp refuses them).
Napi::Value BuildSeccomp(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object d = info[0].As<Napi::Object>();
  uint32_t def = (uint32_t)U64(d.Get("defaultAction"));
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { Err(env, "linux.seccomp.defaultAction: libseccomp refused the action", EINVAL).ThrowAsJavaScriptException(); return env.Null(); }
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  auto fail = [&](const std::string &msg, int err) { seccomp_release(ctx); Err(env, msg, err).ThrowAsJavaScriptException(); return env.Null(); };
  Napi::Array arches = d.Get("arches").As<Napi::Array>();
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>();
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (!arch) return fail("linux.seccomp.architectures[" + std::to_string(i) + "]: unknown architecture " + name, EINVAL);
    int r = seccomp_arch_add(ctx, arch);
    if (r < 0 && r != -EEXIST) return fail("linux.seccomp.architectures[" + std::to_string(i) + "]: " + name, -r);
  }
  Napi::Array rules = d.Get("rules").As<Napi::Array>();
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object rule = rules.Get(i).As<Napi::Object>();
    uint32_t action = (uint32_t)U64(rule.Get("action"));
    std::string field = rule.Get("field").As<Napi::String>();
    if (action == def) continue;
    Napi::Array args = rule.Get("args").As<Napi::Array>();
    std::vector<scmp_arg_cmp> cmps;
    bool distinct = true;
    for (uint32_t j = 0; j < args.Length(); j++) {
      Napi::Object a = args.Get(j).As<Napi::Object>();
      scmp_arg_cmp c = {};
      c.arg = (unsigned int)U64(a.Get("index"));
      c.op = (scmp_compare)U64(a.Get("op"));
      c.datum_a = U64(a.Get("value"));
      c.datum_b = U64(a.Get("valueTwo"));
      for (const auto &prev : cmps) if (prev.arg == c.arg) distinct = false;
      cmps.push_back(c);
    }
    Napi::Array names = rule.Get("names").As<Napi::Array>();
    for (uint32_t k = 0; k < names.Length(); k++) {
      std::string name = names.Get(k).As<Napi::String>();
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown here: ignored, as runc does
      // Comparisons on distinct arguments must all hold (one rule); several on the same
      // argument are alternatives (one rule each), as runc does.
      int r = 0;
      if (cmps.empty() || distinct) r = seccomp_rule_add_array(ctx, action, nr, cmps.size(), cmps.data());
      else for (const auto &c : cmps) { r = seccomp_rule_add_array(ctx, action, nr, 1, &c); if (r < 0) break; }
      if (r < 0) return fail(field + ": adding a rule for " + name, -r);
    }
  }
  int fd = memfd_create("tsrun-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail("memfd_create", errno);
  int r = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (r < 0) { close(fd); Err(env, "linux.seccomp: exporting the filter", -r).ThrowAsJavaScriptException(); return env.Null(); }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<char> buf(size > 0 ? size : 0);
  if (size > 0 && pread(fd, buf.data(), size, 0) != size) { int e = errno; close(fd); Err(env, "reading the seccomp filter", e).ThrowAsJavaScriptException(); return env.Null(); }
  close(fd);
  return Napi::Buffer<char>::Copy(env, buf.data(), buf.size());
}

}  // namespace tsrun
