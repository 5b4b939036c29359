// idmappedTree: the parent's half of an idmapped mount.
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>
#include <string>

#include "napi/common.h"
#include "napi/exports.h"
#include "syscalls.h"

namespace tsrun {

// Idmapped mounts, the parent's half (mount_setattr(MOUNT_ATTR_IDMAP) needs privilege in the
// initial user namespace): a user namespace holding the mount's mappings (or the one the
// container joins, by its path), and a detached clone of the source tree (recursive for rbind)
// idmapped with it: every mount of the tree for ridmap, the top one only for idmap (runc's
// semantics). The child only moves that tree into place.
//   idmappedTree(source, cloneRecursive, idmapRecursive, uidMap, gidMap, usernsPath?)
Napi::Value IdmappedTree(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string source = info[0].As<Napi::String>();
  bool recursive = info[1].ToBoolean();
  bool idmap_recursive = info[2].ToBoolean();
  std::string uid_map = info[3].As<Napi::String>();
  std::string gid_map = info[4].As<Napi::String>();
  if (info.Length() > 5 && info[5].IsString()) {
    // a user namespace the container joins: its own mappings, by its nsfs file
    std::string ns = info[5].As<Napi::String>();
    Fd userns(open(ns.c_str(), O_RDONLY | O_CLOEXEC));
    if (userns.fd < 0) { SysError(env, "open user namespace " + ns, errno).ThrowAsJavaScriptException(); return env.Null(); }
    Fd tree((int)syscall(SYS_open_tree, AT_FDCWD, source.c_str(), 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
    int err = tree.fd < 0 ? errno : 0;
    std::string what = "open_tree " + source;
    if (!err) {
      struct { uint64_t set, clr, propagation, userns_fd; } attr = { 0x00100000 /* MOUNT_ATTR_IDMAP */, 0, 0, (uint64_t)userns.fd };
      if (syscall(SYS_mount_setattr, tree.fd, "", AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
        err = errno; what = "idmap " + source + " with " + ns + " (does its filesystem support idmapped mounts?)";
      }
    }
    userns.reset();
    if (err) {
      SysError(env, what, err).ThrowAsJavaScriptException();
      return env.Null();
    }
    return Napi::Number::New(env, tree.release());
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) { SysError(env, "pipe", errno).ThrowAsJavaScriptException(); return env.Null(); }
  Fd pipe_r(pipefd[0]), pipe_w(pipefd[1]);
  // a child that only waits: async-signal-safe calls only
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0);
  if (pid == 0) {
    char c;
    syscall(SYS_close, pipefd[1]);  // or the read below never sees EOF
    syscall(SYS_read, pipefd[0], &c, 1);
    syscall(SYS_exit_group, 0);
  }
  int err = 0;
  Fd userns, tree;
  std::string what;
  if (pid < 0) { err = errno; what = "clone user namespace"; }
  auto write_file = [&](const std::string &file, const std::string &data) {
    Fd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.fd < 0 || write(fd.fd, data.data(), data.size()) != (ssize_t)data.size()) { err = errno ? errno : EIO; what = "write " + file; }
  };
  if (!err) write_file("/proc/" + std::to_string(pid) + "/uid_map", uid_map);
  if (!err) write_file("/proc/" + std::to_string(pid) + "/gid_map", gid_map);
  if (!err) {
    userns.fd = open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
    if (userns.fd < 0) { err = errno; what = "open user namespace"; }
  }
  pipe_w.reset();
  pipe_r.reset();
  if (pid > 0) waitpid((pid_t)pid, nullptr, 0);
  if (!err) {
    tree.fd = (int)syscall(SYS_open_tree, AT_FDCWD, source.c_str(), 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
    if (tree.fd < 0) { err = errno; what = "open_tree " + source; }
  }
  if (!err) {
    struct { uint64_t set, clr, propagation, userns_fd; } attr = { 0x00100000 /* MOUNT_ATTR_IDMAP */, 0, 0, (uint64_t)userns.fd };
    if (syscall(SYS_mount_setattr, tree.fd, "", AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
      err = errno; what = "idmap " + source + " (does its filesystem support idmapped mounts?)";
    }
  }
  userns.reset();
  if (err) {
    SysError(env, what, err).ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Number::New(env, tree.release());
}

}  // namespace tsrun
