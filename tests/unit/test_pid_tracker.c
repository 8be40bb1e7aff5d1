// SPDX-License-Identifier: GPL-2.0
/* The pure step of collection: per-process readings into application totals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/apps_groups.h"
#include "core/pid_tracker.h"

static const struct counter_def defs[] = {
	{ "calls_total", "calls" },
	{ "bytes_total", "bytes" },
};

struct env {
	struct store store;
	struct module_stats *m;
	struct pid_tracker *t;
};

static int setup(void **state)
{
	static struct env e;

	store_init(&e.store);
	e.m = store_add_module(&e.store, "vfs", defs, 2, 2);
	e.t = pid_tracker_new(64);
	*state = &e;
	return e.m && e.t ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *e = *state;

	pid_tracker_free(e->t);
	store_free(&e->store);
	return 0;
}

static void account(struct env *e, const struct apps_groups *g, uint32_t tgid, const char *comm,
		    uint64_t calls, uint64_t bytes, bool gone)
{
	struct pid_hdr h = {};
	uint64_t v[2] = { calls, bytes };

	strncpy(h.comm, comm, sizeof(h.comm) - 1);
	assert_int_equal(pid_account(e->t, e->m, g, tgid, &h, v, 2, gone), 0);
}

static uint64_t app(struct env *e, const char *name, unsigned int i)
{
	for (size_t r = 0; r < e->m->nr_apps; r++)
		if (!strcmp(e->m->apps[r].name, name))
			return e->m->apps[r].v[i];
	return UINT64_MAX;
}

/* Readings are cumulative: the application gets the deltas, never more. */
static void test_deltas(void **state)
{
	struct env *e = *state;

	account(e, NULL, 100, "cat", 3, 300, false);
	account(e, NULL, 100, "cat", 5, 500, false);
	account(e, NULL, 101, "cat", 1, 10, false);
	assert_int_equal(app(e, "cat", 0), 6);
	assert_int_equal(app(e, "cat", 1), 510);
}

/* After exec the new name gets only what happened since: totals never drop. */
static void test_exec_moves_only_the_rest(void **state)
{
	struct env *e = *state;

	account(e, NULL, 200, "bash", 2, 0, false);
	account(e, NULL, 200, "ls", 7, 0, false);
	assert_int_equal(app(e, "bash", 0), 2);
	assert_int_equal(app(e, "ls", 0), 5);
}

/* A gone process stops being tracked; a new one with its pid starts from zero. */
static void test_gone_then_reused(void **state)
{
	struct env *e = *state;

	account(e, NULL, 300, "short", 4, 0, true);
	assert_int_equal(e->t->used, 0);
	account(e, NULL, 300, "short", 1, 0, false);
	assert_int_equal(app(e, "short", 0), 5);
}

static void test_groups(void **state)
{
	struct env *e = *state;
	char err[256];
	struct apps_groups *g = apps_groups_load_string("web: nginx* httpd\n", "t", err, sizeof(err));

	assert_non_null(g);
	account(e, g, 400, "nginx-worker", 1, 0, false);
	account(e, g, 401, "httpd", 2, 0, false);
	account(e, g, 402, "sshd", 3, 0, false);
	assert_int_equal(app(e, "web", 0), 3);
	assert_int_equal(app(e, "sshd", 0), 3);
	apps_groups_free(g);
}

/* Many processes come and go: deletion keeps every other entry reachable. */
static void test_churn(void **state)
{
	struct env *e = *state;

	for (uint32_t round = 0; round < 5; round++) {
		for (uint32_t p = 1; p <= 60; p++)
			account(e, NULL, p * 7919, "churn", round + 1, 0, false);
		for (uint32_t p = 1; p <= 60; p += 2)
			account(e, NULL, p * 7919, "churn", round + 1, 0, true);
	}
	/* Each round: the odd ones start anew at round+1, the even ones grow by 1. */
	assert_int_equal(app(e, "churn", 0), 30 * (1 + 2 + 3 + 4 + 5) + 30 * 5);
	assert_int_equal(e->t->used, 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_moves_only_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_then_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
