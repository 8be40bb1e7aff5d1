/* SPDX-License-Identifier: GPL-2.0 */
/* What the network viewer asks of the conntrack module (see conntrack.c). */
#ifndef EBPFMON_CONNTRACK_API_H
#define EBPFMON_CONNTRACK_API_H

#include <stddef.h>

struct conn_row;

/*
 * Give each of @rows that DNAT rewrote its real destination (dst_nat_*),
 * from the conntrack module's last collection; nothing when it is not
 * running. Thread-safe.
 */
void conntrack_annotate(struct conn_row *rows, size_t n);

#endif
