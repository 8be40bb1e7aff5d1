/* SPDX-License-Identifier: GPL-2.0 */
/* sync module: its counters, in the order of its metrics (one family, by call). */
#ifndef EBPFMON_SYNC_H
#define EBPFMON_SYNC_H

enum sync_counter {
	SYNC_SYNC,
	SYNC_SYNCFS,
	SYNC_FSYNC,
	SYNC_FDATASYNC,
	SYNC_MSYNC,
	SYNC_FILE_RANGE,
	SYNC_NR_COUNTERS,
};

#endif
