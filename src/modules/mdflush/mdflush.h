/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mdflush: structs shared by mdflush.bpf.c (kernel) and mdflush.c (user).
 * Fixed-width fields and explicit padding only: both sides see the same bytes.
 */
#ifndef EBPFMON_MDFLUSH_H
#define EBPFMON_MDFLUSH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MDFLUSH_DEVICES_MAX 256 /* MD arrays with a counter */

/* One array's flushes; key: the array's dev_t (mddev->unit, kernel encoding). */
struct mdflush_val {
	__u64 flushes;
	char name[32]; /* mddev->md_name, e.g. "md0" */
};

/* Per CPU, summed in user space. */
struct mdflush_stats {
	__u64 devices_full; /* flushes of an array the table could not take */
	__u64 pad;
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct mdflush_val) == 40, "mdflush_val layout");
_Static_assert(sizeof(struct mdflush_stats) == 16, "mdflush_stats layout");
#endif

#endif
