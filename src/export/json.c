// SPDX-License-Identifier: GPL-2.0
/*
 * The store as one JSON document on one line (so successive snapshots form
 * JSON Lines). Numbers are unsigned 64-bit integers written in full; readers
 * that use doubles lose precision above 2^53, which a byte counter reaches
 * only after petabytes.
 *
 * Strings: any byte sequence that is not valid UTF-8 (a comm may hold any
 * byte) is replaced by U+FFFD, as in the Prometheus output, so that both
 * outputs name an application the same way. Control characters are written
 * as \u00XX (or \n, \r, \t).
 *
 * Like the Prometheus output this can run for thousands of rows, so it writes
 * with unlocked stdio calls under one flockfile().
 */
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "export/common.h"
#include "export/json.h"

static const char *const state_names[] = {
	[MODULE_DISABLED] = "disabled",
	[MODULE_UNAVAILABLE] = "unavailable",
	[MODULE_FAILED] = "failed",
	[MODULE_UP] = "up",
};

static void put_str(FILE *out, const char *s)
{
	fputs_unlocked(s, out);
}

static void put_escape(FILE *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[] = "\\u00XX";

	switch (c) {
	case '"':
		put_str(out, "\\\"");
		return;
	case '\\':
		put_str(out, "\\\\");
		return;
	case '\n':
		put_str(out, "\\n");
		return;
	case '\r':
		put_str(out, "\\r");
		return;
	case '\t':
		put_str(out, "\\t");
		return;
	}
	u[4] = hex[c >> 4];
	u[5] = hex[c & 15];
	put_str(out, u);
}

/* Bytes written as they are: printable ASCII except the quote and the backslash. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A JSON string of the first @len bytes of @s. */
void json_put_string_n(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, n;

	putc_unlocked('"', out);
	while (i < len) {
		for (run = i; run < len && plain(p[run]); run++)
			;
		fwrite_unlocked(p + i, 1, run - i, out);
		i = run;
		if (i == len)
			break;
		if (p[i] < 0x80) {
			put_escape(out, p[i++]);
			continue;
		}
		n = export_utf8_len(p + i, len - i);
		if (n) {
			fwrite_unlocked(p + i, 1, n, out);
			i += n;
		} else {
			put_str(out, "\\ufffd");
			i++;
		}
	}
	putc_unlocked('"', out);
}

void json_put_string(FILE *out, const char *s)
{
	json_put_string_n(out, s, strlen(s));
}

/* "key": with a leading comma unless @first. */
static void put_key(FILE *out, const char *key, bool first)
{
	if (!first)
		putc_unlocked(',', out);
	json_put_string(out, key);
	putc_unlocked(':', out);
}

static void put_bool(FILE *out, const char *key, bool v)
{
	put_key(out, key, false);
	put_str(out, v ? "true" : "false");
}

static void put_number(FILE *out, const char *key, uint64_t v, bool first)
{
	put_key(out, key, first);
	export_put_u64(out, v);
}

/*
 * The histograms of labeled row @r: "<def>":{"count":N,"sum":S,"bounds":[..],
 * "buckets":[..]}: sum and bounds in seconds, buckets per bucket (not
 * cumulative), one more than bounds (the last is above the last bound).
 */
static void put_row_hists(FILE *out, const struct store *s, const struct module_stats *m,
			  size_t r)
{
	for (unsigned int i = 0; i < m->nr_defs; i++) {
		const struct counter_def *d = &m->defs[i];
		const struct hist_value *h = store_row_hist(m, r, i);

		if (!h || !store_def_visible(s, m, d))
			continue;
		put_key(out, d->name, false);
		putc_unlocked('{', out);
		put_number(out, "count", store_hist_count(d, h), true);
		put_key(out, "sum", false);
		export_put_seconds(out, h->sum_ns);
		put_key(out, "bounds", false);
		putc_unlocked('[', out);
		for (unsigned int b = 0; b < d->nr_le; b++) {
			if (b)
				putc_unlocked(',', out);
			export_put_seconds(out, d->le_ns[b]);
		}
		put_str(out, "]");
		put_key(out, "buckets", false);
		putc_unlocked('[', out);
		for (unsigned int b = 0; b <= d->nr_le; b++) {
			if (b)
				putc_unlocked(',', out);
			export_put_u64(out, h->buckets[b]);
		}
		put_str(out, "]}");
	}
}

/*
 * "<def>":N,... for the visible defs of @m over counters @v; for a breakdown
 * (@host false) without the host-only gauges. A family of defs told apart by
 * a fixed label is one object: "calls_total":{"sync":N,"fsync":N,...}.
 */
static void put_values_of(FILE *out, const struct store *s, const struct module_stats *m,
			  const uint64_t *v, bool first, bool host, bool labeled_only)
{
	for (unsigned int i = 0, end; i < m->nr_defs; i = end) {
		bool opened = false;

		end = store_family_end(m, i);
		if (m->defs[i].kind == HISTOGRAM || (!host && !store_def_broken_down(&m->defs[i])))
			continue;
		for (unsigned int k = i; k < end; k++) {
			const struct counter_def *d = &m->defs[k];

			if (!store_def_visible(s, m, d) || (labeled_only && !d->labeled))
				continue;
			if (!d->fixed_label) {
				put_key(out, d->name, first);
				export_put_value(out, d, store_value(m, k, v));
				first = false;
				continue;
			}
			if (!opened) {
				put_key(out, d->name, first);
				putc_unlocked('{', out);
				first = false;
			}
			put_key(out, d->fixed_value, !opened);
			export_put_value(out, d, store_value(m, k, v));
			opened = true;
		}
		if (opened)
			putc_unlocked('}', out);
	}
}

static void put_values(FILE *out, const struct store *s, const struct module_stats *m,
		       const uint64_t *v, bool first, bool host)
{
	put_values_of(out, s, m, v, first, host, false);
}

struct json_pairs {
	FILE *out;
	bool first;
};

static void put_json_pair(void *arg, const char *name, const char *value)
{
	struct json_pairs *jp = arg;

	put_key(jp->out, name, jp->first);
	json_put_string(jp->out, value);
	jp->first = false;
}

/*
 * {"<label>":{values},...}; a cgroup's with "labels":{"service":..,...}
 * first: what its path names (service, container, pod), {} when nothing.
 */
static void put_series(FILE *out, const struct store *s, const struct module_stats *m,
		       const struct series_set *set)
{
	putc_unlocked('{', out);
	for (size_t r = 0; r < set->nr; r++) {
		bool first = true;

		put_key(out, set->rows[r].label, r == 0);
		putc_unlocked('{', out);
		if (set->rows[r].cg) {
			struct json_pairs jp = { out, true };

			put_key(out, "labels", true);
			putc_unlocked('{', out);
			series_cgroup_pairs(set->rows[r].cg, put_json_pair, &jp);
			putc_unlocked('}', out);
			first = false;
		}
		put_values(out, s, m, set->rows[r].v, first, false);
		putc_unlocked('}', out);
	}
	putc_unlocked('}', out);
}

static int pid_cmp(const void *a, const void *b)
{
	uint32_t x = (*(const struct pid_row *const *)a)->pid;
	uint32_t y = (*(const struct pid_row *const *)b)->pid;

	return (x > y) - (x < y);
}

/* [{"pid":N,"comm":"..",<defs>},...] sorted by pid. */
static int put_pids(FILE *out, const struct store *s, const struct module_stats *m)
{
	const struct pid_row **rows = malloc((m->nr_pids ? m->nr_pids : 1) * sizeof(*rows));

	if (!rows)
		return -1;
	for (size_t i = 0; i < m->nr_pids; i++)
		rows[i] = &m->pids[i];
	qsort(rows, m->nr_pids, sizeof(*rows), pid_cmp);
	putc_unlocked('[', out);
	for (size_t i = 0; i < m->nr_pids; i++) {
		if (i)
			putc_unlocked(',', out);
		putc_unlocked('{', out);
		put_number(out, "pid", rows[i]->pid, true);
		put_key(out, "comm", false);
		json_put_string_n(out, rows[i]->comm, strnlen(rows[i]->comm, sizeof(rows[i]->comm)));
		put_values(out, s, m, rows[i]->v, false, false);
		putc_unlocked('}', out);
	}
	putc_unlocked(']', out);
	free(rows);
	return 0;
}

static int put_breakdowns(FILE *out, const struct store *s, const struct module_stats *m)
{
	struct series_set set;

	if (store_module_apps(s, m)) {
		if (series_apps(&set, m))
			return -1;
		put_key(out, "apps", false);
		put_series(out, s, m, &set);
		series_free(&set);
	}
	if (store_module_cgroups(s, m)) {
		if (series_cgroups(&set, m, s))
			return -1;
		put_key(out, "cgroups", false);
		put_series(out, s, m, &set);
		series_free(&set);
		if (series_services(&set, m))
			return -1;
		put_key(out, "services", false);
		put_series(out, s, m, &set);
		series_free(&set);
	}
	return 0;
}

/*
 * "state" and "reason" for every module; the counters only for a module that
 * is up, since the others have none.
 */
static int put_module(FILE *out, const struct store *s, const struct module_stats *m, bool pids)
{
	putc_unlocked('{', out);
	put_key(out, "state", true);
	json_put_string(out, m->state <= MODULE_UP ? state_names[m->state] : "unknown");
	put_key(out, "reason", false);
	json_put_string_n(out, m->reason, strnlen(m->reason, sizeof(m->reason)));
	if (m->state == MODULE_UP) {
		put_key(out, "hooks", false);
		putc_unlocked('{', out);
		for (unsigned int h = 0; h < m->nr_hooks; h++) {
			put_key(out, m->hooks[h].hook, h == 0);
			json_put_string(out, m->hooks[h].impl);
		}
		putc_unlocked('}', out);
		put_key(out, "host", false);
		putc_unlocked('{', out);
		put_values(out, s, m, m->host, true, true);
		putc_unlocked('}', out);
		if (put_breakdowns(out, s, m))
			return -1;
		if (m->nr_rows) {
			/* Labeled series (e.g. flows per iface, direction, protocol). */
			put_key(out, "series", false);
			putc_unlocked('[', out);
			for (size_t r = 0; r < m->nr_rows; r++) {
				putc_unlocked(r ? ',' : ' ', out);
				putc_unlocked('{', out);
				put_key(out, "labels", true);
				json_put_string(out, m->rows[r].labels);
				/* Only what rows hold: a host-only counter is not per row. */
				put_values_of(out, s, m, m->rows[r].v, false, true, true);
				put_row_hists(out, s, m, r);
				putc_unlocked('}', out);
			}
			putc_unlocked(']', out);
		}
		if (pids) {
			put_key(out, "pids", false);
			if (put_pids(out, s, m))
				return -1;
		}
		put_key(out, "lost", false);
		putc_unlocked('{', out);
		put_number(out, "pid_table_full", m->lost_pid_table_full, true);
		put_number(out, "cgroup_table_full", m->lost_cgroup_table_full, false);
		if (m->own_table) {
			char key[48];

			snprintf(key, sizeof(key), "%s_table_full", m->own_table);
			put_number(out, key, m->lost_own_table_full, false);
		}
		putc_unlocked('}', out);
	}
	putc_unlocked('}', out);
	return 0;
}

/* The agent's own numbers: what Prometheus has as ebpfmon_* self metrics. */
static void put_self(FILE *out, const struct store *s)
{
	put_key(out, "self", false);
	fprintf(out, "{\"last_collection_seconds\":%.6f,\"collection_seconds_sum\":%.6f,"
		     "\"cpu_user_seconds\":%.6f,\"cpu_system_seconds\":%.6f,",
		s->collect_seconds, s->collect_sum, s->cpu_user_seconds, s->cpu_system_seconds);
	put_number(out, "resident_memory_bytes", s->rss_bytes, true);
	put_key(out, "maps", false);
	putc_unlocked('[', out);
	for (unsigned int i = 0; i < s->nr_kmem; i++) {
		const struct map_mem *mm = &s->kmem[i];

		putc_unlocked(i ? ',' : '{', out);
		if (i)
			putc_unlocked('{', out);
		put_key(out, "module", true);
		json_put_string(out, mm->module);
		put_key(out, "map", false);
		json_put_string(out, mm->map);
		put_number(out, "bytes", mm->bytes, false);
		if (mm->entries >= 0) {
			put_number(out, "entries", (uint64_t)mm->entries, false);
			put_number(out, "max_entries", mm->max_entries, false);
		}
		putc_unlocked('}', out);
	}
	put_str(out, "]}");
}

int json_render(const struct store *s, FILE *out, bool pids)
{
	int err = 0;

	flockfile(out);
	putc_unlocked('{', out);
	put_key(out, "version", true);
	json_put_string(out, EBPFMON_VERSION);
	put_number(out, "collections", s->collections, false);
	put_bool(out, "apps", s->apps);
	put_bool(out, "cgroups", s->cgroups);
	put_self(out, s);
	put_key(out, "modules", false);
	putc_unlocked('{', out);
	for (unsigned int i = 0; i < s->nr_modules && !err; i++) {
		put_key(out, s->mods[i].name, i == 0);
		err = put_module(out, s, &s->mods[i], pids);
	}
	put_str(out, "}}\n");
	funlockfile(out);
	if (fflush(out) || ferror(out))
		err = -1;
	return err;
}
