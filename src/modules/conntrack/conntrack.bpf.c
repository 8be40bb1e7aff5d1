// SPDX-License-Identifier: GPL-2.0
/*
 * conntrack, kernel half: which connections DNAT rewrote, and to where.
 *
 * DataKit hooks __nf_conntrack_hash_insert and nf_ct_delete with kprobes:
 * once per connection, the cheapest way, and our first rung where kprobes
 * attach (against the tracepoints-first rule: the tracepoint runs for every
 * packet). Conntrack has no tracepoint of its own. A packet leaving
 * a device carries its conntrack entry (skb->_nfct) until it crosses into
 * another network namespace, so net:net_dev_start_xmit sees the entry of
 * every packet sent, NATed or not, in whichever namespace it was sent.
 * Most packets cost two reads here (the entry and its status); a packet of
 * a DNATed connection costs a hash lookup, and its first packet an insert.
 *
 * The key is the original tuple, not the socket: a pod's connection is
 * DNATed in the host's namespace, on a forwarded packet with no socket,
 * and the pod's socket still has the same tuple.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/conntrack/conntrack.h"

char LICENSE[] SEC("license") = "GPL";

#define CT_PTRMASK (~7UL) /* skb->_nfct: the entry, and its ctinfo in the low bits */
#define CT_DIR_ORIGINAL 0
#define CT_DIR_REPLY 1
#define CT_DST_NAT 0x20 /* IPS_DST_NAT */
#define CT_REFRESH_NS 1000000000ULL
#define EEXIST 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* sized at load (conntrack.c) */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ct_nat_key);
	__type(value, struct ct_nat_val);
} ct_nat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_stats);
} ct_stats SEC(".maps");

/* The original tuple of @ct as a key; false when it cannot be read. */
static __always_inline bool ct_key(struct nf_conn *ct, struct ct_nat_key *key,
				   struct nf_conntrack_tuple *reply)
{
	struct nf_conntrack_tuple orig;

	if (BPF_CORE_READ_INTO(&orig, ct, tuplehash[CT_DIR_ORIGINAL].tuple) ||
	    BPF_CORE_READ_INTO(reply, ct, tuplehash[CT_DIR_REPLY].tuple))
		return false;
	__builtin_memcpy(key->saddr, &orig.src.u3, sizeof(key->saddr));
	__builtin_memcpy(key->daddr, &orig.dst.u3, sizeof(key->daddr));
	key->sport = bpf_ntohs(orig.src.u.all);
	key->dport = bpf_ntohs(orig.dst.u.all);
	key->family = orig.src.l3num;
	key->protocol = orig.dst.protonum;
	if (key->family == 2 /* AF_INET */) {
		__builtin_memset(key->saddr + 4, 0, 12);
		__builtin_memset(key->daddr + 4, 0, 12);
	}
	return true;
}

static __always_inline void ct_seen(struct nf_conn *ct)
{
	struct nf_conntrack_tuple reply;
	struct ct_nat_key key = {};
	struct ct_nat_val *v, nv = {};
	struct ct_stats *st;
	__u32 zero = 0;
	__u64 now;
	long err;

	if (!ct || !(BPF_CORE_READ(ct, status) & CT_DST_NAT) || !ct_key(ct, &key, &reply))
		return;
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&ct_nat, &key);
	if (v) {
		if (now - v->last_ns > CT_REFRESH_NS)
			v->last_ns = now;
		return;
	}
	__builtin_memcpy(nv.addr, &reply.src.u3, sizeof(nv.addr));
	if (key.family == 2)
		__builtin_memset(nv.addr + 4, 0, 12);
	nv.port = bpf_ntohs(reply.src.u.all);
	nv.last_ns = now;
	err = bpf_map_update_elem(&ct_nat, &key, &nv, BPF_NOEXIST);
	if (err == -EEXIST)
		return;
	st = bpf_map_lookup_elem(&ct_stats, &zero);
	if (!st)
		return;
	if (err)
		st->table_full++;
	else
		st->dnat_new++;
}

/* Rung 2: the skb comes typed. */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(ct_xmit_btf, const struct sk_buff *skb, const struct net_device *dev)
{
	unsigned long nfct = skb->_nfct;

	if (nfct)
		ct_seen((struct nf_conn *)(nfct & CT_PTRMASK));
	return 0;
}

/* Rung 3: the classic event has the skb's address. */
SEC("tracepoint/net/net_dev_start_xmit")
int ct_xmit_tp(struct trace_event_raw_net_dev_start_xmit *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx->skbaddr;
	unsigned long nfct = BPF_CORE_READ(skb, _nfct);

	if (nfct)
		ct_seen((struct nf_conn *)(nfct & CT_PTRMASK));
	return 0;
}

/*
 * Rung 1 (kprobes): a new entry joins the conntrack table, NAT bindings set
 * (the last step of __nf_conntrack_confirm); it leaves at nf_ct_delete.
 */
SEC("kprobe/__nf_conntrack_hash_insert")
int BPF_KPROBE(ct_insert_kprobe, struct nf_conn *ct)
{
	ct_seen(ct);
	return 0;
}

SEC("kprobe/nf_ct_delete")
int BPF_KPROBE(ct_delete_kprobe, struct nf_conn *ct)
{
	struct nf_conntrack_tuple reply;
	struct ct_nat_key key = {};

	if (ct && (BPF_CORE_READ(ct, status) & CT_DST_NAT) && ct_key(ct, &key, &reply))
		bpf_map_delete_elem(&ct_nat, &key);
	return 0;
}
