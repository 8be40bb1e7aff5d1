// SPDX-License-Identifier: GPL-2.0
/* fd module, user half: open and close calls and errors. */
#include "core/counting.h"
#include "modules/fd/fd.h"
#include "fd.skel.h"
#include <sys/syscall.h>

static const struct counter_def fd_defs[] = {
	[FD_OPEN_CALLS] = { "open_calls_total", "open(2), openat(2), openat2(2), creat(2) calls",
			    .netdata_chart = "filesystem.file_descriptor", .netdata_app_chart = "app.ebpf_file_open" },
	[FD_OPEN_ERRORS] = { "open_errors_total", "Open calls that failed", .is_error = true,
			     .netdata_chart = "filesystem.file_error", .netdata_app_chart = "app.ebpf_file_open_error" },
	[FD_CLOSE_CALLS] = { "close_calls_total", "close(2) calls",
			     .netdata_chart = "filesystem.file_descriptor", .netdata_app_chart = "app.ebpf_file_closed" },
	[FD_CLOSE_ERRORS] = { "close_errors_total", "Close calls that failed", .is_error = true,
			      .netdata_chart = "filesystem.file_error", .netdata_app_chart = "app.ebpf_file_close_error" },
};
_Static_assert(sizeof(fd_defs) / sizeof(fd_defs[0]) == FD_NR_COUNTERS, "one def per counter");

static const struct hook_impl open_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_open", "tp_exit_openat", "tp_exit_openat2", "tp_exit_creat"),
	{ "kretprobe", PROGS("kp_do_sys_openat2") },
};
static const struct hook_impl close_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_close"),
	{ "kretprobe", PROGS("kp_close_fd") },
};

static const struct hook_def fd_hooks[] = {
	HOOK("open", open_impls),
	HOOK("close", close_impls),
	PID_EXEC_HOOK,
	PID_EXIT_RETIRE_HOOK,
};

static const struct syscall_action_def fd_syscalls[] = {
	{ SYS_openat, FD_ACT_OPEN }, { SYS_openat2, FD_ACT_OPEN }, { SYS_close, FD_ACT_CLOSE },
#ifdef SYS_open
	{ SYS_open, FD_ACT_OPEN },   { SYS_creat, FD_ACT_OPEN },
#endif
};

COUNTING_SKEL_GLUE(fd)

const struct module fd_module = {
	.name = "fd",
	.summary = "File descriptors: open and close calls and their errors",
	.default_on = true,
	.defs = fd_defs,
	.nr_defs = FD_NR_COUNTERS,
	.nr_counters = FD_NR_COUNTERS,
	.hooks = fd_hooks,
	.nr_hooks = sizeof(fd_hooks) / sizeof(fd_hooks[0]),
	.syscalls = fd_syscalls,
	.nr_syscalls = SYSCALL_ACTIONS_LEN(fd_syscalls),
	COUNTING_MODULE_OPS(fd),
};
