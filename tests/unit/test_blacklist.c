// SPDX-License-Identifier: GPL-2.0
/*
 * DataKit's netlog blacklist language (core/blacklist.c): every identifier,
 * operator and function, DataKit's precedence (&& and || on one level, left
 * to right), rules split by ';' and line breaks, line breaks after operators,
 * IPv4 and IPv6 networks, and each kind of error with its line and column.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/blacklist.h"

static struct bl_row v4(const char *src, uint16_t sport, const char *dst, uint16_t dport, bool tcp)
{
	struct bl_row r = { .tcp = tcp, .udp = !tcp, .ipv4 = true, .src_port = sport,
			    .dst_port = dport };

	assert_int_equal(inet_pton(AF_INET, src, r.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, dst, r.daddr), 1);
	return r;
}

static struct bl_row v6(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct bl_row r = { .tcp = true, .ipv6 = true, .src_port = sport, .dst_port = dport };

	assert_int_equal(inet_pton(AF_INET6, src, r.saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, r.daddr), 1);
	return r;
}

/* Whether @text matches @r; the text must compile. */
static bool match(const char *text, const struct bl_row *r)
{
	char err[256] = "";
	struct blacklist *b = blacklist_compile(text, "t", err, sizeof(err));
	bool hit;

	if (!b)
		print_message("# %s: %s\n", text, err);
	assert_non_null(b);
	hit = blacklist_match(b, r);
	blacklist_free(b);
	return hit;
}

static void expect_error(const char *text, const char *want)
{
	char err[256] = "";
	struct blacklist *b = blacklist_compile(text, "netlog blacklist", err, sizeof(err));

	if (b)
		print_message("# compiled: %s\n", text);
	assert_null(b);
	assert_string_equal(err, want);
}

static void test_issue_example(void **state)
{
	const char *rule = "tcp && (dst_port == 8080 || src_port == 8080)";
	struct bl_row a = v4("10.0.0.1", 40000, "10.0.0.2", 8080, true);
	struct bl_row b = v4("10.0.0.2", 8080, "10.0.0.1", 40000, true);
	struct bl_row c = v4("10.0.0.1", 40000, "10.0.0.2", 8443, true);
	struct bl_row d = v4("10.0.0.1", 40000, "10.0.0.2", 8080, false);

	(void)state;
	assert_true(match(rule, &a));
	assert_true(match(rule, &b));
	assert_false(match(rule, &c));
	assert_false(match(rule, &d)); /* udp */
}

static void test_fields_and_operators(void **state)
{
	struct bl_row r = v4("192.168.1.5", 5353, "10.1.2.3", 53, false);
	struct bl_row s = v6("fd00::1", 1234, "2001:db8::7", 443);

	(void)state;
	assert_true(match("udp", &r));
	assert_false(match("tcp", &r));
	assert_true(match("ipv4", &r));
	assert_false(match("ipv6", &r));
	assert_true(match("ipv6", &s));
	assert_true(match("dst_port < 54 && dst_port <= 53 && dst_port >= 53 && dst_port > 52", &r));
	assert_false(match("dst_port != 53", &r));
	assert_true(match("ip_saddr == \"192.168.1.5\"", &r));
	assert_true(match("ip_daddr != \"192.168.1.5\"", &r));
	assert_true(match("ip6_saddr == \"\"", &r)); /* an IPv4 row has no IPv6 address */
	assert_true(match("ip_saddr == \"\" && ip6_daddr == \"2001:db8::7\"", &s));
	assert_true(match("!tcp", &r));
	assert_true(match("!!udp", &r));
	assert_true(match("udp == true && tcp == false", &r));
	assert_true(match("k8s_src_pod == \"\"", &r)); /* no pod name: "" */
	r.k8s_src_pod = "datakit-kfez321";
	assert_true(match("has_prefix(k8s_src_pod, \"datakit-\") || has_prefix(k8s_dst_pod, \"datakit-\")",
			  &r));
	assert_false(match("has_prefix(k8s_src_pod, \"web-\")", &r));
	assert_true(match("has_prefix(\"a\\\"b\", \"a\\\"\")", &r)); /* escapes */
}

static void test_networks(void **state)
{
	struct bl_row r = v4("127.0.0.1", 1, "10.200.3.4", 2, true);
	struct bl_row s = v6("fd00::1", 1, "2001:db8::7", 2);

	(void)state;
	assert_true(match("ipnet_contains(\"127.0.0.0/8\", ip_saddr)", &r));
	assert_true(match("ipnet_contains(\"10.192.0.0/10\", ip_daddr)", &r));
	assert_false(match("ipnet_contains(\"10.128.0.0/10\", ip_daddr)", &r));
	assert_true(match("ipnet_contains(\"10.200.3.4\", ip_daddr)", &r)); /* a host */
	assert_false(match("ipnet_contains(\"fd00::/8\", ip_saddr)", &r));  /* family differs */
	assert_true(match("ipnet_contains(\"fd00::/8\", ip6_saddr)", &s));
	assert_true(match("ipnet_contains(\"2001:db8::/32\", ip6_daddr)", &s));
	assert_false(match("ipnet_contains(\"2001:db9::/32\", ip6_daddr)", &s));
	assert_true(match("ipnet_contains(\"0.0.0.0/0\", ip_saddr)", &r));
	assert_false(match("ipnet_contains(\"0.0.0.0/0\", ip6_saddr)", &r)); /* "" is no address */
}

/* DataKit's table puts && and || on one level, left to right. */
static void test_precedence_and_rules(void **state)
{
	struct bl_row r = v4("1.1.1.1", 80, "2.2.2.2", 90, true);

	(void)state;
	/* (true || true) && false = false; with && binding tighter it would be true. */
	assert_false(match("tcp || tcp && udp", &r));
	assert_true(match("tcp || (tcp && udp)", &r));
	assert_false(match("!tcp || udp", &r)); /* ! binds tighter than || */
	/* Rules: any one matching is enough; empty ones and comments are nothing. */
	assert_true(match("udp; src_port == 80", &r));
	assert_true(match("\n\nudp\n\n# a comment\nsrc_port == 80\n", &r));
	assert_false(match("udp;;dst_port == 80;", &r));
	/* A line break after an operator or inside parentheses continues the rule. */
	assert_true(match("(ip_saddr == \"9.9.9.9\" || ip_saddr == \"1.1.1.1\") &&\n"
			  "     (src_port == 80 ||\n dst_port == 80)",
			  &r));
	assert_true(match("ipnet_contains(\n\"1.0.0.0/8\",\n ip_saddr\n)", &r));
	assert_false(match("", &r));
	{
		char err[64];
		struct blacklist *b = blacklist_compile("tcp; udp\nipv4", "t", err, sizeof(err));

		assert_non_null(b);
		assert_int_equal(blacklist_rules(b), 3);
		blacklist_free(b);
	}
	assert_false(blacklist_match(NULL, &r));
}

static void test_errors(void **state)
{
	char big[BL_MAX_TEXT + 2], deep[200];

	(void)state;
	expect_error("tcp &&", "netlog blacklist: line 1, column 7: expected a name, a number, a string or '(', found the end");
	expect_error("tcp & udp", "netlog blacklist: line 1, column 5: expected an operator, ';' or the end of the line, found a character it cannot read");
	expect_error("(tcp", "netlog blacklist: line 1, column 5: expected ')', found the end");
	expect_error("tcp\nudp ||| ipv4", "netlog blacklist: line 2, column 7: expected a name, a number, a string or '(', found a character it cannot read");
	expect_error("dst_prot == 80", "netlog blacklist: line 1, column 1: unknown name 'dst_prot'; known: tcp, udp, ipv4, ipv6, src_port, dst_port, ip_saddr, ip_daddr, ip6_saddr, ip6_daddr, k8s_src_pod, k8s_dst_pod, ipnet_contains, has_prefix, true, false");
	expect_error("tcp == 5", "netlog blacklist: line 1, column 1: cannot compare a bool with an int");
	expect_error("ip_saddr < \"1\"", "netlog blacklist: line 1, column 1: a string compares with == and != only, not '<'");
	expect_error("src_port", "netlog blacklist: line 1, column 1: expected a rule that is true or false, found an int alone");
	expect_error("src_port && tcp", "netlog blacklist: line 1, column 1: expected a bool before '&&', found an int");
	expect_error("!src_port", "netlog blacklist: line 1, column 1: expected a bool after '!', found an int");
	expect_error("has_prefix(src_port, \"1\")", "netlog blacklist: line 1, column 12: expected a string as has_prefix's argument 1");
	expect_error("ipnet_contains(\"10.0.0.0/33\", ip_saddr)", "netlog blacklist: line 1, column 16: expected a network such as \"10.0.0.0/8\" or \"fd00::/8\", found \"10.0.0.0/33\"");
	expect_error("ipnet_contains(\"10.0.0.0/8\" ip_saddr)", "netlog blacklist: line 1, column 29: expected ',', found 'ip_saddr'");
	expect_error("ip_saddr == \"1.1.1.1", "netlog blacklist: line 1, column 13: expected '\"' to end the string");
	expect_error("ip_saddr == \"a\\nb\"", "netlog blacklist: line 1, column 15: expected '\\\"' or '\\\\' after a backslash");
	expect_error("src_port == 99999999999999999999", "netlog blacklist: line 1, column 13: the number is too large");
	/* Bounds: text length and nesting. */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	expect_error(big, "netlog blacklist: longer than 4096 characters");
	memset(deep, '(', 100);
	strcpy(deep + 100, "tcp");
	expect_error(deep, "netlog blacklist: line 1, column 33: expressions nest deeper than 32");
	memset(deep, '!', 100);
	strcpy(deep + 100, "tcp");
	expect_error(deep, "netlog blacklist: line 1, column 32: expressions nest deeper than 32");
	/* A NULL or short error buffer is not written past. */
	assert_null(blacklist_compile("tcp &&", "t", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_example),
		cmocka_unit_test(test_fields_and_operators),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_precedence_and_rules),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("blacklist", tests, NULL, NULL);
}
