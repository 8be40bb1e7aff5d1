// SPDX-License-Identifier: GPL-2.0
/* dnsflow: loading, attaching and reading the kernel half (dns_engine.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/cgroup_names.h"
#include "dnsflow.skel.h"
#include "modules/dnsflow/dns_engine.h"

uint64_t dns_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct dns_engine *e = ctx;

	if (size < sizeof(struct dns_event))
		return 0;
	dns_tracker_packet(&e->tr, data, e->fn, e->arg);
	return 0;
}

int dns_engine_open(struct dns_engine *e, uint16_t port, uint64_t timeout_ns, dns_done_fn fn,
		    void *arg, char *err, size_t errlen)
{
	char path[4096];
	int cg, ret;

	memset(e, 0, sizeof(*e));
	e->fn = fn;
	e->arg = arg;
	if (dns_tracker_init(&e->tr, DNS_MAX_PENDING, timeout_ns)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->skel = dnsflow_bpf__open();
	if (!e->skel) {
		ret = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(-ret));
		return ret;
	}
	e->skel->rodata->dns_port = port;
	e->skel->rodata->ring_wakeup = DNS_RING_BYTES / 4;
	bpf_map__set_max_entries(e->skel->maps.dns_events, DNS_RING_BYTES);
	ret = dnsflow_bpf__load(e->skel);
	if (ret) {
		snprintf(err, errlen, "load BPF programs (verifier): %s", strerror(-ret));
		return ret;
	}
	if (cgroup2_mount_point(path, sizeof(path))) {
		snprintf(err, errlen, "no cgroup v2 hierarchy mounted (cgroup_skb needs one)");
		return -ENOENT;
	}
	cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		ret = -errno;
		snprintf(err, errlen, "cgroup %s: %s", path, strerror(-ret));
		return ret;
	}
	{
		/* Owner hooks first, so packets of new sockets find their user. */
		struct bpf_program *progs[] = {
			e->skel->progs.dns_sock_new, e->skel->progs.dns_conn4,
			e->skel->progs.dns_conn6,    e->skel->progs.dns_send4,
			e->skel->progs.dns_send6,    e->skel->progs.dns_recv4,
			e->skel->progs.dns_recv6,    e->skel->progs.dns_cg_in,
			e->skel->progs.dns_cg_eg,
		};

		for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
			struct bpf_link *l = bpf_program__attach_cgroup(progs[i], cg);

			if (!l) {
				ret = -errno;
				snprintf(err, errlen, "attach %s to the root cgroup: %s",
					 bpf_program__name(progs[i]), strerror(-ret));
				close(cg);
				return ret;
			}
			e->links[e->nr_links++] = l;
		}
	}
	close(cg);
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.dns_events), on_event, e, NULL);
	if (!e->rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int dns_engine_poll(struct dns_engine *e, int timeout_ms)
{
	/* Woken only when the ring fills (dnsflow.bpf.c): read it after the wait anyway. */
	int n = ring_buffer__poll(e->rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	n = ring_buffer__consume(e->rb);
	if (n < 0)
		return n;
	dns_tracker_expire(&e->tr, dns_mono_ns(), e->fn, e->arg);
	return 0;
}

void dns_engine_kstats(struct dns_engine *e, struct dns_kstats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct dns_kstats *st;
	uint32_t zero = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0 || !e->skel)
		return;
	st = calloc((size_t)ncpu, sizeof(*st));
	if (!st)
		return;
	if (!bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.dns_stats), &zero, st)) {
		for (int c = 0; c < ncpu; c++) {
			out->packets += st[c].packets;
			out->ring_full += st[c].ring_full;
		}
	}
	free(st);
}

void dns_engine_close(struct dns_engine *e)
{
	ring_buffer__free(e->rb);
	e->rb = NULL;
	for (unsigned int i = 0; i < e->nr_links; i++)
		bpf_link__destroy(e->links[i]);
	e->nr_links = 0;
	dnsflow_bpf__destroy(e->skel);
	e->skel = NULL;
	dns_tracker_free(&e->tr);
}
