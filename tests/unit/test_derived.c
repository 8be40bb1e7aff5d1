// SPDX-License-Identifier: GPL-2.0
/*
 * Derived defs (a value computed from a row's kernel counters): cachestat's
 * hits and hit ratio, through store_value() for every kind of row, and their
 * rendering in Prometheus (a gauge per application and cgroup, nine exact
 * decimals) and JSON; and the swap module's defs as one fixed-label family.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/module.h"
#include "export/json.h"
#include "export/prometheus.h"
#include "golden.h"
#include "modules/cachestat/cachestat.h"

static void test_hits_and_ratio(void **state)
{
	uint64_t v[EBPFMON_MAX_COUNTERS] = { 0 };

	(void)state;
	/* Nothing accessed: no hits, ratio 0 (not a division by zero). */
	assert_int_equal(cachestat_hits(v), 0);
	assert_int_equal(cachestat_ratio(v), 0);
	v[CS_ACCESSED] = 32771;
	v[CS_MISSES] = 16384;
	assert_int_equal(cachestat_hits(v), 16387);
	assert_int_equal(cachestat_ratio(v), 500045772); /* 16387 / 32771, floor, in billionths */
	v[CS_MISSES] = 32771;
	assert_int_equal(cachestat_ratio(v), 0);
	v[CS_MISSES] = 0;
	assert_int_equal(cachestat_ratio(v), 1000000000);
	/* A torn reading (misses ahead of accessed) clamps at 0 rather than wrapping. */
	v[CS_MISSES] = 40000;
	assert_int_equal(cachestat_hits(v), 0);
	/* No overflow near the top: hits * 1e9 does not fit 64 bits. */
	v[CS_ACCESSED] = UINT64_MAX;
	v[CS_MISSES] = UINT64_MAX / 4;
	assert_int_equal(cachestat_ratio(v), 750000000);
}

static const struct module *find(const char *name)
{
	const struct module *m = module_find(name);

	assert_non_null(m);
	return m;
}

/* A store with cachestat and swap up, as their collectors would fill it. */
static void fill(struct store *s, bool cgroups)
{
	const struct module *cs = find("cachestat"), *sw = find("swap");
	struct module_stats *m;
	struct app_row *a;
	struct cgroup_row *c;
	struct pid_row *p;

	store_init(s);
	s->cgroups = cgroups;
	m = store_add_module(s, cs->name, cs->defs, cs->nr_defs, cs->nr_counters);
	m->state = MODULE_UP;
	m->host[CS_ACCESSED] = 100;
	m->host[CS_MISSES] = 25;
	m->host[CS_DIRTIES] = 7;
	a = store_app(m, "reader");
	a->v[CS_ACCESSED] = 3;
	a->v[CS_MISSES] = 1;
	a = store_app(m, "writer"); /* dirtied, never read: ratio 0 */
	a->v[CS_DIRTIES] = 7;
	c = store_cgroup(m, 5);
	strcpy(c->path, "/a");
	c->v[CS_ACCESSED] = 100;
	c->v[CS_MISSES] = 100;
	p = store_pid_append(m);
	p->pid = 42;
	strcpy(p->comm, "reader");
	p->v[CS_ACCESSED] = 3;
	p->v[CS_MISSES] = 1;
	m = store_add_module(s, sw->name, sw->defs, sw->nr_defs, sw->nr_counters);
	m->state = MODULE_UP;
	m->host[0] = 11; /* write */
	m->host[1] = 4;	 /* read */
}

static char *render(const struct store *s, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(json ? json_render(s, f, true) : prometheus_render(s, f), 0);
	fclose(f);
	return text;
}

static void test_prometheus(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fill(&s, true);
	text = render(&s, false);
	assert_non_null(strstr(text, "\nebpfmon_cachestat_hits_total 75\n"));
	assert_non_null(strstr(text, "# TYPE ebpfmon_cachestat_ratio gauge\nebpfmon_cachestat_ratio 0.750000000\n"));
	assert_non_null(strstr(text, "# TYPE ebpfmon_app_cachestat_ratio gauge\n"
				     "ebpfmon_app_cachestat_ratio{app=\"reader\"} 0.666666666\n"
				     "ebpfmon_app_cachestat_ratio{app=\"writer\"} 0.000000000\n"));
	assert_non_null(strstr(text, "ebpfmon_app_cachestat_hits_total{app=\"reader\"} 2\n"));
	assert_non_null(strstr(text, "ebpfmon_cgroup_cachestat_hits_total{cgroup=\"/a\"} 0\n"));
	assert_non_null(strstr(text, "ebpfmon_cgroup_cachestat_ratio{cgroup=\"/a\"} 0.000000000\n"));
	assert_non_null(strstr(text, "# TYPE ebpfmon_swap_calls_total counter\n"
				     "ebpfmon_swap_calls_total{call=\"write\"} 11\n"
				     "ebpfmon_swap_calls_total{call=\"read\"} 4\n"));
	if (have_command("promtool")) {
		char *out = NULL;

		assert_int_equal(run_with_input("promtool check metrics", text, &out), 0);
		assert_string_equal(out, "");
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
	fill(&s, false);
	text = render(&s, true);
	assert_non_null(strstr(text, "\"hits_total\":75,\"ratio\":0.750000000"));
	assert_non_null(strstr(text, "\"hits_total\":2,\"ratio\":0.666666666"));
	assert_non_null(strstr(text, "\"calls_total\":{\"write\":11,\"read\":4}"));
	free(text);
	store_free(&s);
}

/* Where swap-in cannot be hooked the module shows its first def only (swap_load). */
static void test_swap_without_swapin(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fill(&s, false);
	s.mods[1].nr_defs = 1;
	text = render(&s, false);
	assert_non_null(strstr(text, "ebpfmon_swap_calls_total{call=\"write\"} 11\n"));
	assert_null(strstr(text, "call=\"read\""));
	free(text);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hits_and_ratio),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_swap_without_swapin),
	};

	(void)golden_check; /* golden.h's other helpers serve here; expectations are inline */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
