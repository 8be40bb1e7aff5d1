// SPDX-License-Identifier: GPL-2.0
/*
 * bash module, user side: the uid's user name, RFC 3339 times in any time
 * zone, DataKit's message, the `bash` line-protocol line (escaping
 * included, checked by splitting it as a parser would), the JSON row
 * (parsed back with json-c), the readline symbol check and --binary errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "modules/bash/bash_api.h"
#include "modules/bash/bash_int.h"

/* 2023-11-14T22:13:20Z and 123456789 ns */
#define T0 1700000000123456789ull

static char *capture_row(void (*fn)(FILE *, const struct bash_row *, const char *),
			 const struct bash_row *r, const char *host)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, r, host);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void json_fn(FILE *f, const struct bash_row *r, const char *host)
{
	(void)host;
	bash_row_json(f, r);
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void test_time_zones(void **state)
{
	char buf[64];

	(void)state;
	set_tz("UTC0");
	bash_format_time(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20Z");
	set_tz("EST5"); /* no daylight saving: always -05:00 */
	bash_format_time(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T17:13:20-05:00");
	set_tz("IST-5:30");
	bash_format_time(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-15T03:43:20+05:30");
	set_tz("UTC0");
}

static void test_user_names(void **state)
{
	char buf[64];

	(void)state;
	bash_user_name(0, buf, sizeof(buf));
	assert_string_equal(buf, "root");
	/* No such user: the uid itself. */
	bash_user_name(4000000123u, buf, sizeof(buf));
	assert_string_equal(buf, "4000000123");
	bash_user_name(4000000123u, buf, 4);
	assert_string_equal(buf, "400");
}

static struct bash_row row(const char *cmd)
{
	struct bash_row r = { .seq = 1, .time_ns = T0, .pid = 4242, .uid = 0 };

	snprintf(r.user, sizeof(r.user), "root");
	snprintf(r.comm, sizeof(r.comm), "bash");
	snprintf(r.cmd, sizeof(r.cmd), "%s", cmd);
	return r;
}

static void test_message(void **state)
{
	struct bash_row r = row("ls -l /tmp");
	char buf[BASH_LINE_MAX + 160];
	int n;

	(void)state;
	set_tz("UTC0");
	n = bash_format_message(&r, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20Z pid:`4242` user:`root` cmd:`ls -l /tmp`");
	assert_int_equal(n, (int)strlen(buf));
}

/* Split a line as a line-protocol parser does: unescaped spaces outside quotes. */
static int lp_parts(const char *s)
{
	int parts = 1;
	bool quoted = false;

	for (; *s && *s != '\n'; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			continue;
		}
		if (*s == '"')
			quoted = !quoted;
		else if (*s == ' ' && !quoted)
			parts++;
	}
	return parts;
}

static void test_influx_line(void **state)
{
	struct bash_row r = row("echo \"hi\" \\ x\nnext");
	char *s;

	(void)state;
	set_tz("UTC0");
	s = capture_row(bash_row_influx, &r, "web 1");
	assert_string_equal(
		s, "bash,host=web\\ 1 cmd=\"echo \\\"hi\\\" \\\\ x?next\","
		   "message=\"2023-11-14T22:13:20Z pid:`4242` user:`root` cmd:`echo \\\"hi\\\" \\\\ x?next`\","
		   "pid=\"4242\",user=\"root\",truncated=false 1700000000123456789\n");
	assert_int_equal(lp_parts(s), 3);
	free(s);

	r = row("true");
	r.truncated = true;
	s = capture_row(bash_row_influx, &r, NULL);
	assert_string_equal(s, "bash cmd=\"true\",message=\"2023-11-14T22:13:20Z pid:`4242` user:`root` cmd:`true`\","
			       "pid=\"4242\",user=\"root\",truncated=true 1700000000123456789\n");
	free(s);
}

static void test_json_row(void **state)
{
	struct bash_row r = row("printf '\\t%s\\n' \"\xc3\xa9t\xc3\xa9\"");
	struct json_object *o, *v;
	char *s;

	(void)state;
	set_tz("UTC0");
	r.truncated = true;
	s = capture_row(json_fn, &r, NULL);
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "cmd", &v));
	assert_string_equal(json_object_get_string(v), r.cmd);
	assert_true(json_object_object_get_ex(o, "pid", &v));
	assert_int_equal(json_object_get_int64(v), 4242);
	assert_true(json_object_object_get_ex(o, "time_ns", &v));
	assert_true((uint64_t)json_object_get_uint64(v) == T0);
	assert_true(json_object_object_get_ex(o, "truncated", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "time", &v));
	assert_string_equal(json_object_get_string(v), "2023-11-14T22:13:20Z");
	assert_true(json_object_object_get_ex(o, "user", &v));
	assert_string_equal(json_object_get_string(v), "root");
	json_object_put(o);
	free(s);
}

static void test_recent_log_off(void **state)
{
	uint64_t last = 99;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	/* The module is not running: nothing, and the caller's position kept. */
	assert_int_equal(bash_rows_influx(f, "h", 7, &last), 0);
	assert_int_equal(last, 7);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
}

static void test_binaries(void **state)
{
	struct bash_binaries b;
	char why[256], err[256];

	(void)state;
	assert_false(bash_elf_has_readline("/etc/hostname", why, sizeof(why)));
	assert_string_equal(why, "not an ELF file");
	/* This test binary is ELF and has no readline. */
	assert_false(bash_elf_has_readline("/proc/self/exe", why, sizeof(why)));
	assert_non_null(strstr(why, "no readline function"));
	assert_false(bash_elf_has_readline("/nonexistent/bash", why, sizeof(why)));
	assert_int_equal(bash_find_binaries(&b, "/nonexistent/bash", err, sizeof(err)), -1);
	assert_string_equal(err, "bash binary /nonexistent/bash: No such file or directory");
	assert_int_equal(bash_find_binaries(&b, "/etc/hostname", err, sizeof(err)), -1);
	assert_string_equal(err, "bash binary /etc/hostname: not an ELF file");
	assert_int_equal(bash_find_binaries(&b, "/proc/self/exe", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no readline function"));
	/* Debian's bash exports readline. The same file under two names is kept once. */
	assert_true(bash_elf_has_readline("/bin/bash", why, sizeof(why)));
	assert_int_equal(bash_find_binaries(&b, "/bin/bash /bin/bash", err, sizeof(err)), 0);
	for (unsigned int i = 0; i < b.nr; i++)
		for (unsigned int j = 0; j < i; j++)
			assert_false(b.dev[i] == b.dev[j] && b.ino[i] == b.ino[j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_zones),     cmocka_unit_test(test_user_names),
		cmocka_unit_test(test_message),	       cmocka_unit_test(test_influx_line),
		cmocka_unit_test(test_json_row),       cmocka_unit_test(test_recent_log_off),
		cmocka_unit_test(test_binaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
