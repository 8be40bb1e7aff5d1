/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dcstat: structs shared by dcstat.bpf.c (kernel) and dcstat.c (user).
 * Fixed-width fields only: both sides see the same bytes.
 */
#ifndef EBPFMON_DCSTAT_H
#define EBPFMON_DCSTAT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Host totals, one per-CPU slot (summed in user space): no shared cache line is written. */
struct dcstat_counts {
	__u64 references; /* lookup_fast() calls: path components looked up in the dcache */
	__u64 slow;	  /* d_lookup() calls: the slow path under rename_lock */
	__u64 misses;	  /* d_lookup() calls that found no dentry */
};
_Static_assert(sizeof(struct dcstat_counts) == 24, "dcstat_counts layout");

#ifndef __VMLINUX_H__
#include <stdint.h>
/* (references - misses) / references in billionths; @last when @references is 0. */
uint64_t dcstat_hit_ratio(uint64_t references, uint64_t misses, uint64_t last);
#endif

#endif
