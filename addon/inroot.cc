// Read a small regular file of the image from the host, resolved inside the rootfs.
//
// Threat: the rootfs, and any running container writing into it, is untrusted. A host path
// like <rootfs>/etc/passwd follows the image's symlinks out of the rootfs (absolute or ../
// links to host files, fifos, /dev/zero), so tsrun would read, block on or leak host files.
// Here the path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) against an
// O_PATH fd of the rootfs: absolute links and ".." stay inside it, as they would inside the
// container after pivot_root. The result is opened O_PATH first (opening a device or fifo
// can block or act on hardware), must be a regular file, and only then is that same inode
// reopened for reading through the parent's own /proc/self/fd; at most maxBytes are read.
//
// Kernels without openat2 (before 5.6, ENOSYS): the component walk of walk.h, shared with the
// fork child, with the same guarantees (symlinks resolved by hand inside the root, ".."
// clamped at it, no magic links).
//
// This runs in the parent (Node), not the fork child: ordinary C++ is fine.
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "napi/common.h"
#include "walk.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tsrun {
namespace {

// -errno on failure.
int OpenInRoot(int rootfd, const char *rel) {
  return (int)walk::open_resolved(rootfd, rel, O_PATH, walk::IN_ROOT | walk::NO_MAGICLINKS, AT_FDCWD);
}

}  // namespace

// readFileInRoot(rootfs, rel, maxBytes): the file's bytes, or null when it is not there or
// not usable (no such path inside the rootfs, a symlink loop, not a regular file, larger than
// maxBytes). Throws (with errno) only when the rootfs itself cannot be opened
// or reading fails.
Napi::Value ReadFileInRoot(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "readFileInRoot(rootfs: string, rel: string, maxBytes: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string rootfs = info[0].As<Napi::String>().Utf8Value();
  std::string rel = info[1].As<Napi::String>().Utf8Value();
  double max = info[2].As<Napi::Number>().DoubleValue();
  if (!(max >= 0 && max <= (double)(1u << 30)) || rel.find('\0') != std::string::npos || rootfs.find('\0') != std::string::npos) {
    Napi::TypeError::New(env, "readFileInRoot: maxBytes must be in [0, 1 GiB] and paths without NUL").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t maxBytes = (size_t)max;

  // The rootfs path comes from config.json (trusted): it may be reached through host symlinks.
  Fd root(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0) {
    SysError(env, "open " + rootfs, errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int r = OpenInRoot(root.fd, rel.empty() ? "." : rel.c_str());
  if (r < 0) return env.Null();  // ENOENT, ENOTDIR, ELOOP (magic link, loop), ...
  Fd path(r);

  struct stat st;
  if (fstat(path.fd, &st) < 0) {
    SysError(env, "fstat " + rel + " in " + rootfs, errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // A fifo, socket, device or directory is never opened for reading: null.
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > maxBytes) return env.Null();

  // Reopen exactly the inode checked above (the O_PATH fd pins it: a swap after the check
  // cannot substitute another file). /proc here is the host's, the parent's own.
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", path.fd);
  Fd file(open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (file.fd < 0) {
    SysError(env, "reopen " + rel + " in " + rootfs + " through " + proc, errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct stat st2;
  if (fstat(file.fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino || !S_ISREG(st2.st_mode)) {
    return env.Null();
  }

  // Read at most maxBytes + 1: a file that grew past the bound since fstat is not usable either.
  std::vector<char> buf(std::min<size_t>((size_t)st.st_size, maxBytes) + 1);
  size_t got = 0;
  for (;;) {
    if (got == buf.size()) {
      if (buf.size() > maxBytes) break;
      buf.resize(std::min(buf.size() * 2, maxBytes + 1));
    }
    ssize_t n = read(file.fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      SysError(env, "read " + rel + " in " + rootfs, errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  if (got > maxBytes) return env.Null();
  return Napi::Buffer<char>::Copy(env, buf.data(), got);
}

}  // namespace tsrun
