// SPDX-License-Identifier: GPL-2.0
/* Application groups: file format, matching rules, precedence, error lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/apps_groups.h"

#define TMPFILES_PREFIX "ebpfmon-test-apps"
#include "unit/tmpfiles.h"

static struct apps_groups *load(const char *text)
{
	char err[256] = "";
	struct apps_groups *g = apps_groups_load_string(text, "t.conf", err, sizeof(err));

	if (!g)
		fail_msg("unexpected error: %s", err);
	assert_string_equal(err, "");
	return g;
}

static void expect_error(const char *text, const char *want)
{
	char err[256] = "";

	assert_null(apps_groups_load_string(text, "t.conf", err, sizeof(err)));
	assert_string_equal(err, want);
}

/* What @comm is grouped as; a NULL @want means "itself". */
static void expect_app(const struct apps_groups *g, const char *comm, const char *want)
{
	const char *got = apps_groups_match(g, comm);

	if (!want) {
		if (got != comm)
			fail_msg("'%s' matched group '%s', want no group", comm, got);
		return;
	}
	if (strcmp(got, want) != 0)
		fail_msg("'%s' is in '%s', want '%s'", comm, got, want);
}

static void test_null_and_empty(void **state)
{
	struct apps_groups *g;

	(void)state;
	expect_app(NULL, "bash", NULL);
	assert_null(apps_groups_match(NULL, NULL));
	apps_groups_free(NULL);

	g = load("");
	expect_app(g, "bash", NULL);
	apps_groups_free(g);
	g = load("# only comments\n\n   \n\t# indented comment\n");
	expect_app(g, "bash", NULL);
	apps_groups_free(g);
}

static void test_pattern_kinds(void **state)
{
	struct apps_groups *g = load("exact: nginx\n"
				     "prefix: php*\n"
				     "suffix: *sqld\n"
				     "substr: *worker*\n");

	(void)state;
	expect_app(g, "nginx", "exact");
	expect_app(g, "nginx2", NULL);
	expect_app(g, "xnginx", NULL);
	expect_app(g, "ngin", NULL);

	expect_app(g, "php", "prefix");
	expect_app(g, "php-fpm8.2", "prefix");
	expect_app(g, "ph", NULL);
	expect_app(g, "xphp", NULL);

	expect_app(g, "mysqld", "suffix");
	expect_app(g, "sqld", "suffix");
	expect_app(g, "mysqldump", NULL);

	expect_app(g, "worker", "substr");
	expect_app(g, "kworker/0:1", "substr");
	expect_app(g, "gunicornworker", "substr");
	expect_app(g, "work", NULL);

	/* Case matters: process names are case-sensitive. */
	expect_app(g, "NGINX", NULL);
	expect_app(g, "", NULL);
	apps_groups_free(g);
}

static void test_star_matches_all(void **state)
{
	struct apps_groups *g = load("web: nginx\neverything-else: *\nnever: bash\n");

	(void)state;
	expect_app(g, "nginx", "web");
	expect_app(g, "bash", "everything-else");
	expect_app(g, "", "everything-else");
	apps_groups_free(g);

	g = load("all: **\n");
	expect_app(g, "x", "all");
	apps_groups_free(g);
}

static void test_first_rule_wins(void **state)
{
	struct apps_groups *g = load("broad: foo*\nnarrow: foobar\n");

	(void)state;
	expect_app(g, "foobar", "broad");
	apps_groups_free(g);

	g = load("narrow: foobar\nbroad: foo*\n");
	expect_app(g, "foobar", "narrow");
	expect_app(g, "foobaz", "broad");
	apps_groups_free(g);

	/* Order is by line, then by position in the line. */
	g = load("a: x* *y\nb: xy\n");
	expect_app(g, "xy", "a");
	expect_app(g, "zy", "a");
	apps_groups_free(g);
}

static void test_group_on_several_lines(void **state)
{
	struct apps_groups *g = load("build: gcc cc1\n"
				     "ssh: ssh*\n"
				     "build: make ld\n");

	(void)state;
	expect_app(g, "gcc", "build");
	expect_app(g, "make", "build");
	expect_app(g, "sshd", "ssh");
	expect_app(g, "cc", NULL);
	apps_groups_free(g);
}

static void test_syntax_details(void **state)
{
	/* A byte-order mark, then a comment. */
	struct apps_groups *g = load("\xEF\xBB\xBF"
				     "   # comment\r\n"
				     "  web  :\tnginx   httpd\r\n"
				     "tmux: 'tmux: server' # a trailing comment\n"
				     "quotes: \"it's\" 'say \"hi\"' '*Web Content*'\n"
				     "empty-group:\n"
				     "dotted.name-1: a.b\n"
				     "last: final"); /* no '\n' at the end */

	(void)state;
	expect_app(g, "nginx", "web");
	expect_app(g, "httpd", "web");
	expect_app(g, "tmux: server", "tmux");
	expect_app(g, "tmux", NULL);
	expect_app(g, "#", NULL);
	expect_app(g, "it's", "quotes");
	expect_app(g, "say \"hi\"", "quotes");
	expect_app(g, "Web Content", "quotes");
	expect_app(g, "Isolated Web Content", "quotes");
	expect_app(g, "a.b", "dotted.name-1");
	expect_app(g, "axb", NULL);
	expect_app(g, "final", "last");
	apps_groups_free(g);
}

/*
 * Linux keeps 15 characters of a process name: a longer exact or prefix
 * pattern still matches the name as the kernel reports it.
 */
static void test_comm_truncation(void **state)
{
	struct apps_groups *g = load("journal: systemd-journald-audit\n"
				     "longprefix: averyveryverylongname*\n"
				     "short: abc\n");

	(void)state;
	assert_int_equal(strlen("systemd-journal"), 15);
	expect_app(g, "systemd-journal", "journal");
	expect_app(g, "systemd-journa", NULL);	 /* 14 characters: not a truncated name */
	expect_app(g, "systemd-journaX", NULL);
	expect_app(g, "averyveryverylo", "longprefix");
	expect_app(g, "averyveryverylX", NULL);
	/* A short pattern gets no such treatment. */
	expect_app(g, "abcdefghijklmno", NULL);
	apps_groups_free(g);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("web: nginx\n\nfoo bar \r\n",
		     "t.conf:3: expected 'group: pattern ...', not 'foo bar'");
	expect_error("# c\n: nginx\n",
		     "t.conf:2: no group name before ':'; write 'group: pattern ...'");
	expect_error("   \t : nginx\n",
		     "t.conf:1: no group name before ':'; write 'group: pattern ...'");
	expect_error("a: b\nweb: 'nginx httpd\n",
		     "t.conf:2: unterminated single quote in group 'web'");
	expect_error("web: \"nginx\n", "t.conf:1: unterminated double quote in group 'web'");
	expect_error("web: ngi*nx\n",
		     "t.conf:1: '*' may only start or end a pattern, not be inside 'ngi*nx' "
		     "(group 'web')");
	expect_error("web: ***\n",
		     "t.conf:1: '*' may only start or end a pattern, not be inside '***' "
		     "(group 'web')");
	expect_error("web: nginx \"\"\n", "t.conf:1: empty pattern \"\" in group 'web'");
	/* The first bad line is the one reported. */
	expect_error("ok: a\nbad1\nbad2\n",
		     "t.conf:2: expected 'group: pattern ...', not 'bad1'");
}

static void test_error_buffer(void **state)
{
	char err[8];

	(void)state;
	assert_null(apps_groups_load_string("bad\n", NULL, NULL, 0));
	memset(err, 'z', sizeof(err));
	assert_null(apps_groups_load_string("bad\n", "o", err, 4));
	assert_string_equal(err, "o:1");
	assert_int_equal(err[4], 'z');
	assert_null(apps_groups_load_string("bad\n", NULL, err, sizeof(err)));
	assert_string_equal(err, "(string");
}

static void test_files(void **state)
{
	const char *good = write_tmp("apps_groups.conf",
				     "# Shaped like Netdata's apps_groups.conf.\n"
				     "\n"
				     "sql: mysqld* postgres*\n"
				     "web: nginx* apache* httpd\n"
				     "aws-cli: '*aws s3*' s3cmd\n"
				     "kernel: kworker* ksoftirqd*\n");
	const char *bad = write_tmp("bad.conf", "web: nginx\nbroken\n");
	const char *empty = write_tmp("empty.conf", "");
	struct apps_groups *g;
	char err[512], want[512], missing[300];

	(void)state;
	g = apps_groups_load_file(good, err, sizeof(err));
	assert_non_null(g);
	expect_app(g, "postgres", "sql");
	expect_app(g, "nginx", "web");
	expect_app(g, "kworker/u8:2", "kernel");
	expect_app(g, "bash", NULL);
	apps_groups_free(g);

	assert_null(apps_groups_load_file(bad, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: expected 'group: pattern ...', not 'broken'", bad);
	assert_string_equal(err, want);

	g = apps_groups_load_file(empty, err, sizeof(err));
	assert_non_null(g);
	expect_app(g, "bash", NULL);
	apps_groups_free(g);

	snprintf(missing, sizeof(missing), "%s/missing.conf", tmpdir);
	assert_null(apps_groups_load_file(missing, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", missing);
	assert_string_equal(err, want);

	assert_null(apps_groups_load_file(tmpdir, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s: is a directory, not a regular file; give the path of a text file", tmpdir);
	assert_string_equal(err, want);
}

/* Lines as Netdata ships them: repeated groups, quoted patterns, every pattern kind. */
static void test_netdata_lines(void **state)
{
	struct apps_groups *g = load("# comment as in Netdata's file\n"
				     "netdata: netdata\n"
				     "charts.d.plugin: *charts.d.plugin*\n"
				     "sql: mysqld* mariad* postgres* postmaster* oracle_* ora_* sqlservr\n"
				     "mda: dovecot *imapd *pop3d *popd\n"
				     "aws-s3: '*aws s3*' s3cmd s5cmd\n"
				     "aws: aws\n"
				     "libvirt: virtlogd virtqemud virtstoraged virtnetworkd virtlockd\n"
				     "libvirt: virtnodedevd virtproxyd virtsecretd libvirtd\n"
				     "ssh: ssh* scp sftp* dropbear\n");

	(void)state;
	expect_app(g, "netdata", "netdata");
	expect_app(g, "postgres", "sql");
	expect_app(g, "imapd", "mda");
	expect_app(g, "aws s3 sync", "aws-s3");
	expect_app(g, "aws", "aws");
	expect_app(g, "libvirtd", "libvirt");
	expect_app(g, "sshd", "ssh");
	apps_groups_free(g);
}

/* A pattern listed twice could only ever match under its first group: refused. */
static void test_duplicate_patterns(void **state)
{
	struct apps_groups *g;

	(void)state;
	expect_error("web: nginx httpd\nproxy: haproxy nginx\n",
		     "t.conf:2: pattern 'nginx' is already listed on line 1 (group 'web'), and the "
		     "first rule that matches wins: remove one");
	expect_error("web: nginx* nginx*\n",
		     "t.conf:1: pattern 'nginx*' is already listed on line 1 (group 'web'), and the "
		     "first rule that matches wins: remove one");
	/* Quoting does not make a pattern different; '*' and '**' both match everything. */
	expect_error("a: '*aws s3*'\nb: \"*aws s3*\"\n",
		     "t.conf:2: pattern '*aws s3*' is already listed on line 1 (group 'a'), and the "
		     "first rule that matches wins: remove one");
	expect_error("all: *\n\nrest: **\n",
		     "t.conf:3: pattern '**' is already listed on line 1 (group 'all'), and the "
		     "first rule that matches wins: remove one");
	/* Different kinds of the same text are different patterns. */
	g = load("a: x\nb: x*\nc: *x\nd: *x*\n");
	expect_app(g, "x", "a");
	expect_app(g, "xy", "b");
	expect_app(g, "yx", "c");
	expect_app(g, "yxy", "d");
	apps_groups_free(g);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "web: nginx\nsql: mysqld\0 postgres\n";
	const char *path = write_tmp_bytes("nul.conf", text, sizeof(text) - 1);
	char err[512], want[600];

	(void)state;
	assert_null(apps_groups_load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s:2: the line contains a NUL byte; an apps groups file is plain text: remove it",
		 path);
	assert_string_equal(err, want);
	assert_null(apps_groups_load_buffer(text, sizeof(text) - 1, "t.conf", err, sizeof(err)));
	assert_string_equal(err, "t.conf:2: the line contains a NUL byte; an apps groups file is "
				 "plain text: remove it");
}

static void test_not_a_regular_file(void **state)
{
	char err[512];

	(void)state;
	assert_null(apps_groups_load_file("/dev/zero", err, sizeof(err)));
	assert_string_equal(err, "/dev/zero: is a character device, not a regular file; give the "
				 "path of a text file");
}

static void test_long_line(void **state)
{
	char *text = malloc(APPS_GROUPS_MAX_LINE + 2), err[256];
	struct apps_groups *g;
	int used;

	(void)state;
	assert_non_null(text);
	/* A line of exactly the limit: a pattern, then a long comment... */
	used = snprintf(text, APPS_GROUPS_MAX_LINE, "g: p0001 #");
	memset(text + used, 'x', APPS_GROUPS_MAX_LINE - used);
	text[APPS_GROUPS_MAX_LINE] = '\n';
	g = apps_groups_load_buffer(text, APPS_GROUPS_MAX_LINE + 1, "t.conf", err, sizeof(err));
	if (!g)
		fail_msg("a line of exactly %d characters refused: %s", APPS_GROUPS_MAX_LINE, err);
	expect_app(g, "p0001", "g");
	apps_groups_free(g);
	/* ...and one character more is refused at its line. */
	memcpy(text + APPS_GROUPS_MAX_LINE, "x\n", 2);
	assert_null(apps_groups_load_buffer(text, APPS_GROUPS_MAX_LINE + 2, "t.conf", err,
					    sizeof(err)));
	assert_string_equal(err, "t.conf:1: line is longer than 4096 characters; split it (a group "
				 "may be listed on several lines)");
	free(text);
}

static void test_control_characters_in_messages(void **state)
{
	(void)state;
	expect_error("web: ngi*nx\x1b[2J\n",
		     "t.conf:1: '*' may only start or end a pattern, not be inside 'ngi*nx?[2J' "
		     "(group 'web')");
	expect_error("\x1b]0;title\x07 nothing\n",
		     "t.conf:1: expected 'group: pattern ...', not '?]0;title? nothing'");
}

/* Many rules: the result is the same as a straightforward reading of the file. */
static void test_many_rules(void **state)
{
	size_t cap = 1 << 16, used = 0;
	char *text = malloc(cap);
	struct apps_groups *g;
	char comm[32];

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 1000; i++)
		used += snprintf(text + used, cap - used, "g%d: p%d q%d*\n", i, i, i);
	g = load(text);
	free(text);
	expect_app(g, "p0", "g0");
	expect_app(g, "p999", "g999");
	/* "q1*" (line 2) comes before "q10*" (line 11). */
	expect_app(g, "q10x", "g1");
	snprintf(comm, sizeof(comm), "p1000");
	expect_app(g, comm, NULL);
	apps_groups_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_pattern_kinds),
		cmocka_unit_test(test_star_matches_all),
		cmocka_unit_test(test_first_rule_wins),
		cmocka_unit_test(test_group_on_several_lines),
		cmocka_unit_test(test_syntax_details),
		cmocka_unit_test(test_comm_truncation),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_netdata_lines),
		cmocka_unit_test(test_duplicate_patterns),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_not_a_regular_file),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_control_characters_in_messages),
		cmocka_unit_test(test_many_rules),
	};

	return cmocka_run_group_tests_name("apps_groups", tests, group_setup, group_teardown);
}
