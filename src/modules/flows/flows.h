/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flows: structs shared by flows.bpf.c (kernel) and flows*.c (user).
 * Fixed-width fields and explicit padding only: both sides see the same bytes.
 */
#ifndef EBPFMON_FLOWS_H
#define EBPFMON_FLOWS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum flow_dir {
	FLOW_DIR_INGRESS = 0,
	FLOW_DIR_EGRESS = 1,
};

/* flow_key.flags: why a key has no ports or no addresses. */
#define FLOW_F_FRAG	0x01 /* non-first IP fragment: no L4 header, ports 0 */
#define FLOW_F_TRUNC	0x02 /* IP header fine, L4/extension header cut off: ports 0 */
#define FLOW_F_UNPARSED 0x04 /* no usable IP header: only ethertype (0 when L2 is cut) */

#define FLOW_ETH_IPV4 0x0800
#define FLOW_ETH_IPV6 0x86DD
#define FLOW_ETH_ARP  0x0806

/*
 * One flow. IPv4 addresses sit in the first 4 bytes of src/dst (rest zero).
 * For ICMP and ICMPv6 sport is the type and dport the code (pktstat-bpf does
 * the same). pid/cgroup/comm are set in process mode only.
 */
struct flows_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;	 /* host byte order */
	__u16 dport;
	__u32 ifindex;
	__u16 ethertype; /* host byte order, innermost after VLAN tags */
	__u8 proto;	 /* IP protocol (last IPv6 next-header reached) */
	__u8 flags;	 /* FLOW_F_* */
	__u8 dir;	 /* enum flow_dir */
	__u8 pad[3];
	/* Process mode only: outside it the table's key stops here (FLOWS_KEY_NET_SIZE). */
	__u32 pid;	 /* thread group id of the socket's owner, 0 = unknown */
	__u32 pad2;
	__u64 cgroup;	 /* cgroup v2 id of the socket */
	char comm[16];
};
_Static_assert(sizeof(struct flows_key) == 80, "flow_key layout");

/*
 * Outside process mode the flow table hashes only the network part of the
 * key: fewer bytes to hash and compare per packet.
 */
#define FLOWS_KEY_NET_SIZE 48
_Static_assert(__builtin_offsetof(struct flows_key, pid) == FLOWS_KEY_NET_SIZE,
	       "process fields follow the network part");

struct flows_val {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct flows_val) == 16, "flow_val layout");

/* Totals, kept apart from the LRU flow table so they stay exact. */
struct flows_total_key {
	__u32 ifindex;
	__u16 ethertype;
	__u8 proto;
	__u8 dir_flags; /* bit 0: enum flow_dir; bit 1: unparsed */
};
_Static_assert(sizeof(struct flows_total_key) == 8, "flow_total_key layout");

#define FLOW_TOTAL_DIR_MASK 0x01
#define FLOW_TOTAL_UNPARSED 0x02

/*
 * Totals of the common protocols on the interface the programs were loaded
 * for (TCP, UDP and ICMP/ICMPv6 over IPv4 and IPv6, each direction) live in
 * a per-CPU array rather than the totals hash: the verifier turns an array
 * lookup into a few instructions, where a hash lookup is a call that costs
 * 30-40 ns per packet on some machines (bench/flows.sh). Everything else
 * (other protocols and ethertypes, unparsed frames, other interfaces in
 * process mode) still goes to the hash.
 *
 * Slot: dir << 3 | ipv6 << 2 | class (FLOW_IPT_*); class 3 is unused.
 */
#define FLOWS_IP_TOTALS_SLOTS 16
#define FLOW_IPT_TCP  0
#define FLOW_IPT_UDP  1
#define FLOW_IPT_ICMP 2 /* ICMP over IPv4, ICMPv6 over IPv6 */

/* Per-CPU counters in the single-slot flow_stats array. */
struct flows_stats {
	__u64 inserted;	    /* flows added to the LRU table (evicted = inserted - live) */
	__u64 flow_fail;    /* packets a full/failing flow table could not take */
	__u64 total_fail_packets; /* packets the totals table could not take */
	__u64 total_fail_bytes;
};
_Static_assert(sizeof(struct flows_stats) == 32, "flow_stats layout");

/*
 * The per-CPU flow cache in front of the flow table (TC and XDP; see
 * flows.bpf.c): FLOWS_CACHE_SLOTS slots per CPU, each holding one flow's
 * network key and the packets and bytes counted for it since it took the
 * slot, which move to the flow table when another flow takes the slot.
 * Readers add the slots to what the table holds.
 *
 * gen_start and gen_end bracket a change of key: the program sets gen_end
 * odd before it writes, then gen_start and gen_end to the same even value
 * after. A copy that went from gen_start to gen_end (the map's lookup
 * copies in order) with gen_start != gen_end overlapped a change: read it
 * again.
 */
#define FLOWS_CACHE_SLOTS 64 /* a power of two */
struct flows_cache_slot {
	__u64 gen_start;
	__u8 key[FLOWS_KEY_NET_SIZE]; /* the network part of struct flows_key */
	__u64 packets;		      /* 0: the slot is free */
	__u64 bytes;
	__u64 gen_end;
};
_Static_assert(sizeof(struct flows_cache_slot) == 80, "flows_cache_slot layout");

/*
 * The cache slot of a network key, shared so that tests can pick flows that
 * take turns in one slot: the key's 12 words folded, the destination
 * rotated so that a flow and its reply (addresses and ports swapped) land
 * apart, then a multiplicative hash's top bits. A few instructions: this
 * runs for every packet.
 */
static inline __attribute__((always_inline)) __u32 flows_cache_index(const void *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 a = w[0] ^ w[1] ^ w[2] ^ w[3], b = w[4] ^ w[5] ^ w[6] ^ w[7];
	__u32 x = a ^ (b << 16 | b >> 16) ^ w[8] ^ (w[9] + w[10] + w[11]);

	return (x * 0x9E3779B1u) >> (32 - __builtin_ctz(FLOWS_CACHE_SLOTS));
}

/* Socket owner, kept in socket local storage (cloned to accepted sockets). */
struct flows_owner {
	__u32 pid;
	__u32 pad;
	char comm[16];
};
_Static_assert(sizeof(struct flows_owner) == 24, "flow_owner layout");

#define FLOWS_DEFAULT_MAX_ENTRIES 65536
#define FLOWS_TOTALS_MAX_ENTRIES  4096
#define FLOWS_MAX_VLAN_TAGS	  2
#define FLOWS_MAX_IPV6_EXT	  8

#endif
