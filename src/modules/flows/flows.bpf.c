// SPDX-License-Identifier: GPL-2.0
/*
 * flows: per-flow packet and byte counts from TC (TCX or clsact), XDP and
 * cgroup_skb, plus exact per-interface/direction/protocol totals.
 *
 * Every program only reads the packet and always lets it pass
 * (TC_ACT_UNSPEC, XDP_PASS, cgroup_skb 1): counting never changes a
 * packet's fate. Headers are read directly from the linear data, with
 * bpf_skb_load_bytes/bpf_xdp_load_bytes as the fallback, so that headers
 * sitting in non-linear skb data or XDP fragments are parsed too.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "modules/flows/flows.h"

#define TC_ACT_UNSPEC (-1)
#define ENOENT 2
#define EEXIST 17

#define ETH_HLEN     14
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_QINQ1  0x9100 /* pre-standard QinQ outer tag, still seen */

#define IPPROTO_HOPOPTS_  0
#define IPPROTO_ICMP_	  1
#define IPPROTO_TCP_	  6
#define IPPROTO_UDP_	  17
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_	  51
#define IPPROTO_ICMPV6_	  58
#define IPPROTO_DSTOPTS_  60
#define IPPROTO_MH_	  135
#define IPPROTO_SCTP_	  132
#define IPPROTO_UDPLITE_  136

/* The flow table: bounded LRU, so a flood of new flows evicts old ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, FLOWS_DEFAULT_MAX_ENTRIES); /* set by user space */
	/*
	 * Sizes, not BTF types: outside process mode user space shrinks the
	 * key to FLOWS_KEY_NET_SIZE, which a BTF key type would contradict
	 * (and the kernel takes BTF for both or neither).
	 */
	__uint(key_size, sizeof(struct flows_key));
	__uint(value_size, sizeof(struct flows_val));
} flows SEC(".maps");

/*
 * The flow cache (struct flows_cache_slot). Measured with BPF_PROG_TEST_RUN
 * on a Linux 6.18 AMD EPYC guest (whose returns go through the SRSO safe-RET
 * thunk), a lookup in the LRU per-CPU hash costs 45-50 ns per packet, and
 * 35-45 ns in any other hash type or key size tried (8 to 48 bytes): each is
 * a few calls into the kernel. A per-CPU array lookup is inlined into a few
 * instructions. A packet whose flow holds its slot is counted there; the
 * table is only touched when flows take turns in a slot.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWS_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct flows_cache_slot);
} flow_cache SEC(".maps");

/* Totals never go through the LRU: they stay exact however many flows come. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FLOWS_TOTALS_MAX_ENTRIES);
	__type(key, struct flows_total_key);
	__type(value, struct flows_val);
} flow_totals SEC(".maps");

/* TCP, UDP, ICMP totals of totals_ifindex: see FLOWS_IP_TOTALS_SLOTS. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWS_IP_TOTALS_SLOTS);
	__type(key, __u32);
	__type(value, struct flows_val);
} flow_ip_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flows_stats);
} flow_stats SEC(".maps");

/*
 * Who owns a socket. BPF_F_CLONE copies the entry to sockets accepted from
 * a listener, so a server's connections inherit the listener's owner.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct flows_owner);
} flow_owners SEC(".maps");

/* The agent module exports the totals only: it switches the flow table off. */
const volatile bool track_flows = true;

/*
 * TC and XDP count through the per-CPU flow cache (set before load). User
 * space leaves it off when the table is smaller than the caches together,
 * where the caches, not --max-entries, would bound the flows reported.
 */
const volatile bool flow_cache_on = false;

/*
 * The interface whose common-protocol totals go to flow_ip_totals (set
 * before load: the one TC or XDP is attached to, or process mode's -i);
 * 0 sends every total to the flow_totals hash.
 */
const volatile __u32 totals_ifindex = 0;

static __always_inline struct flows_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&flow_stats, &zero);
}

/* Headers further in than this are read through the helpers only (bounds the verifier). */
#define DIRECT_MAX 1024

/*
 * Read @len bytes at @off from an skb or an XDP buffer (@xdp and @len are
 * constants after inlining). Headers in the linear part are copied directly,
 * which costs a few loads; the helpers, several times dearer, only run for
 * headers in non-linear skb data or XDP fragments, or for a cut packet.
 */
static __always_inline int load(void *ctx, bool xdp, __u32 off, void *to, __u32 len)
{
	unsigned char *data, *end;

	if (xdp) {
		data = (void *)(long)((struct xdp_md *)ctx)->data;
		end = (void *)(long)((struct xdp_md *)ctx)->data_end;
	} else {
		data = (void *)(long)((struct __sk_buff *)ctx)->data;
		end = (void *)(long)((struct __sk_buff *)ctx)->data_end;
	}
	if (off < DIRECT_MAX && data + off + len <= end) {
		__builtin_memcpy(to, data + off, len);
		return 0;
	}
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

static __always_inline void add(struct flows_val *v, __u64 packets, __u64 bytes)
{
	/* Per-CPU values: plain adds, no atomics needed. */
	v->packets += packets;
	v->bytes += bytes;
}

/* Add to a per-CPU hash, inserting when missing; 1 inserted, 0 added, <0 failed. */
static __always_inline int count_in(void *map, const void *key, __u64 packets, __u64 bytes)
{
	struct flows_val *v, init = { .packets = packets, .bytes = bytes };
	long err;

	v = bpf_map_lookup_elem(map, key);
	if (v) {
		add(v, packets, bytes);
		return 0;
	}
	err = bpf_map_update_elem(map, key, &init, BPF_NOEXIST);
	if (!err)
		return 1;
	if (err != -EEXIST)
		return err;
	/* Another CPU inserted it between our lookup and update. */
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		return -ENOENT;
	add(v, packets, bytes);
	return 0;
}

/* Count @packets, @bytes of @key in the flow table. */
static __always_inline void count_flow_table(const void *key, __u64 packets, __u64 bytes,
					     struct flows_stats *s)
{
	int ret = count_in(&flows, key, packets, bytes);

	if (ret > 0)
		s->inserted++;
	else if (ret < 0)
		s->flow_fail += packets;
}

#define barrier() asm volatile("" ::: "memory")

static __always_inline bool same_net_key(const __u8 *cached, const struct flows_key *k)
{
	const __u64 *a = (const __u64 *)cached, *b = (const __u64 *)k;

	/* FLOWS_KEY_NET_SIZE / 8 words; the likeliest to differ first. */
	return a[0] == b[0] && a[2] == b[2] && a[4] == b[4] && a[1] == b[1] && a[3] == b[3] &&
	       a[5] == b[5];
}

/*
 * Count a packet of @k (network key only) through this CPU's cache. Only TC
 * and XDP programs come here: they run in softirq or with bottom halves
 * off, so no other program of ours runs on this CPU in the middle and the
 * slot needs no lock. cgroup_skb egress runs in process context, where a
 * softirq's ingress could interrupt it: process mode skips the cache.
 */
static __always_inline void count_cached(const struct flows_key *k, __u64 bytes,
					 struct flows_stats *s)
{
	struct flows_cache_slot *c;
	__u32 i = flows_cache_index(k);
	__u64 gen;

	c = bpf_map_lookup_elem(&flow_cache, &i);
	if (!c) { /* never for i < FLOWS_CACHE_SLOTS */
		count_flow_table(k, 1, bytes, s);
		return;
	}
	if (c->packets && same_net_key(c->key, k)) {
		c->packets++;
		c->bytes += bytes;
		return;
	}
	/* Another flow holds the slot: its counts go to the table, ours take its place. */
	if (c->packets)
		count_flow_table(c->key, c->packets, c->bytes, s);
	gen = c->gen_start;
	c->gen_end = gen + 1;
	barrier();
	__builtin_memcpy(c->key, k, FLOWS_KEY_NET_SIZE);
	c->packets = 1;
	c->bytes = bytes;
	barrier();
	c->gen_start = gen + 2;
	barrier();
	c->gen_end = gen + 2;
}

/* The flow_ip_totals slot of @k, or -1 when its total belongs in the hash. */
static __always_inline int ip_total_slot(const struct flows_key *k)
{
	__u32 v6, cls;

	if (!totals_ifindex || k->ifindex != totals_ifindex)
		return -1;
	/* An unparsed key has proto 0, so it never reaches a class below. */
	if (k->ethertype == FLOW_ETH_IPV4)
		v6 = 0;
	else if (k->ethertype == FLOW_ETH_IPV6)
		v6 = 1;
	else
		return -1;
	switch (k->proto) {
	case IPPROTO_TCP_:
		cls = FLOW_IPT_TCP;
		break;
	case IPPROTO_UDP_:
		cls = FLOW_IPT_UDP;
		break;
	case IPPROTO_ICMP_:
		if (v6)
			return -1;
		cls = FLOW_IPT_ICMP;
		break;
	case IPPROTO_ICMPV6_:
		if (!v6)
			return -1;
		cls = FLOW_IPT_ICMP;
		break;
	default:
		return -1;
	}
	return (k->dir & 1) << 3 | v6 << 2 | cls;
}

static __always_inline void count_total(const struct flows_key *k, __u64 bytes,
					struct flows_stats *s)
{
	struct flows_total_key tk = {
		.ifindex = k->ifindex,
		.ethertype = k->ethertype,
		.proto = k->proto,
		.dir_flags = (k->dir & FLOW_TOTAL_DIR_MASK) |
			     (k->flags & FLOW_F_UNPARSED ? FLOW_TOTAL_UNPARSED : 0),
	};
	int slot = ip_total_slot(k);

	if (slot >= 0) {
		__u32 i = slot;
		struct flows_val *v = bpf_map_lookup_elem(&flow_ip_totals, &i);

		/* Never NULL for i < FLOWS_IP_TOTALS_SLOTS; the verifier wants the check. */
		if (v) {
			add(v, 1, bytes);
			return;
		}
	}
	if (count_in(&flow_totals, &tk, 1, bytes) < 0) {
		s->total_fail_packets++;
		s->total_fail_bytes += bytes;
	}
}

/* @cached: through the per-CPU flow cache (TC and XDP, whose keys are network keys). */
static __always_inline void count(const struct flows_key *k, __u64 bytes, bool cached)
{
	struct flows_stats *s = stats();

	if (!s)
		return;
	if (track_flows) {
		if (cached && flow_cache_on)
			count_cached(k, bytes, s);
		else
			count_flow_table(k, 1, bytes, s);
	}
	count_total(k, bytes, s);
}

/* Ports, or ICMP type and code, at @off; FLOW_F_TRUNC when they are cut off. */
static __always_inline void parse_l4(void *ctx, bool xdp, __u32 off, struct flows_key *k)
{
	__u16 ports[2];
	__u8 tc[2];

	switch (k->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
	case IPPROTO_UDPLITE_:
	case IPPROTO_SCTP_:
		if (load(ctx, xdp, off, ports, sizeof(ports))) {
			k->flags |= FLOW_F_TRUNC;
			return;
		}
		k->sport = bpf_ntohs(ports[0]);
		k->dport = bpf_ntohs(ports[1]);
		return;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		if (load(ctx, xdp, off, tc, sizeof(tc))) {
			k->flags |= FLOW_F_TRUNC;
			return;
		}
		k->sport = tc[0];
		k->dport = tc[1];
		return;
	}
}

/* An IPv4 header at @off. Returns false when it is not usable. */
static __always_inline bool parse_ipv4(void *ctx, bool xdp, __u32 off, struct flows_key *k)
{
	__u8 h[20];
	__u16 frag;
	__u32 ihl;

	if (load(ctx, xdp, off, h, sizeof(h)))
		return false;
	ihl = h[0] & 0x0f;
	if ((h[0] >> 4) != 4 || ihl < 5)
		return false;
	k->proto = h[9];
	__builtin_memcpy(k->src, &h[12], 4);
	__builtin_memcpy(k->dst, &h[16], 4);
	frag = ((__u16)h[6] << 8 | h[7]) & 0x1fff;
	if (frag) {
		/* Only the first fragment carries the L4 header. */
		k->flags |= FLOW_F_FRAG;
		return true;
	}
	parse_l4(ctx, xdp, off + ihl * 4, k);
	return true;
}

/* An IPv6 header at @off, walking extension headers (bounded). */
static __always_inline bool parse_ipv6(void *ctx, bool xdp, __u32 off, struct flows_key *k)
{
	__u8 h[40];
	__u8 nexthdr;

	if (load(ctx, xdp, off, h, sizeof(h)))
		return false;
	if ((h[0] >> 4) != 6)
		return false;
	__builtin_memcpy(k->src, &h[8], 16);
	__builtin_memcpy(k->dst, &h[24], 16);
	nexthdr = h[6];
	off += 40;
	for (int i = 0; i < FLOWS_MAX_IPV6_EXT; i++) {
		__u8 eh[4];

		switch (nexthdr) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
			if (load(ctx, xdp, off, eh, 2))
				goto trunc;
			nexthdr = eh[0];
			off += ((__u32)eh[1] + 1) * 8;
			continue;
		case IPPROTO_AH_:
			if (load(ctx, xdp, off, eh, 2))
				goto trunc;
			nexthdr = eh[0];
			off += ((__u32)eh[1] + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT_:
			if (load(ctx, xdp, off, eh, 4))
				goto trunc;
			nexthdr = eh[0];
			off += 8;
			if ((((__u16)eh[2] << 8 | eh[3]) & 0xfff8) != 0) {
				k->proto = nexthdr;
				k->flags |= FLOW_F_FRAG;
				return true;
			}
			continue;
		}
		k->proto = nexthdr;
		parse_l4(ctx, xdp, off, k);
		return true;
	}
	/* More extension headers than we walk: keep what we know. */
trunc:
	k->proto = nexthdr;
	k->flags |= FLOW_F_TRUNC;
	return true;
}

/* From the network header on: IPv4, IPv6, or counted under its ethertype. */
static __always_inline void parse_l3(void *ctx, bool xdp, __u32 off, __u16 ethertype,
				     struct flows_key *k)
{
	bool ok = true;

	k->ethertype = ethertype;
	if (ethertype == FLOW_ETH_IPV4)
		ok = parse_ipv4(ctx, xdp, off, k);
	else if (ethertype == FLOW_ETH_IPV6)
		ok = parse_ipv6(ctx, xdp, off, k);
	if (!ok) {
		__builtin_memset(k->src, 0, sizeof(k->src));
		__builtin_memset(k->dst, 0, sizeof(k->dst));
		k->proto = 0;
		k->flags = FLOW_F_UNPARSED;
	}
}

/* From the Ethernet header on, unwrapping up to two VLAN tags. */
static __always_inline void parse_eth(void *ctx, bool xdp, struct flows_key *k)
{
	__u32 off = ETH_HLEN;
	__u16 proto;

	if (load(ctx, xdp, 12, &proto, sizeof(proto))) {
		k->flags = FLOW_F_UNPARSED;
		return;
	}
	proto = bpf_ntohs(proto);
	for (int i = 0; i < FLOWS_MAX_VLAN_TAGS; i++) {
		__u16 tag[2];

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD && proto != ETH_P_QINQ1)
			break;
		if (load(ctx, xdp, off, tag, sizeof(tag))) {
			/* A tag cut short: say which ethertype we could not unwrap. */
			k->ethertype = proto;
			k->flags = FLOW_F_UNPARSED;
			return;
		}
		proto = bpf_ntohs(tag[1]);
		off += 4;
	}
	parse_l3(ctx, xdp, off, proto, k);
}

static __always_inline int tc_count(struct __sk_buff *skb, __u8 dir)
{
	struct flows_key k = {};

	k.ifindex = skb->ifindex;
	k.dir = dir;
	parse_eth(skb, false, &k);
	/* At TC the MAC header is part of skb->len on both directions. */
	count(&k, skb->len, true);
	return TC_ACT_UNSPEC;
}

/*
 * The TC programs carry the project's name: a clsact filter is named after its
 * program ("ebpfmon_tc_in:[id]"), and it is the one attachment that outlives a
 * killed ebpfmon, so the next run (and an operator reading `tc filter show`)
 * must recognise it.
 */
SEC("tc")
int ebpfmon_tc_in(struct __sk_buff *skb)
{
	return tc_count(skb, FLOW_DIR_INGRESS);
}

SEC("tc")
int ebpfmon_tc_eg(struct __sk_buff *skb)
{
	return tc_count(skb, FLOW_DIR_EGRESS);
}

SEC("xdp")
int flows_xdp(struct xdp_md *ctx)
{
	struct flows_key k = {};

	k.ifindex = ctx->ingress_ifindex;
	k.dir = FLOW_DIR_INGRESS;
	parse_eth(ctx, true, &k);
	/*
	 * The whole frame. Loaded without BPF_F_XDP_HAS_FRAGS (SEC("xdp"), not
	 * "xdp.frags"), the program only ever gets linear frames: drivers keep
	 * multi-buffer frames from it and generic XDP linearises the skb. So
	 * data_end - data is what bpf_xdp_get_buff_len() would say, without a
	 * helper call (about 10 ns per packet here, where every call is dear).
	 */
	count(&k, (__u64)((long)ctx->data_end - (long)ctx->data), true);
	return XDP_PASS;
}

/* ---- process mode: cgroup_skb at a cgroup, socket hooks for owners ------ */

/*
 * Count only this interface in process mode (0: all); set before load.
 * cgroup_skb sees every network namespace and ifindexes are per namespace,
 * so the interface is named by the namespace's cookie too.
 */
const volatile __u32 cg_ifindex = 0;
const volatile __u64 cg_netns = 0;

static __always_inline int cg_count(struct __sk_buff *skb, __u8 dir)
{
	struct flows_key k = {};
	struct bpf_sock *sk = skb->sk;
	struct flows_owner *o;

	if (cg_ifindex && (skb->ifindex != cg_ifindex || bpf_get_netns_cookie(skb) != cg_netns))
		return 1;
	k.ifindex = skb->ifindex;
	k.dir = dir;
	k.cgroup = bpf_skb_cgroup_id(skb);
	if (sk) {
		sk = bpf_sk_fullsock(sk);
		if (sk) {
			o = bpf_sk_storage_get(&flow_owners, sk, 0, 0);
			if (o) {
				k.pid = o->pid;
				__builtin_memcpy(k.comm, o->comm, sizeof(k.comm));
			}
		}
	}
	/* cgroup_skb sees the packet from its network header: bytes are L3. */
	parse_l3(skb, false, 0, bpf_ntohs(skb->protocol), &k);
	count(&k, skb->len, false);
	return 1;
}

SEC("cgroup_skb/ingress")
int flows_cg_in(struct __sk_buff *skb)
{
	return cg_count(skb, FLOW_DIR_INGRESS);
}

SEC("cgroup_skb/egress")
int flows_cg_eg(struct __sk_buff *skb)
{
	return cg_count(skb, FLOW_DIR_EGRESS);
}

/* Record the calling process as the socket's owner (process context only). */
static __always_inline void set_owner(struct bpf_sock *sk)
{
	struct flows_owner *o;

	if (!sk)
		return;
	o = bpf_sk_storage_get(&flow_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	o->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

SEC("cgroup/sock_create")
int flows_sock_new(struct bpf_sock *sk)
{
	set_owner(sk);
	return 1;
}

/*
 * connect() and unconnected sendmsg() run in the process that uses the
 * socket: a socket created before we started, or handed to a child, gets
 * its current user here.
 */
SEC("cgroup/connect4")
int flows_conn4(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/connect6")
int flows_conn6(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/sendmsg4")
int flows_send4(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

SEC("cgroup/sendmsg6")
int flows_send6(struct bpf_sock_addr *ctx)
{
	set_owner(ctx->sk);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
