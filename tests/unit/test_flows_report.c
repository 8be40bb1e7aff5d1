// SPDX-License-Identifier: GPL-2.0
/*
 * flows report with no packet seen: every mode ends this way when nothing
 * arrived. Built with UBSan, a sort or copy of the empty (NULL) table aborts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/flows/flows_int.h"

static struct flows_opts opts;

static char *render(struct flows_snapshot *s, bool json)
{
	struct flows_report r = { .opts = &opts, .hook = "tc (tcx)", .seconds = 1, .snap = s };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(json ? flows_print_json(f, &r) : flows_print_text(f, &r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_empty_table(void **state)
{
	struct flows_snapshot s = {}, prev = {};
	char *text, *json;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	/* What report() and the live view do with a table nobody wrote to. */
	flows_dedup(&s);
	flows_set_bitrate(&s, 1);
	flows_set_bitrate_delta(&s, &prev, 1);
	for (int by = 0; by < FLOWS_NR_SORTS; by++)
		flows_sort_rows(s.rows, s.nr, by);
	flows_sort_totals(s.totals, s.nr_totals);
	assert_int_equal(flows_evicted(&s), 0);
	text = render(&s, false);
	json = render(&s, true);
	assert_non_null(strstr(json, "\"flows\": [],"));
	assert_non_null(strstr(text, "totals"));
	free(text);
	free(json);
	flows_snapshot_free(&s);
}

/* One flow against an empty previous reading: the live view's first refresh. */
static void test_first_refresh(void **state)
{
	struct flows_snapshot s = {}, prev = {};
	struct flows_row row = { .packets = 2, .bytes = 1000 };

	(void)state;
	s.rows = &row;
	s.nr = 1;
	flows_set_bitrate_delta(&s, &prev, 2);
	assert_true(row.bitrate == 4000);
	flows_dedup(&s);
	assert_int_equal(s.nr, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_first_refresh),
	};

	return cmocka_run_group_tests_name("flows_report", tests, NULL, NULL);
}
