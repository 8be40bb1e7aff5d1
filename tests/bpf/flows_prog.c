// SPDX-License-Identifier: GPL-2.0
/*
 * flows: crafted frames through the TC, XDP and cgroup_skb programs with
 * BPF_PROG_TEST_RUN. Each frame must land under exactly the expected key
 * with the right byte count, the totals must see it, and the verdict must
 * let the packet pass. Prints TAP-style lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "modules/flows/flows_int.h"
#include "flows.skel.h"

static int failures;

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf(cond ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures += !cond;
}

/* ---- frame builder ------------------------------------------------------------ */

struct frame {
	unsigned char b[512];
	size_t len;
};

static void put(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put16(struct frame *f, uint16_t v)
{
	v = htons(v);
	put(f, &v, 2);
}

static void eth(struct frame *f, uint16_t type)
{
	static const unsigned char macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	f->len = 0;
	put(f, macs, sizeof(macs));
	put16(f, type);
}

static void vlan(struct frame *f, uint16_t vid, uint16_t inner)
{
	put16(f, vid);
	put16(f, inner);
}

/* IPv4 header with @ihl words (options zero-filled). */
static void ipv4(struct frame *f, uint8_t proto, const char *src, const char *dst, int ihl,
		 uint16_t frag, uint16_t payload)
{
	unsigned char h[60] = {};

	h[0] = 0x40 | (ihl & 0xf);
	*(uint16_t *)&h[2] = htons(ihl * 4 + payload);
	*(uint16_t *)&h[6] = htons(frag);
	h[8] = 64;
	h[9] = proto;
	inet_pton(AF_INET, src, &h[12]);
	inet_pton(AF_INET, dst, &h[16]);
	put(f, h, ihl >= 5 ? ihl * 4 : 20);
}

static void ipv6(struct frame *f, uint8_t next, const char *src, const char *dst,
		 uint16_t payload)
{
	unsigned char h[40] = { 0x60 };

	*(uint16_t *)&h[4] = htons(payload);
	h[6] = next;
	h[7] = 64;
	inet_pton(AF_INET6, src, &h[8]);
	inet_pton(AF_INET6, dst, &h[24]);
	put(f, h, sizeof(h));
}

/* A generic extension header of (len8 + 1) * 8 bytes. */
static void ext(struct frame *f, uint8_t next, uint8_t len8)
{
	unsigned char h[64] = { next, len8 };

	put(f, h, (len8 + 1) * 8);
}

static void frag6(struct frame *f, uint8_t next, uint16_t offset, bool more)
{
	unsigned char h[8] = { next, 0 };

	*(uint16_t *)&h[2] = htons(offset << 3 | more);
	put(f, h, sizeof(h));
}

static void ports(struct frame *f, uint16_t s, uint16_t d, size_t hdr)
{
	unsigned char h[20] = {};

	*(uint16_t *)&h[0] = htons(s);
	*(uint16_t *)&h[2] = htons(d);
	put(f, h, hdr);
}

static void icmp(struct frame *f, uint8_t type, uint8_t code)
{
	unsigned char h[8] = { type, code };

	put(f, h, sizeof(h));
}

static void pad(struct frame *f, size_t n)
{
	memset(f->b + f->len, 0xab, n);
	f->len += n;
}

/* ---- expectations ------------------------------------------------------------- */

struct expect {
	uint16_t ethertype;
	uint8_t proto, flags;
	const char *src, *dst;
	uint16_t sport, dport;
};

static void want_key(const struct expect *e, uint8_t dir, struct flows_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ethertype = e->ethertype;
	k->proto = e->proto;
	k->flags = e->flags;
	k->sport = e->sport;
	k->dport = e->dport;
	k->dir = dir;
	if (e->src && strchr(e->src, ':')) {
		inet_pton(AF_INET6, e->src, k->src);
		inet_pton(AF_INET6, e->dst, k->dst);
	} else if (e->src) {
		inet_pton(AF_INET, e->src, k->src);
		inet_pton(AF_INET, e->dst, k->dst);
	}
}

static void clear_map(int fd, size_t key_size)
{
	unsigned char key[128];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
	(void)key_size;
}

static size_t map_entries(int fd)
{
	unsigned char key[128], next[128];
	size_t n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, next); prev = key, n++)
		memcpy(key, next, sizeof(key));
	return n;
}

/* Zero every slot of the per-CPU totals array. */
static void clear_ip_totals(struct flows_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.flow_ip_totals), nr_cpus = libbpf_num_possible_cpus();
	struct flows_val *zero = calloc(nr_cpus, sizeof(*zero));

	for (uint32_t i = 0; zero && i < FLOWS_IP_TOTALS_SLOTS; i++)
		bpf_map_update_elem(fd, &i, zero, BPF_ANY);
	free(zero);
}

/* Empty every CPU's flow cache slots. */
static void clear_cache(struct flows_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.flow_cache), nr_cpus = libbpf_num_possible_cpus();
	struct flows_cache_slot *zero = calloc(nr_cpus, sizeof(*zero));

	for (uint32_t i = 0; zero && i < FLOWS_CACHE_SLOTS; i++)
		bpf_map_update_elem(fd, &i, zero, BPF_ANY);
	free(zero);
}

static void clear_stats(struct flows_bpf *skel)
{
	struct flows_stats *zero = calloc(libbpf_num_possible_cpus(), sizeof(*zero));
	uint32_t key = 0;

	if (zero)
		bpf_map_update_elem(bpf_map__fd(skel->maps.flow_stats), &key, zero, BPF_ANY);
	free(zero);
}

/* Whether the program keeps this frame's total in the per-CPU array (see flows.h). */
static bool in_ip_totals(const struct expect *e)
{
	if (e->flags & FLOW_F_UNPARSED)
		return false;
	if (e->ethertype == 0x0800)
		return e->proto == 6 || e->proto == 17 || e->proto == 1;
	if (e->ethertype == 0x86dd)
		return e->proto == 6 || e->proto == 17 || e->proto == 58;
	return false;
}

enum hook { HOOK_TC, HOOK_XDP, HOOK_CG };
static const char *const hook_names[] = { "tc", "xdp", "cgroup_skb" };

struct runner {
	struct flows_bpf *skel;
	const char *path;	/* " (as TC/XDP load)" or " (as process mode loads)" */
	int prog_fd[3];
	unsigned int expect_ret[3];
	size_t l2[3]; /* bytes of the frame the hook does not count (cgroup_skb: Ethernet) */
};

static void check_case(struct runner *r, enum hook h, const char *name, const struct frame *f,
		       const struct expect *e)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
			    .repeat = 1);
	int flows_fd = bpf_map__fd(r->skel->maps.flows);
	int totals_fd = bpf_map__fd(r->skel->maps.flow_totals);
	struct flows_snapshot s = {};
	struct flows_key want;
	uint64_t bytes = f->len - r->l2[h], tp = 0, tb = 0;
	bool found;
	int err;

	bool array = r->skel->rodata->totals_ifindex && in_ip_totals(e);
	size_t in_hash;

	bool cached = r->skel->rodata->flow_cache_on && h != HOOK_CG;

	clear_map(flows_fd, sizeof(struct flows_key));
	clear_map(totals_fd, sizeof(struct flows_total_key));
	clear_ip_totals(r->skel);
	clear_cache(r->skel);
	clear_stats(r->skel);
	err = bpf_prog_test_run_opts(r->prog_fd[h], &opts);
	ok(!err && opts.retval == r->expect_ret[h], "%s %s%s: runs and passes the packet (err %d, verdict %d)",
	   hook_names[h], name, r->path, err, (int)opts.retval);
	in_hash = map_entries(totals_fd);
	ok(in_hash == (array ? 0 : 1), "%s %s%s: total kept in the %s (%zu hash entries)",
	   hook_names[h], name, r->path, array ? "per-CPU array" : "hash", in_hash);
	err = flows_read(r->skel, true, &s);
	want_key(e, FLOW_DIR_INGRESS, &want);
	found = !err && s.nr == 1;
	if (found) {
		want.ifindex = s.rows[0].key.ifindex; /* the test device's */
		if (h == HOOK_CG) {
			/* The test run's socket: whatever cgroup and owner it has. */
			want.cgroup = s.rows[0].key.cgroup;
			want.pid = s.rows[0].key.pid;
			memcpy(want.comm, s.rows[0].key.comm, sizeof(want.comm));
		}
		found = !memcmp(&s.rows[0].key, &want, sizeof(want));
	}
	if (!found && !err && s.nr == 1) {
		const struct flows_key *k = &s.rows[0].key;
		char a[64], b[64];

		flows_addr_str(k, false, a, sizeof(a));
		flows_addr_str(k, true, b, sizeof(b));
		printf("# got ethertype 0x%04x proto %u flags %#x %s:%u -> %s:%u dir %u\n",
		       k->ethertype, k->proto, k->flags, a, k->sport, b, k->dport, k->dir);
	}
	ok(found, "%s %s%s: one flow under the expected key (%zu flows)", hook_names[h], name,
	   r->path, s.nr);
	ok(found && s.rows[0].packets == 1 && s.rows[0].bytes == bytes,
	   "%s %s%s: 1 packet of %llu bytes (got %llu, %llu)", hook_names[h], name, r->path,
	   (unsigned long long)bytes, found ? (unsigned long long)s.rows[0].packets : 0ULL,
	   found ? (unsigned long long)s.rows[0].bytes : 0ULL);
	ok(!err && s.nr_table == (cached ? 0 : 1) && s.stats.inserted == (cached ? 0 : 1),
	   "%s %s%s: the flow is in the %s (%zu table rows, %llu inserted)", hook_names[h], name,
	   r->path, cached ? "per-CPU cache" : "flow table", s.nr_table,
	   (unsigned long long)s.stats.inserted);
	for (size_t i = 0; i < s.nr_totals; i++) {
		tp += s.totals[i].packets;
		tb += s.totals[i].bytes;
	}
	ok(s.nr_totals == 1 && tp == 1 && tb == bytes &&
		   s.totals[0].key.ethertype == e->ethertype && s.totals[0].key.proto == e->proto &&
		   !!(s.totals[0].key.dir_flags & FLOW_TOTAL_UNPARSED) == !!(e->flags & FLOW_F_UNPARSED) &&
		   (s.totals[0].key.dir_flags & FLOW_TOTAL_DIR_MASK) == FLOW_DIR_INGRESS &&
		   (!found || s.totals[0].key.ifindex == s.rows[0].key.ifindex),
	   "%s %s%s: totals count it once under its protocol and interface", hook_names[h], name,
	   r->path);
	flows_snapshot_free(&s);
}

typedef void (*build_fn)(struct frame *f);

struct tcase {
	const char *name;
	build_fn build;
	struct expect e;
	bool l2_only; /* meaningless without an Ethernet header (not for cgroup_skb) */
	/*
	 * BPF_PROG_TEST_RUN refuses skbs whose IPv4/IPv6 header is shorter than
	 * the minimum, so these run through XDP only; the 802.1Q-wrapped copies
	 * below take the same parser path through TC.
	 */
	bool xdp_only;
};

#define V4A "10.0.0.1"
#define V4B "10.0.0.2"
#define V6A "2001:db8::1"
#define V6B "2001:db8::2"

static void b_v4_tcp(struct frame *f) { eth(f, 0x0800); ipv4(f, 6, V4A, V4B, 5, 0, 30); ports(f, 1234, 80, 20); pad(f, 10); }
static void b_v4_udp(struct frame *f) { eth(f, 0x0800); ipv4(f, 17, V4A, V4B, 5, 0, 108); ports(f, 5000, 53, 8); pad(f, 100); }
static void b_v4_icmp(struct frame *f) { eth(f, 0x0800); ipv4(f, 1, V4A, V4B, 5, 0, 64); icmp(f, 8, 0); pad(f, 56); }
static void b_v4_opts(struct frame *f) { eth(f, 0x0800); ipv4(f, 6, V4A, V4B, 7, 0, 20); ports(f, 1, 2, 20); }
static void b_v6_tcp(struct frame *f) { eth(f, 0x86dd); ipv6(f, 6, V6A, V6B, 20); ports(f, 40000, 443, 20); }
static void b_v6_udp(struct frame *f) { eth(f, 0x86dd); ipv6(f, 17, V6A, V6B, 8); ports(f, 5353, 5353, 8); pad(f, 33); }
static void b_v6_icmp(struct frame *f) { eth(f, 0x86dd); ipv6(f, 58, V6A, V6B, 8); icmp(f, 128, 0); }
static void b_v6_hbh_rt(struct frame *f) { eth(f, 0x86dd); ipv6(f, 0, V6A, V6B, 48); ext(f, 43, 0); ext(f, 17, 2); ports(f, 7, 9, 8); }
static void b_v6_dst_ah(struct frame *f)
{
	unsigned char ah[16] = { 6, 2 }; /* AH: (2 + 2) * 4 = 16 bytes */

	eth(f, 0x86dd); ipv6(f, 60, V6A, V6B, 44); ext(f, 51, 0); put(f, ah, sizeof(ah)); ports(f, 22, 2222, 20);
}
static void b_vlan(struct frame *f) { eth(f, 0x8100); vlan(f, 100, 0x0800); ipv4(f, 17, V4A, V4B, 5, 0, 8); ports(f, 1000, 2000, 8); }
static void b_qinq(struct frame *f) { eth(f, 0x88a8); vlan(f, 10, 0x8100); vlan(f, 20, 0x86dd); ipv6(f, 6, V6A, V6B, 20); ports(f, 3000, 4000, 20); }
static void b_qinq_3(struct frame *f) { eth(f, 0x8100); vlan(f, 1, 0x8100); vlan(f, 2, 0x8100); vlan(f, 3, 0x0800); ipv4(f, 17, V4A, V4B, 5, 0, 8); ports(f, 1, 2, 8); }
static void b_v4_frag(struct frame *f) { eth(f, 0x0800); ipv4(f, 17, V4A, V4B, 5, 185, 40); pad(f, 40); }
static void b_v4_frag0(struct frame *f) { eth(f, 0x0800); ipv4(f, 17, V4A, V4B, 5, 0x2000, 48); ports(f, 111, 222, 8); pad(f, 40); }
static void b_v6_frag(struct frame *f) { eth(f, 0x86dd); ipv6(f, 44, V6A, V6B, 48); frag6(f, 17, 100, false); pad(f, 40); }
static void b_v6_frag0(struct frame *f) { eth(f, 0x86dd); ipv6(f, 44, V6A, V6B, 56); frag6(f, 17, 0, true); ports(f, 333, 444, 8); pad(f, 40); }
static void b_ihl4(struct frame *f) { eth(f, 0x0800); ipv4(f, 6, V4A, V4B, 4, 0, 40); pad(f, 40); }
static void b_v4_version(struct frame *f) { eth(f, 0x0800); ipv4(f, 6, V4A, V4B, 5, 0, 20); f->b[14] = 0x65; pad(f, 20); }
static void b_v4_cut_ip(struct frame *f) { eth(f, 0x0800); pad(f, 19); }
static void b_v4_cut_l4(struct frame *f) { eth(f, 0x0800); ipv4(f, 6, V4A, V4B, 5, 0, 20); pad(f, 3); }
static void b_v4_cut_icmp(struct frame *f) { eth(f, 0x0800); ipv4(f, 1, V4A, V4B, 5, 0, 8); pad(f, 1); }
static void b_v6_cut_ip(struct frame *f) { eth(f, 0x86dd); pad(f, 39); }
static void b_v6_cut_ext(struct frame *f) { eth(f, 0x86dd); ipv6(f, 0, V6A, V6B, 8); pad(f, 1); }
static void b_v6_cut_l4(struct frame *f) { eth(f, 0x86dd); ipv6(f, 0, V6A, V6B, 8); ext(f, 17, 0); }
static void b_v6_many_ext(struct frame *f)
{
	eth(f, 0x86dd); ipv6(f, 60, V6A, V6B, 9 * 8 + 8);
	for (int i = 0; i < 9; i++)
		ext(f, i < 8 ? 60 : 17, 0);
	ports(f, 1, 2, 8);
}
static void b_vlan_cut(struct frame *f) { eth(f, 0x8100); pad(f, 2); }
static void b_eth_only(struct frame *f) { eth(f, 0x0800); }
static void b_vlan_only(struct frame *f) { eth(f, 0x8100); vlan(f, 5, 0x0800); }
static void b_vlan_v4_cut_ip(struct frame *f) { eth(f, 0x8100); vlan(f, 5, 0x0800); pad(f, 19); }
static void b_vlan_v6_cut_ip(struct frame *f) { eth(f, 0x8100); vlan(f, 5, 0x86dd); pad(f, 39); }
static void b_arp(struct frame *f) { eth(f, 0x0806); pad(f, 28); }
static void b_lldp(struct frame *f) { eth(f, 0x88cc); pad(f, 46); }
static void b_llc(struct frame *f) { eth(f, 0x0026); pad(f, 38); }

static const struct tcase cases[] = {
	{ "IPv4 TCP", b_v4_tcp, { 0x0800, 6, 0, V4A, V4B, 1234, 80 } },
	{ "IPv4 UDP", b_v4_udp, { 0x0800, 17, 0, V4A, V4B, 5000, 53 } },
	{ "IPv4 ICMP echo (type 8 code 0)", b_v4_icmp, { 0x0800, 1, 0, V4A, V4B, 8, 0 } },
	{ "IPv4 with options (IHL 7)", b_v4_opts, { 0x0800, 6, 0, V4A, V4B, 1, 2 } },
	{ "IPv6 TCP", b_v6_tcp, { 0x86dd, 6, 0, V6A, V6B, 40000, 443 } },
	{ "IPv6 UDP", b_v6_udp, { 0x86dd, 17, 0, V6A, V6B, 5353, 5353 } },
	{ "ICMPv6 echo (type 128)", b_v6_icmp, { 0x86dd, 58, 0, V6A, V6B, 128, 0 } },
	{ "IPv6 hop-by-hop + routing + UDP", b_v6_hbh_rt, { 0x86dd, 17, 0, V6A, V6B, 7, 9 } },
	{ "IPv6 dest-opts + AH + TCP", b_v6_dst_ah, { 0x86dd, 6, 0, V6A, V6B, 22, 2222 } },
	{ "802.1Q IPv4 UDP", b_vlan, { 0x0800, 17, 0, V4A, V4B, 1000, 2000 }, true },
	{ "QinQ (802.1ad + 802.1Q) IPv6 TCP", b_qinq, { 0x86dd, 6, 0, V6A, V6B, 3000, 4000 }, true },
	{ "three VLAN tags: under the third tag's ethertype", b_qinq_3, { 0x8100, 0, 0, NULL, NULL, 0, 0 }, true },
	{ "IPv4 non-first fragment: no ports", b_v4_frag, { 0x0800, 17, FLOW_F_FRAG, V4A, V4B, 0, 0 } },
	{ "IPv4 first fragment: ports", b_v4_frag0, { 0x0800, 17, 0, V4A, V4B, 111, 222 } },
	{ "IPv6 non-first fragment: no ports", b_v6_frag, { 0x86dd, 17, FLOW_F_FRAG, V6A, V6B, 0, 0 } },
	{ "IPv6 first fragment: ports", b_v6_frag0, { 0x86dd, 17, 0, V6A, V6B, 333, 444 } },
	{ "IPv4 IHL 4: unparsed", b_ihl4, { 0x0800, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 } },
	{ "IPv4 ethertype, version 6 header: unparsed", b_v4_version, { 0x0800, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 } },
	{ "IPv4 header cut at 19 bytes: unparsed", b_v4_cut_ip, { 0x0800, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true, true },
	{ "802.1Q, IPv4 header cut at 19 bytes: unparsed", b_vlan_v4_cut_ip, { 0x0800, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true },
	{ "IPv4 TCP header cut: truncated, no ports", b_v4_cut_l4, { 0x0800, 6, FLOW_F_TRUNC, V4A, V4B, 0, 0 } },
	{ "IPv4 ICMP header cut: truncated", b_v4_cut_icmp, { 0x0800, 1, FLOW_F_TRUNC, V4A, V4B, 0, 0 } },
	{ "IPv6 header cut at 39 bytes: unparsed", b_v6_cut_ip, { 0x86dd, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true, true },
	{ "802.1Q, IPv6 header cut at 39 bytes: unparsed", b_vlan_v6_cut_ip, { 0x86dd, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true },
	{ "IPv6 extension header cut: truncated", b_v6_cut_ext, { 0x86dd, 0, FLOW_F_TRUNC, V6A, V6B, 0, 0 } },
	{ "IPv6 UDP header cut after hop-by-hop: truncated", b_v6_cut_l4, { 0x86dd, 17, FLOW_F_TRUNC, V6A, V6B, 0, 0 } },
	{ "IPv6 with 9 extension headers: truncated (bounded walk)", b_v6_many_ext, { 0x86dd, 60, FLOW_F_TRUNC, V6A, V6B, 0, 0 } },
	{ "802.1Q tag cut: unparsed", b_vlan_cut, { 0x8100, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true },
	{ "Ethernet header only: unparsed", b_eth_only, { 0x0800, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true, true },
	{ "802.1Q tag, then nothing: unparsed", b_vlan_only, { 0x0800, 0, FLOW_F_UNPARSED, NULL, NULL, 0, 0 }, true },
	{ "ARP: under its ethertype", b_arp, { 0x0806, 0, 0, NULL, NULL, 0, 0 } },
	{ "LLDP: under its ethertype", b_lldp, { 0x88cc, 0, 0, NULL, NULL, 0, 0 }, true },
	{ "802.3 length field: under it", b_llc, { 0x0026, 0, 0, NULL, NULL, 0, 0 }, true },
};

/* cgroup_skb gets skb->protocol from the frame; frames with tags or odd types don't apply. */
static bool cg_applies(const struct tcase *c)
{
	return !c->l2_only && c->e.ethertype != 0x0806;
}

/* Many distinct flows into a small table: evictions = inserted - live, totals exact. */
static void check_eviction(struct runner *r)
{
	int totals_fd = bpf_map__fd(r->skel->maps.flow_totals);
	struct flows_snapshot s = {};
	struct frame f;
	uint64_t tp = 0, tb = 0;
	int n = 300, err = 0;

	clear_map(totals_fd, sizeof(struct flows_total_key));
	clear_ip_totals(r->skel);
	clear_cache(r->skel);
	for (int i = 0; i < n && !err; i++) {
		DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b, .repeat = 1);

		b_v4_udp(&f);
		f.b[14 + 20] = i >> 8; /* source port: a new flow each time */
		f.b[14 + 21] = i & 0xff;
		opts.data_size_in = f.len;
		err = bpf_prog_test_run_opts(r->prog_fd[HOOK_TC], &opts);
	}
	err = err ? err : flows_read(r->skel, true, &s);
	for (size_t i = 0; i < s.nr_totals; i++) {
		tp += s.totals[i].packets;
		tb += s.totals[i].bytes;
	}
	ok(!err && s.nr_table <= 64, "small LRU table (64) holds at most 64 flows (%zu)", s.nr_table);
	ok(!err && tp == (uint64_t)n && tb == (uint64_t)n * f.len,
	   "totals stay exact past the table size: %llu packets, %llu bytes",
	   (unsigned long long)tp, (unsigned long long)tb);
	/* Flows still in a per-CPU cache (when the table is large enough for one) were never inserted. */
	ok(!err && flows_evicted(&s) + (s.nr - s.nr_table) >= (uint64_t)n - 64 &&
		   s.stats.flow_fail == 0,
	   "evictions are counted: %llu evicted of %d flows (%zu only in caches)",
	   (unsigned long long)flows_evicted(&s), n, s.nr - s.nr_table);
	flows_snapshot_free(&s);
}

/* The key the TC program makes for b_v4_udp() with source port @sport on loopback. */
static void v4_udp_key(uint16_t sport, struct flows_key *k)
{
	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET, V4A, k->src);
	inet_pton(AF_INET, V4B, k->dst);
	k->sport = sport;
	k->dport = 53;
	k->ifindex = 1;
	k->ethertype = FLOW_ETH_IPV4;
	k->proto = 17;
}

static int run_udp(struct runner *r, uint16_t sport, int repeat, size_t *len)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = repeat);
	struct frame f;

	b_v4_udp(&f);
	f.b[14 + 20] = sport >> 8;
	f.b[14 + 21] = sport & 0xff;
	opts.data_in = f.b;
	opts.data_size_in = f.len;
	*len = f.len;
	return bpf_prog_test_run_opts(r->prog_fd[HOOK_TC], &opts);
}

static const struct flows_row *row_of(const struct flows_snapshot *s, uint16_t sport)
{
	struct flows_key k;

	v4_udp_key(sport, &k);
	for (size_t i = 0; i < s->nr; i++)
		if (!memcmp(&s->rows[i].key, &k, sizeof(k)))
			return &s->rows[i];
	return NULL;
}

/*
 * The per-CPU flow cache, on one CPU (pinned, so that the order of packets
 * decides what is where): one flow's packets stay in its slot; two flows
 * taking turns in a slot move each other's counts to the table; every count
 * is exact in the snapshot.
 */
static void check_cache(struct runner *r)
{
	const int n = 50;
	struct flows_snapshot s = {};
	const struct flows_row *a, *b;
	struct flows_key ka, kb;
	uint16_t other = 0;
	size_t len = 0;
	cpu_set_t one, was;
	int err = 0;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_getaffinity(0, sizeof(was), &was);
	sched_setaffinity(0, sizeof(one), &one);
	clear_map(bpf_map__fd(r->skel->maps.flows), sizeof(struct flows_key));
	clear_cache(r->skel);
	clear_stats(r->skel);
	err = run_udp(r, 5000, 1000, &len);
	err = err ? err : flows_read(r->skel, true, &s);
	a = err ? NULL : row_of(&s, 5000);
	ok(a && a->packets == 1000 && a->bytes == 1000 * len && s.nr == 1 && s.nr_table == 0 &&
		   s.stats.inserted == 0,
	   "cache: 1000 packets of one flow stay in its slot, counted exactly (%llu packets, %zu in table)",
	   a ? (unsigned long long)a->packets : 0ULL, s.nr_table);

	/* A flow that shares flow 5000's slot; the two alternate. */
	v4_udp_key(5000, &ka);
	for (uint32_t p = 5001; p < 65536 && !other; p++) {
		v4_udp_key(p, &kb);
		if (flows_cache_index(&kb) == flows_cache_index(&ka))
			other = p;
	}
	clear_map(bpf_map__fd(r->skel->maps.flows), sizeof(struct flows_key));
	clear_cache(r->skel);
	clear_stats(r->skel);
	for (int i = 0; i < n && !err && other; i++) {
		err = run_udp(r, 5000, 1, &len);
		err = err ? err : run_udp(r, other, 1, &len);
	}
	err = err ? err : flows_read(r->skel, true, &s);
	a = err ? NULL : row_of(&s, 5000);
	b = err ? NULL : row_of(&s, other);
	ok(other && a && b && a->packets == (uint64_t)n && b->packets == (uint64_t)n &&
		   a->bytes == n * len && b->bytes == n * len && s.nr == 2,
	   "cache: two flows taking turns in slot %u: %d packets each, exact (%llu, %llu)",
	   flows_cache_index(&ka), n, a ? (unsigned long long)a->packets : 0ULL,
	   b ? (unsigned long long)b->packets : 0ULL);
	ok(!err && s.nr_table == 2 && s.stats.inserted == 2 && flows_evicted(&s) == 0,
	   "cache: each moved to the table once it lost the slot (%zu in table, %llu inserted)",
	   s.nr_table, (unsigned long long)s.stats.inserted);
	flows_snapshot_free(&s);
	sched_setaffinity(0, sizeof(was), &was);
}

/*
 * @net: as `ebpfmon flows` loads the programs for TC and XDP: the network
 * key, the flow cache (@cache), and the common protocols' totals of the test
 * runs' device (loopback) in the per-CPU array. Else as process mode across
 * all interfaces: the full key, no cache, every total in the hash. Every
 * program is loaded either way.
 */
static struct flows_bpf *open_load(unsigned int max_entries, bool net, bool cache)
{
	struct flows_bpf *skel = flows_bpf__open();

	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.flows, max_entries);
	if (net)
		bpf_map__set_key_size(skel->maps.flows, FLOWS_KEY_NET_SIZE);
	skel->rodata->totals_ifindex = net ? 1 : 0;
	skel->rodata->flow_cache_on = net && cache;
	if (flows_bpf__load(skel)) {
		flows_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int main(void)
{
	struct runner r = { .expect_ret = { (unsigned int)-1, 2 /* XDP_PASS */, 1 },
			    .l2 = { 0, 0, 14 } };
	struct flows_bpf *small;

	for (int pass = 0; pass < 2; pass++) {
		r.skel = open_load(1024, !pass, true);
		r.path = pass ? " (as process mode loads)" : " (as TC/XDP load)";
		ok(r.skel != NULL, "every flows program loads (verifier): tc, xdp, cgroup_skb, socket hooks%s",
		   r.path);
		if (!r.skel)
			return 1;
		r.prog_fd[HOOK_TC] = bpf_program__fd(r.skel->progs.ebpfmon_tc_in);
		r.prog_fd[HOOK_XDP] = bpf_program__fd(r.skel->progs.flows_xdp);
		r.prog_fd[HOOK_CG] = bpf_program__fd(r.skel->progs.flows_cg_in);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct frame f;

			cases[i].build(&f);
			if (!cases[i].xdp_only)
				check_case(&r, HOOK_TC, cases[i].name, &f, &cases[i].e);
			check_case(&r, HOOK_XDP, cases[i].name, &f, &cases[i].e);
			if (cg_applies(&cases[i]))
				check_case(&r, HOOK_CG, cases[i].name, &f, &cases[i].e);
		}
		if (!pass)
			check_cache(&r);
		flows_bpf__destroy(r.skel);
	}

	/* The cache on or off as `ebpfmon flows --max-entries 64` has it on this machine. */
	/*
	 * As `ebpfmon flows --max-entries 64` loads on this machine, then with
	 * the cache forced on: flows in caches come on top of the table's.
	 */
	for (int pass = 0; pass < 2; pass++) {
		bool cache = pass ? true : flows_cache_fits(64, false);

		small = open_load(64, true, cache);
		ok(small != NULL, "loads with a 64-entry flow table, cache %s", cache ? "on" : "off");
		if (!small)
			continue;
		r.skel = small;
		r.prog_fd[HOOK_TC] = bpf_program__fd(small->progs.ebpfmon_tc_in);
		check_eviction(&r);
		flows_bpf__destroy(small);
	}
	return failures ? 1 : 0;
}
