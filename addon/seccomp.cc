// linux.seccomp -> a BPF program, built with libseccomp in the parent (never in the child).
// The program is returned as bytes; the child (or tsrun-init) only hands it to seccomp(2).
#include <napi.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
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

// ---- the -ENOSYS stub (runc's libcontainer/seccomp/patchbpf) ------------------------------
//
// An allow-list profile older than the kernel denies every syscall it does not know with its
// default action (EPERM): libc and language runtimes then take a new syscall (clone3,
// close_range, openat2, faccessat2, ...) for refused rather than absent and do not fall back.
// Prepended to libseccomp's program, the stub answers ENOSYS for a syscall numbered above the
// newest one the profile names on that architecture; everything else goes on to the
// profile's own filter. A syscall the profile names keeps its action, whatever its number.
// Like runc's, it cannot see holes: an unnamed syscall numbered below the newest named one
// (close_range 436 under a profile naming openat2 437) still gets the default action.

constexpr uint32_t X32_SYSCALL_BIT = 0x40000000;
constexpr uint32_t RET_ENOSYS = SCMP_ACT_ERRNO(ENOSYS);
constexpr size_t MAX_INSNS = 4096;  // BPF_MAXINSNS, also tsrun-init's buffer

// The newest syscall the profile names, per ABI. x86_64 and x32 share AUDIT_ARCH_X86_64 and
// are told apart by X32_SYSCALL_BIT in the number (libseccomp's x32 numbers carry it).
struct ArchMax { uint32_t audit; int32_t native = -1, x32 = -1; };

// A tiny assembler: jump targets are labels, resolved once the stub is laid out.
class Stub {
 public:
  static constexpr int NEXT = -1;
  int label() { pos_.push_back(-1); return (int)pos_.size() - 1; }
  void bind(int l) { pos_[l] = (int)ins_.size(); }
  void ld(uint32_t off) { emit(BPF_LD | BPF_W | BPF_ABS, off, NEXT, NEXT); }
  void ret(uint32_t k) { emit(BPF_RET | BPF_K, k, NEXT, NEXT); }
  void ja(int l) { emit(BPF_JMP | BPF_JA, 0, l, NEXT); }
  void jmp(uint16_t op, uint32_t k, int jt, int jf) { emit(BPF_JMP | op | BPF_K, k, jt, jf); }
  // false: a conditional jump does not fit in 8 bits (a stub for hundreds of architectures).
  bool resolve(std::vector<sock_filter> *out) const {
    for (size_t i = 0; i < ins_.size(); i++) {
      sock_filter f = { ins_[i].code, 0, 0, ins_[i].k };
      long jt = ins_[i].jt == NEXT ? 0 : pos_[ins_[i].jt] - (long)(i + 1);
      long jf = ins_[i].jf == NEXT ? 0 : pos_[ins_[i].jf] - (long)(i + 1);
      if (BPF_OP(f.code) == BPF_JA && BPF_CLASS(f.code) == BPF_JMP) f.k = (uint32_t)jt;
      else if (jt > 255 || jf > 255) return false;
      else { f.jt = (uint8_t)jt; f.jf = (uint8_t)jf; }
      out->push_back(f);
    }
    return true;
  }

 private:
  struct Ins { uint16_t code; uint32_t k; int jt, jf; };
  void emit(uint16_t code, uint32_t k, int jt, int jf) { ins_.push_back({ code, k, jt, jf }); }
  std::vector<Ins> ins_;
  std::vector<int> pos_;
};

//   ld [arch]; jeq ARCH_i -> section_i ...; ja filter
//   section_i: ld [nr]; (x86_64: jset X32_SYSCALL_BIT picks the ABI's maximum)
//              jgt MAX -> enosys, else -> filter
//   enosys: ret ERRNO(ENOSYS)
//   filter: libseccomp's program
bool EnosysStub(const std::vector<ArchMax> &arches, std::vector<sock_filter> *out) {
  if (arches.empty()) return true;  // the profile names nothing: nothing is newer
  Stub s;
  int enosys = s.label(), filter = s.label();
  std::vector<int> sections;
  s.ld(offsetof(seccomp_data, arch));
  for (const ArchMax &a : arches) {
    sections.push_back(s.label());
    s.jmp(BPF_JEQ, a.audit, sections.back(), Stub::NEXT);
  }
  s.ja(filter);
  for (size_t i = 0; i < arches.size(); i++) {
    const ArchMax &a = arches[i];
    s.bind(sections[i]);
    s.ld(offsetof(seccomp_data, nr));
    // s390: a syscall number the kernel does not know reaches seccomp as 0 (the multiplexer)
    if (a.audit == AUDIT_ARCH_S390 || a.audit == AUDIT_ARCH_S390X) s.jmp(BPF_JEQ, 0, enosys, Stub::NEXT);
    if (a.audit != AUDIT_ARCH_X86_64) {
      s.jmp(BPF_JGT, (uint32_t)a.native, enosys, filter);
    } else if (a.native >= 0 && a.x32 >= 0) {
      int x32 = s.label();
      s.jmp(BPF_JSET, X32_SYSCALL_BIT, x32, Stub::NEXT);
      s.jmp(BPF_JGT, (uint32_t)a.native, enosys, filter);
      s.bind(x32);
      s.jmp(BPF_JGT, (uint32_t)a.x32, enosys, filter);
    } else if (a.native >= 0) {
      s.jmp(BPF_JSET, X32_SYSCALL_BIT, filter, Stub::NEXT);  // x32 not in the profile: its filter decides
      s.jmp(BPF_JGT, (uint32_t)a.native, enosys, filter);
    } else {
      s.jmp(BPF_JSET, X32_SYSCALL_BIT, Stub::NEXT, filter);
      s.jmp(BPF_JGT, (uint32_t)a.x32, enosys, filter);
    }
  }
  s.bind(enosys);
  s.ret(RET_ENOSYS);
  s.bind(filter);
  return s.resolve(out);
}

// The profile's architectures and the native one (a profile may leave it out, as Docker's
// ppc64le one does; libseccomp filters it regardless), with the newest named syscall of each.
// Names this libseccomp does not know, or that do not exist on an architecture, do not count.
std::vector<ArchMax> NewestNamed(const std::vector<uint32_t> &tokens, const std::vector<std::string> &names) {
  std::vector<uint32_t> all = tokens;
  all.push_back(seccomp_arch_native());
  std::map<uint32_t, ArchMax> by_audit;
  std::vector<uint32_t> order;
  for (uint32_t t : all) {
    uint32_t audit = t == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : t;
    int32_t newest = -1;
    for (const std::string &n : names) {
      int nr = seccomp_syscall_resolve_name_arch(t, n.c_str());
      if (nr >= 0 && nr > newest) newest = nr;
    }
    if (newest < 0) continue;
    if (!by_audit.count(audit)) { order.push_back(audit); by_audit[audit].audit = audit; }
    (t == SCMP_ARCH_X32 ? by_audit[audit].x32 : by_audit[audit].native) = newest;
  }
  std::vector<ArchMax> out;
  for (uint32_t a : order) out.push_back(by_audit[a]);
  return out;
}

}  // namespace

// buildSeccomp({defaultAction, arches: [name], enosys, rules: [{names, action, args: [{index, value, valueTwo, op}], field}]})
// -> Buffer of struct sock_filter. Unknown syscall names are skipped (as runc does); rules
// whose action equals the default are skipped (libseccomp refuses them). enosys: prepend the
// -ENOSYS stub (the caller decides when, from the default action).
Napi::Value BuildSeccomp(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object d = info[0].As<Napi::Object>();
  uint32_t def = (uint32_t)U64(d.Get("defaultAction"));
  bool enosys = d.Get("enosys").ToBoolean();
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { Err(env, "linux.seccomp.defaultAction: libseccomp refused the action", EINVAL).ThrowAsJavaScriptException(); return env.Null(); }
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  auto fail = [&](const std::string &msg, int err) { seccomp_release(ctx); Err(env, msg, err).ThrowAsJavaScriptException(); return env.Null(); };
  Napi::Array arches = d.Get("arches").As<Napi::Array>();
  std::vector<uint32_t> tokens;
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>();
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (!arch) return fail("linux.seccomp.architectures[" + std::to_string(i) + "]: unknown architecture " + name, EINVAL);
    int r = seccomp_arch_add(ctx, arch);
    if (r < 0 && r != -EEXIST) return fail("linux.seccomp.architectures[" + std::to_string(i) + "]: " + name, -r);
    tokens.push_back(arch);
  }
  std::vector<std::string> named;  // every name in the profile, whatever its rule's action
  Napi::Array rules = d.Get("rules").As<Napi::Array>();
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object rule = rules.Get(i).As<Napi::Object>();
    uint32_t action = (uint32_t)U64(rule.Get("action"));
    std::string field = rule.Get("field").As<Napi::String>();
    Napi::Array names = rule.Get("names").As<Napi::Array>();
    for (uint32_t k = 0; k < names.Length(); k++) named.push_back(names.Get(k).As<Napi::String>());
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
  std::vector<sock_filter> prog;
  if (enosys && !EnosysStub(NewestNamed(tokens, named), &prog)) {
    close(fd);
    Err(env, "linux.seccomp.architectures: too many for the -ENOSYS stub", E2BIG).ThrowAsJavaScriptException();
    return env.Null();
  }
  size_t stub = prog.size();
  prog.resize(stub + (size > 0 ? size : 0) / sizeof(sock_filter));
  if (size > 0 && pread(fd, prog.data() + stub, size, 0) != size) { int e = errno; close(fd); Err(env, "reading the seccomp filter", e).ThrowAsJavaScriptException(); return env.Null(); }
  close(fd);
  if (prog.size() > MAX_INSNS) {
    Err(env, "linux.seccomp: the filter has " + std::to_string(prog.size()) + " BPF instructions, the kernel takes at most 4096; merge rules with the same action", E2BIG).ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Buffer<char>::Copy(env, reinterpret_cast<const char *>(prog.data()), prog.size() * sizeof(sock_filter));
}

}  // namespace tsrun
