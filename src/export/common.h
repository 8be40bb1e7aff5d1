/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the exporters. Per-application and per-cgroup rows prepared for
 * output: labels made valid UTF-8, sorted, and rows with the same label merged.
 *
 * Exporters need all three: Prometheus and JSON reject invalid UTF-8 (a comm
 * can hold any byte), output must be deterministic for diffs and tests, and a
 * label may occur twice (a cgroup recreated under the same path gets a new id,
 * two comms may differ only in invalid bytes). Summing such rows keeps counters
 * monotonic and every series unique.
 */
#ifndef EBPFMON_EXPORT_COMMON_H
#define EBPFMON_EXPORT_COMMON_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "core/store.h"

struct series {
	const char *label; /* valid UTF-8, NUL-terminated */
	uint64_t v[EBPFMON_MAX_COUNTERS];
};

struct series_set {
	struct series *rows; /* sorted by label (byte order), labels unique */
	size_t nr;
	char *text;	     /* storage of the labels */
	size_t used;
};

/* 0, or -1 when out of memory (@set is then empty and needs no series_free). */
int series_apps(struct series_set *set, const struct module_stats *m);
int series_cgroups(struct series_set *set, const struct module_stats *m);
void series_free(struct series_set *set);

/* Length of the valid UTF-8 sequence at @p (@left >= 1 bytes available), 0 if invalid. */
size_t export_utf8_len(const unsigned char *p, size_t left);
/*
 * Copy @len bytes of @src to @dst as valid UTF-8, each invalid byte replaced by
 * U+FFFD; @dst holds 3 * @len + 1 bytes. Returns the length written (NUL added).
 */
size_t export_utf8_sanitize(char *dst, const char *src, size_t len);

/* Write @v in decimal ending just before @end; returns where it starts (<= 20 digits). */
char *export_u64_digits(char *end, uint64_t v);
/*
 * @v in decimal, never as a double (counters exceed 53 bits), with
 * fwrite_unlocked(): the caller holds the FILE lock
 * (flockfile) because exporters write hundreds of thousands of numbers.
 */
void export_put_u64(FILE *out, uint64_t v);
/*
 * @ns nanoseconds as seconds, exactly, with no trailing zeros: 2000 ->
 * 0.000002, 1500000000 -> 1.5, 0 -> 0 (valid in Prometheus text and JSON).
 */
void export_put_seconds(FILE *out, uint64_t ns);

#endif
