// SPDX-License-Identifier: GPL-2.0
/*
 * disk: the kernel's slot function (shared through disk.h) against the
 * bucket bounds the module exports: a latency equal to a bound falls in
 * that bound's bucket, one nanosecond more in the next (Prometheus `le` is
 * inclusive), and the last slot is +Inf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/module.h"
#include "modules/disk/disk.h"

static void test_bounds_match_slots(void **state)
{
	const struct module *m = module_find("disk");
	const struct counter_def *d = NULL;

	(void)state;
	assert_non_null(m);
	for (unsigned int i = 0; i < m->nr_defs; i++)
		if (m->defs[i].kind == HISTOGRAM)
			d = &m->defs[i];
	assert_non_null(d);
	assert_string_equal(d->name, "latency_seconds");
	assert_int_equal(d->nr_le, DISK_SLOTS - 1);
	for (unsigned int k = 0; k < d->nr_le; k++) {
		/* Netdata's log2 bins: bucket k ends at 2^(k+1) microseconds. */
		assert_int_equal(d->le_ns[k], (2000ULL << k));
		assert_int_equal(dlat_slot(d->le_ns[k]), k);
		assert_int_equal(dlat_slot(d->le_ns[k] + 1), k + 1);
		if (k)
			assert_int_equal(dlat_slot(d->le_ns[k - 1] + 1), k);
	}
	assert_int_equal(dlat_slot(0), 0);
	assert_int_equal(dlat_slot(1), 0);
	assert_int_equal(dlat_slot(UINT64_MAX), DISK_SLOTS - 1);
	assert_int_equal(dlat_slot(60ULL * 1000000000ULL), DISK_SLOTS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds_match_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
