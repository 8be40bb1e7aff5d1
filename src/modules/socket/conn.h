/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection table of the socket module: what its kernel half
 * (socket.bpf.h, part of the accounting core's object) and its user half
 * (conn_*.c: the network viewer, `ebpfmon connections`, /api/v1/connections)
 * share. Fixed-width fields, explicit padding.
 *
 * One entry per TCP or UDP socket (IPv4 or IPv6) that a process connected,
 * accepted, or sent or received on, keyed by the socket's kernel address.
 * TCP entries leave the table when the socket reaches TCP_CLOSE: their last
 * state goes to user space through the `conns_closed` ring buffer, so a
 * reused address starts a new entry. UDP sockets have no such event: user
 * space expires entries whose counts stopped moving (it compares readings:
 * no timestamp costs the hot path), and the kernel starts a new entry
 * when a socket at the same address has another local port.
 */
#ifndef EBPFMON_CONN_H
#define EBPFMON_CONN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "core/acct.h"

/* conn_entry.direction: DataKit's netflow `direction` */
enum conn_direction {
	CONN_DIR_UNKNOWN,  /* first seen at a send or receive (opened before ebpfmon started) */
	CONN_DIR_OUTGOING, /* the local side connected (TCP connect, or UDP) */
	CONN_DIR_INCOMING, /* the local side accepted */
};

/* Connection table kinds, each bounded by its Netdata table size (conn_used[] in socket.bpf.h). */
enum conn_kind { CONN_IPV4, CONN_IPV6, CONN_UDP, CONN_KINDS };

/* conn_entry.flags */
#define CONN_F_ESTABLISHED 0x1u /* TCP: reached ESTABLISHED while watched */
#define CONN_F_CLOSED 0x2u	/* TCP: reached CLOSE (only in conns_closed events) */
#define CONN_F_EXPIRED 0x4u	/* UDP: replaced by another socket at the same address */

/*
 * Addresses in network byte order; an IPv4 address is in the first 4 bytes
 * of its 16. Ports in host byte order. src is the local side.
 */
struct conn_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;	/* AF_INET, AF_INET6 */
	__u8 protocol;	/* IPPROTO_TCP, IPPROTO_UDP */
	__u8 direction; /* enum conn_direction */
};

struct conn_entry {
	struct conn_tuple t;
	/*
	 * The process that made or accepted the connection (or first used it):
	 * its epoch, which softirq events count for (tgid 0: none, e.g. apps
	 * off), its cgroup, and its pid and name as shown.
	 */
	struct acct_key owner;
	__u64 cgid;
	__u32 pid;
	__u32 flags; /* CONN_F_* */
	char comm[ACCT_COMM_LEN];
	__u64 bytes_written; /* sock:sock_send_length, successful calls */
	__u64 bytes_read;    /* sock:sock_recv_length, successful calls, MSG_PEEK aside */
	__u64 retransmits;   /* tcp:tcp_retransmit_skb events */
	__u32 rtt_us;	     /* TCP smoothed RTT at the last send, receive or close */
	__u32 rtt_var_us;    /* its mean deviation */
};

/* A conns_closed event: the entry's last state, and its key. */
struct conn_closed {
	__u64 sk;
	struct conn_entry e;
};

#endif
