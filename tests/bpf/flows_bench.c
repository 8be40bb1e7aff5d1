// SPDX-License-Identifier: GPL-2.0
/*
 * flows bench helper: ns per packet of the TC program through
 * BPF_PROG_TEST_RUN repeat, with 1, 10k and 100k flows in the table, against
 * an empty TC program run the same way. Prints one line per table size:
 *   flows=N tc_ns=X empty_ns=Y added_ns=X-Y   (medians of 5 runs)
 */
#include <arpa/inet.h>
#include <errno.h>
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

static unsigned char frame[64];

/* 64-byte IPv4 UDP frame 10.0.0.1:src -> 10.0.0.2:53. */
static void build(uint16_t sport)
{
	memset(frame, 0, sizeof(frame));
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[17] = sizeof(frame) - 14;
	frame[22] = 64;
	frame[23] = 17;
	inet_pton(AF_INET, "10.0.0.1", &frame[26]);
	inet_pton(AF_INET, "10.0.0.2", &frame[30]);
	*(uint16_t *)&frame[34] = htons(sport);
	*(uint16_t *)&frame[36] = htons(53);
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

static int empty_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "flows_empty", "GPL", insns, 2, NULL);
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

int main(void)
{
	static const unsigned int sizes[] = { 1, 10000, 100000 };
	int empty = empty_prog();
	double e;

	if (empty < 0) {
		fprintf(stderr, "flows_bench: loading the empty program: %s\n", strerror(errno));
		return 1;
	}
	build(1);
	e = median_ns(empty);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct flows_opts tc_opts = { .tc_hook = FLOWS_TC_AUTO };
		struct flows_bpf *skel = flows_bpf__open();
		double t;

		if (!skel)
			return 1;
		bpf_map__set_max_entries(skel->maps.flows, 131072);
		/* As `ebpfmon flows` loads it for TC: the network-only flow key. */
		flows_prepare_load(skel, &tc_opts, 1); /* lo: the test runs' device */
		if (flows_bpf__load(skel) || prefill(bpf_map__fd(skel->maps.flows), sizes[s])) {
			fprintf(stderr, "flows_bench: load/prefill failed\n");
			return 1;
		}
		t = median_ns(bpf_program__fd(skel->progs.ebpfmon_tc_in));
		printf("flows=%u tc_ns=%.0f empty_ns=%.0f added_ns=%.0f\n", sizes[s], t, e, t - e);
		flows_bpf__destroy(skel);
	}
	close(empty);
	return 0;
}
