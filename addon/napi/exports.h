// Every N-API entry point of the addon, by the file that defines it; napi/init.cc exports them.
#pragma once
#include <napi.h>

namespace tsrun {

// spawn.cc
Napi::Value Spawn(const Napi::CallbackInfo &info);
Napi::Value OpenInMountNs(const Napi::CallbackInfo &info);
// idmap.cc
Napi::Value IdmappedTree(const Napi::CallbackInfo &info);
// sync_io.cc
Napi::Value SyncRecv(const Napi::CallbackInfo &info);
Napi::Value SyncSend(const Napi::CallbackInfo &info);
// sockets.cc
Napi::Value ConnectUnix(const Napi::CallbackInfo &info);
Napi::Value SendFds(const Napi::CallbackInfo &info);
Napi::Value BindUnixDgram(const Napi::CallbackInfo &info);
Napi::Value RecvDgram(const Napi::CallbackInfo &info);
Napi::Value SendDgram(const Napi::CallbackInfo &info);
Napi::Value SocketPair(const Napi::CallbackInfo &info);
Napi::Value RecvFd(const Napi::CallbackInfo &info);
// fds.cc
Napi::Value Close(const Napi::CallbackInfo &info);
Napi::Value Mkfifo(const Napi::CallbackInfo &info);
Napi::Value OpenPath(const Napi::CallbackInfo &info);
Napi::Value Flock(const Napi::CallbackInfo &info);
Napi::Value PollInFd(const Napi::CallbackInfo &info);
// wait_readable.cc
Napi::Value WaitReadable(const Napi::CallbackInfo &info);
// wait.cc
Napi::Value WaitPid(const Napi::CallbackInfo &info);
Napi::Value WaitExit(const Napi::CallbackInfo &info);
// pty.cc
Napi::Value SetWinsize(const Napi::CallbackInfo &info);
Napi::Value GetWinsize(const Napi::CallbackInfo &info);
Napi::Value DrainFd(const Napi::CallbackInfo &info);
// probe.cc
Napi::Value KernelSupport(const Napi::CallbackInfo &info);
Napi::Value ProbeSyscalls(const Napi::CallbackInfo &info);
// seccomp.cc
Napi::Value BuildSeccomp(const Napi::CallbackInfo &info);
// bpf.cc
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info);
Napi::Value SetRaiseMemlock(const Napi::CallbackInfo &info);
// inroot.cc
Napi::Value ReadFileInRoot(const Napi::CallbackInfo &info);
// pidfd.cc
Napi::Object PidfdExports(Napi::Env env);

}  // namespace tsrun
