/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout shared by every counting module's kernel and user halves.
 *
 * A module counts into three tables, all with the same array of u64 counters:
 *   host_counters   per-CPU array, one slot: exact host totals, never full;
 *   pid_counters    hash keyed by tgid: per-process counters, turned into
 *                   per-application totals in user space;
 *   cgroup_counters hash keyed by cgroup v2 id.
 * The per-process value starts with a pid_hdr so user space can name and
 * retire the entry without knowing the module.
 */
#ifndef EBPFMON_COUNTERS_H
#define EBPFMON_COUNTERS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define EBPFMON_COMM_LEN 16
/* The largest counter set of any module: fixed-size user-space storage. */
#define EBPFMON_MAX_COUNTERS 16

/* The process is gone: user space reads the entry one last time and deletes it. */
#define PID_F_DEAD 0x1u

/*
 * With per-CPU tables each CPU has its own copy of the header: the name
 * written last (largest name_ns) wins, and the flags of all copies are ORed.
 */
struct pid_hdr {
	char comm[EBPFMON_COMM_LEN]; /* thread-group leader's comm (refreshed at exec and exit) */
	__u32 flags;		     /* PID_F_* */
	__u32 pad;
	__u64 name_ns;		     /* when comm was written (bpf_ktime_get_ns); 0 = never */
};
_Static_assert(sizeof(struct pid_hdr) == 32, "pid_hdr layout");

/*
 * Syscall numbers below this are looked up in a module's syscall_actions
 * table (at the raw sys_exit tracepoint); 0 there means "not ours".
 */
#define EBPFMON_MAX_SYSCALLS 1024

/* Events that could not be attributed because a table was full. */
struct lost_events {
	__u64 pid_table_full;
	__u64 cgroup_table_full;
};
_Static_assert(sizeof(struct lost_events) == 16, "lost_events layout");

#endif
