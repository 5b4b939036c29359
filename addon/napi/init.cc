// The addon's exports: every N-API entry point by its JS name (src/native/addon.ts types them).
#include <napi.h>

#include "../plan_read.h"
#include "exports.h"

namespace tsrun {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildSeccomp", Napi::Function::New(env, BuildSeccomp));
  exports.Set("drainFd", Napi::Function::New(env, DrainFd));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("sendFds", Napi::Function::New(env, SendFds));
  exports.Set("kernelSupport", Napi::Function::New(env, KernelSupport));
  exports.Set("idmappedTree", Napi::Function::New(env, IdmappedTree));
  exports.Set("bindUnixDgram", Napi::Function::New(env, BindUnixDgram));
  exports.Set("recvDgram", Napi::Function::New(env, RecvDgram));
  exports.Set("sendDgram", Napi::Function::New(env, SendDgram));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize));
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("decodePlanForTest", Napi::Function::New(env, DecodePlanForTest));
  exports.Set("contract", ContractExports(env));
  exports.Set("syncRecv", Napi::Function::New(env, SyncRecv));
  exports.Set("syncSend", Napi::Function::New(env, SyncSend));
  exports.Set("openInMountNs", Napi::Function::New(env, OpenInMountNs));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("waitpid", Napi::Function::New(env, WaitPid));
  exports.Set("waitExit", Napi::Function::New(env, WaitExit));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("openPath", Napi::Function::New(env, OpenPath));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  exports.Set("setRaiseMemlock", Napi::Function::New(env, SetRaiseMemlock));
  exports.Set("readFileInRoot", Napi::Function::New(env, ReadFileInRoot));
  exports.Set("fds", PidfdExports(env));
  exports.Set("probeSyscalls", Napi::Function::New(env, ProbeSyscalls));
  exports.Set("pollIn", Napi::Function::New(env, PollInFd));
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable));
  return exports;
}

}  // namespace tsrun

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tsrun::Init(env, exports); }
NODE_API_MODULE(tsrun_addon, InitAddon)
