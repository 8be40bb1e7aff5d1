// SPDX-License-Identifier: GPL-2.0
/* vfs module, user half: what it counts and how it hooks in. */
#include "core/counting.h"
#include "modules/vfs/vfs.h"
#include "vfs.skel.h"
#include <sys/syscall.h>

static const struct counter_def vfs_defs[] = {
	[VFS_READ_CALLS] = { "read_calls_total", "read(2), readv(2), pread64(2), preadv(2), preadv2(2) calls",
			     .netdata_chart = "filesystem.vfs_io", .netdata_app_chart = "app.ebpf_call_vfs_read" },
	[VFS_READ_BYTES] = { "read_bytes_total", "Bytes returned by the read calls",
			     .netdata_chart = "filesystem.vfs_io_bytes", .netdata_app_chart = "app.ebpf_call_vfs_read_bytes" },
	[VFS_READ_ERRORS] = { "read_errors_total", "Read calls that failed", .is_error = true,
			      .netdata_chart = "filesystem.vfs_io_error", .netdata_app_chart = "app.ebpf_call_vfs_read_error" },
	[VFS_WRITE_CALLS] = { "write_calls_total", "write(2), writev(2), pwrite64(2), pwritev(2), pwritev2(2) calls",
			      .netdata_chart = "filesystem.vfs_io", .netdata_app_chart = "app.ebpf_call_vfs_write" },
	[VFS_WRITE_BYTES] = { "write_bytes_total", "Bytes accepted by the write calls",
			      .netdata_chart = "filesystem.vfs_io_bytes", .netdata_app_chart = "app.ebpf_call_vfs_write_bytes" },
	[VFS_WRITE_ERRORS] = { "write_errors_total", "Write calls that failed", .is_error = true,
			       .netdata_chart = "filesystem.vfs_io_error", .netdata_app_chart = "app.ebpf_call_vfs_write_error" },
	[VFS_UNLINK_CALLS] = { "unlink_calls_total", "unlink(2) and unlinkat(2) calls",
			       .netdata_chart = "filesystem.vfs_deleted_objects", .netdata_app_chart = "app.ebpf_call_vfs_unlink" },
	[VFS_UNLINK_ERRORS] = { "unlink_errors_total", "Unlink calls that failed", .is_error = true,
				.netdata_chart = "", .netdata_app_chart = "" },
	[VFS_FSYNC_CALLS] = { "fsync_calls_total", "fsync(2) and fdatasync(2) calls",
			      .netdata_chart = "filesystem.vfs_fsync", .netdata_app_chart = "app.ebpf_call_vfs_fsync" },
	[VFS_FSYNC_ERRORS] = { "fsync_errors_total", "fsync and fdatasync calls that failed", .is_error = true,
			       .netdata_chart = "filesystem.vfs_fsync_error", .netdata_app_chart = "app.ebpf_call_vfs_fsync_error" },
	[VFS_OPEN_CALLS] = { "open_calls_total", "open(2), openat(2), openat2(2), creat(2) calls",
			     .netdata_chart = "filesystem.vfs_open", .netdata_app_chart = "app.ebpf_call_vfs_open" },
	[VFS_OPEN_ERRORS] = { "open_errors_total", "Open calls that failed", .is_error = true,
			      .netdata_chart = "filesystem.vfs_open_error", .netdata_app_chart = "app.ebpf_call_vfs_open_error" },
	[VFS_CREATE_CALLS] = { "create_calls_total", "Requests to create a file: creat(2), or an open with O_CREAT",
			       .netdata_chart = "filesystem.vfs_create", .netdata_app_chart = "app.ebpf_call_vfs_create" },
};
_Static_assert(sizeof(vfs_defs) / sizeof(vfs_defs[0]) == VFS_NR_COUNTERS, "one def per counter");


static const struct hook_impl read_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_read", "tp_exit_readv", "tp_exit_pread64", "tp_exit_preadv", "tp_exit_preadv2"),
	{ "kretprobe", PROGS("kp_vfs_read") },
};
static const struct hook_impl write_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_write", "tp_exit_writev", "tp_exit_pwrite64", "tp_exit_pwritev", "tp_exit_pwritev2"),
	{ "kretprobe", PROGS("kp_vfs_write") },
};
static const struct hook_impl unlink_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_unlink", "tp_exit_unlinkat"),
	{ "kretprobe", PROGS("kp_vfs_unlink") },
};
static const struct hook_impl fsync_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_fsync", "tp_exit_fdatasync"),
	{ "kretprobe", PROGS("kp_vfs_fsync_range") },
};
static const struct hook_impl open_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_open", "tp_exit_openat", "tp_exit_openat2", "tp_exit_creat"),
	{ "kretprobe", PROGS("kp_do_sys_openat2") },
};
static const struct hook_impl create_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_enter_open", "tp_enter_openat", "tp_enter_openat2", "tp_enter_creat"),
	{ "kprobe", PROGS("kp_vfs_create") },
};

static const struct hook_def vfs_hooks[] = {
	HOOK("read", read_impls),     HOOK("write", write_impls), HOOK("unlink", unlink_impls),
	HOOK("fsync", fsync_impls),   HOOK("open", open_impls),	  HOOK("create", create_impls),
	PID_EXEC_HOOK,     PID_EXIT_RETIRE_HOOK,
};

static const struct syscall_action_def vfs_syscalls[] = {
	{ SYS_read, VFS_ACT_READ },	    { SYS_readv, VFS_ACT_READ },
	{ SYS_pread64, VFS_ACT_READ },	    { SYS_preadv, VFS_ACT_READ },
	{ SYS_preadv2, VFS_ACT_READ },	    { SYS_write, VFS_ACT_WRITE },
	{ SYS_writev, VFS_ACT_WRITE },	    { SYS_pwrite64, VFS_ACT_WRITE },
	{ SYS_pwritev, VFS_ACT_WRITE },	    { SYS_pwritev2, VFS_ACT_WRITE },
	{ SYS_openat, VFS_ACT_OPENAT },	    { SYS_openat2, VFS_ACT_OPENAT2 },
	{ SYS_unlinkat, VFS_ACT_UNLINK },   { SYS_fsync, VFS_ACT_FSYNC },
	{ SYS_fdatasync, VFS_ACT_FSYNC },
#ifdef SYS_open /* not on every architecture */
	{ SYS_open, VFS_ACT_OPEN },	    { SYS_creat, VFS_ACT_CREAT },
	{ SYS_unlink, VFS_ACT_UNLINK },
#endif
};

COUNTING_SKEL_GLUE(vfs)

const struct module vfs_module = {
	.name = "vfs",
	.summary = "VFS read/write calls, bytes and errors; unlink, fsync, open, create",
	.default_on = true,
	.defs = vfs_defs,
	.nr_defs = VFS_NR_COUNTERS,
	.nr_counters = VFS_NR_COUNTERS,
	.hooks = vfs_hooks,
	.nr_hooks = sizeof(vfs_hooks) / sizeof(vfs_hooks[0]),
	.syscalls = vfs_syscalls,
	.nr_syscalls = SYSCALL_ACTIONS_LEN(vfs_syscalls),
	COUNTING_MODULE_OPS(vfs),
};
