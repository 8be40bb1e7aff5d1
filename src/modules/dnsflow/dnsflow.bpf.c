// SPDX-License-Identifier: GPL-2.0
/*
 * dnsflow: copies the payload of DNS packets (UDP and TCP to or from one
 * port, 53 by default) that sockets of this host send or receive, into a
 * ring buffer for user space to parse (dns_parse.c) and pair.
 *
 * Why cgroup_skb on the root cgroup, not TC or an AF_PACKET socket (as
 * DataKit does): it runs for the packets of every socket in every network
 * namespace, with the socket at hand, so a query and its answer are tied
 * to the process that uses the socket (recorded in socket storage by the
 * cgroup/sock_create, connect, sendmsg and recvmsg hooks, which run in
 * that process). Egress sees a datagram before fragmentation and ingress
 * after reassembly, so a UDP message is whole. What it does not see:
 * packets merely routed or bridged through the host (no local socket).
 *
 * Every program lets the packet pass (returns 1): observing never changes
 * a packet's fate.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "modules/dnsflow/dnsflow.h"

#define AF_INET_  2
#define AF_INET6_ 10
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define ETH_P_IP_   0x0800
#define ETH_P_IPV6_ 0x86DD

/* The DNS port; set before load (`dnsflow port`). */
const volatile __u16 dns_port = 53;
/* Bytes waiting in the ring that wake user space up; set before load (a quarter of it). */
const volatile __u64 ring_wakeup = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* set by user space */
} dns_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_kstats);
} dns_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct dns_owner);
} dns_owners SEC(".maps");

static __always_inline int capture(struct __sk_buff *skb, __u8 dir)
{
	__u32 zero = 0, off, plen, n;
	struct dns_event *ev;
	struct dns_kstats *st;
	struct bpf_sock *sk;
	struct dns_owner *o;
	__u8 proto, l4[14];
	__u16 sport, dport;
	__u16 family;

	/*
	 * Most packets belong to a connected socket whose ports are not the
	 * DNS port: the socket says so without a look at the packet. An
	 * unconnected socket (remote port 0: a UDP client using sendto, a
	 * server) has its packets read.
	 */
	sk = skb->sk;
	if (sk) {
		__u16 rport = bpf_ntohs(sk->dst_port);

		if (sk->src_port != dns_port && rport && rport != dns_port)
			return 1;
	}
	if (skb->protocol == bpf_htons(ETH_P_IP_)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return 1;
		/* Only whole or first fragments carry the L4 header. */
		if (ip.frag_off & bpf_htons(0x1fff))
			return 1;
		proto = ip.protocol;
		off = (__u32)ip.ihl * 4;
		family = AF_INET_;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6_)) {
		struct ipv6hdr ip6;

		/* No extension headers followed: DNS packets carry none in practice. */
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return 1;
		proto = ip6.nexthdr;
		off = sizeof(ip6);
		family = AF_INET6_;
	} else {
		return 1;
	}
	if (proto != IPPROTO_UDP_ && proto != IPPROTO_TCP_)
		return 1;
	if (bpf_skb_load_bytes(skb, off, l4, sizeof(l4)))
		return 1;
	sport = ((__u16)l4[0] << 8) | l4[1];
	dport = ((__u16)l4[2] << 8) | l4[3];
	if (sport != dns_port && dport != dns_port)
		return 1;
	/* UDP: 8-byte header; TCP: data offset in 32-bit words. */
	off += proto == IPPROTO_UDP_ ? 8 : (__u32)(l4[12] >> 4) * 4;
	if (skb->len <= off)
		return 1; /* a bare ACK, SYN or FIN */
	plen = skb->len - off;

	st = bpf_map_lookup_elem(&dns_stats, &zero);
	if (st)
		st->packets++;
	ev = bpf_ringbuf_reserve(&dns_events, sizeof(*ev), 0);
	if (!ev) {
		if (st)
			st->ring_full++;
		return 1;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->netns = bpf_get_netns_cookie(skb);
	ev->family = family;
	ev->proto = proto;
	ev->dir = dir;
	ev->sport = sport;
	ev->dport = dport;
	ev->orig_len = plen > 0xffff ? 0xffff : plen;
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	if (family == AF_INET_) {
		bpf_skb_load_bytes(skb, 12, ev->saddr, 4);
		bpf_skb_load_bytes(skb, 16, ev->daddr, 4);
	} else {
		bpf_skb_load_bytes(skb, 8, ev->saddr, 16);
		bpf_skb_load_bytes(skb, 24, ev->daddr, 16);
	}
	ev->pid = 0;
	__builtin_memset(ev->comm, 0, sizeof(ev->comm));
	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (sk) {
		o = bpf_sk_storage_get(&dns_owners, sk, 0, 0);
		if (o) {
			ev->pid = o->pid;
			__builtin_memcpy(ev->comm, o->comm, sizeof(ev->comm));
		}
	}
	n = plen < DNS_CAP ? plen : DNS_CAP;
	ev->len = 0;
	if (n >= 1 && n <= DNS_CAP && !bpf_skb_load_bytes(skb, off, ev->data, n))
		ev->len = n;
	/*
	 * No wake-up per packet (an irq_work and a context switch each): user
	 * space reads the ring every 100 ms anyway; it is woken only when the
	 * ring is a quarter full.
	 */
	bpf_ringbuf_submit(ev, bpf_ringbuf_query(&dns_events, BPF_RB_AVAIL_DATA) > ring_wakeup
				       ? BPF_RB_FORCE_WAKEUP
				       : BPF_RB_NO_WAKEUP);
	return 1;
}

SEC("cgroup_skb/ingress")
int dns_cg_in(struct __sk_buff *skb)
{
	return capture(skb, DNS_DIR_INGRESS);
}

SEC("cgroup_skb/egress")
int dns_cg_eg(struct __sk_buff *skb)
{
	return capture(skb, DNS_DIR_EGRESS);
}

/*
 * Record the calling process as the socket's user (process context only).
 * These hooks run at every sendto/recvmsg of every UDP socket: the common
 * case (same process again) is one lookup and a compare.
 */
static __always_inline void set_owner(struct bpf_sock *sk)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct dns_owner *o;

	if (!sk)
		return;
	o = bpf_sk_storage_get(&dns_owners, sk, 0, 0);
	if (o && o->pid == pid)
		return;
	if (!o)
		o = bpf_sk_storage_get(&dns_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	o->pid = pid;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

SEC("cgroup/sock_create")
int dns_sock_new(struct bpf_sock *sk)
{
	set_owner(sk);
	return 1;
}

/*
 * connect(), unconnected sendmsg() and recvmsg() run in the process using
 * the socket: a socket made before we started, or handed to another
 * process, gets its user here (a server's socket at its first recvmsg).
 */
SEC("cgroup/connect4")
int dns_conn4(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/connect6")
int dns_conn6(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/sendmsg4")
int dns_send4(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/sendmsg6")
int dns_send6(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/recvmsg4")
int dns_recv4(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/recvmsg6")
int dns_recv6(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
