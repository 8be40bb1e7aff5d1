// SPDX-License-Identifier: GPL-2.0
/*
 * vfs: read/write calls, bytes and errors, unlink, fsync, open and create.
 *
 * Hook ladder per syscall family:
 *  1. tp_btf/sys_exit: one program for every syscall's exit, dispatching on
 *     the syscall number; calls, bytes and errors come from `ret`, the open
 *     flags (for "create") from the argument registers saved at entry;
 *  2. classic syscall tracepoints (syscalls/sys_exit_*, and sys_enter_* of the
 *     open family for the flags), where there is no BTF;
 *  3. kretprobes on the VFS functions, for kernels built without syscall
 *     tracepoints (they count the VFS calls, including the kernel's own).
 */
#include "vmlinux.h"
#include "modules/vfs/vfs.h"

#define COUNTERS_NR VFS_NR_COUNTERS
#include "core/bpf/counting.bpf.h"

#define O_CREAT_FLAG 0100 /* octal, as in the uapi headers on every arch we build for */

static __always_inline void count_read(long ret)
{
	count_result(ret, VFS_READ_CALLS, VFS_READ_BYTES, VFS_READ_ERRORS);
}

static __always_inline void count_write(long ret)
{
	count_result(ret, VFS_WRITE_CALLS, VFS_WRITE_BYTES, VFS_WRITE_ERRORS);
}

static __always_inline void count_open(long ret)
{
	count_result(ret, VFS_OPEN_CALLS, NO_COUNTER, VFS_OPEN_ERRORS);
}

SYS_EXIT(read, count_read)
SYS_EXIT(readv, count_read)
SYS_EXIT(pread64, count_read)
SYS_EXIT(preadv, count_read)
SYS_EXIT(preadv2, count_read)
SYS_EXIT(write, count_write)
SYS_EXIT(writev, count_write)
SYS_EXIT(pwrite64, count_write)
SYS_EXIT(pwritev, count_write)
SYS_EXIT(pwritev2, count_write)
SYS_EXIT(open, count_open)
SYS_EXIT(openat, count_open)
SYS_EXIT(openat2, count_open)
SYS_EXIT(creat, count_open)

static __always_inline void count_unlink(long ret)
{
	count_result(ret, VFS_UNLINK_CALLS, NO_COUNTER, VFS_UNLINK_ERRORS);
}

static __always_inline void count_fsync(long ret)
{
	count_result(ret, VFS_FSYNC_CALLS, NO_COUNTER, VFS_FSYNC_ERRORS);
}

SYS_EXIT(unlink, count_unlink)
SYS_EXIT(unlinkat, count_unlink)
SYS_EXIT(fsync, count_fsync)
SYS_EXIT(fdatasync, count_fsync)

/* Creation requests: the flags are only in the entry arguments. */
SEC("tracepoint/syscalls/sys_enter_open")
int tp_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[1] & O_CREAT_FLAG)
		count1(VFS_CREATE_CALLS);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[2] & O_CREAT_FLAG)
		count1(VFS_CREATE_CALLS);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int tp_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	if (bpf_probe_read_user(&how, sizeof(how.flags), (void *)ctx->args[2]) == 0 &&
	    (how.flags & O_CREAT_FLAG))
		count1(VFS_CREATE_CALLS);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_creat")
int tp_enter_creat(void *ctx)
{
	count1(VFS_CREATE_CALLS);
	return 0;
}

static __always_inline bool wants_create(__u64 flags)
{
	return flags & O_CREAT_FLAG;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	struct open_how how = {};

	switch (syscall_action(regs)) {
	case VFS_ACT_READ:
		count_read(ret);
		break;
	case VFS_ACT_WRITE:
		count_write(ret);
		break;
	case VFS_ACT_OPEN:
		if (wants_create(SYSCALL_ARG1(regs)))
			count1(VFS_CREATE_CALLS);
		count_open(ret);
		break;
	case VFS_ACT_OPENAT:
		if (wants_create(SYSCALL_ARG2(regs)))
			count1(VFS_CREATE_CALLS);
		count_open(ret);
		break;
	case VFS_ACT_OPENAT2:
		if (bpf_probe_read_user(&how, sizeof(how.flags), (void *)SYSCALL_ARG2(regs)) == 0 &&
		    wants_create(how.flags))
			count1(VFS_CREATE_CALLS);
		count_open(ret);
		break;
	case VFS_ACT_CREAT:
		count1(VFS_CREATE_CALLS);
		count_open(ret);
		break;
	case VFS_ACT_UNLINK:
		count_unlink(ret);
		break;
	case VFS_ACT_FSYNC:
		count_fsync(ret);
		break;
	}
	return 0;
}

/* Fallback: kretprobes on the VFS layer (attach fails where kprobes are off). */
SEC("kretprobe/vfs_read")
int BPF_KRETPROBE(kp_vfs_read, long ret)
{
	count_read(ret);
	return 0;
}

SEC("kretprobe/vfs_write")
int BPF_KRETPROBE(kp_vfs_write, long ret)
{
	count_write(ret);
	return 0;
}

SEC("kretprobe/vfs_unlink")
int BPF_KRETPROBE(kp_vfs_unlink, int ret)
{
	count_unlink(ret);
	return 0;
}

SEC("kretprobe/vfs_fsync_range")
int BPF_KRETPROBE(kp_vfs_fsync_range, int ret)
{
	count_fsync(ret);
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(kp_do_sys_openat2, long ret)
{
	count_open(ret);
	return 0;
}

SEC("kprobe/vfs_create")
int BPF_KPROBE(kp_vfs_create)
{
	count1(VFS_CREATE_CALLS);
	return 0;
}

DEFINE_PID_EXEC()
DEFINE_PID_EXIT_RETIRE()
