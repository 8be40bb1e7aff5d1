// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition format 0.0.4. Runs on every scrape and a store
 * can hold thousands of applications, so numbers are formatted by hand and the
 * text goes out with unlocked stdio calls under one flockfile().
 */
#include <bpf/libbpf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/version.h"
#include "export/prometheus.h"
#include "export/common.h"

/* One breakdown of a def: the host, per application or per cgroup. */
struct scope {
	const char *prefix; /* after "ebpfmon_" */
	const char *label;  /* label name, NULL for the host */
	const char *help;   /* appended to the def's help text */
};

static const struct scope scope_host = { "", NULL, "" };
static const struct scope scope_app = { "app_", "app", " (per application)" };
static const struct scope scope_cgroup = { "cgroup_", "cgroup", " (per cgroup)" };
static const struct scope scope_service = { "service_", "service", " (per systemd service)" };

static void put_str(FILE *out, const char *s)
{
	fputs_unlocked(s, out);
}

/* HELP text escapes backslash and newline; label values also the double quote. */
static void put_escaped(FILE *out, const char *s, bool label)
{
	const char *special = label ? "\\\"\n" : "\\\n";
	size_t n;

	for (;;) {
		n = strcspn(s, special);
		fwrite_unlocked(s, 1, n, out);
		s += n;
		if (!*s)
			return;
		putc_unlocked('\\', out);
		putc_unlocked(*s == '\n' ? 'n' : *s, out);
		s++;
	}
}

static void put_header_type(FILE *out, const char *name, const char *help,
			    const char *help_suffix, const char *type)
{
	put_str(out, "# HELP ");
	put_str(out, name);
	putc_unlocked(' ', out);
	put_escaped(out, help, false);
	put_escaped(out, help_suffix, false);
	put_str(out, "\n# TYPE ");
	put_str(out, name);
	putc_unlocked(' ', out);
	put_str(out, type);
	putc_unlocked('\n', out);
}

static void put_header(FILE *out, const char *name, const char *help, const char *help_suffix,
		       bool counter)
{
	put_header_type(out, name, help, help_suffix, counter ? "counter" : "gauge");
}

/* A def's own label (e.g. call="sync"), with or without one before it. */
struct fixed {
	const char *label, *value;
	bool ns_as_seconds; /* the def's value is nanoseconds, written as seconds */
};
static const struct fixed no_fixed;

static void put_pair_file(void *arg, const char *name, const char *value)
{
	FILE *out = arg;

	putc_unlocked(',', out);
	put_str(out, name);
	put_str(out, "=\"");
	put_escaped(out, value, true);
	putc_unlocked('"', out);
}

/* put_sample() for a line too long for its buffer. */
static void put_sample_slow(FILE *out, const char *name, const char *label, const char *value,
			    const struct cgroup_labels *cg, const struct fixed *fx, uint64_t v)
{
	put_str(out, name);
	if (label || fx->label)
		putc_unlocked('{', out);
	if (label) {
		put_str(out, label);
		put_str(out, "=\"");
		put_escaped(out, value, true);
		putc_unlocked('"', out);
		if (cg)
			series_cgroup_pairs(cg, put_pair_file, out);
	}
	if (fx->label) {
		if (label)
			putc_unlocked(',', out);
		put_str(out, fx->label);
		put_str(out, "=\"");
		put_escaped(out, fx->value, true);
		putc_unlocked('"', out);
	}
	if (label || fx->label)
		putc_unlocked('}', out);
	putc_unlocked(' ', out);
	if (fx->ns_as_seconds) {
		char num[32], *p = export_seconds_digits(num + sizeof(num), v);

		fwrite_unlocked(p, 1, num + sizeof(num) - p, out);
	} else {
		export_put_u64(out, v);
	}
	putc_unlocked('\n', out);
}

/* Escape label value @s into @p (room for 2 * strlen(@s)); returns the end. */
static char *escape_label(char *p, const char *s)
{
	size_t n;

	for (;;) {
		n = strcspn(s, "\\\"\n");
		memcpy(p, s, n);
		p += n;
		s += n;
		if (!*s)
			return p;
		*p++ = '\\';
		*p++ = *s == '\n' ? 'n' : *s;
		s++;
	}
}

/* label="value" at @p; returns the end. */
static char *put_pair(char *p, const char *label, size_t label_len, const char *value)
{
	memcpy(p, label, label_len);
	p += label_len;
	*p++ = '=';
	*p++ = '"';
	p = escape_label(p, value);
	*p++ = '"';
	return p;
}

/* The room a cgroup series' own labels take at most (values doubled by escaping). */
static void count_pair(void *arg, const char *name, const char *value)
{
	*(size_t *)arg += strlen(name) + 2 * strlen(value) + 4;
}

static void put_pair_mem(void *arg, const char *name, const char *value)
{
	char **p = arg;

	*(*p)++ = ',';
	*p = put_pair(*p, name, strlen(name), value);
}

/*
 * name{label="value",<cgroup labels>,fixed="value"} v, without the braces
 * when there is no label. The hot path of a scrape: the line is built in
 * memory and written with one call.
 */
static void put_sample_fx(FILE *out, const char *name, const char *label, const char *value,
			  const struct cgroup_labels *cg, const struct fixed *fx, uint64_t v)
{
	char line[4096], *p = line, *digits;
	size_t name_len = strlen(name), label_len = label ? strlen(label) : 0;
	size_t value_len = value ? strlen(value) : 0;
	size_t fx_len = fx->label ? strlen(fx->label) + 2 * strlen(fx->value) : 0;
	size_t cg_len = 0;
	char num[32];

	if (cg)
		series_cgroup_pairs(cg, count_pair, &cg_len);
	/* Names and labels are short; the value of a label may double when escaped. */
	if (name_len + label_len + 2 * value_len + fx_len + cg_len + 40 > sizeof(line)) {
		put_sample_slow(out, name, label, value, cg, fx, v);
		return;
	}
	memcpy(p, name, name_len);
	p += name_len;
	if (label || fx->label)
		*p++ = '{';
	if (label) {
		p = put_pair(p, label, label_len, value);
		if (cg)
			series_cgroup_pairs(cg, put_pair_mem, &p);
	}
	if (fx->label) {
		if (label)
			*p++ = ',';
		p = put_pair(p, fx->label, strlen(fx->label), fx->value);
	}
	if (label || fx->label)
		*p++ = '}';
	*p++ = ' ';
	digits = fx->ns_as_seconds ? export_seconds_digits(num + sizeof(num), v)
				   : export_u64_digits(num + sizeof(num), v);
	memcpy(p, digits, num + sizeof(num) - digits);
	p += num + sizeof(num) - digits;
	*p++ = '\n';
	fwrite_unlocked(line, 1, p - line, out);
}

/* name_suffix{labels[,le="bound"]} v */
static void put_hist_line(FILE *out, const char *name, const char *suffix, const char *labels,
			  const char *le, const uint64_t *le_ns, uint64_t v, bool seconds)
{
	put_str(out, name);
	put_str(out, suffix);
	putc_unlocked('{', out);
	put_str(out, labels);
	if (le || le_ns) {
		put_str(out, labels[0] ? ",le=\"" : "le=\"");
		if (le)
			put_str(out, le);
		else
			export_put_seconds(out, *le_ns);
		putc_unlocked('"', out);
	}
	put_str(out, "} ");
	if (seconds)
		export_put_seconds(out, v);
	else
		export_put_u64(out, v);
	putc_unlocked('\n', out);
}

/* A HISTOGRAM def: cumulative _bucket lines with +Inf, _sum (seconds), _count, per row. */
static void put_histogram(FILE *out, const struct module_stats *m, unsigned int i)
{
	const struct counter_def *d = &m->defs[i];
	char name[256];

	if (!m->nr_rows)
		return;
	snprintf(name, sizeof(name), "ebpfmon_%s_%s", m->name, d->name);
	put_header_type(out, name, d->help ? d->help : d->name, "", "histogram");
	for (size_t r = 0; r < m->nr_rows; r++) {
		const struct hist_value *h = store_row_hist(m, r, i);
		const char *labels = m->rows[r].labels;
		uint64_t cum = 0;

		for (unsigned int b = 0; b < d->nr_le; b++) {
			cum += h->buckets[b];
			put_hist_line(out, name, "_bucket", labels, NULL, &d->le_ns[b], cum, false);
		}
		cum += h->buckets[d->nr_le];
		put_hist_line(out, name, "_bucket", labels, "+Inf", NULL, cum, false);
		put_hist_line(out, name, "_sum", labels, NULL, NULL, h->sum_ns, true);
		put_hist_line(out, name, "_count", labels, NULL, NULL, cum, false);
	}
}

static void put_sample(FILE *out, const char *name, const char *label, const char *value,
		       uint64_t v)
{
	put_sample_fx(out, name, label, value, NULL, &no_fixed, v);
}

/*
 * One metric family: defs [@i, @end) of @m (more than one when they share a
 * name and tell themselves apart by a fixed label), the host value when @set
 * is NULL, else one sample per row and def.
 */
static void put_family(FILE *out, const struct store *s, const struct module_stats *m,
		       unsigned int i, unsigned int end, const struct scope *sc,
		       const struct series_set *set)
{
	const struct counter_def *d = &m->defs[i];
	bool header = false;
	char name[256];

	if ((set && !set->nr) || (!set && d->labeled && !m->nr_rows))
		return; /* a family without samples says nothing */
	snprintf(name, sizeof(name), "ebpfmon_%s%s_%s", sc->prefix, m->name, d->name);
	for (unsigned int k = i; k < end; k++) {
		const struct counter_def *dk = &m->defs[k];
		struct fixed fx = { dk->fixed_label, dk->fixed_value, dk->ns_as_seconds };

		if (!store_def_visible(s, m, dk))
			continue;
		if (!header) {
			put_header(out, name, d->help ? d->help : d->name, sc->help,
				   d->kind == COUNTER_TOTAL);
			header = true;
		}
		if (!set && dk->labeled) {
			for (size_t r = 0; r < m->nr_rows; r++) {
				fprintf(out, "%s{%s} ", name, m->rows[r].labels);
				export_put_value(out, dk, store_value(m, k, m->rows[r].v));
				putc_unlocked('\n', out);
			}
		} else if (!set) {
			put_sample_fx(out, name, NULL, NULL, NULL, &fx, store_value(m, k, m->host));
		} else {
			for (size_t r = 0; r < set->nr; r++)
				put_sample_fx(out, name, sc->label, set->rows[r].label,
					      set->rows[r].cg, &fx, store_value(m, k, set->rows[r].v));
		}
	}
}

static int put_module(FILE *out, const struct store *s, const struct module_stats *m)
{
	struct series_set apps = { 0 }, cgroups = { 0 }, services = { 0 };
	bool by_app = store_module_apps(s, m), by_cgroup = store_module_cgroups(s, m);

	if (by_app && series_apps(&apps, m))
		return -1;
	if (by_cgroup && (series_cgroups(&cgroups, m, s) || series_services(&services, m))) {
		series_free(&apps);
		series_free(&cgroups);
		return -1;
	}
	for (unsigned int i = 0, end; i < m->nr_defs; i = end) {
		end = store_family_end(m, i);
		if (m->defs[i].kind == HISTOGRAM) {
			if (store_def_visible(s, m, &m->defs[i]))
				put_histogram(out, m, i);
			continue;
		}
		put_family(out, s, m, i, end, &scope_host, NULL);
		if (!store_def_broken_down(&m->defs[i]))
			continue;
		if (by_app)
			put_family(out, s, m, i, end, &scope_app, &apps);
		if (by_cgroup) {
			put_family(out, s, m, i, end, &scope_cgroup, &cgroups);
			put_family(out, s, m, i, end, &scope_service, &services);
		}
	}
	series_free(&apps);
	series_free(&cgroups);
	series_free(&services);
	return 0;
}

/* name{module="@module",@label="@value"} v: self-metrics of a module's part. */
static void put_module_sample(FILE *out, const char *name, const char *module, const char *label,
			      const char *value, uint64_t v)
{
	put_str(out, name);
	put_str(out, "{module=\"");
	put_escaped(out, module, true);
	putc_unlocked('"', out);
	putc_unlocked(',', out);
	put_str(out, label);
	put_str(out, "=\"");
	put_escaped(out, value, true);
	put_str(out, "\"} ");
	export_put_u64(out, v);
	putc_unlocked('\n', out);
}

static void put_lost(FILE *out, const char *module, const char *table, uint64_t v)
{
	put_module_sample(out, "ebpfmon_lost_events_total", module, "table", table, v);
}

/* Every collection's duration, cumulative buckets as Prometheus wants them. */
static void put_collection_histogram(FILE *out, const struct store *s)
{
	uint64_t cum = 0;

	put_header_type(out, "ebpfmon_collection_duration_seconds",
			"Time each collection took (reading the kernel and publishing).", "",
			"histogram");
	for (unsigned int b = 0; b < STORE_DURATION_BUCKETS; b++) {
		cum += s->collect_hist[b];
		if (b < STORE_DURATION_BUCKETS - 1)
			fprintf(out, "ebpfmon_collection_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
				store_duration_bounds[b], cum);
		else
			fprintf(out, "ebpfmon_collection_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
				cum);
	}
	fprintf(out, "ebpfmon_collection_duration_seconds_sum %.6f\n", s->collect_sum);
	fprintf(out, "ebpfmon_collection_duration_seconds_count %" PRIu64 "\n", cum);
}

/* The rung each hook of each running module is on: Netdata's "load method". */
static void put_hook_info(FILE *out, const struct store *s)
{
	bool header = false;

	for (unsigned int i = 0; i < s->nr_modules; i++) {
		const struct module_stats *m = &s->mods[i];

		if (m->state != MODULE_UP)
			continue;
		for (unsigned int h = 0; h < m->nr_hooks; h++) {
			if (!header) {
				put_header(out, "ebpfmon_hook_info",
					   "1 for the implementation each hook of a running module uses (tp_btf, tracepoint, iter, fentry, kprobe...): `ebpfmon check` says why.",
					   "", false);
				header = true;
			}
			put_str(out, "ebpfmon_hook_info{module=\"");
			put_escaped(out, m->name, true);
			put_str(out, "\",hook=\"");
			put_escaped(out, m->hooks[h].hook, true);
			put_str(out, "\",impl=\"");
			put_escaped(out, m->hooks[h].impl, true);
			put_str(out, "\"} 1\n");
		}
	}
}

/*
 * How full each hash table is: its entries now, where the kernel counts them
 * (see core/mapfill.h), and its bound.
 */
static void put_map_entries(FILE *out, const struct store *s)
{
	static const char *const names[] = { "ebpfmon_map_entries", "ebpfmon_map_max_entries" };
	static const char *const help[] = {
		"Entries in each hash table of ebpfmon now (against ebpfmon_map_max_entries: how full it is).",
		"Entries each hash table of ebpfmon can hold (its configured bound).",
	};

	for (unsigned int k = 0; k < 2; k++) {
		bool header = false;

		for (unsigned int i = 0; i < s->nr_kmem; i++) {
			if (s->kmem[i].entries < 0)
				continue;
			if (!header) {
				put_header(out, names[k], help[k], "", false);
				header = true;
			}
			put_module_sample(out, names[k], s->kmem[i].module, "map", s->kmem[i].map,
					  k ? s->kmem[i].max_entries : (uint64_t)s->kmem[i].entries);
		}
	}
}

static void put_self(FILE *out, const struct store *s)
{
	fprintf(out,
		"# HELP ebpfmon_build_info ebpfmon build: version and libbpf it runs with.\n"
		"# TYPE ebpfmon_build_info gauge\n"
		"ebpfmon_build_info{version=\"");
	put_escaped(out, EBPFMON_VERSION, true);
	fprintf(out, "\",libbpf=\"%u.%u\"} 1\n", libbpf_major_version(), libbpf_minor_version());

	put_header(out, "ebpfmon_module_up", "1 when the module is loaded and attached, else 0.",
		   "", false);
	for (unsigned int i = 0; i < s->nr_modules; i++)
		put_sample(out, "ebpfmon_module_up", "module", s->mods[i].name,
			   s->mods[i].state == MODULE_UP);

	put_header(out, "ebpfmon_lost_events_total",
		   "Events not attributed to a process or cgroup because the table was full (table=connection: socket events whose connection the socket module's connection table had no room for).",
		   "", true);
	for (unsigned int i = 0; i < s->nr_modules; i++) {
		put_lost(out, s->mods[i].name, "pid", s->mods[i].lost_pid_table_full);
		put_lost(out, s->mods[i].name, "cgroup", s->mods[i].lost_cgroup_table_full);
		if (s->mods[i].own_table)
			put_lost(out, s->mods[i].name, s->mods[i].own_table,
				 s->mods[i].lost_own_table_full);
	}

	put_header(out, "ebpfmon_collections_total", "Collections of the kernel counters.", "",
		   true);
	put_sample(out, "ebpfmon_collections_total", NULL, NULL, s->collections);
	if (s->push.on) {
		put_header(out, "ebpfmon_push_sent_total",
			   "Push bodies the receiver accepted (2xx), as of the last collection.", "", true);
		put_sample(out, "ebpfmon_push_sent_total", NULL, NULL, s->push.sent);
		put_header(out, "ebpfmon_push_failed_total",
			   "Push attempts that failed (no connection, timeout, non-2xx answer).", "", true);
		put_sample(out, "ebpfmon_push_failed_total", NULL, NULL, s->push.failed);
		put_header(out, "ebpfmon_push_dropped_total",
			   "Push bodies given up: queue full, attempts exhausted, or refused (4xx).", "",
			   true);
		put_sample(out, "ebpfmon_push_dropped_total", NULL, NULL, s->push.dropped);
	}
	fprintf(out,
		"# HELP ebpfmon_last_collection_duration_seconds Time the last collection took (reading the kernel and publishing).\n"
		"# TYPE ebpfmon_last_collection_duration_seconds gauge\n"
		"ebpfmon_last_collection_duration_seconds %.6f\n",
		s->collect_seconds);
	put_collection_histogram(out, s);
	fprintf(out,
		"# HELP ebpfmon_agent_cpu_seconds_total CPU time of the ebpfmon process itself (its BPF programs run in the traced tasks and are not in it).\n"
		"# TYPE ebpfmon_agent_cpu_seconds_total counter\n"
		"ebpfmon_agent_cpu_seconds_total{mode=\"user\"} %.6f\n"
		"ebpfmon_agent_cpu_seconds_total{mode=\"system\"} %.6f\n"
		"# HELP ebpfmon_agent_resident_memory_bytes Resident memory of the ebpfmon process (kernel maps are in ebpfmon_kernel_map_bytes).\n"
		"# TYPE ebpfmon_agent_resident_memory_bytes gauge\n"
		"ebpfmon_agent_resident_memory_bytes %" PRIu64 "\n",
		s->cpu_user_seconds, s->cpu_system_seconds, s->rss_bytes);
	put_hook_info(out, s);
	if (s->nr_kmem) {
		put_header(out, "ebpfmon_kernel_map_bytes",
			   "Kernel memory of each BPF map of ebpfmon (what the kernel charges, with per-thread records counted).",
			   "", false);
		for (unsigned int i = 0; i < s->nr_kmem; i++)
			put_module_sample(out, "ebpfmon_kernel_map_bytes", s->kmem[i].module, "map",
					  s->kmem[i].map, s->kmem[i].bytes);
		put_map_entries(out, s);
	}
	if (s->nr_progs) {
		put_header(out, "ebpfmon_bpf_program_misses_total",
			   "Runs of a BPF program the kernel skipped because it was already running on that CPU (events lost to every breakdown).",
			   "", true);
		for (unsigned int i = 0; i < s->nr_progs; i++)
			put_module_sample(out, "ebpfmon_bpf_program_misses_total", s->progs[i].module,
					  "program", s->progs[i].name, s->progs[i].misses);
	}
	if (!s->acct.running)
		return;
	put_header(out, "ebpfmon_accounting_records",
		   "Threads with a per-thread record of the accounting core, at the last collection.",
		   "", false);
	put_sample(out, "ebpfmon_accounting_records", NULL, NULL, s->acct.records);
	put_header(out, "ebpfmon_accounting_epochs",
		   "Processes (per name) in the kernel's epoch table, at the last collection.", "",
		   false);
	put_sample(out, "ebpfmon_accounting_epochs", NULL, NULL, s->acct.epochs);
	put_header(out, "ebpfmon_accounting_retired_total",
		   "Epochs (a process under one name) whose last thread is gone, handed to user space.",
		   "", true);
	put_sample(out, "ebpfmon_accounting_retired_total", NULL, NULL, s->acct.retired);
	put_header(out, "ebpfmon_accounting_events_total",
		   "Accounting core events: epoch_table_full and record_failed lose the per-application split of an event (host totals keep it), join_raced likewise, ringbuf_full loses nothing.",
		   "", true);
	put_sample(out, "ebpfmon_accounting_events_total", "event", "epoch_table_full",
		   s->acct.epoch_table_full);
	put_sample(out, "ebpfmon_accounting_events_total", "event", "record_failed",
		   s->acct.record_failed);
	put_sample(out, "ebpfmon_accounting_events_total", "event", "join_raced",
		   s->acct.join_raced);
	put_sample(out, "ebpfmon_accounting_events_total", "event", "ringbuf_full",
		   s->acct.ringbuf_full);
	if (!s->apps)
		return;
	put_header(out, "ebpfmon_accounting_apps",
		   "Application rows held ('apps max' bounds them; 'other' comes on top).", "",
		   false);
	put_sample(out, "ebpfmon_accounting_apps", NULL, NULL, s->acct.apps);
	put_header(out, "ebpfmon_accounting_apps_overflow_total",
		   "Process names counted into the application 'other' because 'apps max' rows existed.",
		   "", true);
	put_sample(out, "ebpfmon_accounting_apps_overflow_total", NULL, NULL,
		   s->acct.apps_overflow);
	put_header(out, "ebpfmon_accounting_apps_retired_total",
		   "Application rows dropped: no process left and no count for 'series retention'.",
		   "", true);
	put_sample(out, "ebpfmon_accounting_apps_retired_total", NULL, NULL,
		   s->acct.apps_retired);
}

int prometheus_render(const struct store *s, FILE *out)
{
	int err = 0;

	flockfile(out);
	for (unsigned int i = 0; i < s->nr_modules && !err; i++)
		if (s->mods[i].state == MODULE_UP)
			err = put_module(out, s, &s->mods[i]);
	if (!err)
		put_self(out, s);
	funlockfile(out);
	if (fflush(out) || ferror(out))
		err = -1;
	return err;
}
