// SPDX-License-Identifier: GPL-2.0
/*
 * JSON output: golden files (the version string replaced by @VERSION@ so they
 * stay stable), a real JSON parser, and what the parser reads back.
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
#include "export/common.h"
#include "export/json.h"
#include "fixture.h"
#include "golden.h"

/* Not inlined: GCC's -Wdangling-pointer then takes the memstream buffer for a local. */
static __attribute__((noinline)) char *render(const struct store *s, bool pids)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(json_render(s, f, pids), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Replace the build's version with a fixed marker; fails when it is not there. */
static char *stable_version(const char *text)
{
	char *want, *at, *out;

	assert_true(asprintf(&want, "{\"version\":\"%s\",", EBPFMON_VERSION) > 0);
	at = strstr(text, want);
	if (at != text)
		fail_msg("document does not start with %s: %s", want, text);
	assert_true(asprintf(&out, "{\"version\":\"@VERSION@\",%s", text + strlen(want)) > 0);
	free(want);
	return out;
}

/* Python's parser reads the document and @check (Python, doc in `d`) holds. */
static void check_python(const char *text, const char *check)
{
	char *cmd, *out = NULL;
	int rc;

	if (!have_command("python3")) {
		skip();
		return;
	}
	assert_true(asprintf(&cmd,
			     "python3 -c 'import json, sys\n"
			     "d = json.load(sys.stdin)\n"
			     "%s'",
			     check) > 0);
	rc = run_with_input(cmd, text, &out);
	if (rc)
		print_message("# %s\n# exit %d: %s\n", cmd, rc, out);
	assert_int_equal(rc, 0);
	free(out);
	free(cmd);
}

static void check_golden(bool apps, bool cgroups, bool errors, bool pids, const char *golden)
{
	struct store s;
	char *text, *stable;

	fx_store(&s, apps, cgroups, errors);
	text = render(&s, pids);
	/* One line: snapshots written one after another are JSON Lines. */
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	stable = stable_version(text);
	golden_check(golden, stable);
	check_python(text, "assert isinstance(d, dict)");
	free(stable);
	free(text);
	store_free(&s);
}

static void test_golden_all(void **state)
{
	(void)state;
	check_golden(true, true, true, true, "json_basic.json");
}

static void test_golden_minimal(void **state)
{
	(void)state;
	check_golden(false, false, false, false, "json_minimal.json");
}

/* What a consumer reads back: values, merging, escaping and replacement. */
static void test_parsed_values(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fx_store(&s, true, true, true);
	text = render(&s, true);
	check_python(text,
		     "v = d[\"modules\"][\"vfs\"]\n"
		     "assert d[\"collections\"] == 42 and d[\"apps\"] and d[\"cgroups\"]\n"
		     "assert v[\"host\"][\"read_bytes_total\"] == 2**64 - 1\n"
		     "assert v[\"apps\"][\"quo\\\"te\"][\"read_calls_total\"] == 2\n"
		     "assert v[\"apps\"][\"new\\nline\"][\"read_bytes_total\"] == 5\n"
		     "assert v[\"apps\"][\"x\\ufffd\"][\"read_bytes_total\"] == 300\n"
		     "assert v[\"apps\"][\"\\u00fcber\"][\"read_bytes_total\"] == 7\n"
		     "assert v[\"cgroups\"][\"/system.slice/ssh.service\"][\"read_bytes_total\"] == 15\n"
		     "assert [p[\"pid\"] for p in v[\"pids\"]] == [7, 42, 1000]\n"
		     "assert v[\"pids\"][0][\"comm\"] == \"sixteen-bytes-co\"\n"
		     "assert v[\"pids\"][2][\"comm\"] == \"tab\\there\\ufffd\"\n"
		     "assert v[\"lost\"] == {\"pid_table_full\": 3, \"cgroup_table_full\": 0}\n"
		     "p = d[\"modules\"][\"process\"]\n"
		     "assert p[\"host\"][\"zombies\"] == 3 and \"zombies\" not in p[\"apps\"][\"bash\"]\n"
		     "assert p[\"cgroups\"] == {}\n"
		     "f = d[\"modules\"][\"fd\"]\n"
		     "assert f == {\"state\": \"failed\", "
		     "\"reason\": \"attach \\\"sys_enter_openat\\\": No such file\"}\n"
		     "assert d[\"modules\"][\"dc\"][\"state\"] == \"disabled\"\n");
	free(text);
	store_free(&s);
}

/* Error counters hidden in entry mode, no breakdown keys when they are off. */
static void test_parsed_minimal(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fx_store(&s, false, false, false);
	text = render(&s, false);
	check_python(text,
		     "v = d[\"modules\"][\"vfs\"]\n"
		     "assert not d[\"apps\"] and not d[\"cgroups\"]\n"
		     "assert sorted(v) == [\"hooks\", \"host\", \"lost\", \"reason\", \"state\"]\n"
		     "assert d[\"self\"][\"maps\"] == [] and d[\"self\"][\"resident_memory_bytes\"] == 0\n"
		     "assert sorted(v[\"host\"]) == [\"read_bytes_total\", \"read_calls_total\"]\n");
	free(text);
	store_free(&s);
}

static void test_empty_store(void **state)
{
	struct store s;
	char *text, *stable;

	(void)state;
	store_init(&s);
	text = render(&s, true);
	stable = stable_version(text);
	assert_string_equal(stable, "{\"version\":\"@VERSION@\",\"collections\":0,\"apps\":true,"
				    "\"cgroups\":false,\"self\":{\"last_collection_seconds\":0.000000,"
				    "\"collection_seconds_sum\":0.000000,\"cpu_user_seconds\":0.000000,"
				    "\"cpu_system_seconds\":0.000000,\"resident_memory_bytes\":0,"
				    "\"maps\":[]},\"modules\":{}}\n");
	free(stable);
	free(text);
	store_free(&s);
}

/* Valid UTF-8 kept byte for byte; every byte of an invalid sequence becomes U+FFFD. */
static void test_utf8_sanitize(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "\xc3\xbc\xe2\x82\xac\xf0\x9f\x90\x9d", "\xc3\xbc\xe2\x82\xac\xf0\x9f\x90\x9d" },
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },		 /* U+D7FF, just below the surrogates */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },	 /* U+10FFFF */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	 /* overlong */
		{ "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd" },	 /* cut short at the end */
		{ "\xe2\x82" "a", "\xef\xbf\xbd\xef\xbf\xbd" "a" },	 /* cut short by ASCII */
		{ "\x80", "\xef\xbf\xbd" },			 /* lone continuation */
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = export_utf8_sanitize(out, cases[i].in, strlen(cases[i].in));

		assert_int_equal(n, strlen(cases[i].out));
		assert_string_equal(out, cases[i].out);
	}
}

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
	assert_int_equal(json_render(&s, f, true), -1);
	fclose(f);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_all),
		cmocka_unit_test(test_golden_minimal),
		cmocka_unit_test(test_parsed_values),
		cmocka_unit_test(test_parsed_minimal),
		cmocka_unit_test(test_empty_store),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
