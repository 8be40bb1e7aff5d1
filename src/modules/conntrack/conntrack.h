/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conntrack: the NAT tags of the network viewer (DataKit's dst_nat_ip and
 * dst_nat_port). What its kernel half (conntrack.bpf.c) and its user half
 * (conntrack.c) share. Fixed-width fields, explicit padding.
 */
#ifndef EBPFMON_CONNTRACK_H
#define EBPFMON_CONNTRACK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * A connection as conntrack saw it first (its original direction), in the
 * socket module's conn_tuple layout: addresses in network order (IPv4 in
 * the first 4 bytes of 16), ports in host order. The socket that made the
 * connection has the same tuple, in its own network namespace.
 */
struct ct_nat_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family; /* AF_INET, AF_INET6 */
	__u8 protocol;
	__u8 pad;
};

/* Where DNAT sent it: the source of conntrack's reply direction. */
struct ct_nat_val {
	__u8 addr[16];
	__u16 port;
	__u16 pad;
	__u32 pad2;
	__u64 last_ns; /* bpf_ktime_get_ns() of a recent packet (refreshed at most each second) */
};

/* Per-CPU counters. */
struct ct_stats {
	__u64 dnat_new;	  /* DNATed connections entered in the table */
	__u64 table_full; /* DNATed connections the table had no room for */
};

_Static_assert(sizeof(struct ct_nat_key) == 40, "ct_nat_key layout");
_Static_assert(sizeof(struct ct_nat_val) == 32, "ct_nat_val layout");

#endif
