// SPDX-License-Identifier: GPL-2.0
/*
 * The packet parser of the flows program, run by the kernel itself: each
 * input is a frame given to the TC, XDP and cgroup_skb programs through
 * BPF_PROG_TEST_RUN (as tests/bpf/flows_prog.c does with crafted frames).
 * Needs root (CAP_BPF).
 *
 * What must hold for every frame the kernel agrees to run:
 *  - the verdict lets the packet pass (TC_ACT_UNSPEC, XDP_PASS, 1);
 *  - exactly one packet is counted, once among the flows (the flow table or,
 *    at TC and XDP, a per-CPU cache slot) and once in the totals (the hash
 *    or the per-CPU array), with the bytes the hook sees (the whole frame at
 *    TC and XDP, the IP packet at cgroup_skb), and nothing fails to be
 *    counted;
 *  - at TC and XDP, when another flow held the frame's cache slot (seeded
 *    before the run on every CPU for inputs whose first byte is odd), that
 *    flow's counts move to the flow table exactly, on the CPU that ran;
 *  - the flow key is the one the frame's headers give, read by an
 *    independent model of the documented parsing below (VLAN/QinQ tags,
 *    IPv4 with IHL and fragments, IPv6 extension chains, ports or ICMP
 *    type/code); so a header cut short never yields addresses or ports
 *    read from past the frame, and an unparsed frame carries none at all;
 *  - the totals key agrees with the flow key.
 * A frame the kernel refuses to run (too short for an Ethernet header, or
 * an IPv4/IPv6 skb shorter than its header) must leave nothing counted.
 *
 * The model is instrumented like any code here, and it branches where the
 * program does: its coverage steers libFuzzer through the program's paths.
 */
#include <arpa/inet.h>
#include <errno.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "modules/flows/flows_int.h"
#include "flows.skel.h"
#include "fuzz/fuzz.h"

#define ETH_HLEN 14

enum hook { HOOK_TC, HOOK_XDP, HOOK_CG, NR_HOOKS };
static const char *const hook_names[] = { "tc", "xdp", "cgroup_skb" };
static const int pass_verdict[] = { -1 /* TC_ACT_UNSPEC */, 2 /* XDP_PASS */, 1 };

/*
 * Loaded as `ebpfmon flows` loads them: TC and XDP with the network-only key
 * and the flow cache, cgroup_skb (process mode) with the full key and none.
 */
struct loaded {
	struct flows_bpf *skel;
	int flows_fd, totals_fd, ip_totals_fd, stats_fd, cache_fd;
};
static struct loaded net, proc;
static int prog_fd[NR_HOOKS], nr_cpus;
static struct flows_val *percpu_vals;
static struct flows_stats *percpu_stats;
static struct flows_cache_slot *percpu_slots;

/* A flow no frame makes (no such interface), seeded into cache slots. */
#define DECOY_IFINDEX 0xfffffff0u
#define DECOY_PACKETS 7
#define DECOY_BYTES   700

/* ---- the model ---------------------------------------------------------- */

struct frame {
	const uint8_t *b;
	size_t len;
};

static bool have(const struct frame *f, size_t off, size_t n)
{
	return off + n <= f->len;
}

static uint16_t be16(const struct frame *f, size_t off)
{
	return (uint16_t)(f->b[off] << 8 | f->b[off + 1]);
}

static void model_l4(const struct frame *f, size_t off, struct flows_key *k)
{
	switch (k->proto) {
	case 6:   /* TCP */
	case 17:  /* UDP */
	case 136: /* UDP-Lite */
	case 132: /* SCTP */
		if (!have(f, off, 4)) {
			k->flags |= FLOW_F_TRUNC;
			return;
		}
		k->sport = be16(f, off);
		k->dport = be16(f, off + 2);
		return;
	case 1:	 /* ICMP */
	case 58: /* ICMPv6 */
		if (!have(f, off, 2)) {
			k->flags |= FLOW_F_TRUNC;
			return;
		}
		k->sport = f->b[off];
		k->dport = f->b[off + 1];
		return;
	}
}

static bool model_ipv4(const struct frame *f, size_t off, struct flows_key *k)
{
	unsigned int ihl;

	if (!have(f, off, 20))
		return false;
	ihl = f->b[off] & 0x0f;
	if (f->b[off] >> 4 != 4 || ihl < 5)
		return false;
	k->proto = f->b[off + 9];
	memcpy(k->src, f->b + off + 12, 4);
	memcpy(k->dst, f->b + off + 16, 4);
	if (be16(f, off + 6) & 0x1fff) {
		k->flags |= FLOW_F_FRAG; /* a later fragment: no L4 header */
		return true;
	}
	model_l4(f, off + ihl * 4, k);
	return true;
}

static bool model_ipv6(const struct frame *f, size_t off, struct flows_key *k)
{
	uint8_t next;

	if (!have(f, off, 40) || f->b[off] >> 4 != 6)
		return false;
	memcpy(k->src, f->b + off + 8, 16);
	memcpy(k->dst, f->b + off + 24, 16);
	next = f->b[off + 6];
	off += 40;
	for (int i = 0; i < FLOWS_MAX_IPV6_EXT; i++) {
		switch (next) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
			if (!have(f, off, 2))
				goto cut;
			next = f->b[off];
			off += (f->b[off + 1] + 1) * 8;
			continue;
		case 51: /* AH: length in 4-byte units, minus 2 */
			if (!have(f, off, 2))
				goto cut;
			next = f->b[off];
			off += (f->b[off + 1] + 2) * 4;
			continue;
		case 44: /* fragment */
			if (!have(f, off, 4))
				goto cut;
			next = f->b[off];
			if (be16(f, off + 2) & 0xfff8) {
				k->proto = next;
				k->flags |= FLOW_F_FRAG;
				return true;
			}
			off += 8;
			continue;
		}
		k->proto = next;
		model_l4(f, off, k);
		return true;
	}
cut: /* cut short, or more extension headers than are walked */
	k->proto = next;
	k->flags |= FLOW_F_TRUNC;
	return true;
}

static void model_l3(const struct frame *f, size_t off, uint16_t ethertype, struct flows_key *k)
{
	bool ok = true;

	k->ethertype = ethertype;
	if (ethertype == FLOW_ETH_IPV4)
		ok = model_ipv4(f, off, k);
	else if (ethertype == FLOW_ETH_IPV6)
		ok = model_ipv6(f, off, k);
	if (!ok) {
		memset(k->src, 0, sizeof(k->src));
		memset(k->dst, 0, sizeof(k->dst));
		k->proto = 0;
		k->flags = FLOW_F_UNPARSED;
	}
}

/* TC and XDP: from the Ethernet header, at most two VLAN tags unwrapped. */
static void model_eth(const struct frame *f, struct flows_key *k)
{
	size_t off = ETH_HLEN;
	uint16_t proto;

	if (!have(f, 12, 2)) {
		k->flags = FLOW_F_UNPARSED;
		return;
	}
	proto = be16(f, 12);
	for (int i = 0; i < FLOWS_MAX_VLAN_TAGS; i++) {
		if (proto != 0x8100 && proto != 0x88a8 && proto != 0x9100)
			break;
		if (!have(f, off, 4)) {
			k->ethertype = proto;
			k->flags = FLOW_F_UNPARSED;
			return;
		}
		proto = be16(f, off + 2);
		off += 4;
	}
	model_l3(f, off, proto, k);
}

/* The protocol the kernel's eth_type_trans() gives a test-run skb (cgroup_skb). */
static uint16_t model_skb_protocol(const struct frame *f)
{
	uint16_t type = be16(f, 12);

	if (type >= 0x0600)
		return type;
	/* An 802.3 length field: raw IPX (0xFFFF) or 802.2 LLC. */
	if (have(f, ETH_HLEN, 2) && be16(f, ETH_HLEN) == 0xFFFF)
		return 0x0001;
	return 0x0004;
}

/* ---- running the program -------------------------------------------------- */

struct counted {
	bool have_flow, have_total;
	int nr_flows, nr_totals;
	bool flow_cached;	/* the flow was in a cache slot, not the table */
	int decoy_table_rows;	/* decoy rows in the flow table (one per CPU that flushed) */
	struct flows_val decoy;	/* decoy packets and bytes, table and caches */
	struct flows_key key;
	struct flows_val flow;
	struct flows_total_key tkey;
	struct flows_val total;
	struct flows_stats stats;
};

static void sum_percpu(int fd, const void *key, struct flows_val *sum)
{
	must(!bpf_map_lookup_elem(fd, key, percpu_vals), "lookup failed: %s", strerror(errno));
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < nr_cpus; c++) {
		sum->packets += percpu_vals[c].packets;
		sum->bytes += percpu_vals[c].bytes;
	}
}

static void add_val(struct flows_val *to, const struct flows_val *v)
{
	to->packets += v->packets;
	to->bytes += v->bytes;
}

/* One flow row read back: the decoy's, or the frame's (the first kept). */
static void found_flow(struct counted *out, const struct flows_key *k, const struct flows_val *v,
		       bool cached)
{
	if (k->ifindex == DECOY_IFINDEX) {
		add_val(&out->decoy, v);
		out->decoy_table_rows += !cached;
		return;
	}
	if (!out->nr_flows++) {
		out->key = *k;
		out->flow = *v;
		out->flow_cached = cached;
	}
}

/* Read what one run counted, and empty the maps for the next. */
static void read_and_clear(const struct loaded *l, struct counted *out)
{
	/* Zeroed: the network-only table fills the first FLOWS_KEY_NET_SIZE bytes. */
	struct flows_key key = {}, next = {};
	struct flows_total_key tkey, tnext;
	int flows_fd = l->flows_fd, totals_fd = l->totals_fd, ip_totals_fd = l->ip_totals_fd;
	int stats_fd = l->stats_fd;
	uint32_t zero = 0;

	memset(out, 0, sizeof(*out));
	while (!bpf_map_get_next_key(flows_fd, NULL, &next)) {
		struct flows_val v;

		key = next;
		sum_percpu(flows_fd, &key, &v);
		found_flow(out, &key, &v, false);
		must(!bpf_map_delete_elem(flows_fd, &key), "flow delete failed");
	}
	for (uint32_t slot = 0; slot < FLOWS_CACHE_SLOTS; slot++) {
		bool used = false;

		must(!bpf_map_lookup_elem(l->cache_fd, &slot, percpu_slots), "cache lookup failed");
		for (int c = 0; c < nr_cpus; c++) {
			struct flows_cache_slot *cs = &percpu_slots[c];
			struct flows_val v = { cs->packets, cs->bytes };
			struct flows_key k = {};

			if (!cs->packets)
				continue;
			used = true;
			must(cs->gen_start == cs->gen_end && !(cs->gen_start & 1),
			     "cache slot %u of CPU %d left mid-change (%llu/%llu)", slot, c,
			     (unsigned long long)cs->gen_start, (unsigned long long)cs->gen_end);
			must(flows_cache_index(cs->key) == slot, "a flow in cache slot %u belongs in %u",
			     slot, flows_cache_index(cs->key));
			memcpy(&k, cs->key, FLOWS_KEY_NET_SIZE);
			found_flow(out, &k, &v, true);
		}
		if (used) {
			memset(percpu_slots, 0, nr_cpus * sizeof(*percpu_slots));
			must(!bpf_map_update_elem(l->cache_fd, &slot, percpu_slots, BPF_ANY),
			     "cache slot reset failed");
		}
	}
	while (!bpf_map_get_next_key(totals_fd, NULL, &tnext)) {
		tkey = tnext;
		if (!out->nr_totals++) {
			out->tkey = tkey;
			sum_percpu(totals_fd, &tkey, &out->total);
		}
		must(!bpf_map_delete_elem(totals_fd, &tkey), "totals delete failed");
	}
	/*
	 * The per-CPU array of common-protocol totals (setup() gives it the
	 * test device, ifindex 1): a slot that counted is a totals row whose
	 * key is decoded here independently of flows_report.c.
	 */
	for (uint32_t slot = 0; slot < FLOWS_IP_TOTALS_SLOTS; slot++) {
		static const uint8_t protos[2][4] = { { 6, 17, 1, 0 }, { 6, 17, 58, 0 } };
		uint32_t v6 = slot >> 2 & 1;
		struct flows_val sum;

		sum_percpu(ip_totals_fd, &slot, &sum);
		if (!sum.packets && !sum.bytes)
			continue;
		must((slot & 3) != 3, "unused totals slot %u counted", slot);
		if (!out->nr_totals++) {
			out->tkey.ifindex = 1;
			out->tkey.ethertype = v6 ? FLOW_ETH_IPV6 : FLOW_ETH_IPV4;
			out->tkey.proto = protos[v6][slot & 3];
			out->tkey.dir_flags = slot >> 3 & FLOW_TOTAL_DIR_MASK;
			out->total = sum;
		}
		memset(percpu_vals, 0, nr_cpus * sizeof(*percpu_vals));
		must(!bpf_map_update_elem(ip_totals_fd, &slot, percpu_vals, BPF_ANY),
		     "totals slot reset failed");
	}
	must(!bpf_map_lookup_elem(stats_fd, &zero, percpu_stats), "stats lookup failed");
	for (int c = 0; c < nr_cpus; c++) {
		out->stats.inserted += percpu_stats[c].inserted;
		out->stats.flow_fail += percpu_stats[c].flow_fail;
		out->stats.total_fail_packets += percpu_stats[c].total_fail_packets;
		out->stats.total_fail_bytes += percpu_stats[c].total_fail_bytes;
	}
	memset(percpu_stats, 0, nr_cpus * sizeof(*percpu_stats));
	must(!bpf_map_update_elem(stats_fd, &zero, percpu_stats, BPF_ANY), "stats reset failed");
}

static void describe(const char *what, const struct flows_key *k)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = k->ethertype == FLOW_ETH_IPV6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->src, a, sizeof(a));
	inet_ntop(af, k->dst, b, sizeof(b));
	fprintf(stderr, "  %s: ethertype 0x%04x proto %u flags %#x %s:%u -> %s:%u dir %u if %u\n",
		what, k->ethertype, k->proto, k->flags, a, k->sport, b, k->dport, k->dir, k->ifindex);
}

/*
 * Put a decoy flow in @want's cache slot on every CPU: the run must move the
 * decoy of the CPU it ran on to the flow table and take the slot. Returns
 * false when no decoy shares the slot (never: 65536 ports, 64 slots).
 */
static bool seed_decoy(const struct flows_key *want)
{
	struct flows_key d = *want;
	uint32_t slot = flows_cache_index(want);

	d.ifindex = DECOY_IFINDEX;
	for (uint32_t p = 0; p < 65536; p++) {
		d.sport = p;
		if (flows_cache_index(&d) == slot)
			break;
	}
	if (flows_cache_index(&d) != slot)
		return false;
	for (int c = 0; c < nr_cpus; c++) {
		struct flows_cache_slot *cs = &percpu_slots[c];

		memset(cs, 0, sizeof(*cs));
		cs->gen_start = cs->gen_end = 2;
		memcpy(cs->key, &d, FLOWS_KEY_NET_SIZE);
		cs->packets = DECOY_PACKETS;
		cs->bytes = DECOY_BYTES;
	}
	must(!bpf_map_update_elem(net.cache_fd, &slot, percpu_slots, BPF_ANY), "seeding failed");
	return true;
}

static void check_hook(enum hook h, const uint8_t *data, size_t size)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = size,
			    .repeat = 1);
	const char *name = hook_names[h];
	const struct loaded *l = h == HOOK_CG ? &proc : &net;
	struct frame f = { data, size }, ip = { data + ETH_HLEN, size - ETH_HLEN };
	struct flows_key want = {};
	struct counted got;
	bool seeded = false;
	uint64_t bytes;
	int err;

	if (h == HOOK_CG)
		model_l3(&ip, 0, model_skb_protocol(&f), &want);
	else
		model_eth(&f, &want);
	want.dir = FLOW_DIR_INGRESS;
	if (h != HOOK_CG && (data[0] & 1)) {
		struct flows_key at = want;

		at.ifindex = 1; /* the test runs' device, loopback */
		seeded = seed_decoy(&at);
	}
	err = bpf_prog_test_run_opts(prog_fd[h], &opts);
	read_and_clear(l, &got);
	if (seeded) {
		/* Every CPU's decoy is still counted, exactly; the one that ran moved it. */
		must(got.decoy.packets == (uint64_t)DECOY_PACKETS * nr_cpus &&
			     got.decoy.bytes == (uint64_t)DECOY_BYTES * nr_cpus,
		     "%s: the flows seeded in the cache: %llu packets, %llu bytes (want %d, %d per CPU)",
		     name, (unsigned long long)got.decoy.packets,
		     (unsigned long long)got.decoy.bytes, DECOY_PACKETS, DECOY_BYTES);
		must(got.decoy_table_rows == (err ? 0 : 1),
		     "%s: %d seeded flows moved to the table (want %d)", name,
		     got.decoy_table_rows, err ? 0 : 1);
		/* The decoy's insertion is one of the stats' inserts. */
		got.stats.inserted -= got.decoy_table_rows;
	}
	if (err) {
		/* The kernel would not build this packet: nothing may be counted. */
		must(got.nr_flows == 0 && got.nr_totals == 0 && !got.stats.inserted,
		     "%s: a frame the test run refused (%d) was counted", name, err);
		return;
	}
	must((int)opts.retval == pass_verdict[h], "%s: verdict %d, not %d (pass)", name,
	     (int)opts.retval, pass_verdict[h]);
	bytes = h == HOOK_CG ? size - ETH_HLEN : size;
	must(got.nr_totals == 1 && got.total.packets == 1 && got.total.bytes == bytes,
	     "%s: %d totals rows, %llu packets of %llu bytes (want 1 packet of %llu)", name,
	     got.nr_totals, (unsigned long long)got.total.packets,
	     (unsigned long long)got.total.bytes, (unsigned long long)bytes);
	must(got.nr_flows == 1 && got.flow.packets == 1 && got.flow.bytes == bytes,
	     "%s: %d flows, %llu packets of %llu bytes (want 1 packet of %llu)", name, got.nr_flows,
	     (unsigned long long)got.flow.packets, (unsigned long long)got.flow.bytes,
	     (unsigned long long)bytes);
	/* A flow that went to the table was inserted there; one in a cache slot was not (yet). */
	must(got.stats.inserted == !got.flow_cached && !got.stats.flow_fail &&
		     !got.stats.total_fail_packets && !got.stats.total_fail_bytes,
	     "%s: stats inserted %llu (flow %s), failures %llu/%llu", name,
	     (unsigned long long)got.stats.inserted, got.flow_cached ? "cached" : "in the table",
	     (unsigned long long)got.stats.flow_fail,
	     (unsigned long long)got.stats.total_fail_packets);
	must(got.flow_cached == (h != HOOK_CG),
	     "%s: the flow went to the %s (TC and XDP count through the cache, cgroup_skb never)",
	     name, got.flow_cached ? "cache" : "table");

	want.ifindex = got.key.ifindex; /* the test device's */
	if (h == HOOK_CG) {
		/* The test run's socket: whatever cgroup and owner it has. */
		want.cgroup = got.key.cgroup;
		want.pid = got.key.pid;
		memcpy(want.comm, got.key.comm, sizeof(want.comm));
	}
	if (memcmp(&got.key, &want, sizeof(want))) {
		fprintf(stderr, "%s: flow key differs from the frame's headers\n", name);
		describe("counted", &got.key);
		describe("model  ", &want);
		must(false, "%s: wrong flow key", name);
	}
	must(got.tkey.ifindex == got.key.ifindex && got.tkey.ethertype == got.key.ethertype &&
		     got.tkey.proto == got.key.proto &&
		     (got.tkey.dir_flags & FLOW_TOTAL_DIR_MASK) == got.key.dir &&
		     !!(got.tkey.dir_flags & FLOW_TOTAL_UNPARSED) ==
			     !!(got.key.flags & FLOW_F_UNPARSED),
	     "%s: totals key disagrees with the flow key", name);
}

static int load(struct loaded *l, bool process)
{
	struct flows_opts o = { .process = process, .max_entries = 1024 };

	l->skel = flows_bpf__open();
	if (!l->skel)
		return -1;
	bpf_map__set_max_entries(l->skel->maps.flows, o.max_entries);
	/* Key size, flow cache, totals interface as for the test runs' device (loopback). */
	flows_prepare_load(l->skel, &o, 1);
	/* TC's load options, XDP's program too (both use the same maps the same way). */
	if (!process)
		bpf_program__set_autoload(l->skel->progs.flows_xdp, true);
	/* Whatever the machine's CPU count says: the cache path is the one to fuzz. */
	l->skel->rodata->flow_cache_on = !process;
	if (flows_bpf__load(l->skel))
		return -1;
	l->flows_fd = bpf_map__fd(l->skel->maps.flows);
	l->totals_fd = bpf_map__fd(l->skel->maps.flow_totals);
	l->ip_totals_fd = bpf_map__fd(l->skel->maps.flow_ip_totals);
	l->stats_fd = bpf_map__fd(l->skel->maps.flow_stats);
	l->cache_fd = bpf_map__fd(l->skel->maps.flow_cache);
	return 0;
}

static int setup(void)
{
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0)
		return -1;
	if (load(&net, false) || load(&proc, true))
		return -1;
	prog_fd[HOOK_TC] = bpf_program__fd(net.skel->progs.ebpfmon_tc_in);
	prog_fd[HOOK_XDP] = bpf_program__fd(net.skel->progs.flows_xdp);
	prog_fd[HOOK_CG] = bpf_program__fd(proc.skel->progs.flows_cg_in);
	percpu_vals = calloc(nr_cpus, sizeof(*percpu_vals));
	percpu_stats = calloc(nr_cpus, sizeof(*percpu_stats));
	percpu_slots = calloc(nr_cpus, sizeof(*percpu_slots));
	return percpu_vals && percpu_stats && percpu_slots ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!net.skel && setup()) {
		fprintf(stderr, "fuzz_flows_packet: cannot load the flows programs (needs root): %s\n",
			strerror(errno));
		exit(1);
	}
	if (size < ETH_HLEN) {
		/* Too short to be a frame: the kernel must refuse it, for every hook. */
		for (int h = 0; h < NR_HOOKS; h++) {
			DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data,
					    .data_size_in = size, .repeat = 1);
			struct counted got;

			bpf_prog_test_run_opts(prog_fd[h], &opts);
			read_and_clear(h == HOOK_CG ? &proc : &net, &got);
			must(!got.nr_flows && !got.nr_totals, "%s: a %zu-byte frame was counted",
			     hook_names[h], size);
		}
		return 0;
	}
	for (int h = 0; h < NR_HOOKS; h++)
		check_hook(h, data, size);
	return 0;
}
