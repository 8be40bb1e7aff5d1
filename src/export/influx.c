// SPDX-License-Identifier: GPL-2.0
/* InfluxDB line protocol from the store: see influx.h for the mapping and the escaping. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "export/common.h"
#include "export/influx.h"

#define MEASUREMENT_SPECIAL ", "
#define KEY_SPECIAL	    ",= "

uint64_t influx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * The first @len bytes of @s with the characters of @special escaped. A
 * backslash that would escape the next character (or the separator after the
 * value) is doubled; one before any other character stays single, as parsers
 * read it literally there.
 */
static void put_escaped(FILE *out, const char *s, size_t len, const char *special)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_control(c)) {
			putc_unlocked('?', out);
			continue;
		}
		if (c == '\\') {
			unsigned char next = i + 1 < len ? (unsigned char)s[i + 1] : 0;

			if (!next || next == '\\' || strchr(special, next))
				putc_unlocked('\\', out);
			putc_unlocked('\\', out);
			continue;
		}
		if (strchr(special, c))
			putc_unlocked('\\', out);
		putc_unlocked(c, out);
	}
}

void influx_put_measurement(FILE *out, const char *s)
{
	put_escaped(out, s, strlen(s), MEASUREMENT_SPECIAL);
}

void influx_put_key(FILE *out, const char *s, size_t len)
{
	put_escaped(out, s, len, KEY_SPECIAL);
}

void influx_put_tag(FILE *out, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	putc_unlocked(',', out);
	influx_put_key(out, key, strlen(key));
	putc_unlocked('=', out);
	influx_put_key(out, value, strlen(value));
}

void influx_put_string(FILE *out, const char *s)
{
	putc_unlocked('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			putc_unlocked('\\', out);
		putc_unlocked(is_control(c) ? '?' : c, out);
	}
	putc_unlocked('"', out);
}

/* An integer field value: line protocol's integers are signed 64-bit. */
static void put_int(FILE *out, uint64_t v)
{
	export_put_u64(out, v > INT64_MAX ? INT64_MAX : v);
	putc_unlocked('i', out);
}

/* Tags from a labeled row's labels, rendered for Prometheus: name="value",... */
static void put_prom_labels(FILE *out, const char *labels)
{
	char val[sizeof(((struct labeled_row *)0)->labels)];
	const char *p = labels;

	while (*p) {
		const char *eq = strchr(p, '='), *q;
		size_t n = 0;

		if (!eq || eq[1] != '"')
			return;
		for (q = eq + 2; *q && *q != '"' && n < sizeof(val) - 1; n++) {
			if (*q == '\\' && q[1]) {
				val[n] = q[1] == 'n' ? '\n' : q[1];
				q += 2;
			} else {
				val[n] = *q++;
			}
		}
		if (n) {
			putc_unlocked(',', out);
			influx_put_key(out, p, (size_t)(eq - p));
			putc_unlocked('=', out);
			influx_put_key(out, val, n);
		}
		if (*q != '"')
			return;
		q++;
		if (*q == ',')
			q++;
		p = q;
	}
}

/* One line's identity: measurement parts and tags. */
struct line {
	const char *scope;		       /* "", "app_", "cgroup_" */
	const char *label;		       /* "app", "cgroup" or NULL */
	const char *value;		       /* the row's label value */
	const char *labels;		       /* a labeled row's Prometheus labels, or NULL */
	long row;			       /* a labeled row's index (histograms), -1 for none */
	const char *fixed_label, *fixed_value; /* the defs of this line, NULL: plain defs */
	const struct cgroup_labels *cg;	       /* a cgroup row's service, container, pod */
	const uint64_t *v;
	uint64_t ts;
};

static void put_pair_tag(void *arg, const char *name, const char *value)
{
	influx_put_tag(arg, name, value);
}

/* Whether def @d is a field of line @l (its scope, row kind and fixed label). */
static bool def_in_line(const struct store *s, const struct module_stats *m,
			const struct counter_def *d, const struct line *l)
{
	if (!store_def_visible(s, m, d))
		return false;
	if (!d->fixed_label != !l->fixed_label)
		return false;
	if (d->fixed_label &&
	    (strcmp(d->fixed_label, l->fixed_label) || strcmp(d->fixed_value, l->fixed_value)))
		return false;
	if (l->label)
		return d->kind != HISTOGRAM && store_def_broken_down(d);
	return d->labeled == (l->labels != NULL);
}

/* The def's name without _total and @suffix, as a field key; then '=' unless @more. */
static void put_field_key(FILE *out, const char *name, const char *suffix, bool more)
{
	size_t len = strlen(name);

	if (len > 6 && !strcmp(name + len - 6, "_total"))
		len -= 6;
	influx_put_key(out, name, len);
	if (suffix)
		influx_put_key(out, suffix, strlen(suffix));
	if (!more)
		putc_unlocked('=', out);
}

static void put_hist_fields(FILE *out, const struct counter_def *d, const struct hist_value *h)
{
	uint64_t cum = 0;

	put_field_key(out, d->name, "_count", false);
	put_int(out, store_hist_count(d, h));
	putc_unlocked(',', out);
	put_field_key(out, d->name, "_sum", false);
	export_put_seconds(out, h->sum_ns);
	for (unsigned int b = 0; b <= d->nr_le; b++) {
		cum += h->buckets[b];
		putc_unlocked(',', out);
		put_field_key(out, d->name, "_le_", true);
		if (b == d->nr_le) {
			fputs_unlocked("inf", out);
		} else {
			export_put_seconds(out, d->le_ns[b]); /* digits and a point: no escape */
		}
		putc_unlocked('=', out);
		put_int(out, cum);
	}
}

/* Line @l of module @m, when it has a field at all. */
static void put_line(FILE *out, const struct store *s, const struct module_stats *m,
		     const struct line *l)
{
	bool first = true;
	char meas[128];

	for (unsigned int k = 0; k < m->nr_defs; k++) {
		const struct counter_def *d = &m->defs[k];

		if (!def_in_line(s, m, d, l))
			continue;
		if (first) {
			snprintf(meas, sizeof(meas), "ebpfmon_%s%s", l->scope, m->name);
			influx_put_measurement(out, meas);
			if (l->label)
				influx_put_tag(out, l->label, l->value);
			if (l->cg)
				series_cgroup_pairs(l->cg, put_pair_tag, out);
			if (l->labels)
				put_prom_labels(out, l->labels);
			if (l->fixed_label)
				influx_put_tag(out, l->fixed_label, l->fixed_value);
			putc_unlocked(' ', out);
			first = false;
		} else {
			putc_unlocked(',', out);
		}
		if (d->kind == HISTOGRAM) {
			put_hist_fields(out, d, store_row_hist(m, (size_t)l->row, k));
			continue;
		}
		put_field_key(out, d->name, NULL, false);
		if (d->ns_as_seconds)
			export_put_seconds(out, store_value(m, k, l->v));
		else
			put_int(out, store_value(m, k, l->v));
	}
	if (first)
		return;
	putc_unlocked(' ', out);
	export_put_u64(out, l->ts);
	putc_unlocked('\n', out);
}

/* The plain defs' line, then one per fixed label value (in the order of the defs). */
static void put_lines(FILE *out, const struct store *s, const struct module_stats *m,
		      struct line *l)
{
	l->fixed_label = l->fixed_value = NULL;
	put_line(out, s, m, l);
	for (unsigned int k = 0; k < m->nr_defs; k++) {
		const struct counter_def *d = &m->defs[k];
		bool seen = false;

		if (!d->fixed_label)
			continue;
		for (unsigned int j = 0; j < k && !seen; j++)
			seen = m->defs[j].fixed_label &&
			       !strcmp(m->defs[j].fixed_label, d->fixed_label) &&
			       !strcmp(m->defs[j].fixed_value, d->fixed_value);
		if (seen)
			continue;
		l->fixed_label = d->fixed_label;
		l->fixed_value = d->fixed_value;
		put_line(out, s, m, l);
	}
}

static void put_set(FILE *out, const struct store *s, const struct module_stats *m,
		    const struct series_set *set, const char *scope, const char *label, uint64_t ts)
{
	for (size_t r = 0; r < set->nr; r++) {
		struct line l = {.scope = scope,
				 .label = label,
				 .value = set->rows[r].label,
				 .row = -1,
				 .cg = set->rows[r].cg,
				 .v = set->rows[r].v,
				 .ts = ts};

		put_lines(out, s, m, &l);
	}
}

static int put_module(FILE *out, const struct store *s, const struct module_stats *m, uint64_t ts)
{
	struct series_set apps = {0}, cgroups = {0}, services = {0};
	struct line host = {.scope = "", .row = -1, .v = m->host, .ts = ts};

	put_lines(out, s, m, &host);
	for (size_t r = 0; r < m->nr_rows; r++) {
		struct line l = {.scope = "",
				 .labels = m->rows[r].labels,
				 .row = (long)r,
				 .v = m->rows[r].v,
				 .ts = ts};

		put_lines(out, s, m, &l);
	}
	if (store_module_apps(s, m)) {
		if (series_apps(&apps, m))
			return -1;
		put_set(out, s, m, &apps, "app_", "app", ts);
		series_free(&apps);
	}
	if (store_module_cgroups(s, m)) {
		if (series_cgroups(&cgroups, m, s))
			return -1;
		put_set(out, s, m, &cgroups, "cgroup_", "cgroup", ts);
		series_free(&cgroups);
		if (series_services(&services, m))
			return -1;
		put_set(out, s, m, &services, "service_", "service", ts);
		series_free(&services);
	}
	return 0;
}

int influx_render(const struct store *s, FILE *out, uint64_t ts_ns)
{
	int err = 0;

	flockfile(out);
	for (unsigned int i = 0; i < s->nr_modules && !err; i++)
		if (s->mods[i].state == MODULE_UP)
			err = put_module(out, s, &s->mods[i], ts_ns);
	if (!err) {
		fputs_unlocked("ebpfmon collections=", out);
		put_int(out, s->collections);
		if (s->push.on) {
			fputs_unlocked(",push_sent=", out);
			put_int(out, s->push.sent);
			fputs_unlocked(",push_failed=", out);
			put_int(out, s->push.failed);
			fputs_unlocked(",push_dropped=", out);
			put_int(out, s->push.dropped);
		}
		putc_unlocked(' ', out);
		export_put_u64(out, ts_ns);
		putc_unlocked('\n', out);
	}
	funlockfile(out);
	if (fflush(out) || ferror(out))
		err = -1;
	return err;
}
