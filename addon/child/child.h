// Internal header of the child (addon/child/*.cc): everything between clone and the exec of
// tsrun-init.
//
// Runs in a process forked from multithreaded Node: only raw syscalls, no
// allocation, no locks, no exceptions, no glibc wrappers that keep process-wide
// state (glibc's setuid family would try to signal threads that do not exist
// here). Every failure is reported to the parent as one fixed-size record on
// the sync socket, then the child exits.
// Everything here runs after clone: raw syscalls through SC() only, no malloc, no exceptions.
#pragma once
#include "../plan.h"
#include "../walk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../syscalls.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10

namespace tsrun {
namespace child {

extern const Plan *P;
extern Plan *W;                  // the same plan: the child's own copy, whose fd numbers it may move
extern long g_lsm_procfd;        // verified /proc handle for tsrun-init's LSM write (prepare_lsm)
// The mounts made on /proc and /sys, held by fd from the moment they exist: masks and read-only
// paths are applied through them, never by looking "/proc/..." up again.
extern long g_proc_mnt, g_sys_mnt;
// A read-only /dev, held by fd until its nodes, links and the console are in (MountOp.ro_later 2).
extern long g_dev_mnt;
extern unsigned long g_dev_flags;
extern int32_t g_dev_index;
// tsrun's procfs of the container's pid namespace: magic-link paths are resolved relative to it.
extern long g_procfd;
extern long g_fdinfo_proc;       // where mount ids are read (paths.cc)
extern int g_no_mount_api;       // open_tree/fsopen answered ENOSYS once (mounts.cc)

// syscall(2) returning -errno on failure.
#define SC(...) ({ long _r = syscall(__VA_ARGS__); _r < 0 ? -(long)errno : _r; })

constexpr uint64_t makedev_(uint64_t ma, uint64_t mi) {
  return ((ma & 0xfffff000ULL) << 32) | ((ma & 0xfffULL) << 8) | ((mi & 0xffffff00ULL) << 12) | (mi & 0xffULL);
}

// An fd as a path, for fd-based operations on paths resolved inside the rootfs.
// FdPath: "/proc/self/fd/N", through the host's /proc (before pivot_root).
// ProcRel: "thread-self/fd/N", relative to a verified procfs (the working directory is set to
// g_procfd before use). After pivot_root, "/proc/self/fd/N" would be looked up in a /proc the
// image controls.
struct FdPath {
  char s[40];
  explicit FdPath(long fd, const char *pre = "/proc/self/fd/") {
    size_t i = 0;
    for (; pre[i]; i++) s[i] = pre[i];
    char tmp[12]; int n = 0;
    do { tmp[n++] = (char)('0' + fd % 10); fd /= 10; } while (fd);
    while (n) s[i++] = tmp[--n];
    s[i] = 0;
  }
};
struct ProcRel : FdPath {
  explicit ProcRel(long fd) : FdPath(fd, "thread-self/fd/") {}
};

// core.cc
size_t slen(const char *s);
void scopy(char *dst, size_t cap, const char *src);
void put_num(char *slot, long v);
void send_msg(uint32_t type, uint32_t step, long err, int32_t pid, int32_t index, const char *detail);
[[noreturn]] void die(uint32_t step, long err, int32_t index, const char *detail);
void check(long r, uint32_t step, int32_t index, const char *detail);
long send_with_fd(long sock, const void *buf, size_t len, long fd);
void send_fd_msg(uint32_t type, long fd);
long recv_record(Msg *m, long *fd);
void await_go();

// paths.cc
long resolve_at(long base, const char *rel, uint64_t oflags, uint64_t resolve);
long open_in_root(long rootfd, const char *rel, long flags);
long refuse_procfs_target(long fd, uint32_t proc_ok);
long mkdir_in_root(long rootfd, const char *rel, bool is_file);

// mounts.cc
unsigned long locked_flags(long fd);
bool streq(const char *a, const char *b);
bool is_fs(const MountOp &m, const char *type);
long copy_tree(long src, long dst, int depth);
long mount_detached(const MountOp &m);
void finish_attached(long fd, const MountOp &m);
long fs_target(long rootfd, const MountOp &m);
void keep_special(const MountOp &m, long fd);
bool mount_api_missing(long r);
long fs_magic(const MountOp &m);
long verify_new_mount(long found, long at, const struct stat *want, long magic, bool record = true);
long reopen_mounted(long rootfd, const MountOp &m, long at, const struct stat *want, long magic);
long bind_instead(long rootfd, const MountOp &m, long at);
long bind_fallback(long rootfd, const MountOp &m, long at);
long fs_fallback(long rootfd, const MountOp &m, long at);
void copy_up(long dir, long mnt, const MountOp &m);
long remount_ro(const char *path, long fd, unsigned long flags);
void read_only_later(long fd, const MountOp &m);
void do_mount(long rootfd, const MountOp &m);
void receive_mount_sources();

// devices.cc
long parent_in_root(long rootfd, const char *rel, char *dir, const char **base);
void make_device(long rootfd, const DeviceOp &d);
void make_symlink(long rootfd, const SymlinkOp &s);

// rootfs.cc
void after_enter_root();
long procfs_fallback();
void setup_rootfs();
void root_propagation_after();
void enter_root();
void cwd_to_procfs(uint32_t step);
long resolve_covered(long rootfd, const char *p);
void finish_rootfs();

// creds.cc
void set_credentials();

// process.cc
void reset_signals();
const char *lookup();
void die_with_parent();
void check_cwd_inside(bool filtered);
void process_attributes();

// fds.cc
void prepare_fds();
void close_inherited();

// console.cc
void setup_console();

// lsm.cc
long open_procfs(uint32_t step);
void prepare_lsm();

// sysctl.cc
void write_sysctls();

// seccomp.cc
void load_filter();

// steps.cc
[[noreturn]] void init_main();

// namespaces.cc
void open_time_offsets();

}  // namespace child
}  // namespace tsrun
