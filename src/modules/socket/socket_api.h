/* SPDX-License-Identifier: GPL-2.0 */
/* What the socket module offers outside the module interface: the network viewer's rows. */
#ifndef EBPFMON_SOCKET_API_H
#define EBPFMON_SOCKET_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * How long ended connections stay in the view: 0 keeps them all (`ebpfmon
 * connections`, a window); `run` keeps them SOCKET_KEEP_ENDED seconds.
 * Set before the module loads.
 */
#define SOCKET_KEEP_ENDED 60.0
void socket_keep_ended(double seconds);

struct shared_text;

/*
 * The view as of the last collection, as JSON (DataKit's netflow fields):
 * a reference to the text rendered then (shared_text_put() it). 0,
 * -ENODEV when the socket module or its connection table is not running,
 * -EAGAIN before the first collection.
 */
int socket_connections_json(struct shared_text **json);

/* The view as a text table on @out (the last collection). 0 or -errno as above. */
int socket_connections_text(FILE *out);

/*
 * The view as DataKit's netflow measurement in line protocol on @out
 * (conn_view_print_influx()), tagged with @host and stamped @ts_ns. Call it
 * from the collecting thread. 0 or -errno as above.
 */
int socket_connections_influx(FILE *out, const char *host, uint64_t ts_ns);

#endif
