// SPDX-License-Identifier: GPL-2.0
/*
 * The pure steps of the filesystem and dcstat modules: the kernel's slot of
 * a latency against the bucket bounds user space exports (they must agree
 * at every bound), the per-CPU fold, the Prometheus text of a filesystem
 * row, and dcstat's hit ratio.
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
#include "export/prometheus.h"
#include "modules/dcstat/dcstat.h"
#include "modules/filesystem/filesystem.h"

extern const struct module filesystem_module;

static const struct counter_def *latency_def(void)
{
	for (unsigned int i = 0; i < filesystem_module.nr_defs; i++)
		if (filesystem_module.defs[i].kind == HISTOGRAM)
			return &filesystem_module.defs[i];
	fail_msg("filesystem has no histogram def");
	return NULL;
}

/* A call of exactly a bound's length is in that bound's bucket (le is inclusive), 1 ns more in the
 * next. */
static void test_slots_match_bounds(void **state)
{
	const struct counter_def *d = latency_def();

	(void)state;
	assert_int_equal(d->nr_le, FS_HIST_FINITE);
	assert_int_equal(d->nr_le + 1, 24); /* Netdata's 24 bins */
	assert_int_equal(fs_hist_slot(0), 0);
	assert_int_equal(fs_hist_slot(1), 0);
	for (unsigned int k = 0; k < d->nr_le; k++) {
		assert_int_equal(d->le_ns[k], 1000ULL << k);
		assert_int_equal(fs_hist_slot(d->le_ns[k]), k);
		assert_int_equal(fs_hist_slot(d->le_ns[k] + 1), k + 1);
		if (k)
			assert_int_equal(fs_hist_slot(d->le_ns[k - 1] + 1), k);
	}
	assert_int_equal(fs_hist_slot(UINT64_MAX - 1000), FS_HIST_FINITE);
}

static void test_fold(void **state)
{
	struct fs_hist cpus[3], out;

	(void)state;
	memset(cpus, 0, sizeof(cpus));
	cpus[0].slots[0] = 1;
	cpus[1].slots[0] = 2;
	cpus[2].slots[23] = 5;
	cpus[0].sum_ns = 10;
	cpus[2].sum_ns = UINT64_C(1) << 40;
	filesystem_hist_fold(cpus, 3, &out);
	assert_int_equal(out.slots[0], 3);
	assert_int_equal(out.slots[23], 5);
	assert_int_equal(out.slots[1], 0);
	assert_int_equal(out.sum_ns, (UINT64_C(1) << 40) + 10);
}

static void test_prometheus_row(void **state)
{
	struct module_stats *m;
	struct labeled_row *r;
	struct hist_value *h;
	struct store s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	store_init(&s);
	m = store_add_module(&s, "filesystem", filesystem_module.defs, filesystem_module.nr_defs,
			     filesystem_module.nr_counters);
	assert_non_null(m);
	m->state = MODULE_UP;
	r = store_row_append(m);
	assert_non_null(r);
	store_row_label(r, "fs", "xfs");
	store_row_label(r, "op", "sync");
	h = store_row_hist(m, 0, 0);
	assert_non_null(h);
	h->buckets[0] = 2;
	h->buckets[22] = 1;
	h->buckets[23] = 4;
	h->sum_ns = 30000001500ULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(prometheus_render(&s, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "\nebpfmon_filesystem_latency_seconds_bucket{fs=\"xfs\",op="
				    "\"sync\",le=\"0.000001\"} 2\n"));
	assert_non_null(strstr(buf, "\nebpfmon_filesystem_latency_seconds_bucket{fs=\"xfs\",op="
				    "\"sync\",le=\"2.097152\"} 2\n"));
	assert_non_null(strstr(buf, "\nebpfmon_filesystem_latency_seconds_bucket{fs=\"xfs\",op="
				    "\"sync\",le=\"4.194304\"} 3\n"));
	assert_non_null(strstr(
	    buf,
	    "\nebpfmon_filesystem_latency_seconds_bucket{fs=\"xfs\",op=\"sync\",le=\"+Inf\"} 7\n"));
	assert_non_null(strstr(
	    buf, "\nebpfmon_filesystem_latency_seconds_sum{fs=\"xfs\",op=\"sync\"} 30.0000015\n"));
	assert_non_null(
	    strstr(buf, "\nebpfmon_filesystem_latency_seconds_count{fs=\"xfs\",op=\"sync\"} 7\n"));
	assert_non_null(strstr(buf, "\nebpfmon_filesystem_untimed_total 0\n"));
	assert_null(strstr(buf, "ebpfmon_app_filesystem"));
	free(buf);
	store_free(&s);
}

static void test_hit_ratio(void **state)
{
	(void)state;
	assert_int_equal(dcstat_hit_ratio(0, 0, 123), 123); /* nothing looked up: keep the last */
	assert_int_equal(dcstat_hit_ratio(100, 0, 0), 1000000000ULL);
	assert_int_equal(dcstat_hit_ratio(100, 25, 0), 750000000ULL);
	assert_int_equal(dcstat_hit_ratio(3, 1, 0), 666666666ULL);
	assert_int_equal(dcstat_hit_ratio(10, 11, 5), 0); /* d_lookup has other callers */
	assert_int_equal(dcstat_hit_ratio(UINT64_C(1) << 63, UINT64_C(1) << 62, 0), 500000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots_match_bounds),
	    cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_prometheus_row),
	    cmocka_unit_test(test_hit_ratio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
