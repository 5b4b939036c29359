// The JS plan object (src/native/contract.ts NativePlan) -> addon/plan.h's Plan, checked key by
// key against the contract (contract.h, generated from src/native/contract.def.mjs).
#pragma once
#include <napi.h>

#include <deque>
#include <string>
#include <vector>

#include "plan.h"

namespace tsrun {

// Owns every byte the child will read, and what Spawn needs besides the Plan.
struct Storage {
  std::deque<std::string> strings;
  std::vector<MountOp> mounts;
  std::vector<DeviceOp> devices;
  std::vector<SymlinkOp> symlinks;
  std::vector<NsJoin> joins;
  std::vector<Rlimit> rlimits;
  std::vector<const char *> masked, readonly, candidates, hide;
  std::vector<char *> stub_argv, envp;
  std::vector<uint32_t> groups;
  std::vector<char> seccomp;
  std::vector<const char *> sysctl_paths, sysctl_values;
  std::string stub_path;          // tsrun-init, copied into the sealed memfd
  int32_t cgroup_fd = -1;         // clone3(CLONE_INTO_CGROUP) target (-1: plain clone)
  bool has_hooks_blob = false;    // startContainer hooks for tsrun-init
  std::vector<char> hooks_blob;
  Plan plan{};

  const char *str(const std::string &s) { strings.push_back(s); return strings.back().c_str(); }
  char *mut(const std::string &s) { strings.push_back(s); return &strings.back()[0]; }
};

// Decodes `plan` into st. On a key of the wrong type, a missing key or a value out of its
// range, throws a TypeError naming the key ("plan.uid: expected a uint32, got string") into JS
// and returns false: nothing is turned into 0, nothing aborts.
bool ReadPlan(Napi::Env env, Storage &st, Napi::Value plan);

// decodePlanForTest(plan): ReadPlan, then what the child would read, as a plan object again
// (plus _stubArgv, tsrun-init's argv): the contract test's round trip. Spawns nothing.
Napi::Value DecodePlanForTest(const Napi::CallbackInfo &info);

// The contract the addon was built with: { version, msg, step, stubArg, stubFlag }.
Napi::Object ContractExports(Napi::Env env);

}  // namespace tsrun
