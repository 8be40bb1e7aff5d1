/* SPDX-License-Identifier: GPL-2.0 */
/*
 * InfluxDB line protocol from the store, for `snapshot --format influx` and
 * the pusher (push.h). One line per metric family prefix and label set:
 *
 *   ebpfmon_app_vfs,app=nginx read_bytes=4096i,read_calls=2i 1700000000000000000
 *
 * measurement  the Prometheus name up to the def's name: ebpfmon_<module>,
 *              ebpfmon_app_<module>, ebpfmon_cgroup_<module>
 * tags         the Prometheus labels (app, cgroup, a module's own labels, a
 *              def's fixed label such as call=sync: such defs get a line of
 *              their own tag set); an empty value is left out (InfluxDB
 *              rejects it)
 * fields       the def's name without _total, as an integer (123i; line
 *              protocol's are signed: above 2^63-1 written as 2^63-1); a
 *              nanosecond def written in seconds (_seconds) as a float
 *              with every digit kept (0.000002)
 * histograms   one line per row: <name>_count (integer), <name>_sum (seconds,
 *              float) and the cumulative buckets <name>_le_<bound seconds>
 *              and <name>_le_inf (integers), as Prometheus' _bucket lines
 * self         measurement "ebpfmon": collections, and the pusher's sent,
 *              failed and dropped bodies when it runs
 *
 * Escaping (InfluxDB's line protocol): commas and spaces in measurements;
 * commas, equals signs and spaces in tag keys, tag values and field keys;
 * double quotes and backslashes in string field values. A backslash is kept
 * as it is unless it would escape what follows it (the end of a value or one
 * of those characters): then it is doubled. Line protocol cannot carry a
 * control character (a newline ends the line), so each becomes '?'.
 */
#ifndef EBPFMON_INFLUX_H
#define EBPFMON_INFLUX_H

#include <stdint.h>
#include <stdio.h>

#include "core/store.h"

/* Write the store, every line stamped @ts_ns. The caller holds s->lock. 0, or -1. */
int influx_render(const struct store *s, FILE *out, uint64_t ts_ns);

/* A measurement name. */
void influx_put_measurement(FILE *out, const char *s);
/* A tag key, tag value or field key (the first @len bytes of @s). */
void influx_put_key(FILE *out, const char *s, size_t len);
/* ",key=value", or nothing when @value is empty. */
void influx_put_tag(FILE *out, const char *key, const char *value);
/* A string field value with its quotes. */
void influx_put_string(FILE *out, const char *s);
/* Nanoseconds since the epoch, now. */
uint64_t influx_now_ns(void);

#endif
