/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dnsflow: what the kernel half (dnsflow.bpf.c) hands user space through
 * its ring buffer. Fixed-width fields, explicit sizes: both sides see the
 * same bytes.
 */
#ifndef EBPFMON_DNSFLOW_H
#define EBPFMON_DNSFLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* DNS payload bytes copied per packet: header and question fit in far less. */
#define DNS_CAP 512

enum dns_dir {
	DNS_DIR_INGRESS = 0,
	DNS_DIR_EGRESS = 1,
};

/*
 * One packet to or from the DNS port, as a socket of this host sent or
 * received it. Addresses in network order (IPv4 in the first 4 bytes of
 * 16), ports in host order. pid/comm: the process that last used the
 * socket (0 / empty when none was seen yet, e.g. a server socket whose
 * first packet is a query it has not read).
 */
struct dns_event {
	__u64 ts_ns;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 netns;  /* network namespace cookie: addresses are per namespace */
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 pid;
	__u16 sport;
	__u16 dport;
	__u16 family; /* AF_INET, AF_INET6 */
	__u8 proto;   /* IPPROTO_UDP, IPPROTO_TCP */
	__u8 dir;     /* enum dns_dir */
	__u16 len;    /* payload bytes in data[] (at most DNS_CAP) */
	__u16 orig_len; /* payload bytes in the packet (TCP: with length prefixes) */
	char comm[16];
	__u8 data[DNS_CAP];
};

/* Who uses a socket (socket-local storage). */
struct dns_owner {
	__u32 pid;
	char comm[16];
};

/* Per-CPU counters of the kernel half. */
struct dns_kstats {
	__u64 packets;	 /* DNS-port packets with a payload */
	__u64 ring_full; /* of those, dropped: the ring buffer was full */
};

_Static_assert(sizeof(struct dns_event) == 592, "dns_event layout");
_Static_assert(sizeof(struct dns_owner) == 20, "dns_owner layout");
_Static_assert(sizeof(struct dns_kstats) == 16, "dns_kstats layout");

#endif
