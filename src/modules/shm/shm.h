/* SPDX-License-Identifier: GPL-2.0 */
/* shm module: its counters, in the order of its metrics (one family, by call). */
#ifndef EBPFMON_SHM_H
#define EBPFMON_SHM_H

enum shm_counter {
	SHM_GET,
	SHM_AT,
	SHM_DT,
	SHM_CTL,
	SHM_NR_COUNTERS,
};

#endif
