// SPDX-License-Identifier: GPL-2.0
/*
 * vfs: read/write calls, bytes and errors; unlink, fsync, open and create.
 * Built on the accounting core: what it counts is the rules below, run by the
 * core's one syscall program.
 *
 * Ladder per syscall family: tp_btf/sys_exit (calls, bytes and errors from
 * the result, open flags from the argument registers saved at entry), the
 * classic syscalls:sys_exit_<name> tracepoints (and sys_enter_<name> for the
 * flags), kprobes on the syscalls' own entry points (kretsyscall/ksyscall).
 *
 * In `ebpf load mode = light` there is no syscall hook: read and write calls
 * and bytes come from the kernel's own per-task I/O accounting (syscr, rchar,
 * syscw, wchar), read when a thread exits and live at each collection. Those
 * count every read(2)/write(2)-family call that reached the VFS, sendfile and
 * the kernel's own reads at exec included, and not the calls refused before
 * (a bad descriptor); see docs/metrics.md.
 */
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/vfs/vfs.h"

_Static_assert(VFS_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

static const struct counter_def vfs_defs[] = {
	[VFS_READ_CALLS] = { "read_calls_total", "read(2), readv(2), pread64(2), preadv(2), preadv2(2) calls",
			     .light = true, .netdata_chart = "filesystem.vfs_io", .netdata_app_chart = "app.ebpf_call_vfs_read" },
	[VFS_READ_BYTES] = { "read_bytes_total", "Bytes returned by the read calls",
			     .light = true, .netdata_chart = "filesystem.vfs_io_bytes", .netdata_app_chart = "app.ebpf_call_vfs_read_bytes" },
	[VFS_READ_ERRORS] = { "read_errors_total", "Read calls that failed", .is_error = true,
			      .netdata_chart = "filesystem.vfs_io_error", .netdata_app_chart = "app.ebpf_call_vfs_read_error" },
	[VFS_WRITE_CALLS] = { "write_calls_total", "write(2), writev(2), pwrite64(2), pwritev(2), pwritev2(2) calls",
			      .light = true, .netdata_chart = "filesystem.vfs_io", .netdata_app_chart = "app.ebpf_call_vfs_write" },
	[VFS_WRITE_BYTES] = { "write_bytes_total", "Bytes accepted by the write calls",
			      .light = true, .netdata_chart = "filesystem.vfs_io_bytes", .netdata_app_chart = "app.ebpf_call_vfs_write_bytes" },
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

static const unsigned char vfs_slots[VFS_NR_COUNTERS] = {
	[VFS_READ_CALLS] = SL_READ_CALLS,     [VFS_READ_BYTES] = SL_READ_BYTES,
	[VFS_READ_ERRORS] = SL_READ_ERRORS,   [VFS_WRITE_CALLS] = SL_WRITE_CALLS,
	[VFS_WRITE_BYTES] = SL_WRITE_BYTES,   [VFS_WRITE_ERRORS] = SL_WRITE_ERRORS,
	[VFS_UNLINK_CALLS] = SL_UNLINK_CALLS, [VFS_UNLINK_ERRORS] = SL_UNLINK_ERRORS,
	[VFS_FSYNC_CALLS] = SL_FSYNC_CALLS,   [VFS_FSYNC_ERRORS] = SL_FSYNC_ERRORS,
	[VFS_OPEN_CALLS] = SL_OPEN_CALLS,     [VFS_OPEN_ERRORS] = SL_OPEN_ERRORS,
	[VFS_CREATE_CALLS] = SL_CREATE_CALLS,
};

static const struct hook_impl read_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_read", "tp_exit_readv", "tp_exit_pread64", "tp_exit_preadv",
			    "tp_exit_preadv2"),
	KRETSYSCALLS("kp_exit_read", "kp_exit_readv", "kp_exit_pread64", "kp_exit_preadv",
		     "kp_exit_preadv2"),
	ACCT_IOAC,
};
static const struct hook_impl write_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_write", "tp_exit_writev", "tp_exit_pwrite64", "tp_exit_pwritev",
			    "tp_exit_pwritev2"),
	KRETSYSCALLS("kp_exit_write", "kp_exit_writev", "kp_exit_pwrite64", "kp_exit_pwritev",
		     "kp_exit_pwritev2"),
	ACCT_IOAC,
};
static const struct hook_impl unlink_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_unlink", "tp_exit_unlinkat"),
	KRETSYSCALLS("kp_exit_unlink", "kp_exit_unlinkat"),
};
static const struct hook_impl fsync_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_fsync", "tp_exit_fdatasync"),
	KRETSYSCALLS("kp_exit_fsync", "kp_exit_fdatasync"),
};
static const struct hook_impl open_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_open", "tp_exit_openat", "tp_exit_openat2", "tp_exit_creat"),
	KRETSYSCALLS("kp_exit_open", "kp_exit_openat", "kp_exit_openat2", "kp_exit_creat"),
};
/* The open flags: read at exit from the saved registers, else at entry. */
static const struct hook_impl create_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_enter_open", "tp_enter_openat", "tp_enter_openat2", "tp_enter_creat"),
	KSYSCALLS("kp_enter_open", "kp_enter_openat", "kp_enter_openat2", "kp_enter_creat"),
};

enum { H_READ, H_WRITE, H_UNLINK, H_FSYNC, H_OPEN, H_CREATE };

static const struct hook_def vfs_hooks[] = {
	[H_READ] = HOOK("read", read_impls),	   [H_WRITE] = HOOK("write", write_impls),
	[H_UNLINK] = HOOK("unlink", unlink_impls), [H_FSYNC] = HOOK("fsync", fsync_impls),
	[H_OPEN] = HOOK("open", open_impls),	   [H_CREATE] = HOOK("create", create_impls),
};

#define READS(nr) { nr, H_READ, 0, ACCT_RULE(SL_READ_CALLS, SL_READ_BYTES, SL_READ_ERRORS) }
#define WRITES(nr) { nr, H_WRITE, 0, ACCT_RULE(SL_WRITE_CALLS, SL_WRITE_BYTES, SL_WRITE_ERRORS) }
#define UNLINKS(nr) { nr, H_UNLINK, 0, ACCT_RULE(SL_UNLINK_CALLS, ACCT_NO_SLOT, SL_UNLINK_ERRORS) }
#define FSYNCS(nr) { nr, H_FSYNC, 0, ACCT_RULE(SL_FSYNC_CALLS, ACCT_NO_SLOT, SL_FSYNC_ERRORS) }
#define OPENS(nr) { nr, H_OPEN, 0, ACCT_RULE(SL_OPEN_CALLS, ACCT_NO_SLOT, SL_OPEN_ERRORS) }
#define CREATES(nr, where) { nr, H_CREATE, where, ACCT_CREATE_RULE(SL_CREATE_CALLS) }

static const struct acct_syscall_def vfs_syscalls[] = {
	READS(SYS_read),	  READS(SYS_readv),	     READS(SYS_pread64),
	READS(SYS_preadv),	  READS(SYS_preadv2),	     WRITES(SYS_write),
	WRITES(SYS_writev),	  WRITES(SYS_pwrite64),	     WRITES(SYS_pwritev),
	WRITES(SYS_pwritev2),	  UNLINKS(SYS_unlinkat),     FSYNCS(SYS_fsync),
	FSYNCS(SYS_fdatasync),	  OPENS(SYS_openat),	     OPENS(SYS_openat2),
	CREATES(SYS_openat, ACCT_FLAGS_ARG2), CREATES(SYS_openat2, ACCT_FLAGS_OPENAT2),
#ifdef SYS_open /* not on every architecture */
	UNLINKS(SYS_unlink),	  OPENS(SYS_open),	     OPENS(SYS_creat),
	CREATES(SYS_open, ACCT_FLAGS_ARG1), CREATES(SYS_creat, ACCT_FLAGS_ALWAYS),
#endif
};

static const struct acct_desc vfs_acct = {
	.slot_of = vfs_slots,
	.syscalls = vfs_syscalls,
	.nr_syscalls = sizeof(vfs_syscalls) / sizeof(vfs_syscalls[0]),
};

const struct module vfs_module = {
	.name = "vfs",
	.summary = "VFS read/write calls, bytes and errors; unlink, fsync, open, create",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	.defs = vfs_defs,
	.nr_defs = VFS_NR_COUNTERS,
	.nr_counters = VFS_NR_COUNTERS,
	.hooks = vfs_hooks,
	.nr_hooks = sizeof(vfs_hooks) / sizeof(vfs_hooks[0]),
	.acct = &vfs_acct,
	ACCT_MODULE_OPS,
};
