// SPDX-License-Identifier: GPL-2.0
/*
 * conntrack: DataKit's NAT tags for the network viewer. A connection that
 * DNAT rewrote (a Kubernetes service address through kube-proxy, an
 * nftables dnat rule) shows where it really goes: dst_nat_ip and
 * dst_nat_port in `ebpfmon connections`, /api/v1/connections and the
 * netflow rows. Off by default in `run`, as in DataKit; `ebpfmon
 * connections` turns it on.
 *
 * The kernel half (conntrack.bpf.c) fills ct_nat, keyed by the original
 * tuple: where kprobes attach, when conntrack inserts and deletes an entry;
 * elsewhere from the conntrack entry each sent packet carries. User space
 * copies the table at each collection, drops (on the tracepoint rungs,
 * which see no deletion) entries whose connection sent nothing for
 * CT_IDLE_SECONDS, and answers the viewer's lookups from the copy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "conntrack.skel.h"
#include "core/kmem.h"
#include "core/modobj.h"
#include "core/module.h"
#include "modules/conntrack/conntrack.h"
#include "modules/conntrack/conntrack_api.h"
#include "modules/socket/conn_view.h"

/* A DNATed connection that sent nothing for this long leaves the table. */
#define CT_IDLE_SECONDS 300

enum {
	CT_DNAT_NEW,
	CT_TABLE_FULL,
	CT_NR_DEFS,
};

static const struct counter_def conntrack_defs[] = {
	[CT_DNAT_NEW] = { "dnat_connections_total",
			  "Connections seen rewritten by DNAT (their packets carried a conntrack entry with IPS_DST_NAT), in any network namespace",
			  .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[CT_TABLE_FULL] = { "table_full_total",
			    "DNATed connections not tagged because the NAT table (the sum of the connection table sizes) was full",
			    .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

/*
 * kprobes first, against the tracepoints-first rule: they run once per
 * connection, the tracepoints once per packet sent (bench/conntrack.sh).
 */
static const struct hook_impl nat_impls[] = {
	{ "kprobe", PROGS("ct_insert_kprobe", "ct_delete_kprobe") },
	{ "tp_btf", PROGS("ct_xmit_btf") },
	{ "tracepoint", PROGS("ct_xmit_tp") },
};

static const struct hook_def conntrack_hooks[] = {
	HOOK("DNATed connections", nat_impls),
};

/* The chosen rung deletes entries itself (kprobe on nf_ct_delete). */
#define RUNG_KPROBE 0

struct ct_entry {
	struct ct_nat_key k;
	struct ct_nat_val v;
};

struct conntrack_agent {
	struct conntrack_bpf *skel;
	struct bpf_link *links[2];
	bool kernel_deletes; /* kprobe rung: no idle expiry */
	struct ct_entry *buf;
	size_t cap;
};

/* The last collection's table, sorted by key, for conntrack_annotate(). */
static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ct_entry *view;
static size_t view_nr;

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct ct_entry *)a)->k, &((const struct ct_entry *)b)->k,
		      sizeof(struct ct_nat_key));
}

static int conntrack_probe(const struct module *m, const struct caps *caps,
			   const struct config *cfg, struct module_plan *plan)
{
	struct conntrack_bpf *skel = conntrack_bpf__open();
	int err = modobj_probe(skel ? skel->obj : NULL, m->hooks, m->nr_hooks, caps,
			       MODOBJ_ALL_PROGS, false, plan);

	(void)cfg;
	conntrack_bpf__destroy(skel);
	return err;
}

static int conntrack_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct conntrack_agent *ca = calloc(1, sizeof(*ca));
	const struct config *cfg = mc->cfg;
	const struct hook_impl *impl;
	struct bpf_program *prog;
	uint32_t size;
	int err;

	if (!ca)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = ca;
	ca->skel = conntrack_bpf__open();
	if (!ca->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	/* One NAT entry at most per connection the socket module can hold. */
	size = cfg->ipv4_conn_table_size + cfg->ipv6_conn_table_size + cfg->udp_conn_table_size;
	err = bpf_map__set_max_entries(ca->skel->maps.ct_nat, size);
	if (err)
		return modobj_fail(mi, err, "size the NAT table");
	impl = &nat_impls[mi->plan.chosen[0]];
	bpf_object__for_each_program(prog, ca->skel->obj) {
		bool wanted = false;

		for (unsigned int i = 0; impl->progs[i]; i++)
			wanted |= !strcmp(bpf_program__name(prog), impl->progs[i]);
		bpf_program__set_autoload(prog, wanted);
	}
	err = conntrack_bpf__load(ca->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	for (unsigned int i = 0; impl->progs[i] && i < 2; i++) {
		prog = bpf_object__find_program_by_name(ca->skel->obj, impl->progs[i]);
		ca->links[i] = prog ? bpf_program__attach(prog) : NULL;
		if (!ca->links[i])
			return modobj_fail(mi, prog ? -errno : -ENOENT, impl->progs[i]);
	}
	ca->kernel_deletes = mi->plan.chosen[0] == RUNG_KPROBE;
	ca->cap = size;
	ca->buf = calloc(ca->cap, sizeof(*ca->buf));
	if (!ca->buf)
		return modobj_fail(mi, -ENOMEM, "allocate the NAT table's copy");
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int conntrack_collect(struct module_inst *mi, struct module_stats *next)
{
	struct conntrack_agent *ca = mi->priv;
	int fd = bpf_map__fd(ca->skel->maps.ct_nat), sfd = bpf_map__fd(ca->skel->maps.ct_stats);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t now = mono_ns(), idle = (uint64_t)CT_IDLE_SECONDS * 1000000000ULL;
	struct ct_nat_key cur, key;
	struct ct_stats *st;
	struct ct_entry *copy;
	bool have = false;
	size_t n = 0;
	uint32_t zero = 0;

	/* bpf_ktime_get_ns() and CLOCK_MONOTONIC are the same clock. */
	while (n < ca->cap && !bpf_map_get_next_key(fd, have ? &cur : NULL, &key)) {
		cur = key;
		have = true;
		if (bpf_map_lookup_elem(fd, &key, &ca->buf[n].v))
			continue;
		if (!ca->kernel_deletes && now > ca->buf[n].v.last_ns &&
		    now - ca->buf[n].v.last_ns > idle) {
			bpf_map_delete_elem(fd, &key);
			continue;
		}
		ca->buf[n++].k = key;
	}
	qsort(ca->buf, n, sizeof(*ca->buf), by_key);
	copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (n && !copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, ca->buf, n * sizeof(*copy));
	pthread_mutex_lock(&view_lock);
	free(view);
	view = copy;
	view_nr = n;
	pthread_mutex_unlock(&view_lock);

	memset(next->host, 0, sizeof(next->host));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	st = calloc((size_t)ncpu, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (!bpf_map_lookup_elem(sfd, &zero, st)) {
		for (int c = 0; c < ncpu; c++) {
			next->host[CT_DNAT_NEW] += st[c].dnat_new;
			next->host[CT_TABLE_FULL] += st[c].table_full;
		}
	}
	free(st);
	return 0;
}

void conntrack_annotate(struct conn_row *rows, size_t n)
{
	pthread_mutex_lock(&view_lock);
	for (size_t i = 0; view_nr && i < n; i++) {
		struct conn_row *r = &rows[i];
		struct ct_entry want = {}, *hit;

		memcpy(want.k.saddr, r->t.saddr, sizeof(want.k.saddr));
		memcpy(want.k.daddr, r->t.daddr, sizeof(want.k.daddr));
		want.k.sport = r->t.sport;
		want.k.dport = r->t.dport;
		want.k.family = r->t.family;
		want.k.protocol = r->t.protocol;
		hit = bsearch(&want, view, view_nr, sizeof(*view), by_key);
		if (!hit)
			continue;
		r->dst_nat = true;
		memcpy(r->dst_nat_addr, hit->v.addr, sizeof(r->dst_nat_addr));
		r->dst_nat_port = hit->v.port;
	}
	pthread_mutex_unlock(&view_lock);
}

static size_t conntrack_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				      int cpus)
{
	struct conntrack_agent *ca = mi->priv;

	return modobj_memory(ca->skel->obj, out, max, cpus);
}

static void conntrack_unload(struct module_inst *mi)
{
	struct conntrack_agent *ca = mi->priv;

	if (!ca)
		return;
	bpf_link__destroy(ca->links[0]);
	bpf_link__destroy(ca->links[1]);
	conntrack_bpf__destroy(ca->skel);
	free(ca->buf);
	free(ca);
	mi->priv = NULL;
	pthread_mutex_lock(&view_lock);
	free(view);
	view = NULL;
	view_nr = 0;
	pthread_mutex_unlock(&view_lock);
}

const struct module conntrack_module = {
	.name = "conntrack",
	.summary = "DNAT targets of connections (DataKit's NAT tags for the network viewer)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = conntrack_defs,
	.nr_defs = CT_NR_DEFS,
	.nr_counters = CT_NR_DEFS,
	.hooks = conntrack_hooks,
	.nr_hooks = sizeof(conntrack_hooks) / sizeof(conntrack_hooks[0]),
	.probe = conntrack_probe,
	.load = conntrack_load,
	.collect = conntrack_collect,
	.unload = conntrack_unload,
	.kernel_memory = conntrack_kernel_memory,
};
