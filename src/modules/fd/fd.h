/* SPDX-License-Identifier: GPL-2.0 */
/* fd module: counter slots shared by fd.bpf.c and fd.c. */
#ifndef EBPFMON_FD_H
#define EBPFMON_FD_H

enum fd_counter {
	FD_OPEN_CALLS,
	FD_OPEN_ERRORS,
	FD_CLOSE_CALLS,
	FD_CLOSE_ERRORS,
	FD_NR_COUNTERS,
};

enum fd_action {
	FD_ACT_NONE,
	FD_ACT_OPEN,
	FD_ACT_CLOSE,
};

#endif
