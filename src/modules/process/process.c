// SPDX-License-Identifier: GPL-2.0
/* process module, user half: task creation, exit, release and errors. */
#include "core/counting.h"
#include "modules/process/process.h"
#include "process.skel.h"
#include <sys/syscall.h>

enum { PROC_ZOMBIES = PROC_NR_COUNTERS, PROC_NR_DEFS };

static const struct counter_def process_defs[] = {
	[PROC_CREATED] = { "created_total", "Processes created (fork, vfork, clone without CLONE_THREAD), counted on the parent",
			   .netdata_chart = "system.process_thread", .netdata_app_chart = "app.ebpf_process_start" },
	[PROC_THREADS_CREATED] = { "threads_created_total", "Threads created (clone with CLONE_THREAD), counted on the creating process",
				   .netdata_chart = "system.process_thread", .netdata_app_chart = "app.ebpf_thread_start" },
	[PROC_EXITS] = { "exits_total", "Tasks (threads and processes) that exited",
			 .netdata_chart = "system.exit", .netdata_app_chart = "app.ebpf_task_exit" },
	[PROC_RELEASED] = { "released_total", "Tasks released (reaped) after exit",
			    .netdata_chart = "system.exit", .netdata_app_chart = "app.ebpf_task_released" },
	[PROC_ERRORS] = { "errors_total", "clone(2), clone3(2), fork(2), vfork(2) calls that failed", .is_error = true,
			  .netdata_chart = "system.task_error", .netdata_app_chart = "app.ebpf_task_error" },
	[PROC_ZOMBIES] = { "zombies", "Tasks that exited and are not released yet (exits - releases)",
			   .kind = GAUGE_DIFFERENCE, .a = PROC_EXITS, .b = PROC_RELEASED,
			   .netdata_chart = "system.process_status", .netdata_app_chart = "" },
};
_Static_assert(sizeof(process_defs) / sizeof(process_defs[0]) == PROC_NR_DEFS, "one def per metric");

static const struct hook_impl newtask_impls[] = {
	{ "tp_btf", PROGS("newtask_btf") },
	TRACEPOINTS("newtask_tp"),
};
static const struct hook_impl exit_impls[] = {
	{ "tp_btf", PROGS("exit_btf") },
	TRACEPOINTS("exit_tp"),
};
static const struct hook_impl release_impls[] = {
	{ "tp_btf", PROGS("release_btf") },
	TRACEPOINTS("release_tp"),
	{ "kprobe", PROGS("release_kprobe") },
};
static const struct hook_impl error_impls[] = {
	SYS_EXIT_BTF,
	TRACEPOINTS("tp_exit_clone", "tp_exit_clone3", "tp_exit_fork", "tp_exit_vfork"),
	{ "kretprobe", PROGS("kernel_clone_kretprobe") },
};

static const struct hook_def process_hooks[] = {
	HOOK("task creation", newtask_impls),
	HOOK("task exit", exit_impls),
	HOOK("task release", release_impls),
	RESULT_HOOK("task creation errors", error_impls),
	PID_EXEC_HOOK,
};

static const struct syscall_action_def process_syscalls[] = {
	{ SYS_clone, PROC_ACT_CLONE }, { SYS_clone3, PROC_ACT_CLONE },
#ifdef SYS_fork
	{ SYS_fork, PROC_ACT_CLONE },  { SYS_vfork, PROC_ACT_CLONE },
#endif
};

COUNTING_SKEL_GLUE(process)

const struct module process_module = {
	.name = "process",
	.summary = "Processes and threads created, task exits and releases, creation errors, zombies",
	.default_on = true,
	.defs = process_defs,
	.nr_defs = PROC_NR_DEFS,
	.nr_counters = PROC_NR_COUNTERS,
	.hooks = process_hooks,
	.nr_hooks = sizeof(process_hooks) / sizeof(process_hooks[0]),
	.syscalls = process_syscalls,
	.nr_syscalls = SYSCALL_ACTIONS_LEN(process_syscalls),
	COUNTING_MODULE_OPS(process),
};
