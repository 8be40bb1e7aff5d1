// SPDX-License-Identifier: GPL-2.0
/*
 * InfluxDB line protocol: the escaping of each part (measurement, tag key and
 * value, field key, string value), the grouping of a family's defs into one
 * line per label set, histograms, and the whole fixture store against a
 * golden file. Every line is also split as a line protocol parser splits it
 * (unescaped spaces), so an escaping mistake shows as a wrong part count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export/influx.h"
#include "fixture.h"
#include "golden.h"

#define TS 1700000000123456789ull

typedef void (*writer_fn)(FILE *out, const char *s);

static char *capture(writer_fn fn, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void key_writer(FILE *out, const char *s)
{
	influx_put_key(out, s, strlen(s));
}

static void tag_writer(FILE *out, const char *s)
{
	influx_put_tag(out, "app", s);
}

static void expect(writer_fn fn, const char *in, const char *want)
{
	char *got = capture(fn, in);

	if (strcmp(got, want))
		fail_msg("'%s' written as '%s', want '%s'", in, got, want);
	free(got);
}

static void test_measurement(void **state)
{
	(void)state;
	expect(influx_put_measurement, "ebpfmon_vfs", "ebpfmon_vfs");
	/* Commas and spaces escaped; an equals sign is plain in a measurement. */
	expect(influx_put_measurement, "a,b c=d", "a\\,b\\ c=d");
	expect(influx_put_measurement, "nl\nx", "nl?x");
}

static void test_keys_and_tags(void **state)
{
	(void)state;
	expect(key_writer, "plain", "plain");
	expect(key_writer, "a b,c=d", "a\\ b\\,c\\=d");
	/* A backslash before an ordinary character stays single... */
	expect(key_writer, "back\\slash", "back\\slash");
	/* ...doubled at the end (it would escape the separator) and before an escaped one. */
	expect(key_writer, "end\\", "end\\\\");
	expect(key_writer, "x\\,y", "x\\\\\\,y");
	expect(key_writer, "two\\\\", "two\\\\\\\\");
	/* Control characters cannot be carried: a newline would end the line. */
	expect(key_writer, "new\nline\r\t", "new?line??");
	/* Quotes need nothing in tags. */
	expect(key_writer, "quo\"te", "quo\"te");
	expect(tag_writer, "my app", ",app=my\\ app");
	/* An empty tag value is invalid line protocol: the tag is left out. */
	expect(tag_writer, "", "");
}

static void test_string_field(void **state)
{
	(void)state;
	expect(influx_put_string, "say \"hi\"", "\"say \\\"hi\\\"\"");
	expect(influx_put_string, "c:\\dir\\", "\"c:\\\\dir\\\\\"");
	expect(influx_put_string, "a, b=c", "\"a, b=c\"");
	expect(influx_put_string, "two\nlines", "\"two?lines\"");
}

/*
 * Split a line as InfluxDB does: measurement+tags, fields, timestamp at the
 * unescaped spaces outside string field values. Returns the number of parts.
 */
static int line_parts(const char *line, size_t len)
{
	int parts = 1;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\') {
			i++;
			continue;
		}
		/* Quotes delimit string field values only; in tags they are plain. */
		if (line[i] == '"' && parts == 2 && (quoted || line[i - 1] == '='))
			quoted = !quoted;
		else if (line[i] == ' ' && !quoted)
			parts++;
	}
	return parts;
}

static char *render(const struct store *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(influx_render(s, f, TS), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check_lines(const char *text)
{
	const char *p = text;
	int lines = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len;

		assert_non_null(nl);
		len = (size_t)(nl - p);
		if (line_parts(p, len) != 3)
			fail_msg("not measurement,tags fields timestamp: '%.*s'", (int)len, p);
		/* Every line ends with the timestamp given. */
		assert_true(len > 20 && !strncmp(nl - 19, "1700000000123456789", 19));
		lines++;
		p = nl + 1;
	}
	assert_true(lines > 0);
}

static void test_golden(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fx_store(&s, true, true, true);
	text = render(&s);
	check_lines(text);
	golden_check("influx_basic.txt", text);
	free(text);
	store_free(&s);
}

static void want_line(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing line: %s\nin:\n%s", line, text);
}

/* A family's defs share a line per label set; a fixed label makes a tag and a line of its own. */
static void test_grouping(void **state)
{
	struct store s;
	char *text;

	(void)state;
	fx_store(&s, true, true, true);
	text = render(&s);
	want_line(text, "\nebpfmon_sync before=10i,after=15i 1700000000123456789\n");
	want_line(text, "\nebpfmon_sync,call=sync calls=11i,errors=13i 1700000000123456789\n");
	want_line(text, "\nebpfmon_sync,call=fsync calls=12i,errors=14i 1700000000123456789\n");
	want_line(
	    text,
	    "\nebpfmon_app_sync,app=db,call=fsync calls=102i,errors=104i 1700000000123456789\n");
	want_line(
	    text,
	    "\nebpfmon_cgroup_sync,cgroup=/db.slice before=200i,after=205i 1700000000123456789\n");
	/* App names: spaces would split the line; quotes and backslashes are plain. */
	want_line(text, "\nebpfmon_app_vfs,app=quo\"te read_bytes=1i,read_calls=2i,read_errors=0i "
			"1700000000123456789\n");
	want_line(text, "\nebpfmon_app_vfs,app=back\\slash read_bytes=3i,");
	want_line(text, "\nebpfmon_app_vfs,app=new?line read_bytes=5i,");
	/* Merged rows (two names that become the same UTF-8) sum, as in Prometheus. */
	want_line(
	    text,
	    "\nebpfmon_app_vfs,app=x\xef\xbf\xbd read_bytes=300i,read_calls=3i,read_errors=1i ");
	/* The host-only gauge is a host field only. */
	want_line(text, "\nebpfmon_process tasks_created=500i,tasks_exited=450i,zombies=3i ");
	want_line(text, "\nebpfmon_app_process,app=init tasks_created=1i,tasks_exited=0i "
			"1700000000123456789\n");
	want_line(text, "\nebpfmon collections=42i 1700000000123456789\n");
	/* Error defs go with the errors switch. */
	s.errors = false;
	free(text);
	text = render(&s);
	want_line(text, "\nebpfmon_sync,call=sync calls=11i 1700000000123456789\n");
	assert_null(strstr(text, "read_errors"));
	/* The pusher's counters, once it runs. */
	s.push = (struct store_push){.on = true, .sent = 5, .failed = 2, .dropped = 1};
	free(text);
	text = render(&s);
	want_line(text, "\nebpfmon collections=42i,push_sent=5i,push_failed=2i,push_dropped=1i ");
	free(text);
	store_free(&s);
}

static const uint64_t hist_le[] = {1000, 1500000};

static const struct counter_def hist_defs[] = {
    {"calls_total", "Calls.", COUNTER_TOTAL, .labeled = true},
    {"latency_seconds", "Latency.", HISTOGRAM, .labeled = true, .le_ns = hist_le, .nr_le = 2},
    {"time_seconds_total", "Time.", COUNTER_TOTAL, .labeled = true, .ns_as_seconds = true},
};

/* Labeled rows: the module's own labels become tags; histograms fields per bucket. */
static void test_labeled_histogram(void **state)
{
	struct store s;
	struct module_stats *m;
	struct labeled_row *r;
	struct hist_value *h;
	char *text;

	(void)state;
	store_init(&s);
	m = store_add_module(&s, "disk", hist_defs, 3, 3);
	m->state = MODULE_UP;
	r = store_row_append(m);
	store_row_label(r, "dev", "sd a,1=x");
	store_row_label(r, "op", "");
	store_row_label(r, "name", "q\"b\\");
	r->v[0] = 7;
	r->v[2] = 1500000000;
	h = store_row_hist(m, 0, 1);
	h->buckets[0] = 2;
	h->buckets[1] = 3;
	h->buckets[2] = 1;
	h->sum_ns = 2500000;
	text = render(&s);
	check_lines(text);
	assert_string_equal(text, "ebpfmon_disk,dev=sd\\ a\\,1\\=x,name=q\"b\\\\ calls=7i,"
				  "latency_seconds_count=6i,latency_seconds_sum=0.0025,"
				  "latency_seconds_le_0.000001=2i,latency_seconds_le_0.0015=5i,"
				  "latency_seconds_le_inf=6i,time_seconds=1.5 1700000000123456789\n"
				  "ebpfmon collections=0i 1700000000123456789\n");
	free(text);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_measurement),	 cmocka_unit_test(test_keys_and_tags),
	    cmocka_unit_test(test_string_field), cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_grouping),	 cmocka_unit_test(test_labeled_histogram),
	};

	(void)have_command; /* golden.h's; no external checker reads line protocol offline */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
