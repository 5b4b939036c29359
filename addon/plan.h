// The flat plan the child executes. Built in the parent from the JS plan object
// (plan_read.cc) before fork; the child reads it only. Every string, array and
// path is allocated up front: the child never allocates.
// The sync records, steps and tsrun-init's argv slots are in contract.h (generated).
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "contract.h"

namespace tsrun {

enum MountKind : uint32_t {
  MOUNT_FS = 0,       // mount(source, target, fstype, flags, data)
  MOUNT_BIND = 1,     // bind (flags has MS_REC for rbind), then remount with flags when any are set
};

struct MountOp {
  const char *source;     // host path for binds, fs source otherwise
  const char *target;     // path relative to the rootfs, no leading slash
  const char *fstype;
  const char *data;       // may be nullptr
  uint32_t kind;
  uint64_t flags;         // MS_* flags for the mount itself (no propagation bits)
  uint64_t propagation;   // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), applied after
  uint64_t attr_set;      // MOUNT_ATTR_* applied recursively with mount_setattr (rro, rnosuid, ...)
  uint64_t attr_clr;
  uint32_t is_file;       // create a file (not a dir) as the mount point
  uint32_t tmpcopyup;     // tmpfs: copy what the directory held into the new mount
  int32_t tree_fd;        // idmapped: a detached tree made by the parent, moved into place (-1: none)
  uint32_t proc_ok;       // the destination is /proc or an allowlisted /proc file: may resolve into procfs
  int32_t index;          // index in config.json mounts[] (-1: added by the runtime)
  int32_t src_fd;         // bind source opened by the runtime's root in this mount namespace (-1: by path)
  const char *fallback_bind;  // a filesystem the namespace may not mount (EPERM/EBUSY): this host directory bound instead
  uint32_t ro_later;      // made rw, bind-remounted read-only by its fd: 1 after tmpcopyup, 2 at the end
                          // of the rootfs setup (/dev: its nodes, links and the console go in first)
};

struct DeviceOp {
  const char *path;       // relative to the rootfs, no leading slash
  const char *host_path;  // host device to bind-mount when mknod is not allowed (user ns)
  uint32_t mode;          // S_IFCHR/S_IFBLK/S_IFIFO | permission bits
  uint64_t dev;           // makedev(major, minor)
  uint32_t uid, gid;
  int32_t index;          // index in linux.devices[] (-1: a default device)
};

struct SymlinkOp { const char *target; const char *link; };  // link relative to the rootfs

struct NsJoin { uint32_t type; const char *path; int32_t index; };

struct Rlimit { uint32_t resource; uint64_t soft, hard; int32_t index; };

struct Plan {
  const char *rootfs;               // absolute host path
  const char *rootfs_parent_mount;  // host mount holding the rootfs (its own when it is a mount point): made private for pivot_root
  uint64_t clone_flags;             // namespaces created at clone time
  uint64_t unshare_flags;           // namespaces unshared by the child after the parent's go
  uint32_t two_stage;               // join/unshare then fork again (joins, time ns)
  uint32_t userns_sync;             // stage 1 unshares the user ns and waits for the parent's maps
  uint32_t userns;                  // the init ends up in a user ns (new or joined): become its root first
  uint32_t maps_unprivileged;       // rootless: an unprivileged parent (or newuidmap) writes the new user ns's maps: stay dumpable until then
  NsJoin *joins; uint32_t n_joins;
  const char *hostname; const char *domainname;   // nullptr: leave alone
  uint64_t root_propagation;
  uint64_t root_propagation_after;  // applied to the container's "/" after pivot_root (0: none)
  MountOp *mounts; uint32_t n_mounts;
  DeviceOp *devices; uint32_t n_devices;
  SymlinkOp *symlinks; uint32_t n_symlinks;
  uint32_t setup_rootfs;            // mount namespace: do the rootfs work at all
  uint32_t mount_sources;           // user ns: bind sources are opened by the parent's root (MSG_MOUNTSOURCES)
  uint32_t no_pivot;
  const char **hide_paths; uint32_t n_hide;   // --no-pivot: procfs/sysfs mounts outside the rootfs to detach
  uint32_t readonly_root;
  uint32_t hooks_sync;              // stop before pivot_root for createRuntime/createContainer hooks
  const char **masked; uint32_t n_masked;
  const char **readonly; uint32_t n_readonly;
  Rlimit *rlimits; uint32_t n_rlimits;
  int32_t umask;                    // -1: leave
  const char *cwd;
  uint32_t uid, gid;
  uint32_t *groups; uint32_t n_groups; uint32_t set_groups;
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  uint32_t set_caps;
  uint32_t no_new_privs;
  const char **path_candidates; uint32_t n_candidates;   // args[0] looked up along PATH
  char **stub_argv;                 // tsrun-init argv, PATH slot filled by the child
  uint32_t stub_path_slot;
  char **envp;
  int32_t stub_fd;                  // sealed memfd holding tsrun-init
  int32_t parent_pid;               // tsrun's pid: the child exits when it is no longer its parent
  uint32_t fork_in_stub;            // exec: this process never enters the container's pid namespace;
                                    // tsrun-init (sealed memfd) forks into it (see init.c SYNC_FD)
  int32_t hooks_fd;                 // startContainer hooks for tsrun-init (-1: none)
  int32_t fifo_fd;                  // O_PATH exec.fifo (-1 for exec)
  int32_t seccomp_fd;               // -1 for none
  int32_t preserve_fds;             // fds 3..3+n-1 stay open
  int32_t sync_fd;                  // child end of the sync socket
  int32_t setsid;
  int32_t last_cap;
  uint32_t new_keyring;             // join a fresh anonymous session keyring (runc's default)
  uint32_t enter_rootfs;            // pivot_root/chroot (create); exec joins the mount ns instead
  int32_t console_socket_fd;        // process.terminal: send the pty master here (-1: no terminal)
  uint16_t console_width, console_height;
  uint32_t mount_console;           // bind the pty slave over /dev/console
  const void *seccomp_prog;         // struct sock_filter[seccomp_count], built in the parent
  uint32_t seccomp_count;
  uint32_t seccomp_in_child;        // load before dropping privileges (no no_new_privs: needs CAP_SYS_ADMIN)
  uint32_t seccomp_flags;           // SECCOMP_FILTER_FLAG_*
  uint32_t seccomp_notify;          // SCMP_ACT_NOTIFY: load with NEW_LISTENER, send the fd to the parent (MSG_SECCOMP)
  const char *lsm_attr;             // AppArmor/SELinux: /proc-relative attr file tsrun-init writes (nullptr: none)
  const char **sysctl_paths;        // /proc/sys/... of linux.sysctl, written after pivot_root
  const char **sysctl_values; uint32_t n_sysctl;
  int64_t personality;              // linux.personality as personality(2) takes it (-1: leave)
  // process.scheduler (sched_setattr), process.ioPriority (ioprio_set), execCPUAffinity,
  // linux.memoryPolicy (set_mempolicy), linux.timeOffsets (/proc/self/timens_offsets)
  uint32_t set_sched;
  uint32_t sched_policy; uint64_t sched_flags; int32_t sched_nice; uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  int32_t ioprio;                   // -1: leave
  uint64_t cpus_initial[16]; uint32_t set_cpus_initial;   // 1024 CPUs
  uint64_t cpus_final[16]; uint32_t set_cpus_final;
  uint32_t set_mempolicy; uint32_t mempolicy_mode; uint64_t mempolicy_nodes[16];
  const char *time_offsets;         // "monotonic S N\nboottime S N\n" or nullptr
};

// Runs in the forked child: never returns. Async-signal-safe only.
[[noreturn]] void child_main(const Plan *plan);

}  // namespace tsrun
