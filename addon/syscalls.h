/* Syscall numbers and mount-API constants that older libc/kernel headers lack, named once for
 * the addon (C++) and tsrun-init (C, no libc). Include after <sys/syscall.h> where it is used:
 * every constant is #ifndef-guarded, so a header that has it wins.
 *
 * From 424 (pidfd_send_signal) on, every architecture shares one syscall number (the kernel's
 * unified table: include/uapi/asm-generic/unistd.h and arch/x86/entry/syscalls/syscall_64.tbl
 * agree), so one value serves x86_64 and aarch64. Numbers below 424 differ per architecture and
 * come from <sys/syscall.h> (the addon) or init.c's own per-arch table (tsrun-init).
 *
 * No includes and no code: tsrun-init is built -nostdlib -ffreestanding. */
#ifndef TSRUN_SYSCALLS_H
#define TSRUN_SYSCALLS_H

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "tsrun: syscalls.h lists x86_64 and aarch64 only"
#endif

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

#endif /* TSRUN_SYSCALLS_H */
