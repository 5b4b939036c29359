// cgroup v2 device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program (generated in TypeScript,
// src/cgroups/controllers/v2/device-filter.ts) and attach it to a cgroup directory, the way runc
// 1.1 does (libcontainer/cgroups/ebpf/ebpf_linux.go): attach with BPF_F_ALLOW_MULTI and get rid
// of the programs attached to that cgroup before (replacing a single one in place with
// BPF_F_REPLACE where the kernel has it, else attaching first and detaching the old ones after,
// so the cgroup is never left unfiltered). Raw bpf(2), no libbpf.

#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "napi/common.h"

namespace tsrun {
namespace {

long Bpf(int cmd, union bpf_attr *attr) {
  long r;
  do r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
  while (r < 0 && errno == EINTR);
  return r;
}

// Error carrying errno (and the verifier log when there is one).
Napi::Error BpfError(Napi::Env env, const std::string &what, int err, const std::string &log = "") {
  Napi::Error e = SysError(env, what, err, log.empty() ? "" : "\nverifier log:\n" + log);
  if (!log.empty()) e.Set("verifierLog", Napi::String::New(env, log));
  return e;
}

int ProgLoad(const std::vector<struct bpf_insn> &insns, char *log, uint32_t logSize) {
  static const char kLicense[] = "Apache";
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insn_cnt = (uint32_t)insns.size();
  a.insns = (uint64_t)(uintptr_t)insns.data();
  a.license = (uint64_t)(uintptr_t)kLicense;
  if (log && logSize) {
    log[0] = 0;
    a.log_level = 1;
    a.log_size = logSize;
    a.log_buf = (uint64_t)(uintptr_t)log;
  }
  strncpy(a.prog_name, "tsrun_devices", sizeof(a.prog_name) - 1);
  return (int)Bpf(BPF_PROG_LOAD, &a);
}

// Ids of the BPF_CGROUP_DEVICE programs attached directly to the cgroup.
bool QueryAttached(int cgfd, std::vector<uint32_t> &ids, int &err) {
  uint32_t cap = 64;
  for (int tries = 0; tries < 10; tries++) {
    ids.assign(cap, 0);
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.query.target_fd = (uint32_t)cgfd;
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = (uint64_t)(uintptr_t)ids.data();
    a.query.prog_cnt = cap;
    if (Bpf(BPF_PROG_QUERY, &a) == 0) {
      ids.resize(a.query.prog_cnt);
      return true;
    }
    if (errno != ENOSPC) { err = errno; return false; }
    cap = a.query.prog_cnt > cap ? a.query.prog_cnt : cap * 2;  // the kernel reports the count
  }
  err = ENOSPC;
  return false;
}

}  // namespace

// Raising RLIMIT_MEMLOCK changes the whole process: only the CLI asks for it (setRaiseMemlock(true));
// a library's host keeps its limits and gets the EPERM with the fix named.
static bool g_raiseMemlock = false;

Napi::Value SetRaiseMemlock(const Napi::CallbackInfo &info) {
  g_raiseMemlock = info.Length() > 0 && info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

// attachDeviceFilter(cgroupDir: string, program: Buffer): void (registered in napi/init.cc's Init).
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "attachDeviceFilter(cgroupDir: string, program: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  if (buf.Length() == 0 || buf.Length() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "attachDeviceFilter: program must be a non-empty array of 8-byte bpf_insn").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<struct bpf_insn> insns(buf.Length() / sizeof(struct bpf_insn));
  memcpy(insns.data(), buf.Data(), buf.Length());

  Fd cg(open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (cg.fd < 0) {
    BpfError(env, "open " + dir, errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  std::vector<uint32_t> oldIds;
  int err = 0;
  if (!QueryAttached(cg.fd, oldIds, err)) {
    BpfError(env, "bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE) on " + dir, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // Load. Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK: the CLI raises it on EPERM
  // (runc raises it unconditionally) and retries once. On failure, load again with a verifier log.
  Fd prog(ProgLoad(insns, nullptr, 0));
  bool memlockHint = false;
  if (prog.fd < 0 && errno == EPERM && !g_raiseMemlock) {
    memlockHint = true;
  } else if (prog.fd < 0 && errno == EPERM) {
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0) prog.fd = ProgLoad(insns, nullptr, 0);
    else errno = EPERM;
  }
  if (prog.fd < 0) {
    int loadErr = errno;
    std::vector<char> log(1 << 20);
    Fd again(ProgLoad(insns, log.data(), (uint32_t)log.size()));
    std::string text(log.data(), strnlen(log.data(), log.size()));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (again.fd >= 0) text.clear();  // loads with a log but not without: report the first error only
    else if (errno == ENOSPC) text += "\n(verifier log truncated)";
    Napi::Error err = BpfError(env, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, " + std::to_string(insns.size()) + " insns)", loadErr, text);
    if (memlockHint && loadErr == EPERM)
      err.Set("message", err.Message() + " (kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK: raise the calling process's "
              "RLIMIT_MEMLOCK; the tsrun CLI does, a library call leaves its host's limits alone)");
    err.ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // Handles on the old programs (needed to replace/detach them). Programs we may not touch
  // (EPERM/EACCES, e.g. an LSM label) or that went away meanwhile are skipped, as runc does.
  std::vector<Fd> old;
  for (uint32_t id : oldIds) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_id = id;
    int fd = (int)Bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (fd >= 0) { old.emplace_back(fd); continue; }
    if (errno == EPERM || errno == EACCES || errno == ENOENT) continue;
    BpfError(env, "bpf(BPF_PROG_GET_FD_BY_ID, " + std::to_string(id) + ")", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  union bpf_attr at;
  memset(&at, 0, sizeof(at));
  at.target_fd = (uint32_t)cg.fd;
  at.attach_bpf_fd = (uint32_t)prog.fd;
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  bool replaced = false;
  if (old.size() == 1 && oldIds.size() == 1) {
    // One old program: swap it in place (BPF_F_REPLACE, Linux 5.6). EINVAL = not supported
    // (or the old one was detached meanwhile): fall back to attach + detach.
    union bpf_attr r = at;
    r.attach_flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
    r.replace_bpf_fd = (uint32_t)old[0].fd;
    if (Bpf(BPF_PROG_ATTACH, &r) == 0) replaced = true;
    else if (errno != EINVAL && errno != ENOENT) {
      BpfError(env, "bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI|BPF_F_REPLACE) on " + dir, errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  if (!replaced) {
    if (Bpf(BPF_PROG_ATTACH, &at) != 0) {
      BpfError(env, "bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) on " + dir, errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    for (size_t i = 0; i < old.size(); i++) {
      union bpf_attr d;
      memset(&d, 0, sizeof(d));
      d.target_fd = (uint32_t)cg.fd;
      d.attach_bpf_fd = (uint32_t)old[i].fd;
      d.attach_type = BPF_CGROUP_DEVICE;
      if (Bpf(BPF_PROG_DETACH, &d) != 0 && errno != ENOENT) {
        BpfError(env, "bpf(BPF_PROG_DETACH, BPF_CGROUP_DEVICE) of an old device filter on " + dir, errno).ThrowAsJavaScriptException();
        return env.Undefined();
      }
    }
  }
  // The attachment holds the program; our fds close here.
  return env.Undefined();
}

}  // namespace tsrun
