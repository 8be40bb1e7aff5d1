/* SPDX-License-Identifier: GPL-2.0 */
/* fd module: its counters, in the order of its metrics. */
#ifndef EBPFMON_FD_H
#define EBPFMON_FD_H

enum fd_counter {
	FD_OPEN_CALLS,
	FD_OPEN_ERRORS,
	FD_CLOSE_CALLS,
	FD_CLOSE_ERRORS,
	FD_NR_COUNTERS,
};

#endif
