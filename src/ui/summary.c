// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "ui/summary.h"

#define TOP_APPS 5

/* The previous host readings, to show rates; the summary has one caller. */
static uint64_t prev_host[STORE_MAX_MODULES][EBPFMON_MAX_COUNTERS];

static const struct module_stats *sort_mod;

static uint64_t app_total(const struct app_row *r)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < sort_mod->nr_counters; i++)
		if (!strstr(sort_mod->defs[i].name, "bytes"))
			t += r->v[i];
	return t;
}

static int by_activity(const void *a, const void *b)
{
	uint64_t x = app_total(*(const struct app_row *const *)a);
	uint64_t y = app_total(*(const struct app_row *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

static void print_top_apps(const struct module_stats *m, FILE *out)
{
	const struct app_row **rows;
	size_t n = m->nr_apps;

	if (!n)
		return;
	rows = malloc(n * sizeof(*rows));
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		rows[i] = &m->apps[i];
	sort_mod = m;
	qsort(rows, n, sizeof(*rows), by_activity);
	fprintf(out, "    top apps:");
	for (size_t i = 0; i < n && i < TOP_APPS; i++)
		fprintf(out, " %s(%" PRIu64 ")", rows[i]->name, app_total(rows[i]));
	fputc('\n', out);
	free(rows);
}

/* A histogram in one item: observations over every row, and their mean. */
static void print_hist(const struct module_stats *m, unsigned int i, FILE *out)
{
	uint64_t n = 0, sum_ns = 0;

	for (size_t r = 0; r < m->nr_rows; r++) {
		const struct hist_value *h = store_row_hist(m, r, i);

		n += store_hist_count(&m->defs[i], h);
		sum_ns += h->sum_ns;
	}
	fprintf(out, ": count=%" PRIu64 " mean=%.3fms", n, n ? sum_ns / 1e6 / (double)n : 0.0);
}

void summary_print(const struct store *s, FILE *out, unsigned int interval)
{
	fprintf(out, "\033[H\033[J"); /* home, clear: redraw in place */
	fprintf(out, "ebpfmon %s  collections %" PRIu64 "  (totals since start, /s over %us)\n\n",
		EBPFMON_VERSION, s->collections, interval);
	for (unsigned int mi = 0; mi < s->nr_modules; mi++) {
		const struct module_stats *m = &s->mods[mi];

		if (m->state != MODULE_UP) {
			fprintf(out, "%-8s %s%s%s\n", m->name,
				m->state == MODULE_DISABLED ? "disabled" : "not running",
				m->reason[0] ? ": " : "", m->reason);
			continue;
		}
		fprintf(out, "%-8s", m->name);
		for (unsigned int i = 0; i < m->nr_defs; i++) {
			uint64_t v = store_value(m, i, m->host);

			if (!store_def_visible(s, m, &m->defs[i]))
				continue;
			fprintf(out, "%s%s", i % 3 ? "  " : "\n  ", m->defs[i].name);
			if (m->defs[i].fixed_label)
				fprintf(out, "{%s}", m->defs[i].fixed_value);
			if (m->defs[i].kind == HISTOGRAM) {
				print_hist(m, i, out);
			} else if (m->defs[i].ns_as_seconds && m->defs[i].kind != COUNTER_TOTAL) {
				fprintf(out, "=%.3f", v / 1e9); /* a fraction in billionths (a ratio) */
			} else if (m->defs[i].ns_as_seconds) {
				/* Nanoseconds stored; seconds shown, the rate as a share of one CPU. */
				double rate = (double)(v - prev_host[mi][i]) / 1e9 / (interval ? interval : 1);

				fprintf(out, "=%.3f (%.4f/s)", v / 1e9, rate);
				prev_host[mi][i] = v;
			} else if (m->defs[i].kind == COUNTER_TOTAL) {
				uint64_t rate = (v - prev_host[mi][i]) / (interval ? interval : 1);

				fprintf(out, "=%" PRIu64 " (%" PRIu64 "/s)", v, rate);
				prev_host[mi][i] = v;
			} else {
				fprintf(out, "=%" PRIu64, v);
			}
		}
		fputc('\n', out);
		if (store_module_apps(s, m))
			print_top_apps(m, out);
		if (m->lost_pid_table_full || m->lost_cgroup_table_full)
			fprintf(out, "    lost events: pid table full %" PRIu64 ", cgroup table full %" PRIu64 "\n",
				m->lost_pid_table_full, m->lost_cgroup_table_full);
	}
	fflush(out);
}
