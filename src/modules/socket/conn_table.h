/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket module's connection table, read from user space: the open
 * connections (the kernel table, read whole at each collection) and the
 * ones that ended (its ring buffer), turned into the network viewer's rows
 * (conn_view.h) for `ebpfmon connections` and /api/v1/connections.
 */
#ifndef EBPFMON_CONN_TABLE_H
#define EBPFMON_CONN_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "export/text_cache.h"
#include "modules/socket/conn_view.h"

struct acct;
struct ring_buffer;

/* An open connection as last read, and since when its counts stand still. */
struct conn_open {
	__u64 sk;
	struct conn_entry e;
	double still_since;
};

/* A connection that ended, and when it was seen to end. */
struct conn_ended {
	struct conn_entry e;
	double at;
};

struct conn_table {
	int map_fd;
	struct ring_buffer *rb;
	__s64 *used; /* the kernel's entries by kind, to give back the UDP ones expired */
	size_t max_entries;
	__u64 *keys; /* read buffers */
	struct conn_entry *vals;
	struct conn_open *open, *prev; /* this reading and the last, by key */
	size_t nr_open, nr_prev;
	/*
	 * The ended connections kept, oldest first: an array that grows as they
	 * come (to max_ended) and is compacted as they expire, so memory follows
	 * what is kept, not the bound.
	 */
	struct conn_ended *ended;
	size_t nr_ended, cap_ended, max_ended;
	uint64_t ended_dropped; /* ended connections the ring had no room for */
	double udp_idle;	/* a UDP socket that did nothing this long is expired */
	double keep_ended;	/* ended connections shown this long (0: until read) */
	double now;
	struct conn_view view;
	/* The last view as JSON, for /api/v1/connections: readers take a reference. */
	struct text_slot json;
};

/*
 * Set up @t on the core's loaded object: the view from @cfg's [network
 * connections]. @keep_ended: seconds an ended connection stays in the
 * view (0: for good, as `ebpfmon connections` wants). 0 or -errno, with a
 * line in @err.
 */
int conn_table_init(struct conn_table *t, struct acct *a, const struct config *cfg,
		    double keep_ended, char *err, size_t errlen);
void conn_table_free(struct conn_table *t);

/* Read the kernel: ended connections, then the open ones. 0 or -errno. */
int conn_table_read(struct conn_table *t);

/*
 * The rows of the view: the open connections and the ended ones kept,
 * filtered, collapsed, sorted and limited as configured. A malloc'ed
 * array (*@rows, NULL when empty) and the "other" row of what the limit
 * left out (other->connections 0: none). -ENOMEM or the number of rows.
 */
long conn_table_rows(struct conn_table *t, struct conn_row **rows, struct conn_row *other);

/* One kernel entry as a row. */
void conn_row_of(const struct conn_entry *e, bool open, struct conn_row *r);

/* Check a [network connections] filter value (config_check_pattern). */
int conn_check_pattern(const char *key, const char *value, char *err, size_t errlen);

#endif
