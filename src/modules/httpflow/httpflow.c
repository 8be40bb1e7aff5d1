// SPDX-License-Identifier: GPL-2.0
/*
 * httpflow: HTTP/1.x requests per process, method, path and status, with
 * the time to the response's first byte and the bytes of each exchange
 * (DataKit's httpflow), plain from syscall tracepoints and TLS from
 * libssl uprobes (httpflow.bpf.c). The parser and the rows are in
 * httpflow_parse.c; `ebpfmon http` in httpflow_cmd.c.
 *
 * In `run`: ebpfmon_http_requests_total{app,method,status} and the
 * histogram ebpfmon_http_latency_seconds{app,method,status} (app: the
 * process name). Off by default, as in DataKit.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/modobj.h"
#include "core/module.h"
#include "httpflow.skel.h"
#include "core/blacklist.h"
#include "modules/httpflow/httpflow_api.h"
#include "modules/httpflow/httpflow_int.h"

/* ---- the engine ---------------------------------------------------------- */

uint64_t http_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct http_engine *e = ctx;

	http_agg_event(&e->agg, data, len);
	return 0;
}

/* Where a connection's byte counters stand now, from the kernel's table. */
static int conn_bytes(void *arg, const struct http_conn *c, uint64_t *rd, uint64_t *wr)
{
	struct http_engine *e = arg;
	struct http_conn_key k = { .ptr = c->ptr, .tgid = c->ctgid, .tls = c->tls };
	struct http_conn_bytes b;

	/* Gone, or restarted by another socket at the same address: unknown. */
	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.conns), &k, &b) || b.ino != c->ino)
		return -1;
	*rd = b.rd;
	*wr = b.wr;
	return 0;
}

int http_engine_open(struct http_engine *e, bool tls, char *err, size_t errlen)
{
	int ret;

	memset(e, 0, sizeof(*e));
	http_agg_init(&e->agg);
	e->agg.bytes = conn_bytes;
	e->agg.bytes_arg = e;
	e->tls = tls;
	e->skel = httpflow_bpf__open();
	if (!e->skel) {
		ret = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		return ret;
	}
	ret = httpflow_bpf__load(e->skel);
	if (ret) {
		snprintf(err, errlen, "load BPF programs (verifier): %s", strerror(-ret));
		return ret;
	}
	e->sys_links[0] = bpf_program__attach(e->skel->progs.http_sys_exit);
	if (!e->sys_links[0]) {
		ret = -errno;
		snprintf(err, errlen, "attach tp_btf/sys_exit: %s", strerror(errno));
		return ret;
	}
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_event, e, NULL);
	if (!e->rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		return ret;
	}
	if (tls)
		http_engine_scan(e);
	return 0;
}

/* The uprobes on one libssl file (@path), once per file (device, inode). */
static void attach_lib(struct http_engine *e, const char *path)
{
	static const struct {
		const char *func;
		bool ret;
	} probes[4] = { { "SSL_write", false }, { "SSL_write", true }, { "SSL_read", false },
			{ "SSL_read", true } };
	struct bpf_program *progs[4] = { e->skel->progs.http_ssl_write,
					 e->skel->progs.http_ssl_write_ret,
					 e->skel->progs.http_ssl_read, e->skel->progs.http_ssl_read_ret };
	struct http_lib *l;
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	for (unsigned int i = 0; i < e->nr_libs; i++)
		if (e->libs[i].dev == st.st_dev && e->libs[i].ino == st.st_ino)
			return;
	if (e->nr_libs == HTTP_MAX_LIBS) {
		e->libs_full++;
		return;
	}
	l = &e->libs[e->nr_libs++];
	memset(l, 0, sizeof(*l));
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	for (int i = 0; i < 4; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = probes[i].func, .retprobe = probes[i].ret);

		l->links[i] = bpf_program__attach_uprobe_opts(progs[i], -1, path, 0, &o);
		if (!l->links[i]) {
			/* A libssl without the symbol (or stripped): said once, the rest runs. */
			int err = errno;

			snprintf(e->tls_note, sizeof(e->tls_note), "%s: no uprobe on %s: %s", path,
				 probes[i].func,
				 err == ENOENT ? "the library has no such symbol (TLS of its users is not seen)"
					       : strerror(err));
			for (int k = 0; k < i; k++) {
				bpf_link__destroy(l->links[k]);
				l->links[k] = NULL;
			}
			return;
		}
	}
	l->ok = true;
	e->nr_attached++;
}

void http_engine_scan(struct http_engine *e)
{
	static const char *const dirs[] = { "/usr/lib/*/libssl.so*", "/lib/*/libssl.so*",
					    "/usr/lib/libssl.so*", "/usr/lib64/libssl.so*",
					    "/usr/local/lib/libssl.so*",
					    "/usr/local/lib64/libssl.so*" };
	struct dirent *de;
	char path[512], line[1024];
	glob_t g;
	DIR *d;

	if (!e->tls)
		return;
	/* The system's libssl: a process started later maps the same file. */
	for (unsigned int i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (glob(dirs[i], 0, NULL, &g))
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++)
			attach_lib(e, g.gl_pathv[k]);
		globfree(&g);
	}
	/* Any other one a running process mapped (containers, bundled copies). */
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/maps", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *p = strchr(line, '/');

			if (!p || !strstr(p, "/libssl.so"))
				continue;
			p[strcspn(p, "\n")] = 0;
			if (strstr(p, " (deleted)"))
				continue;
			/* Through the process's root: its mount namespace may differ. */
			snprintf(path, sizeof(path), "/proc/%s/root%s", de->d_name, p);
			attach_lib(e, path);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
}

int http_engine_poll(struct http_engine *e, int timeout_ms)
{
	int n = timeout_ms ? ring_buffer__poll(e->rb, timeout_ms) : ring_buffer__consume(e->rb);

	return n == -EINTR ? 0 : n;
}

void http_engine_kstats(struct http_engine *e, struct http_kstats *k)
{
	int ncpu = libbpf_num_possible_cpus();
	struct http_stats *st;
	uint32_t zero = 0;

	memset(k, 0, sizeof(*k));
	if (ncpu <= 0)
		return;
	st = calloc(ncpu, sizeof(*st));
	if (st && !bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.stats), &zero, st)) {
		for (int c = 0; c < ncpu; c++) {
			k->args_full += st[c].args_full;
			k->conns_full += st[c].conns_full;
			k->ringbuf_full += st[c].ringbuf_full;
			k->ssl_full += st[c].ssl_full;
		}
	}
	free(st);
}

void http_engine_close(struct http_engine *e)
{
	for (unsigned int i = 0; i < e->nr_libs; i++)
		for (int k = 0; k < 4; k++)
			bpf_link__destroy(e->libs[i].links[k]);
	e->nr_libs = 0;
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(e->sys_links[i]);
		e->sys_links[i] = NULL;
	}
	ring_buffer__free(e->rb);
	e->rb = NULL;
	httpflow_bpf__destroy(e->skel);
	e->skel = NULL;
	http_agg_free(&e->agg);
}

/* ---- the module ------------------------------------------------------------ */

enum {
	HF_REQUESTS,
	HF_LATENCY,
	HF_LIBS,
	HF_CONNS_FULL,
	HF_RINGBUF_FULL,
	HF_SSL_FULL,
	HF_ROWS_FULL,
	HF_NR_DEFS,
};

#define MS(n) ((n) * 1000000ULL)
static const uint64_t hf_le_ns[] = { MS(1) / 10, MS(1) / 4, MS(1) / 2, MS(1),	MS(2) + MS(1) / 2,
				     MS(5),	 MS(10),    MS(25),    MS(50),	MS(100),
				     MS(250),	 MS(500),   MS(1000),  MS(2500), MS(5000),
				     MS(10000) };
#define HF_NR_LE (sizeof(hf_le_ns) / sizeof(hf_le_ns[0]))
_Static_assert(HF_NR_LE < EBPFMON_MAX_BUCKETS, "the store holds every bucket");

static const struct counter_def hf_defs[] = {
	[HF_REQUESTS] = { "requests_total", "HTTP/1.x requests answered, per process name, method and status code (plain: syscalls; TLS: libssl)",
			  .labeled = true, .netdata_chart = "", .netdata_app_chart = "" },
	[HF_LATENCY] = { "latency_seconds", "Time from an HTTP request to the first byte of its response, per process name, method and status code",
			 .kind = HISTOGRAM, .labeled = true, .le_ns = hf_le_ns, .nr_le = HF_NR_LE,
			 .netdata_chart = "", .netdata_app_chart = "" },
	[HF_LIBS] = { "tls_libraries", "libssl files with SSL_read/SSL_write uprobes attached", .kind = GAUGE_HOST,
		      .netdata_chart = "", .netdata_app_chart = "" },
	[HF_CONNS_FULL] = { "conn_table_full_total", "HTTP messages whose connection's bytes were not counted: the connection table (16384) could not take it",
			    .netdata_chart = "", .netdata_app_chart = "" },
	[HF_RINGBUF_FULL] = { "ringbuf_full_total", "HTTP messages lost: the ring buffer (1 MiB) was full between collections",
			      .netdata_chart = "", .netdata_app_chart = "" },
	[HF_SSL_FULL] = { "ssl_table_full_total", "SSL_read/SSL_write calls not seen: the per-thread table (8192) was full",
			  .netdata_chart = "", .netdata_app_chart = "" },
	[HF_ROWS_FULL] = { "rows_full_total", "Exchanges not counted: the row or connection table in user space was full",
			   .netdata_chart = "", .netdata_app_chart = "" },
};

static const struct hook_impl sys_impls[] = {
	{ "tp_btf", PROGS("http_sys_exit"), IMPL_SYSCALL },
};

static const struct hook_def hf_hooks[] = {
	HOOK("socket reads and writes", sys_impls),
};
#define HF_NR_HOOKS (sizeof(hf_hooks) / sizeof(hf_hooks[0]))

/* The cumulative series of `run`: one per process name, method and status. */
#define HF_MAX_SERIES 1024
struct hf_series {
	char app[16];
	char method[HTTP_METHOD_MAX];
	int status;
	uint64_t count, sum_ns;
	uint64_t buckets[HF_NR_LE + 1];
};

struct hf_agent {
	struct http_engine e;
	struct hf_series *series;
	size_t nr_series;
	uint64_t series_full;
	char said[256]; /* the last TLS note printed */
	struct blacklist *blacklist; /* [global] netlog blacklist; NULL: none */
};

/* The last collection's rows, for httpflow_api.h (one module instance at most). */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_row *last_rows;
static size_t last_n;
static bool last_running, last_collected;

static void last_set(const struct http_row *rows, size_t n)
{
	struct http_row *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	if (copy)
		memcpy(copy, rows, n * sizeof(*copy));
	pthread_mutex_lock(&last_lock);
	free(last_rows);
	last_rows = copy;
	last_n = copy ? n : 0;
	last_collected = true;
	pthread_mutex_unlock(&last_lock);
}

static int last_get(int (*render)(FILE *, const struct http_row *, size_t, const char *, uint64_t),
		    FILE *out, const char *host, uint64_t ts)
{
	int ret = 0;

	pthread_mutex_lock(&last_lock);
	if (!last_running)
		ret = -ENODEV;
	else if (!last_collected)
		ret = -EAGAIN;
	else if (render(out, last_rows, last_n, host, ts) < 0)
		ret = -EIO;
	pthread_mutex_unlock(&last_lock);
	return ret;
}

static int render_json(FILE *out, const struct http_row *rows, size_t n, const char *host,
		       uint64_t ts)
{
	(void)host;
	(void)ts;
	http_rows_json(out, rows, n);
	return ferror(out) ? -1 : 0;
}

int httpflow_rows_json(char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = last_get(render_json, f, NULL, 0);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

int httpflow_influx(FILE *out, const char *host, uint64_t ts_ns)
{
	return last_get(http_rows_influx, out, host, ts_ns);
}

static int hf_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		    struct module_plan *plan)
{
	struct httpflow_bpf *skel = httpflow_bpf__open();
	int ret;

	(void)cfg;
	memset(plan, 0, sizeof(*plan));
	ret = modobj_probe(skel ? skel->obj : NULL, m->hooks, m->nr_hooks, caps, MODOBJ_ALL_PROGS,
			   false, plan);
	httpflow_bpf__destroy(skel);
	return ret;
}

static int hf_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct hf_agent *a = calloc(1, sizeof(*a));
	char err[256];
	int ret;

	if (!a)
		return modobj_fail(mi, -ENOMEM, "allocate");
	if (mc->light) {
		free(a);
		snprintf(mi->stats->reason, sizeof(mi->stats->reason),
			 "needs syscall hooks, which light mode leaves out");
		return -EOPNOTSUPP;
	}
	mi->priv = a;
	a->series = calloc(HF_MAX_SERIES, sizeof(*a->series));
	if (!a->series)
		return modobj_fail(mi, -ENOMEM, "allocate");
	if (mc->cfg->netlog_blacklist[0]) {
		a->blacklist = blacklist_compile(mc->cfg->netlog_blacklist, "netlog blacklist", err,
						 sizeof(err));
		if (!a->blacklist) {
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", err);
			return -EINVAL;
		}
	}
	ret = http_engine_open(&a->e, mc->cfg->httpflow_tls, err, sizeof(err));
	if (ret) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", err);
		return ret;
	}
	pthread_mutex_lock(&last_lock);
	last_running = true;
	last_collected = false;
	pthread_mutex_unlock(&last_lock);
	return 0;
}

static size_t hf_bucket(uint64_t ns)
{
	size_t b = 0;

	while (b < HF_NR_LE && ns > hf_le_ns[b])
		b++;
	return b;
}

static int hf_collect(struct module_inst *mi, struct module_stats *next)
{
	struct hf_agent *a = mi->priv;
	struct http_agg *g = &a->e.agg;
	struct http_kstats k;

	http_engine_poll(&a->e, 0);
	/* Connections quiet for a minute are forgotten (their exchange was counted). */
	http_agg_flush(g, http_now_ns(), 60ULL * 1000000000ULL);
	g->nr_rows = http_rows_blacklist(g->rows, g->nr_rows, a->blacklist);
	for (size_t i = 0; i < g->nr_rows; i++) {
		const struct http_row *r = &g->rows[i];
		struct hf_series *s = NULL;
		uint64_t lat = http_row_latency(r);

		for (size_t j = 0; j < a->nr_series; j++) {
			struct hf_series *x = &a->series[j];

			if (x->status == r->status && !strcmp(x->app, r->comm) &&
			    !strcmp(x->method, r->method)) {
				s = x;
				break;
			}
		}
		if (!s && a->nr_series < HF_MAX_SERIES) {
			s = &a->series[a->nr_series++];
			snprintf(s->app, sizeof(s->app), "%s", r->comm);
			snprintf(s->method, sizeof(s->method), "%s", r->method);
			s->status = r->status;
		}
		if (!s) {
			a->series_full += r->count;
			continue;
		}
		s->count += r->count;
		s->sum_ns += r->latency_sum_ns;
		/* A row's exchanges go to the bucket of their average (rows are per window). */
		s->buckets[hf_bucket(lat)] += r->count;
	}
	http_agg_sort(g);
	last_set(g->rows, g->nr_rows);
	http_agg_clear_rows(g);
	http_engine_scan(&a->e);

	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	for (size_t j = 0; j < a->nr_series; j++) {
		const struct hf_series *s = &a->series[j];
		struct labeled_row *row = store_row_append(next);
		struct hist_value *h;
		char status[8];

		if (!row)
			return -ENOMEM;
		snprintf(status, sizeof(status), "%d", s->status);
		store_row_label(row, "app", s->app);
		store_row_label(row, "method", s->method);
		store_row_label(row, "status", status);
		row->v[HF_REQUESTS] = s->count;
		h = store_row_hist(next, next->nr_rows - 1, HF_LATENCY);
		memcpy(h->buckets, s->buckets, sizeof(s->buckets));
		h->sum_ns = s->sum_ns;
	}
	http_engine_kstats(&a->e, &k);
	next->host[HF_LIBS] = a->e.nr_attached;
	next->host[HF_CONNS_FULL] = k.conns_full;
	next->host[HF_RINGBUF_FULL] = k.ringbuf_full;
	next->host[HF_SSL_FULL] = k.ssl_full;
	next->host[HF_ROWS_FULL] = g->rows_full + g->conns_full + a->series_full;
	/* A libssl without the symbols: said once per new one; plain HTTP and other libssl run on. */
	if (a->e.tls_note[0] && strcmp(a->e.tls_note, a->said)) {
		fprintf(stderr, "ebpfmon: httpflow: TLS: %s\n", a->e.tls_note);
		snprintf(a->said, sizeof(a->said), "%s", a->e.tls_note);
	}
	return 0;
}

static size_t hf_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max, int cpus)
{
	struct hf_agent *a = mi->priv;

	return modobj_memory(a->e.skel->obj, out, max, cpus);
}

static void hf_unload(struct module_inst *mi)
{
	struct hf_agent *a = mi->priv;

	if (!a)
		return;
	pthread_mutex_lock(&last_lock);
	last_running = false;
	free(last_rows);
	last_rows = NULL;
	last_n = 0;
	pthread_mutex_unlock(&last_lock);
	http_engine_close(&a->e);
	blacklist_free(a->blacklist);
	free(a->series);
	free(a);
	mi->priv = NULL;
}

const struct module httpflow_module = {
	.name = "httpflow",
	.metric_prefix = "http",
	.summary = "HTTP/1.x requests per process, method and status, with latency (DataKit's httpflow; plain and TLS through libssl)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach (CAP_SYS_ADMIN to read other processes' maps for libssl); none after attach",
	.default_on = false,
	.defs = hf_defs,
	.nr_defs = HF_NR_DEFS,
	.nr_counters = HF_NR_DEFS,
	.hooks = hf_hooks,
	.nr_hooks = HF_NR_HOOKS,
	.row_labels = "app,method,status",
	.probe = hf_probe,
	.load = hf_load,
	.collect = hf_collect,
	.unload = hf_unload,
	.kernel_memory = hf_kernel_memory,
};
