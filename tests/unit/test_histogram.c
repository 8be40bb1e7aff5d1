// SPDX-License-Identifier: GPL-2.0
/*
 * Histograms in the store and the exporters: Prometheus text (golden file,
 * promtool), JSON (golden file, Python's parser and the numbers it reads),
 * the terminal summary, and the store's handling of the per-row buckets
 * (growth, swap, reuse, refusal of a def that cannot be stored).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/version.h"
#include "export/json.h"
#include "export/prometheus.h"
#include "golden.h"
#include "ui/summary.h"

/* Four finite bounds: 2 us, 4 us, 1 ms, 1.5 s; the fifth bucket is +Inf. */
static const uint64_t hx_le[] = { 2000, 4000, 1000000, 1500000000 };

static const struct counter_def hx_defs[] = {
	{ "requests_total", "Requests.", COUNTER_TOTAL, .labeled = true },
	{ "latency_seconds", "Latency of a request.", HISTOGRAM, .labeled = true, .le_ns = hx_le,
	  .nr_le = 4 },
	{ "queue_seconds", "Time queued.", HISTOGRAM, .labeled = true, .le_ns = hx_le, .nr_le = 2 },
};

static void hx_row(struct module_stats *m, const char *dev, uint64_t reqs, const uint64_t *lat,
		   uint64_t lat_sum, const uint64_t *q, uint64_t q_sum)
{
	struct labeled_row *r = store_row_append(m);
	struct hist_value *h;

	assert_non_null(r);
	store_row_label(r, "device", dev);
	r->v[0] = reqs;
	h = store_row_hist(m, m->nr_rows - 1, 1);
	assert_non_null(h);
	memcpy(h->buckets, lat, 5 * sizeof(*lat));
	h->sum_ns = lat_sum;
	h = store_row_hist(m, m->nr_rows - 1, 2);
	assert_non_null(h);
	memcpy(h->buckets, q, 3 * sizeof(*q));
	h->sum_ns = q_sum;
}

static struct module_stats *hx_store(struct store *s)
{
	static const uint64_t a[] = { 1, 2, 3, 4, 5 }, aq[] = { 7, 0, 8 };
	static const uint64_t b[] = { 0, 0, 0, 0, 0 }, bq[] = { 0, 0, 0 };
	struct module_stats *m;

	store_init(s);
	s->collections = 3;
	m = store_add_module(s, "disk", hx_defs, 3, 3);
	assert_non_null(m);
	assert_int_equal(m->nr_hist_defs, 2);
	m->state = MODULE_UP;
	/* 2.5 s in all; 1 ns; nothing at all. */
	hx_row(m, "vda", 15, a, 2500000000ull, aq, 1);
	hx_row(m, "loop\"0", 0, b, 0, bq, 0);
	return m;
}

static char *render(const struct store *s, int (*fn)(const struct store *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int json_nopids(const struct store *s, FILE *f)
{
	return json_render(s, f, false);
}

/* From the first line of the histogram family to the line before the self-metrics. */
static char *module_part(const char *text)
{
	const char *from = strstr(text, "# HELP ebpfmon_disk_");
	const char *to = strstr(text, "# HELP ebpfmon_build_info");

	assert_non_null(from);
	assert_non_null(to);
	return strndup(from, (size_t)(to - from));
}

static void test_prometheus_golden(void **state)
{
	struct store s;
	char *text, *part;

	(void)state;
	hx_store(&s);
	text = render(&s, prometheus_render);
	part = module_part(text);
	golden_check("prometheus_histogram.txt", part);
	free(part);
	free(text);
	store_free(&s);
}

static void test_prometheus_values(void **state)
{
	struct store s;
	char *text;

	(void)state;
	hx_store(&s);
	text = render(&s, prometheus_render);
	/* Cumulative: 1, 1+2, 1+2+3, ..., and +Inf = _count = 15. */
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_bucket{device=\"vda\",le=\"0.000002\"} 1\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_bucket{device=\"vda\",le=\"0.000004\"} 3\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_bucket{device=\"vda\",le=\"0.001\"} 6\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_bucket{device=\"vda\",le=\"1.5\"} 10\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_bucket{device=\"vda\",le=\"+Inf\"} 15\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_sum{device=\"vda\"} 2.5\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_latency_seconds_count{device=\"vda\"} 15\n"));
	assert_non_null(strstr(text, "\nebpfmon_disk_queue_seconds_sum{device=\"vda\"} 0.000000001\n"));
	assert_non_null(strstr(text, "\n# TYPE ebpfmon_disk_latency_seconds histogram\n"));
	/* No per-application or per-cgroup family of a histogram. */
	assert_null(strstr(text, "ebpfmon_app_disk_latency"));
	assert_null(strstr(text, "ebpfmon_cgroup_disk_latency"));
	free(text);
	store_free(&s);
}

static void test_promtool(void **state)
{
	struct store s;
	char *text, *out = NULL;
	int rc;

	(void)state;
	hx_store(&s);
	s.cgroups = true;
	text = render(&s, prometheus_render);
	if (!have_command("promtool")) {
		free(text);
		store_free(&s);
		skip();
		return;
	}
	rc = run_with_input("promtool check metrics", text, &out);
	if (rc || *out)
		print_message("# promtool check metrics: exit %d:\n%s", rc, out);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);
	free(text);
	store_free(&s);
}

/* The document with the version replaced, for a golden file. */
static char *stable_version(const char *text)
{
	char *want, *out;

	assert_true(asprintf(&want, "{\"version\":\"%s\",", EBPFMON_VERSION) > 0);
	assert_ptr_equal(strstr(text, want), text);
	assert_true(asprintf(&out, "{\"version\":\"@VERSION@\",%s", text + strlen(want)) > 0);
	free(want);
	return out;
}

static void test_json(void **state)
{
	struct store s;
	char *text, *stable, *cmd, *out = NULL;
	int rc;

	(void)state;
	hx_store(&s);
	text = render(&s, json_nopids);
	stable = stable_version(text);
	golden_check("json_histogram.json", stable);
	free(stable);
	if (!have_command("python3")) {
		free(text);
		store_free(&s);
		skip();
		return;
	}
	cmd = "python3 -c 'import json, sys\n"
	      "d = json.load(sys.stdin)\n"
	      "r = d[\"modules\"][\"disk\"][\"series\"][0]\n"
	      "h = r[\"latency_seconds\"]\n"
	      "assert r[\"labels\"] == \"device=\\\"vda\\\"\", r\n"
	      "assert h[\"count\"] == 15 and h[\"sum\"] == 2.5, h\n"
	      "assert h[\"bounds\"] == [0.000002, 0.000004, 0.001, 1.5], h\n"
	      "assert h[\"buckets\"] == [1, 2, 3, 4, 5], h\n"
	      "assert r[\"queue_seconds\"][\"buckets\"] == [7, 0, 8]\n"
	      "assert \"latency_seconds\" not in d[\"modules\"][\"disk\"][\"host\"]\n'";
	rc = run_with_input(cmd, text, &out);
	if (rc)
		print_message("# exit %d: %s\n", rc, out);
	assert_int_equal(rc, 0);
	free(out);
	free(text);
	store_free(&s);
}

static void test_summary(void **state)
{
	struct store s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	hx_store(&s);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	summary_print(&s, f, 1);
	assert_int_equal(fclose(f), 0);
	/* 15 requests over 2.5 s: 166.667 ms on average; the empty row adds nothing. */
	if (!strstr(buf, "latency_seconds: count=15 mean=166.667ms"))
		fail_msg("no histogram item in:\n%s", buf);
	assert_non_null(strstr(buf, "queue_seconds: count=15 mean=0.000ms"));
	free(buf);
	store_free(&s);
}

/* A collection's arrays go live, the live ones come back for reuse; nothing leaks (ASan). */
static void test_swap_reuse(void **state)
{
	static const uint64_t c[] = { 9, 9, 9, 9, 9 }, cq[] = { 1, 1, 1 };
	struct module_stats next;
	struct store s;
	struct module_stats *m;

	(void)state;
	m = hx_store(&s);
	store_stats_init_like(&next, m);
	assert_int_equal(next.nr_hist_defs, 2);
	for (int round = 0; round < 3; round++) {
		next.nr_rows = 0;
		/* More rows than the first allocation (16) holds: the buckets grow with them. */
		for (int i = 0; i < 40; i++) {
			char dev[16];

			snprintf(dev, sizeof(dev), "sd%d", i);
			hx_row(&next, dev, (uint64_t)i, c, (uint64_t)i, cq, 0);
		}
		store_swap(m, &next);
		assert_int_equal(m->nr_rows, 40);
		assert_int_equal(store_row_hist(m, 39, 1)->sum_ns, 39);
		assert_int_equal(store_hist_count(&hx_defs[1], store_row_hist(m, 39, 1)), 45);
		assert_int_equal(store_hist_count(&hx_defs[2], store_row_hist(m, 0, 2)), 3);
	}
	assert_null(store_row_hist(m, 0, 0)); /* a counter has no buckets */
	assert_null(store_row_hist(m, 40, 1));
	store_stats_free(&next);
	store_free(&s);
}

static const uint64_t hx_many[EBPFMON_MAX_BUCKETS] = { 0 };

static void test_bad_defs(void **state)
{
	static const struct counter_def unlabeled[] = {
		{ "x_seconds", "x", HISTOGRAM, .le_ns = hx_le, .nr_le = 4 },
	};
	static const struct counter_def too_many[] = {
		{ "x_seconds", "x", HISTOGRAM, .labeled = true, .le_ns = hx_many,
		  .nr_le = EBPFMON_MAX_BUCKETS },
	};
	struct store s;

	(void)state;
	store_init(&s);
	assert_null(store_add_module(&s, "a", unlabeled, 1, 1));
	assert_null(store_add_module(&s, "b", too_many, 1, 1));
	assert_int_equal(s.nr_modules, 0);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus_golden),
		cmocka_unit_test(test_prometheus_values),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_swap_reuse),
		cmocka_unit_test(test_bad_defs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
