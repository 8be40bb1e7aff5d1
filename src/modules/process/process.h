/* SPDX-License-Identifier: GPL-2.0 */
/* process module: counter slots shared by process.bpf.c and process.c. */
#ifndef EBPFMON_PROCESS_H
#define EBPFMON_PROCESS_H

enum process_counter {
	PROC_CREATED,	      /* new processes (clone without CLONE_THREAD, fork, vfork) */
	PROC_THREADS_CREATED, /* new threads (CLONE_THREAD) */
	PROC_EXITS,	      /* tasks that exited (do_exit: threads and processes) */
	PROC_RELEASED,	      /* tasks released (release_task: reaped) */
	PROC_ERRORS,	      /* clone/clone3/fork/vfork calls that failed */
	PROC_NR_COUNTERS,
};

enum process_action {
	PROC_ACT_NONE,
	PROC_ACT_CLONE, /* clone, clone3, fork, vfork: a failure is a task-creation error */
};

#endif
