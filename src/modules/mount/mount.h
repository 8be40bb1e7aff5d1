/* SPDX-License-Identifier: GPL-2.0 */
/* mount module: its counters, in the order of its metrics. */
#ifndef EBPFMON_MOUNT_H
#define EBPFMON_MOUNT_H

enum mount_counter {
	MOUNT_CALLS,
	UMOUNT_CALLS,
	MOUNT_ERRORS,
	UMOUNT_ERRORS,
	MOUNT_NR_COUNTERS,
};

#endif
