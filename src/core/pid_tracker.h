/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-process readings between collections. The kernel's per-process
 * counters only go up; each collection adds (now - previous reading) to the
 * process's current application, so application totals never go down, even
 * when a process changes name (exec) or leaves the table.
 */
#ifndef EBPFMON_PID_TRACKER_H
#define EBPFMON_PID_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/store.h"

struct apps_groups;

struct tracked_pid {
	uint32_t tgid;	/* 0 = free slot */
	uint32_t app;	/* index into module_stats.apps */
	char comm[EBPFMON_COMM_LEN]; /* name the app was matched for */
	uint64_t prev[EBPFMON_MAX_COUNTERS];
};

struct pid_tracker {
	struct tracked_pid *slots;
	uint32_t cap; /* power of two */
	uint32_t used;
};

struct pid_tracker *pid_tracker_new(uint32_t max_pids);
void pid_tracker_free(struct pid_tracker *t);

/*
 * Account one reading of process @tgid (@hdr and its @nr counters @v) into
 * @m's applications. When @gone, the process has left the kernel table and
 * its tracking ends. Returns 0, or -ENOMEM.
 */
int pid_account(struct pid_tracker *t, struct module_stats *m, const struct apps_groups *groups,
		uint32_t tgid, const struct pid_hdr *hdr, const uint64_t *v, unsigned int nr,
		bool gone);

#endif
