// SPDX-License-Identifier: GPL-2.0
/*
 * process: processes and threads created, task exits and releases, failed
 * task creation, zombies.
 *
 * Built on the accounting core (core/accounting.h), whose lifecycle programs
 * count for this module: creation at task:task_newtask on the creating
 * process (clone_flags tell a thread from a process), exits at
 * sched_process_exit, releases at sched_process_free, creation errors from
 * the clone/fork syscalls' results. Zombies are counted live at each
 * collection by the core's task iterator (tasks in state EXIT_ZOMBIE), so the
 * gauge is true from the first collection, whatever happened before attach.
 */
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/process/process.h"

_Static_assert(PROC_NR_DEFS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

static const struct counter_def process_defs[] = {
	[PROC_CREATED] = { "created_total", "Processes created (fork, vfork, clone without CLONE_THREAD), counted on the parent",
			   .light = true, .netdata_chart = "system.process_thread", .netdata_app_chart = "app.ebpf_process_start" },
	[PROC_THREADS_CREATED] = { "threads_created_total", "Threads created (clone with CLONE_THREAD), counted on the creating process",
				   .light = true, .netdata_chart = "system.process_thread", .netdata_app_chart = "app.ebpf_thread_start" },
	[PROC_EXITS] = { "exits_total", "Tasks (threads and processes) that exited",
			 .light = true, .netdata_chart = "system.exit", .netdata_app_chart = "app.ebpf_task_exit" },
	[PROC_RELEASED] = { "released_total", "Tasks freed after exit (sched_process_free: after the reap and an RCU grace period)",
			    .light = true, .netdata_chart = "system.exit", .netdata_app_chart = "app.ebpf_task_released" },
	[PROC_ERRORS] = { "errors_total", "clone(2), clone3(2), fork(2), vfork(2) calls that failed", .is_error = true,
			  .netdata_chart = "system.task_error", .netdata_app_chart = "app.ebpf_task_error" },
	[PROC_ZOMBIES] = { "zombies", "Tasks that exited and wait for their parent to reap them (state Z), counted at each collection",
			   .kind = GAUGE_HOST, .light = true, .netdata_chart = "system.process_status", .netdata_app_chart = "" },
};
_Static_assert(sizeof(process_defs) / sizeof(process_defs[0]) == PROC_NR_DEFS, "one def per metric");

static const unsigned char process_slots[PROC_NR_COUNTERS] = {
	[PROC_CREATED] = SL_CREATED,	 [PROC_THREADS_CREATED] = SL_THREADS_CREATED,
	[PROC_EXITS] = SL_EXITS,	 [PROC_RELEASED] = SL_RELEASED,
	[PROC_ERRORS] = SL_CLONE_ERRORS,
};

static const struct hook_impl newtask_impls[] = {
	{ "tp_btf", PROGS("newtask_btf") },
	TRACEPOINTS("newtask_tp"),
};
static const struct hook_impl exit_impls[] = {
	{ "tp_btf", PROGS("exit_btf") },
	TRACEPOINTS("exit_tp"),
};
/* The classic event has a thread id but no task: per-application releases need tp_btf. */
static const struct hook_impl release_impls[] = {
	{ "tp_btf", PROGS("free_btf") },
	{ "tracepoint (host only)", PROGS("free_tp") },
};
static const struct hook_impl error_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_clone", "tp_exit_clone3", "tp_exit_fork", "tp_exit_vfork"),
	KRETSYSCALLS("kp_exit_clone", "kp_exit_clone3", "kp_exit_fork", "kp_exit_vfork"),
};

enum { H_CREATE, H_EXIT, H_RELEASE, H_ERRORS };

static const struct hook_def process_hooks[] = {
	[H_CREATE] = HOOK("task creation", newtask_impls),
	[H_EXIT] = HOOK("task exit", exit_impls),
	[H_RELEASE] = HOOK("task release", release_impls),
	[H_ERRORS] = RESULT_HOOK("task creation errors", error_impls),
};

#define CLONE_ERRORS(nr) { nr, H_ERRORS, 0, ACCT_RULE(ACCT_NO_SLOT, ACCT_NO_SLOT, SL_CLONE_ERRORS) }

static const struct acct_syscall_def process_syscalls[] = {
	CLONE_ERRORS(SYS_clone),
	CLONE_ERRORS(SYS_clone3),
#ifdef SYS_fork
	CLONE_ERRORS(SYS_fork),
	CLONE_ERRORS(SYS_vfork),
#endif
};

static const struct acct_desc process_acct = {
	.slot_of = process_slots,
	.syscalls = process_syscalls,
	.nr_syscalls = sizeof(process_syscalls) / sizeof(process_syscalls[0]),
	.lifecycle = true,
	.zombies_def = PROC_ZOMBIES,
};

const struct module process_module = {
	.name = "process",
	.summary = "Processes and threads created, task exits and releases, creation errors, zombies",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	.defs = process_defs,
	.nr_defs = PROC_NR_DEFS,
	.nr_counters = PROC_NR_COUNTERS,
	.hooks = process_hooks,
	.nr_hooks = sizeof(process_hooks) / sizeof(process_hooks[0]),
	.acct = &process_acct,
	ACCT_MODULE_OPS,
};
