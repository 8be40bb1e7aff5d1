/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netdata's external plugin protocol (plugins.d): one published collection
 * of the store as CHART/DIMENSION definitions (once per chart), then
 * BEGIN/SET/END per chart. Chart ids and contexts come from the module
 * tables (counter_def.netdata_chart, .netdata_app_chart) and, for cgroups
 * and services, from cgroup_meta_service_context(): one source for the
 * docs and this output.
 *
 * The writer remembers which charts it has defined: a chart that is not in
 * a later collection (an application or cgroup retired, a module failed) is
 * defined again with the `obsolete` option, once.
 */
#ifndef EBPFMON_NETDATA_H
#define EBPFMON_NETDATA_H

#include <stdint.h>
#include <stdio.h>

#include "core/store.h"

struct netdata_writer;

/* NULL when out of memory. @update_every: seconds, as Netdata gave it. */
struct netdata_writer *netdata_writer_new(unsigned int update_every);
void netdata_writer_free(struct netdata_writer *w);

/*
 * Write collection @s (the caller holds s->lock). @usec: microseconds since
 * the previous collection (0: none, BEGIN carries no interval). Returns 0,
 * or -1 on a write error or when out of memory.
 */
int netdata_render(struct netdata_writer *w, const struct store *s, uint64_t usec, FILE *out);

/*
 * A name as Netdata takes it in a chart id's part: [A-Za-z0-9_-] kept, every
 * other byte '_' (a '.' would split type.id, a space the line). @dst holds
 * @len bytes; the result is never empty ("_" for an empty name).
 */
void netdata_clean_id(char *dst, size_t len, const char *src);
/*
 * A label value inside single quotes: quotes, backslashes and control
 * characters become '_' (the plugins.d parser has no escapes).
 */
void netdata_clean_value(char *dst, size_t len, const char *src);

#endif
