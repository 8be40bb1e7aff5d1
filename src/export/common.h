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

/* What a cgroup's path says (service, container, pod) and its runtime's names. */
struct cgroup_labels {
	struct cgroup_meta meta;
	const struct store_container *names; /* NULL when not named */
};

struct series {
	const char *label; /* valid UTF-8, NUL-terminated */
	const struct cgroup_labels *cg; /* a cgroup series' labels; NULL for the others */
	uint64_t v[EBPFMON_MAX_COUNTERS];
};

struct series_set {
	struct series *rows; /* sorted by label (byte order), labels unique */
	size_t nr;
	char *text;	     /* storage of the labels */
	size_t used;
	struct cgroup_labels *cg; /* of each row, for cgroups */
};

/* 0, or -1 when out of memory (@set is then empty and needs no series_free). */
int series_apps(struct series_set *set, const struct module_stats *m);
/* Container names come from @s (NULL: none). */
int series_cgroups(struct series_set *set, const struct module_stats *m, const struct store *s);
/* Per systemd service (module_stats.services). */
int series_services(struct series_set *set, const struct module_stats *m);
/*
 * The labels of a cgroup series after its "cgroup" label, each
 * ,name="value" with a value, in a fixed order: service, container_id,
 * container_runtime, container_name, pod_uid, pod_name, pod_namespace.
 * Each pair is called with @fn.
 */
void series_cgroup_pairs(const struct cgroup_labels *cg,
			 void (*fn)(void *arg, const char *name, const char *value), void *arg);
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
/* @ns as seconds ("12.000345678") ending just before @end; returns where it starts (<= 30 chars). */
char *export_seconds_digits(char *end, uint64_t ns);
/*
 * A value of def @d: export_put_u64(), or for a def with ns_as_seconds the
 * nanoseconds as seconds, written exactly ("12.000345678", no double).
 */
void export_put_value(FILE *out, const struct counter_def *d, uint64_t v);
/*
 * @ns nanoseconds as seconds, exactly, with no trailing zeros: 2000 ->
 * 0.000002, 1500000000 -> 1.5, 0 -> 0 (valid in Prometheus text and JSON).
 */
void export_put_seconds(FILE *out, uint64_t ns);

#endif
