{
  "variables": {
    # tsrun-init's compiler: scripts/prebuild.mjs passes -Dinit_cc=aarch64-linux-gnu-gcc for arm64
    "init_cc%": "gcc"
  },
  "targets": [
    {
      "target_name": "tsrun",
      "sources": ["addon/tsrun.cc", "addon/plan_read.cc", "addon/child.cc", "addon/seccomp.cc", "addon/bpf.cc", "addon/inroot.cc", "addon/pidfd.cc", "addon/probe.cc", "addon/wait-readable.cc"],
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
          "inputs": ["addon/init/init.c", "addon/init/hooks.c", "addon/contract.h"],
          "outputs": ["<(PRODUCT_DIR)/tsrun-init"],
          "action": ["<(init_cc)", "-Os", "-s", "-static", "-nostdlib", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
                     "-ffreestanding", "-fno-builtin", "-fno-pie", "-no-pie", "-Wall", "-Wextra", "-Werror",
                     "-o", "<(PRODUCT_DIR)/tsrun-init", "addon/init/init.c"]
        }
      ]
    }
  ]
}
