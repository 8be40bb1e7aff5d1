// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text output: golden files, promtool's own parser and linter, the
 * build_info line (version-dependent, so kept out of the golden files) and a
 * large store.
 */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/version.h"
#include "export/prometheus.h"
#include "fixture.h"
#include "golden.h"


/* Remove the sample line of ebpfmon_build_info: it carries the build's version. */
static char *drop_build_info(char *text)
{
	char *line = strstr(text, "\nebpfmon_build_info{");
	char *end;

	assert_non_null(line);
	end = strchr(line + 1, '\n');
	assert_non_null(end);
	memmove(line, end, strlen(end) + 1);
	return text;
}

/* promtool parses the text and lints it; any problem at all fails the test. */
static void check_promtool(const char *text)
{
	char *out = NULL;
	int rc;

	if (!have_command("promtool")) {
		skip();
		return;
	}
	rc = run_with_input("promtool check metrics", text, &out);
	if (rc || *out)
		print_message("# promtool check metrics: exit %d:\n%s", rc, out);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);
}

static void check_golden(bool apps, bool cgroups, bool errors, const char *golden)
{
	struct store s;
	char *text;

	fx_store(&s, apps, cgroups, errors);
	text = fx_render_prometheus(&s);
	golden_check(golden, drop_build_info(text));
	free(text);
	store_free(&s);
}

static void test_golden_all(void **state)
{
	(void)state;
	check_golden(true, true, true, "prometheus_basic.txt");
}

/* Without apps, cgroups and error counters: host families and self-metrics only. */
static void test_golden_host_only(void **state)
{
	(void)state;
	check_golden(false, false, false, "prometheus_host_only.txt");
}

/* Apps on, cgroups off, errors off: no read_errors_total family at all. */
static void test_golden_apps_no_errors(void **state)
{
	(void)state;
	check_golden(true, false, false, "prometheus_apps_no_errors.txt");
}

static void test_build_info(void **state)
{
	struct store s;
	char *text, *want;

	(void)state;
	fx_store(&s, true, true, true);
	text = fx_render_prometheus(&s);
	assert_true(asprintf(&want, "\nebpfmon_build_info{version=\"%s\",libbpf=\"%u.%u\"} 1\n",
			     EBPFMON_VERSION, libbpf_major_version(),
			     libbpf_minor_version()) > 0);
	if (!strstr(text, want))
		fail_msg("no line %s in:\n%s", want + 1, text);
	free(want);
	free(text);
	store_free(&s);
}

static void test_promtool_all(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fx_store(&s, true, true, true);
	text = fx_render_prometheus(&s);
	check_promtool(text);
	free(text);
	store_free(&s);
}

static void test_promtool_host_only(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fx_store(&s, false, false, false);
	text = fx_render_prometheus(&s);
	check_promtool(text);
	free(text);
	store_free(&s);
}

/* No module up: still valid text with the self-metrics. */
static void test_empty_store(void **state)
{
	struct store s;
	char *text;

	(void)state;
	store_init(&s);
	text = fx_render_prometheus(&s);
	assert_non_null(strstr(text, "\nebpfmon_collections_total 0\n"));
	assert_null(strstr(text, "ebpfmon_module_up{"));
	check_promtool(text);
	free(text);
	store_free(&s);
}

static const struct counter_def big_defs[EBPFMON_MAX_COUNTERS] = {
	{ "c0_total", "c0", COUNTER_TOTAL },   { "c1_total", "c1", COUNTER_TOTAL },
	{ "c2_total", "c2", COUNTER_TOTAL },   { "c3_total", "c3", COUNTER_TOTAL },
	{ "c4_total", "c4", COUNTER_TOTAL },   { "c5_total", "c5", COUNTER_TOTAL },
	{ "c6_total", "c6", COUNTER_TOTAL },   { "c7_total", "c7", COUNTER_TOTAL },
	{ "c8_total", "c8", COUNTER_TOTAL },   { "c9_total", "c9", COUNTER_TOTAL },
	{ "c10_total", "c10", COUNTER_TOTAL }, { "c11_total", "c11", COUNTER_TOTAL },
	{ "c12_total", "c12", COUNTER_TOTAL }, { "c13_total", "c13", COUNTER_TOTAL },
	{ "c14_total", "c14", COUNTER_TOTAL }, { "g", "g", GAUGE_HOST },
};

/* Thousands of applications per module: every sample present, in order, parseable. */
static void test_large_store(void **state)
{
	enum { NR_MODS = 3, NR_APPS = 3000 };
	static const char *const names[NR_MODS] = { "m0", "m1", "m2" };
	struct store s;
	char *text, name[32], *p;
	size_t lines = 0;

	(void)state;
	store_init(&s);
	s.cgroups = true;
	for (int i = 0; i < NR_MODS; i++) {
		struct module_stats *m = store_add_module(&s, names[i], big_defs, 16, 15);

		m->state = MODULE_UP;
		/* Inserted in reverse order: the output must still be sorted. */
		for (int a = NR_APPS - 1; a >= 0; a--) {
			snprintf(name, sizeof(name), "app%05d", a);
			store_app(m, name)->v[0] = a;
			store_cgroup(m, a)->v[1] = a;
			snprintf(store_cgroup(m, a)->path, 256, "/c/%05d", a);
		}
	}
	text = fx_render_prometheus(&s);
	for (p = text; *p; p++)
		lines += *p == '\n';
	/*
	 * per counter: host (3 lines) + apps (2 + N) + cgroups (2 + N); the
	 * host-only gauge: 3; self: 3 + (2+3) + (2+6) + 3 + 3, the collection
	 * histogram 2 + 12 + 2, the agent's CPU 2 + 2 and memory 3
	 */
	assert_int_equal(lines, NR_MODS * (15 * (3 + 2 * (2 + NR_APPS)) + 3) + 45);
	p = strstr(text, "ebpfmon_app_m0_c0_total{app=\"app00000\"} 0\n"
			 "ebpfmon_app_m0_c0_total{app=\"app00001\"} 1\n");
	assert_non_null(p);
	assert_non_null(strstr(text, "ebpfmon_cgroup_m2_c1_total{cgroup=\"/c/02999\"} 2999\n"));
	check_promtool(text);
	free(text);
	store_free(&s);
}

/* A full disk is a write error, not a silent short answer. */
static void test_write_error(void **state)
{
	struct store s;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f) {
		skip();
		return;
	}
	fx_store(&s, true, true, true);
	assert_int_equal(prometheus_render(&s, f), -1);
	fclose(f);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_all),
		cmocka_unit_test(test_golden_host_only),
		cmocka_unit_test(test_golden_apps_no_errors),
		cmocka_unit_test(test_build_info),
		cmocka_unit_test(test_promtool_all),
		cmocka_unit_test(test_promtool_host_only),
		cmocka_unit_test(test_empty_store),
		cmocka_unit_test(test_large_store),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests_name("prometheus", tests, NULL, NULL);
}
