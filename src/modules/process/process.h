/* SPDX-License-Identifier: GPL-2.0 */
/* process module: its counters, in the order of its metrics. */
#ifndef EBPFMON_PROCESS_H
#define EBPFMON_PROCESS_H

enum process_counter {
	PROC_CREATED,	      /* new processes (clone without CLONE_THREAD, fork, vfork) */
	PROC_THREADS_CREATED, /* new threads (CLONE_THREAD) */
	PROC_EXITS,	      /* tasks that exited (do_exit: threads and processes) */
	PROC_RELEASED,	      /* tasks freed after exit (sched_process_free) */
	PROC_ERRORS,	      /* clone/clone3/fork/vfork calls that failed */
	PROC_NR_COUNTERS,
	PROC_ZOMBIES = PROC_NR_COUNTERS, /* a gauge, counted at each collection */
	PROC_NR_DEFS,
};

#endif
