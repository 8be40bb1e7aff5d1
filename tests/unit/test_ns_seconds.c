// SPDX-License-Identifier: GPL-2.0
/*
 * ns_as_seconds: a counter stored in nanoseconds is written in seconds,
 * exactly (no double), by the Prometheus and JSON exporters, on labeled
 * rows, host values and per-application rows; other counters stay integers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export/json.h"
#include "export/prometheus.h"
#include "golden.h" /* have_command(), run_with_input() */

static void (*const unused_golden)(const char *, const char *) __attribute__((unused)) = golden_check;

static const struct counter_def defs[] = {
	{ "calls_total", "Runs.", COUNTER_TOTAL, .labeled = true },
	{ "latency_seconds_total", "Time in the handler.", COUNTER_TOTAL, .labeled = true,
	  .ns_as_seconds = true },
	{ "missed_total", "Runs not seen (host only).", COUNTER_TOTAL },
};

static const struct counter_def app_defs[] = {
	{ "calls_total", "Runs.", COUNTER_TOTAL },
	{ "wait_seconds_total", "Time waited.", COUNTER_TOTAL, .ns_as_seconds = true },
};

static void make_store(struct store *s)
{
	struct module_stats *m;
	struct labeled_row *r;
	struct app_row *a;

	store_init(s);
	s->apps = true;
	m = store_add_module(s, "softirq", defs, 3, 3);
	m->state = MODULE_UP;
	r = store_row_append(m);
	store_row_label(r, "vector", "NET_RX");
	r->v[0] = 3;
	r->v[1] = 1234567890123ull; /* 1234.567890123 s */
	r = store_row_append(m);
	store_row_label(r, "vector", "HI");
	r->v[0] = 0;
	r->v[1] = 5; /* 0.000000005 s: leading zeros kept */
	m->host[0] = 3;
	m->host[1] = 1234567890128ull;
	m->host[2] = 4;
	m = store_add_module(s, "wait", app_defs, 2, 2);
	m->state = MODULE_UP;
	m->host[0] = 7;
	m->host[1] = 18446744073709551615ull; /* UINT64_MAX ns, exactly */
	a = store_app(m, "bash");
	a->v[0] = 7;
	a->v[1] = 1000000000;
}

static char *render(const struct store *s, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(json ? json_render(s, f, false) : prometheus_render(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void want(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("no '%s' in:\n%s", line, text);
}

static void test_prometheus(void **state)
{
	struct store s;
	char *text;

	(void)state;
	make_store(&s);
	text = render(&s, false);
	want(text, "\nebpfmon_softirq_calls_total{vector=\"NET_RX\"} 3\n");
	want(text, "\nebpfmon_softirq_latency_seconds_total{vector=\"NET_RX\"} 1234.567890123\n");
	want(text, "\nebpfmon_softirq_latency_seconds_total{vector=\"HI\"} 0.000000005\n");
	want(text, "\nebpfmon_wait_calls_total 7\n");
	want(text, "\nebpfmon_softirq_missed_total 4\n");
	want(text, "\nebpfmon_wait_wait_seconds_total 18446744073.709551615\n");
	want(text, "\nebpfmon_app_wait_wait_seconds_total{app=\"bash\"} 1.000000000\n");
	if (have_command("promtool")) {
		char *out = NULL;
		int rc = run_with_input("promtool check metrics", text, &out);

		if (rc || *out)
			fail_msg("promtool check metrics: exit %d: %s", rc, out);
		free(out);
	}
	free(text);
	store_free(&s);
}

static void test_json(void **state)
{
	struct store s;
	char *text;

	(void)state;
	make_store(&s);
	text = render(&s, true);
	want(text, "\"calls_total\":3,\"latency_seconds_total\":1234.567890128,\"missed_total\":4}");
	want(text, "\"labels\":\"vector=\\\"NET_RX\\\"\",\"calls_total\":3,\"latency_seconds_total\":1234.567890123}");
	want(text, "\"bash\":{\"calls_total\":7,\"wait_seconds_total\":1.000000000}");
	if (have_command("python3")) {
		char *out = NULL;
		int rc = run_with_input("python3 -c 'import json,sys; json.load(sys.stdin)'", text, &out);

		if (rc)
			fail_msg("python3 json.load: exit %d: %s", rc, out);
		free(out);
	}
	free(text);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("ns_seconds", tests, NULL, NULL);
}
