// SPDX-License-Identifier: GPL-2.0
/*
 * fd: open and close calls and their errors. Built on the accounting core:
 * what it counts is the rules below, run by the core's one syscall program.
 * Ladder per syscall: tp_btf/sys_exit, the classic syscalls:sys_exit_<name>
 * tracepoints, kretprobes on the syscalls' own entry points (kretsyscall).
 */
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/fd/fd.h"

_Static_assert(FD_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

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

static const unsigned char fd_slots[FD_NR_COUNTERS] = {
	[FD_OPEN_CALLS] = SL_OPEN_CALLS,   [FD_OPEN_ERRORS] = SL_OPEN_ERRORS,
	[FD_CLOSE_CALLS] = SL_CLOSE_CALLS, [FD_CLOSE_ERRORS] = SL_CLOSE_ERRORS,
};

static const struct hook_impl open_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_open", "tp_exit_openat", "tp_exit_openat2", "tp_exit_creat"),
	KRETSYSCALLS("kp_exit_open", "kp_exit_openat", "kp_exit_openat2", "kp_exit_creat"),
};
static const struct hook_impl close_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_close"),
	KRETSYSCALLS("kp_exit_close"),
};

enum { H_OPEN, H_CLOSE };

static const struct hook_def fd_hooks[] = {
	[H_OPEN] = HOOK("open", open_impls),
	[H_CLOSE] = HOOK("close", close_impls),
};

#define OPENS(nr) { nr, H_OPEN, 0, ACCT_RULE(SL_OPEN_CALLS, ACCT_NO_SLOT, SL_OPEN_ERRORS) }

static const struct acct_syscall_def fd_syscalls[] = {
	OPENS(SYS_openat),
	OPENS(SYS_openat2),
	{ SYS_close, H_CLOSE, 0, ACCT_RULE(SL_CLOSE_CALLS, ACCT_NO_SLOT, SL_CLOSE_ERRORS) },
#ifdef SYS_open
	OPENS(SYS_open),
	OPENS(SYS_creat),
#endif
};

static const struct acct_desc fd_acct = {
	.slot_of = fd_slots,
	.syscalls = fd_syscalls,
	.nr_syscalls = sizeof(fd_syscalls) / sizeof(fd_syscalls[0]),
};

const struct module fd_module = {
	.name = "fd",
	.summary = "File descriptors: open and close calls and their errors",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	.defs = fd_defs,
	.nr_defs = FD_NR_COUNTERS,
	.nr_counters = FD_NR_COUNTERS,
	.hooks = fd_hooks,
	.nr_hooks = sizeof(fd_hooks) / sizeof(fd_hooks[0]),
	.acct = &fd_acct,
	ACCT_MODULE_OPS,
};
