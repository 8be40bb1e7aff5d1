// SPDX-License-Identifier: GPL-2.0
/*
 * dnsflow: DataKit's dnsflow collector as a module of `run` (off by
 * default, as in DataKit). DNS requests paired with their answers
 * (dns_engine.c; UDP and TCP on `[global] dns port`) give, per application (apps groups, else the process
 * name) and rcode, ebpfmon_dns_requests_total{app,rcode} (rcode "-1":
 * no answer within DNS_DEFAULT_TIMEOUT_NS) and
 * ebpfmon_dns_latency_seconds{app,rcode}, a histogram of the answered.
 * `ebpfmon dns` prints DataKit's rows themselves (dns_cmd.c), and
 * dns_rows_influx() renders them for the line-protocol push.
 *
 * A thread of the module reads the ring buffer (every 100 ms) so it never
 * waits for a collection; collect() copies its cumulative table.
 */
#include <cap-ng.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

#include <bpf/libbpf.h>

#include "core/apps_groups.h"
#include "core/cgroup_names.h"
#include "core/modobj.h"
#include "core/module.h"
#include "dnsflow.skel.h"
#include "modules/dnsflow/dns_engine.h"
#include "core/blacklist.h"
#include "modules/dnsflow/dnsflow_api.h"

enum {
	DNSF_REQUESTS,
	DNSF_LATENCY,
	DNSF_PACKETS,
	DNSF_RING_FULL,
	DNSF_MALFORMED,
	DNSF_UNMATCHED,
	DNSF_PENDING_FULL,
	DNSF_ROWS_FULL,
	DNSF_NR_DEFS,
};

/* Application and rcode pairs kept at most; the rest are counted in rows_full_total. */
#define DNSF_MAX_ROWS 1024
/* DataKit's rows of one interval (/api/v1/dns, the push) at most; the same. */
#define DNSF_WINDOW_ROWS 8192

/* Finite bounds: 2^k microseconds, 16 us to 8.4 s; then +Inf. */
#define US(n) ((n) * 1000ULL)
static const uint64_t dnsf_le_ns[] = {
	US(1ULL << 4),	US(1ULL << 5),	US(1ULL << 6),	US(1ULL << 7),	US(1ULL << 8),
	US(1ULL << 9),	US(1ULL << 10), US(1ULL << 11), US(1ULL << 12), US(1ULL << 13),
	US(1ULL << 14), US(1ULL << 15), US(1ULL << 16), US(1ULL << 17), US(1ULL << 18),
	US(1ULL << 19), US(1ULL << 20), US(1ULL << 21), US(1ULL << 22), US(1ULL << 23),
};
#define DNSF_NR_LE (sizeof(dnsf_le_ns) / sizeof(dnsf_le_ns[0]))
_Static_assert(DNSF_NR_LE + 1 <= EBPFMON_MAX_BUCKETS, "the store holds every bucket");

static const struct counter_def dnsflow_defs[] = {
	[DNSF_REQUESTS] = { "requests_total", "DNS requests per application and rcode (DataKit's dnsflow count; rcode -1: no answer within 5 s), from the client's and the server's sockets alike",
			    .labeled = true, .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_LATENCY] = { "latency_seconds", "DNS request latency, query to answer, as the host's sockets saw the packets (DataKit's dnsflow latency)",
			   .kind = HISTOGRAM, .labeled = true, .light = true, .le_ns = dnsf_le_ns,
			   .nr_le = DNSF_NR_LE, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_PACKETS] = { "packets_total", "Packets with a payload to or from the DNS port, sent or received by a socket of this host",
			   .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_RING_FULL] = { "ring_full_total", "DNS packets dropped because the ring buffer to user space (4 MiB) was full",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_MALFORMED] = { "malformed_total", "DNS messages whose header or question did not parse (short, truncated names, pointer loops, bad labels)",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_UNMATCHED] = { "unmatched_answers_total", "DNS answers with no query seen (sent before start, after the timeout, or the query was not tracked)",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_PENDING_FULL] = { "pending_full_total", "DNS queries not tracked because 16384 were waiting for answers already",
				.light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DNSF_ROWS_FULL] = { "rows_full_total", "DNS requests not counted because 1024 application and rcode pairs were there already, or left out of an interval's rows (8192 at most)",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

static const struct hook_impl cg_impls[] = {
	{ "cgroup_skb", PROGS("dns_cg_in", "dns_cg_eg") },
};

static const struct hook_def dnsflow_hooks[] = {
	HOOK("DNS packets", cg_impls),
};

struct dnsf_row {
	char app[64];
	int rcode;
	uint64_t count, sum_ns;
	uint64_t buckets[DNSF_NR_LE + 1];
};

struct dnsflow_agent {
	struct dns_engine e;
	const struct apps_groups *groups;
	pthread_t thread;
	bool started;
	volatile bool stop;
	pthread_mutex_t lock; /* rows, nr, rows_full and the tracker's counters */
	struct dnsf_row *rows;
	unsigned int nr;
	uint64_t rows_full;
	/* DataKit's rows: of the interval under way, and of the last one. */
	struct dns_rows cur, last;
	bool have_last;
	struct blacklist *blacklist; /* [global] netlog blacklist; NULL: none */
};

/* The running module, for dnsflow_api.h; under api_lock, then the agent's lock. */
static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dnsflow_agent *running;

/* Under da->lock (the poll thread holds it while it reads the ring). */
static void on_done(const struct dns_done *d, void *arg)
{
	struct dnsflow_agent *da = arg;
	const char *app = d->comm[0] ? apps_groups_match(da->groups, d->comm) : "unknown";
	struct dnsf_row *r = NULL;
	unsigned int b = 0;

	if (dns_done_blacklisted(d, da->blacklist))
		return;
	dns_rows_add(d, &da->cur);
	for (unsigned int i = 0; i < da->nr; i++) {
		if (da->rows[i].rcode == d->rcode && !strcmp(da->rows[i].app, app)) {
			r = &da->rows[i];
			break;
		}
	}
	if (!r) {
		if (da->nr == DNSF_MAX_ROWS) {
			da->rows_full++;
			return;
		}
		r = &da->rows[da->nr++];
		memset(r, 0, sizeof(*r));
		snprintf(r->app, sizeof(r->app), "%s", app);
		r->rcode = d->rcode;
	}
	r->count++;
	if (d->rcode == DNS_RCODE_TIMEOUT)
		return;
	while (b < DNSF_NR_LE && d->latency_ns > dnsf_le_ns[b])
		b++;
	r->buckets[b]++;
	r->sum_ns += d->latency_ns;
}

static void *poll_thread(void *arg)
{
	struct dnsflow_agent *da = arg;

	/*
	 * Capabilities are per thread, and `run` drops them after attach in
	 * its main thread alone (core/privs.h): this thread, started before,
	 * gives up all of its own now. Reading the ring needs none.
	 */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH)) {
		capng_clear(CAPNG_SELECT_CAPS);
		capng_apply(CAPNG_SELECT_CAPS);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	while (!da->stop) {
		struct epoll_event ev;

		/* Wait outside the lock (epoll only: nothing consumed); read and pair under it. */
		epoll_wait(ring_buffer__epoll_fd(da->e.rb), &ev, 1, 100);
		pthread_mutex_lock(&da->lock);
		ring_buffer__consume(da->e.rb);
		dns_tracker_expire(&da->e.tr, dns_mono_ns(), on_done, da);
		pthread_mutex_unlock(&da->lock);
	}
	return NULL;
}

/* cgroup_skb is in every kernel with BPF links for cgroups; what can be missing is cgroup v2. */
static int dnsflow_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
			 struct module_plan *plan)
{
	char path[4096];

	(void)m;
	(void)caps;
	(void)cfg;
	memset(plan, 0, sizeof(*plan));
	if (cgroup2_mount_point(path, sizeof(path))) {
		plan->chosen[0] = -1;
		snprintf(plan->why[0], sizeof(plan->why[0]), "cgroup_skb: no cgroup v2 hierarchy");
		snprintf(plan->reason, sizeof(plan->reason),
			 "no cgroup v2 hierarchy mounted (cgroup_skb needs one)");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int dnsflow_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct dnsflow_agent *da = calloc(1, sizeof(*da));
	char err[256];
	int ret;

	if (!da)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = da;
	pthread_mutex_init(&da->lock, NULL);
	da->groups = mc->groups;
	da->rows = calloc(DNSF_MAX_ROWS, sizeof(*da->rows));
	if (!da->rows || dns_rows_init(&da->cur, DNSF_WINDOW_ROWS) ||
	    dns_rows_init(&da->last, DNSF_WINDOW_ROWS))
		return modobj_fail(mi, -ENOMEM, "allocate");
	if (mc->cfg->netlog_blacklist[0]) {
		da->blacklist = blacklist_compile(mc->cfg->netlog_blacklist, "netlog blacklist", err,
						  sizeof(err));
		if (!da->blacklist) {
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", err);
			return -EINVAL;
		}
	}
	ret = dns_engine_open(&da->e, (uint16_t)mc->cfg->dns_port, DNS_DEFAULT_TIMEOUT_NS, on_done, da, err,
			      sizeof(err));
	if (ret) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", err);
		return ret;
	}
	ret = pthread_create(&da->thread, NULL, poll_thread, da);
	if (ret)
		return modobj_fail(mi, -ret, "start the ring buffer thread");
	da->started = true;
	pthread_mutex_lock(&api_lock);
	running = da;
	pthread_mutex_unlock(&api_lock);
	return 0;
}

static int dnsflow_collect(struct module_inst *mi, struct module_stats *next)
{
	struct dnsflow_agent *da = mi->priv;
	struct dns_kstats ks;
	char rc[16];
	int err = 0;

	dns_engine_kstats(&da->e, &ks);
	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	next->host[DNSF_PACKETS] = ks.packets;
	next->host[DNSF_RING_FULL] = ks.ring_full;
	pthread_mutex_lock(&da->lock);
	next->host[DNSF_MALFORMED] = da->e.tr.st.malformed;
	next->host[DNSF_UNMATCHED] = da->e.tr.st.unmatched;
	next->host[DNSF_PENDING_FULL] = da->e.tr.st.pending_full;
	/* The interval ends: its rows become the last interval's. */
	{
		struct dns_rows t = da->last;

		da->rows_full += da->cur.overflow;
		da->last = da->cur;
		da->cur = t;
		dns_rows_reset(&da->cur);
		dns_rows_sort(&da->last);
		da->have_last = true;
	}
	next->host[DNSF_ROWS_FULL] = da->rows_full;
	for (unsigned int i = 0; i < da->nr; i++) {
		struct labeled_row *row = store_row_append(next);
		struct hist_value *h;

		if (!row) {
			err = -ENOMEM;
			break;
		}
		store_row_label(row, "app", da->rows[i].app);
		snprintf(rc, sizeof(rc), "%d", da->rows[i].rcode);
		store_row_label(row, "rcode", rc);
		row->v[DNSF_REQUESTS] = da->rows[i].count;
		h = store_row_hist(next, next->nr_rows - 1, DNSF_LATENCY);
		memcpy(h->buckets, da->rows[i].buckets, sizeof(da->rows[i].buckets));
		h->sum_ns = da->rows[i].sum_ns;
	}
	pthread_mutex_unlock(&da->lock);
	return err;
}

static size_t dnsflow_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				    int cpus)
{
	struct dnsflow_agent *da = mi->priv;

	return da->e.skel ? modobj_memory(da->e.skel->obj, out, max, cpus) : 0;
}

static void dnsflow_unload(struct module_inst *mi)
{
	struct dnsflow_agent *da = mi->priv;

	if (!da)
		return;
	pthread_mutex_lock(&api_lock);
	if (running == da)
		running = NULL;
	pthread_mutex_unlock(&api_lock);
	if (da->started) {
		da->stop = true;
		pthread_join(da->thread, NULL);
	}
	dns_engine_close(&da->e);
	pthread_mutex_destroy(&da->lock);
	dns_rows_free(&da->cur);
	dns_rows_free(&da->last);
	blacklist_free(da->blacklist);
	free(da->rows);
	free(da);
	mi->priv = NULL;
}

/* Run @fn on the last interval's rows of the running module. */
static int with_last(int (*fn)(FILE *, const struct dns_rows *, const char *, uint64_t),
		     FILE *out, const char *host, uint64_t ts_ns)
{
	int ret;

	pthread_mutex_lock(&api_lock);
	if (!running) {
		ret = -ENODEV;
	} else {
		pthread_mutex_lock(&running->lock);
		ret = running->have_last ? fn(out, &running->last, host, ts_ns) : -EAGAIN;
		pthread_mutex_unlock(&running->lock);
	}
	pthread_mutex_unlock(&api_lock);
	return ret;
}

static int json_fn(FILE *out, const struct dns_rows *r, const char *host, uint64_t ts_ns)
{
	(void)host;
	(void)ts_ns;
	return dns_rows_json(out, r);
}

int dnsflow_last_json(char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = with_last(json_fn, f, NULL, 0);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

int dnsflow_last_influx(FILE *out, const char *host, uint64_t ts_ns)
{
	return with_last(dns_rows_influx, out, host, ts_ns);
}

const struct module dnsflow_module = {
	.name = "dnsflow",
	.metric_prefix = "dns",
	.summary = "DNS requests paired with answers per application and rcode, latency histogram (DataKit's dnsflow)",
	.privileges = "CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = dnsflow_defs,
	.nr_defs = DNSF_NR_DEFS,
	.nr_counters = DNSF_NR_DEFS,
	.hooks = dnsflow_hooks,
	.nr_hooks = sizeof(dnsflow_hooks) / sizeof(dnsflow_hooks[0]),
	.row_labels = "app,rcode",
	.probe = dnsflow_probe,
	.load = dnsflow_load,
	.collect = dnsflow_collect,
	.unload = dnsflow_unload,
	.kernel_memory = dnsflow_kernel_memory,
};
