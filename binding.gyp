{
  "variables": {
    # tsrun-init's compiler: scripts/prebuild.mjs passes -Dinit_cc=aarch64-linux-gnu-gcc for arm64
    "init_cc%": "gcc"
  },
  "targets": [
    {
      "target_name": "tsrun",
      "sources": ["addon/napi/init.cc", "addon/spawn.cc", "addon/idmap.cc", "addon/sync_io.cc", "addon/sockets.cc", "addon/fds.cc", "addon/wait.cc", "addon/pty.cc", "addon/plan_read.cc", "addon/child/core.cc", "addon/child/paths.cc", "addon/child/mounts.cc", "addon/child/devices.cc", "addon/child/rootfs.cc", "addon/child/creds.cc", "addon/child/process.cc", "addon/child/fds.cc", "addon/child/console.cc", "addon/child/lsm.cc", "addon/child/sysctl.cc", "addon/child/seccomp.cc", "addon/child/steps.cc", "addon/child/namespaces.cc", "addon/seccomp.cc", "addon/bpf.cc", "addon/inroot.cc", "addon/pidfd.cc", "addon/probe.cc", "addon/wait_readable.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-Wall", "-Wno-missing-field-initializers"],
      "libraries": ["-lseccomp"],
      "dependencies": ["tsrun_init"]
    },
    {
      "target_name": "tsrun_init",
      "type": "none",
      "actions": [
        {
          "action_name": "build_tsrun_init",
          "inputs": ["addon/init/init.c", "addon/init/hooks.c", "addon/contract.h", "addon/syscalls.h"],
          "outputs": ["<(PRODUCT_DIR)/tsrun-init"],
          "action": ["<(init_cc)", "-Os", "-s", "-static", "-nostdlib", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
                     "-ffreestanding", "-fno-builtin", "-fno-pie", "-no-pie", "-Wall", "-Wextra", "-Werror",
                     "-o", "<(PRODUCT_DIR)/tsrun-init", "addon/init/init.c"]
        }
      ]
    }
  ]
}
