/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disk: structs shared by disk.bpf.c (kernel) and disk.c (user).
 * Fixed-width fields and explicit padding only: both sides see the same bytes.
 */
#ifndef EBPFMON_DISK_H
#define EBPFMON_DISK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Netdata's 24 log2 bins (disk.latency_io). Slot k < 23 holds latencies in
 * (2^k, 2^(k+1)] microseconds (slot 0 from 0), so its Prometheus bound
 * `le` is 2^(k+1) us exactly; slot 23 holds everything above 2^23 us
 * (8.388608 s): the +Inf bucket.
 */
#define DISK_SLOTS 24

/* Bounds of the kernel tables (see disk.c for the memory they take). */
#define DISK_INFLIGHT_MAX 8192 /* requests between issue and completion, all disks */
#define DISK_DEVICES_MAX  256  /* disks with a histogram */

/*
 * A request between issue and completion. tp_btf: id is the request's
 * address, sector 0. Classic tracepoint (no request pointer in the event):
 * id is the disk's dev_t and sector the request's first sector, as
 * libbpf-tools' biolatency and Netdata key it.
 */
struct dlat_key {
	__u64 id;
	__u64 sector;
};

/* One disk's histogram; key: the disk's dev_t (kernel encoding: major << 20 | minor). */
struct dlat_hist {
	__u64 slots[DISK_SLOTS];
	__u64 sum_ns;
	char name[32]; /* the disk's name, from tp_btf; empty from the classic tracepoint */
};

/* Per CPU, summed in user space. */
struct dlat_stats {
	__u64 inflight_full;   /* issues the in-flight table could not take */
	__u64 devices_full;    /* completions of a disk the device table could not take */
	__u64 unmatched;       /* completions with no issue seen since attach */
	__u64 pad;
};

/*
 * The slot of a latency of @ns nanoseconds: floor(log2(v)) for
 * v = (ns - 1) / 1000, capped at DISK_SLOTS - 1, so that slot k ends at
 * 2^(k+1) us inclusive: an exact Prometheus `le`. Shared with the unit
 * tests, which check the boundaries.
 */
static inline __u32 dlat_slot(__u64 ns)
{
	__u64 v = ns ? (ns - 1) / 1000 : 0;
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	return r < DISK_SLOTS ? r : DISK_SLOTS - 1;
}

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct dlat_key) == 16, "dlat_key layout");
_Static_assert(sizeof(struct dlat_hist) == DISK_SLOTS * 8 + 8 + 32, "dlat_hist layout");
_Static_assert(sizeof(struct dlat_stats) == 32, "dlat_stats layout");
#endif

#endif
