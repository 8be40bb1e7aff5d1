// SPDX-License-Identifier: GPL-2.0
/*
 * flows bench helper: ns per packet of the TC program through
 * BPF_PROG_TEST_RUN, with 1, 10k and 100k flows in the table, against an
 * empty TC program run the same way in the same process. One line per
 * table size (medians of 5 runs):
 *   flows=N tc_ns=X empty_ns=Y added_ns=X-Y nocache_added_ns=Z miss_added_ns=M
 *           miss_nocache_added_ns=MN xdp_added_ns=P
 * added_ns:         one flow's packets, repeated (the flow keeps its cache slot:
 *                   bursts of one flow, the common case at line rate);
 * nocache_added_ns: the same with the per-CPU flow cache off (a flow table
 *                   lookup per packet, as before the cache);
 * miss_added_ns:    every packet of another flow than the last in its cache
 *                   slot (two flows that share a slot, alternating), so each
 *                   one moves the other's counts to the table: the worst case.
 *                   Measured one run per BPF_PROG_TEST_RUN call, against the
 *                   empty program run the same way, so caches are colder;
 * miss_nocache_added_ns: the same two flows the same way with the cache off:
 *                   what miss_added_ns is to be compared with;
 * xdp_added_ns:     the XDP program, as added_ns, against an empty XDP program.
 *
 * `flows_bench empty tc|xdp IFACE` instead attaches an empty program where
 * `ebpfmon flows` (-x) would (TCX ingress and egress; XDP in the mode the
 * driver offers first), prints "attached" on stderr and holds it until
 * SIGINT or SIGTERM: bench/flows.sh's reference for what any program there
 * costs, apart from what ours adds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "modules/flows/flows_int.h"
#include "flows.skel.h"

#define REPEAT 2000000
#define RUNS   5
#define SINGLE 20000 /* one-run calls per measurement of the miss path */

static unsigned char frame[64], frame2[64];

/* 64-byte IPv4 UDP frame 10.0.0.1:src -> 10.0.0.2:53. */
static void build_into(unsigned char *frame, uint16_t sport)
{
	memset(frame, 0, 64);
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[17] = 64 - 14;
	frame[22] = 64;
	frame[23] = 17;
	inet_pton(AF_INET, "10.0.0.1", &frame[26]);
	inet_pton(AF_INET, "10.0.0.2", &frame[30]);
	*(uint16_t *)&frame[34] = htons(sport);
	*(uint16_t *)&frame[36] = htons(53);
}

static void build(uint16_t sport)
{
	build_into(frame, sport);
}

/* The key the program builds for build(sport), as seen at TC ingress of lo. */
static void key_for(uint16_t sport, struct flows_key *k)
{
	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET, "10.0.0.1", k->src);
	inet_pton(AF_INET, "10.0.0.2", k->dst);
	k->sport = sport;
	k->dport = 53;
	k->ifindex = 1;
	k->ethertype = FLOW_ETH_IPV4;
	k->proto = 17;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Alternate frame and frame2, one run per call: the kernel's duration of
 * each single run, averaged over SINGLE calls; the median of RUNS such.
 */
static double median_single_ns(int prog_fd)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++) {
		double sum = 0;

		for (int j = 0; j < SINGLE; j++) {
			DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
					    .data_in = j & 1 ? frame2 : frame,
					    .data_size_in = sizeof(frame), .repeat = 1);

			if (bpf_prog_test_run_opts(prog_fd, &opts))
				return -1;
			sum += opts.duration;
		}
		v[i] = sum / SINGLE;
	}
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

static double median_ns(int prog_fd)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++) {
		DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
				    .data_size_in = sizeof(frame), .repeat = REPEAT);

		if (bpf_prog_test_run_opts(prog_fd, &opts))
			return -1;
		v[i] = opts.duration; /* the kernel's average ns per run */
	}
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

/* An empty program of @type returning @ret (TC_ACT_UNSPEC, XDP_PASS). */
static int empty_prog(enum bpf_prog_type type, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, "flows_empty", "GPL", insns, 2, NULL);
}

/* Fill the table with @n flows (sport 1..n, the measured one among them). */
static int prefill(int fd, unsigned int n)
{
	int nr_cpus = libbpf_num_possible_cpus();
	struct flows_val *vals = calloc(nr_cpus, sizeof(*vals));
	struct flows_key k;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	for (unsigned int i = 0; i < n && !err; i++) {
		/* Ports only go to 65535: spread the rest over source addresses. */
		key_for(1 + i % 60000, &k);
		k.src[3] = 1 + i / 60000;
		err = bpf_map_update_elem(fd, &k, vals, BPF_ANY);
	}
	free(vals);
	return err;
}

/* A source port other than @sport whose flow shares @sport's cache slot, or 0. */
static uint16_t same_slot(uint16_t sport, unsigned int below)
{
	struct flows_key a, b;

	key_for(sport, &a);
	for (unsigned int p = 1; p < 65536; p++) {
		if (p == sport)
			continue;
		key_for(p, &b);
		if (flows_cache_index(&b) == flows_cache_index(&a) && (p <= below || below < 2))
			return p;
	}
	return 0;
}

/* Load the flows programs as `ebpfmon flows` does for TC (or -x), table prefilled with @n flows. */
static struct flows_bpf *load(unsigned int n, bool cache, bool xdp)
{
	struct flows_opts tc_opts = { .tc_hook = FLOWS_TC_AUTO, .max_entries = 131072, .xdp = xdp };
	struct flows_bpf *skel = flows_bpf__open();

	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.flows, tc_opts.max_entries);
	/* As `ebpfmon flows` loads it for TC: the network-only flow key. */
	flows_prepare_load(skel, &tc_opts, 1); /* lo: the test runs' device */
	if (!cache)
		skel->rodata->flow_cache_on = false;
	else if (!skel->rodata->flow_cache_on)
		fprintf(stderr, "flows_bench: the flow cache is off for %u entries on this machine\n",
			tc_opts.max_entries);
	if (flows_bpf__load(skel) || prefill(bpf_map__fd(skel->maps.flows), n)) {
		fprintf(stderr, "flows_bench: load/prefill failed\n");
		flows_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int hold_empty(const char *where, const char *iface)
{
	bool xdp = !strcmp(where, "xdp");
	int ifindex = if_nametoindex(iface), types[2], links[2] = { -1, -1 }, n = 0;
	int prog = empty_prog(xdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, xdp ? 2 : -1);
	sigset_t set;
	int sig;

	if (!ifindex || prog < 0 || (!xdp && strcmp(where, "tc"))) {
		fprintf(stderr, "flows_bench empty: %s %s: %s\n", where, iface,
			!ifindex ? "no such interface" : prog < 0 ? strerror(errno) : "tc or xdp");
		return 1;
	}
	if (xdp) {
		types[n++] = BPF_XDP;
	} else if (!flows_tcx_types(&types[0], &types[1])) {
		fprintf(stderr, "flows_bench empty: no TCX on this kernel\n");
		return 1;
	} else {
		n = 2;
	}
	/* Signals first: the links must go with us, not stay half made. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < n; i++) {
		links[i] = bpf_link_create(prog, ifindex, (enum bpf_attach_type)types[i], NULL);
		if (links[i] < 0) {
			fprintf(stderr, "flows_bench empty: attaching to %s: %s\n", iface,
				strerror(errno));
			return 1;
		}
	}
	fprintf(stderr, "attached\n");
	sigwait(&set, &sig);
	return 0; /* the links go with the process */
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1, 10000, 100000 };
	int empty = empty_prog(BPF_PROG_TYPE_SCHED_CLS, -1);
	int empty_xdp = empty_prog(BPF_PROG_TYPE_XDP, 2);
	double e, e1, ex;

	if (argc == 4 && !strcmp(argv[1], "empty"))
		return hold_empty(argv[2], argv[3]);
	if (empty < 0 || empty_xdp < 0) {
		fprintf(stderr, "flows_bench: loading the empty programs: %s\n", strerror(errno));
		return 1;
	}
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct flows_bpf *skel = load(sizes[s], true, false), *nocache, *xdp;
		uint16_t other = same_slot(1, sizes[s]);
		double t, t1, tn, tn1, tx;

		if (!skel || !other)
			return 1;
		build(1);
		build_into(frame2, other);
		/* The empty programs again for every size: the same conditions as the rest. */
		e = median_ns(empty);
		ex = median_ns(empty_xdp);
		e1 = median_single_ns(empty);
		t = median_ns(bpf_program__fd(skel->progs.ebpfmon_tc_in));
		t1 = median_single_ns(bpf_program__fd(skel->progs.ebpfmon_tc_in));
		flows_bpf__destroy(skel);
		nocache = load(sizes[s], false, false);
		if (!nocache)
			return 1;
		tn = median_ns(bpf_program__fd(nocache->progs.ebpfmon_tc_in));
		tn1 = median_single_ns(bpf_program__fd(nocache->progs.ebpfmon_tc_in));
		flows_bpf__destroy(nocache);
		xdp = load(sizes[s], true, true);
		if (!xdp)
			return 1;
		tx = median_ns(bpf_program__fd(xdp->progs.flows_xdp));
		flows_bpf__destroy(xdp);
		printf("flows=%u tc_ns=%.0f empty_ns=%.0f added_ns=%.0f nocache_added_ns=%.0f miss_added_ns=%.0f miss_nocache_added_ns=%.0f xdp_added_ns=%.0f\n",
		       sizes[s], t, e, t - e, tn - e, t1 - e1, tn1 - e1, tx - ex);
		fflush(stdout);
	}
	close(empty);
	close(empty_xdp);
	return 0;
}
