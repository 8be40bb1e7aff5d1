/* SPDX-License-Identifier: GPL-2.0 */
/* cachestat module: its kernel counters, then its derived metrics. */
#ifndef EBPFMON_CACHESTAT_H
#define EBPFMON_CACHESTAT_H

#include <stdint.h>

enum cachestat_def {
	CS_ACCESSED, /* kernel counters (process slots of the accounting core) */
	CS_MISSES,
	CS_DIRTIES,
	CS_NR_COUNTERS,
	CS_HITS = CS_NR_COUNTERS, /* derived */
	CS_RATIO,
	CS_NR_DEFS,
};

/* hits = accessed - misses (misses never exceed accessed in the kernel; clamped all the same). */
uint64_t cachestat_hits(const uint64_t *v);
/* hits / accessed in billionths (rendered with nine decimals); 0 while nothing was accessed. */
uint64_t cachestat_ratio(const uint64_t *v);

#endif
