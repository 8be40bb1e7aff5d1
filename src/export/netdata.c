// SPDX-License-Identifier: GPL-2.0
/*
 * Netdata's plugins.d protocol from the metric store (see netdata.h).
 *
 * What goes out, per module that is up:
 *  - host charts: the defs that name a Netdata chart id (type.id), grouped by
 *    that id in def order, one dimension per def;
 *  - per application (Netdata 2.x): one chart per application and Netdata
 *    context, app.<app>_<context without "app.">, label app_group;
 *  - per cgroup: cgroup_<path>.<what>, context cgroup.<what>, label
 *    cgroup_name; per systemd service: systemd_<service>.<what>, context
 *    systemd.service.<what>, label service_name (as Netdata's ebpf.plugin).
 * Counters go out cumulative with the `incremental` algorithm, so Netdata
 * computes the rates; gauges are `absolute`. On host charts with a read and
 * a write (or received and sent) side, the write side is drawn negative, as
 * Netdata draws it. Labeled host series: a histogram (disk latency) as one
 * chart per row with a dimension per bucket, other labeled counters (IRQ
 * latency, MD flushes) as one chart with a dimension per row; flows are not
 * sent (no Netdata chart names them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/cgroup_meta.h"
#include "export/common.h"
#include "export/netdata.h"

#define ND_ID_MAX  200	/* bytes of a cleaned name inside a chart id */
#define ND_BUCKETS 1024 /* chart table: chained hash */
#define ND_PLUGIN  "ebpfmon.plugin"
/* Dimensions of one chart: a labeled host chart has one per row (IRQs, disks); more are left out.
 */
#define ND_MAX_DIMS 256

/* A chart defined on Netdata's side: its id and its CHART line up to the options. */
struct nd_chart {
	struct nd_chart *next;
	uint64_t gen;	    /* the last render that sent it */
	uint32_t dims_hash; /* of its dimension ids: a new set is defined again */
	char *line;	    /* "CHART type.id '' 'title' ... update_every" */
	const char *module; /* the module's name (static, from its table) */
	char id[];
};

/* One dimension to send: its id, how Netdata computes it, its value. */
struct nd_dim {
	char id[64];
	char name[64]; /* shown instead of the id; "" for none */
	const char *algorithm;
	int mult;
	unsigned long div;
	uint64_t value;
};

/* A chart to send this time. */
struct nd_spec {
	char id[2 * ND_ID_MAX + 64]; /* type.id */
	const char *title, *units, *family, *context, *charttype, *module;
	int priority;
	const char *label_name, *label_value; /* NULL: no label */
	unsigned int nr_dims;
	struct nd_dim dims[ND_MAX_DIMS];
};

struct netdata_writer {
	unsigned int update_every;
	uint64_t gen;
	struct nd_chart *buckets[ND_BUCKETS];
	bool oom;
	struct nd_spec sp; /* the chart being sent (large: not on the stack) */
};

/* Clear @sp's fields for a new chart; its dimensions are overwritten as they are added. */
static void spec_reset(struct nd_spec *sp)
{
	memset(sp, 0, offsetof(struct nd_spec, dims));
}

void netdata_clean_id(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	if (!len)
		return;
	for (; *src && n + 1 < len; src++) {
		char c = *src;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '-';

		dst[n++] = keep ? c : '_';
	}
	if (!n && len > 1)
		dst[n++] = '_';
	dst[n] = 0;
}

void netdata_clean_value(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	if (!len)
		return;
	for (; *src && n + 1 < len; src++) {
		unsigned char c = (unsigned char)*src;

		dst[n++] =
		    (c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '\\') ? '_' : (char)c;
	}
	dst[n] = 0;
}

struct netdata_writer *netdata_writer_new(unsigned int update_every)
{
	struct netdata_writer *w = calloc(1, sizeof(*w));

	if (w)
		w->update_every = update_every ? update_every : 1;
	return w;
}

void netdata_writer_free(struct netdata_writer *w)
{
	if (!w)
		return;
	for (size_t b = 0; b < ND_BUCKETS; b++) {
		for (struct nd_chart *c = w->buckets[b], *next; c; c = next) {
			next = c->next;
			free(c->line);
			free(c);
		}
	}
	free(w);
}

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t bucket_of(const char *id)
{
	return fnv(2166136261u, id) % ND_BUCKETS;
}

static struct nd_chart *chart_find(struct netdata_writer *w, const char *id)
{
	for (struct nd_chart *c = w->buckets[bucket_of(id)]; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

/* Netdata's dimension id for def @d: its fixed label's value, or its name without _total. */
static void dim_id(char *dst, size_t len, const struct counter_def *d)
{
	char name[64];
	size_t n;

	snprintf(name, sizeof(name), "%s", d->fixed_value ? d->fixed_value : d->name);
	n = strlen(name);
	if (!d->fixed_value && n > 6 && !strcmp(name + n - 6, "_total"))
		name[n - 6] = 0;
	netdata_clean_id(dst, len, name);
}

static bool is_bytes(const struct counter_def *d)
{
	return strstr(d->name, "bytes") != NULL;
}

static const char *units_of(const struct counter_def *d)
{
	if (d->kind == COUNTER_TOTAL)
		return is_bytes(d) ? "bytes/s" : "calls/s";
	if (d->ns_as_seconds)
		return strstr(d->name, "ratio") ? "%" : "seconds";
	return "value";
}

/* Fill dimension @dim of def @i of @m with the value from counters @v. */
static void dim_set(struct nd_dim *dim, const struct module_stats *m, unsigned int i,
		    const uint64_t *v, const char *id)
{
	dim->name[0] = 0;
	const struct counter_def *d = &m->defs[i];

	if (id)
		snprintf(dim->id, sizeof(dim->id), "%s", id);
	else
		dim_id(dim->id, sizeof(dim->id), d);
	dim->algorithm = d->kind == COUNTER_TOTAL ? "incremental" : "absolute";
	dim->mult = 1;
	/* Stored in nanoseconds: Netdata divides; a ratio (in 1e-9) shown as percent. */
	dim->div = d->ns_as_seconds ? (strstr(d->name, "ratio") ? 10000000ul : 1000000000ul) : 1;
	dim->value = store_value(m, i, v);
}

/* Whether @s is a chart id Netdata's ebpf.plugin uses: type.id of [a-z0-9_]. */
static bool valid_chart(const char *s)
{
	const char *dot;

	if (!s || !*s)
		return false;
	dot = strchr(s, '.');
	if (!dot || dot == s || !dot[1] || strchr(dot + 1, '.'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

/* Whether def @d of @m is sent on host charts. */
static bool host_def(const struct store *s, const struct module_stats *m,
		     const struct counter_def *d)
{
	return !d->labeled && d->kind != HISTOGRAM && valid_chart(d->netdata_chart) &&
	       store_def_visible(s, m, d);
}

/* Whether def @d of @m has per-application, per-cgroup and per-service charts. */
static bool broken_down_def(const struct store *s, const struct module_stats *m,
			    const struct counter_def *d)
{
	return !d->labeled && d->kind != HISTOGRAM && store_def_broken_down(d) &&
	       store_def_visible(s, m, d);
}

/*
 * Send @sp: its definition when Netdata does not have it yet, then its
 * values. A chart id already sent in this render (two names that clean to
 * the same id) is skipped: its values would be set twice.
 */
static void emit(struct netdata_writer *w, FILE *out, const struct nd_spec *sp, uint64_t usec)
{
	struct nd_chart *c = chart_find(w, sp->id);
	uint32_t dims_hash = 0;
	char title[256], family[128];

	if (c && c->gen == w->gen)
		return;
	/* A sum: rows come in any order, the same set is the same chart. */
	for (unsigned int k = 0; k < sp->nr_dims; k++)
		dims_hash += fnv(2166136261u, sp->dims[k].id);
	if (!c) {
		size_t len = strlen(sp->id) + 1;

		c = calloc(1, sizeof(*c) + len);
		if (!c) {
			w->oom = true;
			return;
		}
		memcpy(c->id, sp->id, len);
		c->module = sp->module;
		c->next = w->buckets[bucket_of(sp->id)];
		w->buckets[bucket_of(sp->id)] = c;
	} else if (c->dims_hash != dims_hash) {
		/* A new dimension (an IRQ seen first now): Netdata takes the chart again with all.
		 */
		free(c->line);
		c->line = NULL;
	}
	if (!c->line) {
		char *line = NULL;

		netdata_clean_value(title, sizeof(title), sp->title);
		netdata_clean_value(family, sizeof(family), sp->family);
		if (asprintf(&line, "CHART %s '' '%s' '%s' '%s' '%s' %s %d %u", sp->id, title,
			     sp->units, family, sp->context, sp->charttype, sp->priority,
			     w->update_every) < 0) {
			w->oom = true;
			return; /* no line: obsolete_gone() skips it, the next render tries again */
		}
		c->line = line;
		c->dims_hash = dims_hash;
		/*
		 * store_first: our counters start at zero when we attach and an
		 * application's chart comes with what it counted already; Netdata
		 * would otherwise take the first value as the base of its rate
		 * and lose that interval.
		 */
		fprintf(out, "%s 'store_first' '%s' '%s'\n", line, ND_PLUGIN, sp->module);
		if (sp->label_name) {
			char value[512];

			netdata_clean_value(value, sizeof(value), sp->label_value);
			fprintf(out, "CLABEL '%s' '%s' 1\nCLABEL_COMMIT\n", sp->label_name, value);
		}
		for (unsigned int k = 0; k < sp->nr_dims; k++)
			fprintf(out, "DIMENSION %s '%s' %s %d %lu\n", sp->dims[k].id,
				sp->dims[k].name, sp->dims[k].algorithm, sp->dims[k].mult,
				sp->dims[k].div);
	}
	c->gen = w->gen;
	if (usec)
		fprintf(out, "BEGIN %s %" PRIu64 "\n", sp->id, usec);
	else
		fprintf(out, "BEGIN %s\n", sp->id);
	for (unsigned int k = 0; k < sp->nr_dims; k++) {
		/* Netdata collects signed 64-bit numbers. */
		uint64_t v = sp->dims[k].value > INT64_MAX ? INT64_MAX : sp->dims[k].value;

		fprintf(out, "SET %s = %" PRIu64 "\n", sp->dims[k].id, v);
	}
	fputs("END\n", out);
}

/* The part of @chart after its first '.' ("app.ebpf_call_vfs_read" -> "ebpf_call_vfs_read"). */
static const char *after_dot(const char *chart)
{
	const char *dot = strchr(chart, '.');

	return dot ? dot + 1 : chart;
}

/* The part after the last '.' ("systemd.service.vfs_read" -> "vfs_read"). */
static const char *after_last_dot(const char *chart)
{
	const char *dot = strrchr(chart, '.');

	return dot ? dot + 1 : chart;
}

/*
 * On a host chart of several dimensions, show them as Netdata names them:
 * "read" and "write" rather than read_calls and write_calls (the unit is
 * the chart's). Only when every short name stays unique.
 */
static void short_names(struct nd_spec *sp)
{
	static const char *const suffixes[] = {"_calls", "_bytes", "_errors"};
	bool changed = false;

	if (sp->nr_dims < 2)
		return;
	for (unsigned int k = 0; k < sp->nr_dims; k++) {
		struct nd_dim *dim = &sp->dims[k];
		size_t n = strlen(dim->id);

		memcpy(dim->name, dim->id, n + 1); /* both hold 64 bytes */
		for (size_t x = 0; x < sizeof(suffixes) / sizeof(suffixes[0]); x++) {
			size_t sl = strlen(suffixes[x]);

			if (n > sl && !strcmp(dim->id + n - sl, suffixes[x])) {
				dim->name[n - sl] = 0;
				changed = true;
				break;
			}
		}
	}
	for (unsigned int k = 0; changed && k < sp->nr_dims; k++)
		for (unsigned int j = k + 1; changed && j < sp->nr_dims; j++)
			changed = strcmp(sp->dims[k].name, sp->dims[j].name) != 0;
	for (unsigned int k = 0; k < sp->nr_dims; k++)
		if (!changed || !strcmp(sp->dims[k].name, sp->dims[k].id))
			sp->dims[k].name[0] = 0;
}

static void host_charts(struct netdata_writer *w, FILE *out, const struct store *s,
			const struct module_stats *m, unsigned int mi, uint64_t usec)
{
	struct nd_spec *sp = &w->sp;
	bool done[EBPFMON_MAX_COUNTERS] = {false};
	unsigned int order = 0;

	for (unsigned int i = 0; i < m->nr_defs && i < EBPFMON_MAX_COUNTERS; i++) {
		const struct counter_def *d = &m->defs[i];
		bool write_side = false, read_side = false;

		if (done[i] || !host_def(s, m, d))
			continue;
		spec_reset(sp);
		snprintf(sp->id, sizeof(sp->id), "%s", d->netdata_chart);
		sp->title = d->help;
		sp->units = units_of(d);
		sp->family = m->name;
		sp->context = d->netdata_chart;
		sp->charttype = "line";
		sp->module = m->name;
		sp->priority = 21000 + (int)mi * 20 + (int)order++;
		for (unsigned int k = i; k < m->nr_defs && k < EBPFMON_MAX_COUNTERS; k++) {
			struct nd_dim *dim;

			if (done[k] || !host_def(s, m, &m->defs[k]) ||
			    strcmp(m->defs[k].netdata_chart, d->netdata_chart))
				continue;
			done[k] = true;
			dim = &sp->dims[sp->nr_dims++];
			dim_set(dim, m, k, m->host, NULL);
			if (strstr(dim->id, "write") || strstr(dim->id, "sent"))
				write_side = true;
			else if (strstr(dim->id, "read") || strstr(dim->id, "receiv"))
				read_side = true;
		}
		short_names(sp);
		/* Netdata draws writes below the axis when a chart shows both sides. */
		for (unsigned int k = 0; write_side && read_side && k < sp->nr_dims; k++)
			if (strstr(sp->dims[k].id, "write") || strstr(sp->dims[k].id, "sent"))
				sp->dims[k].mult = -1;
		emit(w, out, sp, usec);
	}
}

/*
 * The values of a labeled row's rendered labels (name="value",..., escaped
 * for Prometheus), unescaped and joined by '_' in @joined; the first label's
 * name and value in @name, @value.
 */
static void row_values(const char *labels, char *joined, size_t jlen, char *name, size_t nlen,
		       char *value, size_t vlen)
{
	size_t j = 0, v = 0;
	bool first = true;
	const char *p = labels;

	joined[0] = name[0] = value[0] = 0;
	while (*p) {
		const char *eq = strchr(p, '=');

		if (!eq || eq[1] != '"')
			break;
		if (first)
			snprintf(name, nlen, "%.*s", (int)(eq - p), p);
		if (!first && j + 1 < jlen)
			joined[j++] = '_';
		for (p = eq + 2; *p && *p != '"'; p++) {
			char c = *p;

			if (c == '\\' && p[1]) {
				c = *++p;
				if (c == 'n')
					c = '\n';
			}
			if (j + 1 < jlen)
				joined[j++] = c;
			if (first && v + 1 < vlen)
				value[v++] = c;
		}
		first = false;
		if (*p == '"')
			p++;
		if (*p == ',')
			p++;
	}
	joined[j] = 0;
	value[v] = 0;
}

/* A histogram bucket's dimension id: its upper bound ("2us", "1024ms") or "inf". */
static void bucket_id(char *dst, size_t len, const struct counter_def *d, unsigned int k)
{
	uint64_t ns;

	if (k >= d->nr_le) {
		snprintf(dst, len, "inf");
		return;
	}
	ns = d->le_ns[k];
	if (ns % 1000000000ull == 0)
		snprintf(dst, len, "%" PRIu64 "s", ns / UINT64_C(1000000000));
	else if (ns % 1000000ull == 0)
		snprintf(dst, len, "%" PRIu64 "ms", ns / UINT64_C(1000000));
	else if (ns % 1000ull == 0)
		snprintf(dst, len, "%" PRIu64 "us", ns / UINT64_C(1000));
	else
		snprintf(dst, len, "%" PRIu64 "ns", ns);
}

/*
 * Host charts of labeled series, as Netdata's ebpf.plugin draws them: a
 * histogram (disk latency) is one chart per row, <type>_<id>.<row> with a
 * dimension per bucket; other labeled counters (IRQ latency, MD flushes)
 * are one chart with a dimension per row. Where a chart names a count and a
 * time, the time is shown (Netdata's latency charts), in milliseconds.
 */
static void labeled_charts(struct netdata_writer *w, FILE *out, const struct store *s,
			   const struct module_stats *m, unsigned int mi, uint64_t usec)
{
	struct nd_spec *sp = &w->sp;
	bool done[EBPFMON_MAX_COUNTERS] = {false};
	unsigned int order = 10;
	char joined[192], lname[64], lvalue[192], type[96];

	for (unsigned int i = 0; i < m->nr_defs && i < EBPFMON_MAX_COUNTERS; i++) {
		const struct counter_def *d = &m->defs[i];
		unsigned int pick = i;

		if (done[i] || !d->labeled || !valid_chart(d->netdata_chart) ||
		    !store_def_visible(s, m, d))
			continue;
		for (unsigned int k = i; k < m->nr_defs && k < EBPFMON_MAX_COUNTERS; k++) {
			if (!m->defs[k].labeled ||
			    strcmp(m->defs[k].netdata_chart, d->netdata_chart) ||
			    !store_def_visible(s, m, &m->defs[k]))
				continue;
			done[k] = true;
			if (m->defs[k].ns_as_seconds && !m->defs[pick].ns_as_seconds)
				pick = k;
		}
		d = &m->defs[pick];
		if (d->kind == HISTOGRAM) {
			snprintf(type, sizeof(type), "%s", d->netdata_chart);
			*strchr(type, '.') = '_';
			for (size_t r = 0; r < m->nr_rows; r++) {
				const struct hist_value *h = store_row_hist(m, r, pick);
				char rid[ND_ID_MAX + 1];

				if (!h)
					continue;
				row_values(m->rows[r].labels, joined, sizeof(joined), lname,
					   sizeof(lname), lvalue, sizeof(lvalue));
				netdata_clean_id(rid, sizeof(rid), joined);
				spec_reset(sp);
				snprintf(sp->id, sizeof(sp->id), "%s.%s", type, rid);
				sp->title = d->help;
				sp->units = "calls/s";
				sp->family = joined;
				sp->context = d->netdata_chart;
				sp->charttype = "stacked";
				sp->module = m->name;
				sp->priority = 21000 + (int)mi * 20 + (int)order;
				if (lname[0]) {
					sp->label_name = lname;
					sp->label_value = lvalue;
				}
				for (unsigned int k = 0; k <= d->nr_le && k < ND_MAX_DIMS; k++) {
					struct nd_dim *dim = &sp->dims[sp->nr_dims++];

					bucket_id(dim->id, sizeof(dim->id), d, k);
					dim->name[0] = 0;
					dim->algorithm = "incremental";
					dim->mult = 1;
					dim->div = 1;
					dim->value = h->buckets[k];
				}
				emit(w, out, sp, usec);
			}
			order++;
			continue;
		}
		spec_reset(sp);
		snprintf(sp->id, sizeof(sp->id), "%s", d->netdata_chart);
		sp->title = d->help;
		sp->units = d->ns_as_seconds ? "milliseconds" : "calls/s";
		sp->family = m->name;
		sp->context = d->netdata_chart;
		sp->charttype = "stacked";
		sp->module = m->name;
		sp->priority = 21000 + (int)mi * 20 + (int)order++;
		for (size_t r = 0; r < m->nr_rows && sp->nr_dims < ND_MAX_DIMS; r++) {
			struct nd_dim *dim = &sp->dims[sp->nr_dims];
			bool dup = false;

			row_values(m->rows[r].labels, joined, sizeof(joined), lname, sizeof(lname),
				   lvalue, sizeof(lvalue));
			netdata_clean_id(dim->id, sizeof(dim->id), joined);
			dim->name[0] = 0;
			for (unsigned int k = 0; k < sp->nr_dims && !dup; k++)
				dup = !strcmp(sp->dims[k].id, dim->id);
			if (dup)
				continue; /* two rows with one id: the first one's */
			dim->algorithm = d->kind == COUNTER_TOTAL ? "incremental" : "absolute";
			dim->mult = 1;
			dim->div = d->ns_as_seconds ? 1000000ul : 1;
			dim->value = store_value(m, pick, m->rows[r].v);
			sp->nr_dims++;
		}
		if (sp->nr_dims)
			emit(w, out, sp, usec);
	}
}

enum scope { SCOPE_APP, SCOPE_CGROUP, SCOPE_SERVICE };

/*
 * The per-application, per-cgroup or per-service charts of series @set:
 * one chart per series and context, the defs of one context as its
 * dimensions ("calls" or "bytes" when it has one, as Netdata names them).
 */
static void series_charts(struct netdata_writer *w, FILE *out, const struct store *s,
			  const struct module_stats *m, unsigned int mi,
			  const struct series_set *set, enum scope scope, uint64_t usec)
{
	const char *ctx[EBPFMON_MAX_COUNTERS];
	char cg_ctx[EBPFMON_MAX_COUNTERS][96];

	for (unsigned int i = 0; i < m->nr_defs && i < EBPFMON_MAX_COUNTERS; i++) {
		const struct counter_def *d = &m->defs[i];
		const char *c = NULL;

		if (broken_down_def(s, m, d)) {
			if (scope == SCOPE_APP)
				c = valid_chart(d->netdata_app_chart) ? d->netdata_app_chart : NULL;
			else
				c = cgroup_meta_service_context(d->netdata_app_chart,
								d->netdata_chart);
		}
		if (c && *c && scope == SCOPE_CGROUP) {
			snprintf(cg_ctx[i], sizeof(cg_ctx[i]), "cgroup.%s", after_last_dot(c));
			c = cg_ctx[i];
		}
		ctx[i] = c && *c ? c : NULL;
	}
	for (size_t r = 0; r < set->nr; r++) {
		const struct series *row = &set->rows[r];
		char name[ND_ID_MAX + 1];
		bool done[EBPFMON_MAX_COUNTERS] = {false};
		unsigned int order = 0;

		netdata_clean_id(name, sizeof(name),
				 row->label[0] == '/' && row->label[1] ? row->label + 1
								       : row->label);
		for (unsigned int i = 0; i < m->nr_defs && i < EBPFMON_MAX_COUNTERS; i++) {
			struct nd_spec *sp = &w->sp;

			if (done[i] || !ctx[i])
				continue;
			spec_reset(sp);
			switch (scope) {
			case SCOPE_APP:
				snprintf(sp->id, sizeof(sp->id), "app.%s_%s", name,
					 after_dot(ctx[i]));
				sp->label_name = "app_group";
				sp->priority = 20000;
				break;
			case SCOPE_CGROUP:
				snprintf(sp->id, sizeof(sp->id), "cgroup_%s.%s", name,
					 after_last_dot(ctx[i]));
				sp->label_name = "cgroup_name";
				sp->priority = 45000;
				break;
			case SCOPE_SERVICE:
				snprintf(sp->id, sizeof(sp->id), "systemd_%s.%s", name,
					 after_last_dot(ctx[i]));
				sp->label_name = "service_name";
				sp->priority = 30000;
				break;
			}
			sp->label_value = row->label;
			sp->priority += (int)mi * 20 + (int)order++;
			sp->title = m->defs[i].help;
			sp->units = units_of(&m->defs[i]);
			sp->family = m->name;
			sp->context = ctx[i];
			sp->charttype = "stacked";
			sp->module = m->name;
			for (unsigned int k = i; k < m->nr_defs && k < EBPFMON_MAX_COUNTERS; k++) {
				if (done[k] || !ctx[k] || strcmp(ctx[k], ctx[i]))
					continue;
				done[k] = true;
				dim_set(&sp->dims[sp->nr_dims++], m, k, row->v, NULL);
			}
			if (sp->nr_dims == 1 && m->defs[i].kind == COUNTER_TOTAL)
				snprintf(sp->dims[0].id, sizeof(sp->dims[0].id), "%s",
					 is_bytes(&m->defs[i]) ? "bytes" : "calls");
			emit(w, out, sp, usec);
		}
	}
}

/* Charts that were not sent in this render: defined again as obsolete, and forgotten. */
static void obsolete_gone(struct netdata_writer *w, FILE *out)
{
	for (size_t b = 0; b < ND_BUCKETS; b++) {
		struct nd_chart **p = &w->buckets[b];

		while (*p) {
			struct nd_chart *c = *p;

			if (c->gen == w->gen) {
				p = &c->next;
				continue;
			}
			if (c->line)
				fprintf(out, "%s 'obsolete' '%s' '%s'\n", c->line, ND_PLUGIN,
					c->module);
			*p = c->next;
			free(c->line);
			free(c);
		}
	}
}

int netdata_render(struct netdata_writer *w, const struct store *s, uint64_t usec, FILE *out)
{
	w->gen++;
	w->oom = false;
	for (unsigned int mi = 0; mi < s->nr_modules; mi++) {
		const struct module_stats *m = &s->mods[mi];
		struct series_set set = {0};

		if (m->state != MODULE_UP)
			continue;
		host_charts(w, out, s, m, mi, usec);
		labeled_charts(w, out, s, m, mi, usec);
		if (store_module_apps(s, m)) {
			if (series_apps(&set, m))
				w->oom = true;
			series_charts(w, out, s, m, mi, &set, SCOPE_APP, usec);
			series_free(&set);
		}
		if (store_module_cgroups(s, m)) {
			memset(&set, 0, sizeof(set));
			if (series_cgroups(&set, m, s))
				w->oom = true;
			series_charts(w, out, s, m, mi, &set, SCOPE_CGROUP, usec);
			series_free(&set);
			memset(&set, 0, sizeof(set));
			if (series_services(&set, m))
				w->oom = true;
			series_charts(w, out, s, m, mi, &set, SCOPE_SERVICE, usec);
			series_free(&set);
		}
	}
	/* Out of memory: some charts were not sent; keep them rather than obsolete them. */
	if (!w->oom)
		obsolete_gone(w, out);
	return ferror(out) || w->oom ? -1 : 0;
}
