/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hardirq: structs shared by hardirq.bpf.c (kernel) and hardirq.c (user).
 * Fixed-width fields and explicit padding only: both sides see the same bytes.
 */
#ifndef EBPFMON_HARDIRQ_H
#define EBPFMON_HARDIRQ_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* An action's name (request_irq()'s devname), truncated to 31 bytes. */
#define HARDIRQ_NAME_LEN 32

/* A numbered IRQ's handler (one irqaction: a shared line has several). */
struct hardirq_key {
	__u32 irq;
	__u32 pad; /* zero */
	char name[HARDIRQ_NAME_LEN]; /* zero-filled after the string: part of the hash */
};
_Static_assert(sizeof(struct hardirq_key) == 40, "hardirq_key layout");

struct hardirq_val {
	__u64 calls;
	__u64 ns; /* handler time: irq_handler_exit - irq_handler_entry */
};
_Static_assert(sizeof(struct hardirq_val) == 16, "hardirq_val layout");

/*
 * The x86 system vectors with tracepoints, by their /proc/interrupts row.
 * CAL is call_function + call_function_single, as the kernel counts it.
 */
enum hardirq_vector {
	HV_LOC, /* local_timer */
	HV_SPU, /* spurious_apic */
	HV_IWI, /* irq_work */
	HV_RES, /* reschedule */
	HV_CAL, /* call_function, call_function_single */
	HV_TRM, /* thermal_apic */
	HV_ERR, /* error_apic */
	HV_PLT, /* x86_platform_ipi */
	HV_NR,
};

/*
 * Per CPU: the running handler (its key, ready for the table) and the
 * running vector, with when they started. Hard IRQ handlers and system
 * vectors run with interrupts off, so neither nests on a CPU; each has its
 * own start anyway.
 */
struct hardirq_start {
	__u64 irq_ts; /* 0: none running */
	__u64 vec_ts;
	__u32 vec;
	__u32 pad;
	struct hardirq_key key;
};
_Static_assert(sizeof(struct hardirq_start) == 64, "hardirq_start layout");

/* Per CPU: events not counted. */
struct hardirq_stats {
	__u64 table_full; /* a new (irq, name) found the handler table full */
};

/* Bound of the handler table: (irq, action) pairs, not CPUs; see hardirq.bpf.c. */
#define HARDIRQ_MAX_ENTRIES 4096

#endif
