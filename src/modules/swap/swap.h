/* SPDX-License-Identifier: GPL-2.0 */
/* swap module: its counters, the write side first (see swap.c). */
#ifndef EBPFMON_SWAP_H
#define EBPFMON_SWAP_H

enum swap_counter {
	SWAP_WRITE, /* swap-out: a tracepoint rung exists */
	SWAP_READ,  /* swap-in: kprobes only */
	SWAP_NR_COUNTERS,
};

#endif
