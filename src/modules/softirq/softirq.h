/* SPDX-License-Identifier: GPL-2.0 */
/*
 * softirq: structs shared by softirq.bpf.c (kernel) and softirq.c (user).
 * Fixed-width fields only: both sides see the same bytes.
 */
#ifndef EBPFMON_SOFTIRQ_H
#define EBPFMON_SOFTIRQ_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Slots of the per-CPU counter array, indexed by softirq vector. The kernel
 * has NR_SOFTIRQS = 10 (HI .. RCU) and has had for years; 16 leaves room,
 * and a vector beyond is counted in the last slot (SOFTIRQ_SLOT_OTHER) rather
 * than lost. 16 x 16 bytes x 128 CPUs = 32 KiB.
 */
#define SOFTIRQ_SLOTS	   16
#define SOFTIRQ_SLOT_OTHER (SOFTIRQ_SLOTS - 1)

struct softirq_val {
	__u64 calls;
	__u64 ns; /* time in the handler: softirq_exit - softirq_entry */
};
_Static_assert(sizeof(struct softirq_val) == 16, "softirq_val layout");

/* Per CPU: when the running softirq started. Softirqs do not nest on a CPU. */
struct softirq_start {
	__u64 ts;  /* bpf_ktime_get_ns() at entry, 0 when none is running */
	__u32 vec;
	__u32 pad;
};
_Static_assert(sizeof(struct softirq_start) == 16, "softirq_start layout");

#endif
