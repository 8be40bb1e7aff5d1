// SPDX-License-Identifier: GPL-2.0
/*
 * The network viewer's user-space half (conn_view.c): every filter pattern
 * kind, exclusions and first-match order, Netdata's default ips line, bad
 * patterns, service names, the ephemeral-port collapse with exact sums,
 * ordering, the row limit, ip types, and the JSON a real parser reads back.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "golden.h"
#include "modules/socket/conn_view.h"

#define TMPFILES_PREFIX "ebpfmon-test-conn"
#include "tmpfiles.h"

#define OUT CONN_DIR_OUTGOING
#define IN  CONN_DIR_INCOMING
#define UNK CONN_DIR_UNKNOWN

/* A TCP row from @src:@sport (local) to @dst:@dport; the family from the text. */
static struct conn_row row(__u8 dir, const char *src, __u16 sport, const char *dst, __u16 dport)
{
	struct conn_row r = {0};
	int af = strchr(dst, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(af, src, r.t.saddr), 1);
	assert_int_equal(inet_pton(af, dst, r.t.daddr), 1);
	r.t.family = (__u16)af;
	r.t.protocol = IPPROTO_TCP;
	r.t.direction = dir;
	r.t.sport = sport;
	r.t.dport = dport;
	r.pid = 100;
	strcpy(r.process_name, "curl");
	r.connections = 1;
	r.open = true;
	return r;
}

static struct conn_filter filter_of(enum conn_list_kind kind, const char *text,
				    const struct conn_services *services)
{
	struct conn_filter f;
	char err[256] = "";

	conn_filter_init(&f);
	if (conn_filter_parse(&f, kind, text, services, err, sizeof(err)))
		fail_msg("'%s' refused: %s", text, err);
	return f;
}

static bool shows(enum conn_list_kind kind, const char *text, struct conn_row r)
{
	struct conn_filter f = filter_of(kind, text, NULL);
	bool ok = conn_filter_match(&f, &r);

	conn_filter_free(&f);
	return ok;
}

static bool port_shown(const char *text, __u16 port)
{
	return shows(CONN_LIST_PORTS, text, row(OUT, "10.0.0.1", 40000, "10.0.0.2", port));
}

static bool ip_shown(const char *text, const char *dst)
{
	const char *src = strchr(dst, ':') ? "fd00::1" : "10.0.0.1";

	return shows(CONN_LIST_IPS, text, row(OUT, src, 40000, dst, 443));
}

static void test_ports(void **state)
{
	(void)state;
	assert_true(port_shown("22", 22));
	assert_false(port_shown("22", 23));
	assert_true(port_shown("1000-2000", 1000));
	assert_true(port_shown("1000-2000", 2000));
	assert_false(port_shown("1000-2000", 2001));
	assert_true(port_shown("1000:2000", 1500)); /* Netdata's other range form */
	assert_true(port_shown("*", 65535));
	assert_true(port_shown("", 7));	     /* an empty list restricts nothing */
	assert_true(port_shown("  \t ", 7)); /* nor does a blank one */
	/* What no pattern matches is hidden; a trailing * shows the rest. */
	assert_false(port_shown("!22", 80));
	assert_false(port_shown("!22", 22));
	assert_true(port_shown("!22 *", 80));
	assert_false(port_shown("!22 *", 22));
	/* The first match decides. */
	assert_true(port_shown("1-1024 !22", 22));
	assert_false(port_shown("!22 1-1024", 22));
	assert_true(port_shown("!22 1-1024", 80));
	assert_false(port_shown("!1000-2000 1500", 1500));
}

/* The port a list looks at: the server's, whichever side it is on. */
static void test_service_port(void **state)
{
	struct conn_row in = row(IN, "10.0.0.1", 22, "10.0.0.2", 50123);
	struct conn_row out = row(OUT, "10.0.0.1", 50123, "10.0.0.2", 22);
	struct conn_row unk = row(UNK, "10.0.0.1", 50123, "10.0.0.2", 22);
	struct conn_row unk2 = row(UNK, "10.0.0.1", 22, "10.0.0.2", 50123);

	(void)state;
	assert_int_equal(conn_service_port(&in.t), 22);
	assert_int_equal(conn_service_port(&out.t), 22);
	assert_int_equal(conn_service_port(&unk.t), 22);
	assert_int_equal(conn_service_port(&unk2.t), 22);
	assert_true(shows(CONN_LIST_PORTS, "22", in));
	assert_true(shows(CONN_LIST_PORTS, "22", out));
	assert_false(shows(CONN_LIST_PORTS, "50123", in));
	assert_false(shows(CONN_LIST_PORTS, "!22 *", in));
}

static void test_port_names(void **state)
{
	struct conn_services s = {0};
	const char *path = write_tmp("services-names", "ssh 22/tcp\n"
						       "http 80/tcp www # comment\n"
						       "syslog 514/udp\n");
	char err[256];
	struct conn_filter f;
	struct conn_row r = row(OUT, "10.0.0.1", 40000, "10.0.0.2", 80);

	(void)state;
	assert_int_equal(conn_services_load(&s, path), 0);
	f = filter_of(CONN_LIST_PORTS, "!ssh www syslog", &s);
	assert_true(conn_filter_match(&f, &r));
	r.t.dport = 514;
	assert_true(conn_filter_match(&f, &r));
	r.t.dport = 22;
	assert_false(conn_filter_match(&f, &r));
	/* Unknown names are refused, naming the list and the name. */
	assert_int_equal(
	    conn_filter_parse(&f, CONN_LIST_PORTS, "ssh gopherx", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ports: bad pattern 'gopherx'"));
	assert_non_null(strstr(err, "no such service"));
	/* ... and the list keeps what it had. */
	r.t.dport = 80;
	assert_true(conn_filter_match(&f, &r));
	/* An override names a port for a filter too. */
	assert_int_equal(conn_services_override(&s, "9100", "node", err, sizeof(err)), 0);
	assert_int_equal(conn_filter_parse(&f, CONN_LIST_PORTS, "node", &s, err, sizeof(err)), 0);
	r.t.dport = 9100;
	assert_true(conn_filter_match(&f, &r));
	conn_filter_free(&f);
	conn_services_free(&s);
}

static void test_ips(void **state)
{
	(void)state;
	assert_true(ip_shown("10.0.0.2", "10.0.0.2"));
	assert_false(ip_shown("10.0.0.2", "10.0.0.3"));
	assert_true(ip_shown("10.0.0.0/8", "10.255.255.255"));
	assert_false(ip_shown("10.0.0.0/8", "11.0.0.0"));
	assert_true(ip_shown("0.0.0.0/0", "8.8.8.8"));
	assert_true(ip_shown("10.0.0.1-10.0.0.20", "10.0.0.20"));
	assert_false(ip_shown("10.0.0.1-10.0.0.20", "10.0.0.21"));
	assert_true(ip_shown("fc00::/7", "fdff::1"));
	assert_false(ip_shown("fc00::/7", "fe00::1"));
	assert_true(ip_shown("2001:db8::1-2001:db8::ff", "2001:db8::80"));
	assert_true(ip_shown("::1", "::1"));
	assert_true(ip_shown("*", "2001:db8::1"));
	assert_true(ip_shown("*", "1.2.3.4"));
	/* Families do not mix, except an IPv4-mapped address meets IPv4 patterns. */
	assert_false(ip_shown("10.0.0.0/8", "fd00::10"));
	assert_false(ip_shown("::/0", "10.0.0.1"));
	assert_true(ip_shown("10.0.0.0/8", "::ffff:10.1.2.3"));
	assert_true(ip_shown("::ffff:0:0/96", "::ffff:10.1.2.3"));
	/* Host bits are cleared, as Netdata does. */
	assert_true(ip_shown("10.1.2.3/8", "10.200.0.1"));
	/* Exclusions and order. */
	assert_false(ip_shown("!10.1.0.0/16 10.0.0.0/8", "10.1.2.3"));
	assert_true(ip_shown("!10.1.0.0/16 10.0.0.0/8", "10.2.2.3"));
	assert_true(ip_shown("10.0.0.0/8 !10.1.0.0/16", "10.1.2.3"));
	assert_false(ip_shown("!*", "10.1.2.3"));
}

static void test_netdata_default_ips(void **state)
{
	static const struct {
		const char *ip;
		bool shown;
	} cases[] = {
	    {"127.0.0.1", false},   {"127.255.0.9", false},   {"10.1.2.3", true},
	    {"172.16.0.1", true},   {"172.31.255.255", true}, {"172.32.0.1", false},
	    {"192.168.1.1", true},  {"192.169.0.1", false},   {"8.8.8.8", false},
	    {"fd12::1", true},	    {"fc00::", true},	      {"::1", false},
	    {"2001:db8::1", false}, {"fe80::1", false},
	};
	struct conn_view v;

	(void)state;
	assert_int_equal(conn_view_init(&v), 0); /* parses Netdata's line */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *src = strchr(cases[i].ip, ':') ? "fd00::1" : "10.0.0.1";
		struct conn_row r = row(OUT, src, 40000, cases[i].ip, 443);

		if (conn_filter_match(&v.filter, &r) != cases[i].shown)
			fail_msg("%s: shown %d, want %d", cases[i].ip, !cases[i].shown,
				 cases[i].shown);
	}
	conn_view_free(&v);
}

/* A resolver for the tests: *.7 resolves to host7.Example.COM, *.9 fails. */
static unsigned int resolver_calls;

static int fake_resolver(void *ctx, __u16 family, const __u8 *addr, char *name, size_t size)
{
	(void)ctx;
	resolver_calls++;
	assert_int_equal(family, AF_INET);
	if (addr[3] == 9)
		return -1;
	snprintf(name, size, "host%u.Example.COM", addr[3]);
	return 0;
}

static void test_hostnames(void **state)
{
	struct conn_filter f;
	struct conn_row r = row(OUT, "10.0.0.1", 40000, "10.0.0.7", 443);

	(void)state;
	/* A list starting with * never resolves. */
	f = filter_of(CONN_LIST_HOSTNAMES, "* !host7.*", NULL);
	conn_filter_set_resolver(&f, fake_resolver, NULL);
	resolver_calls = 0;
	assert_true(conn_filter_match(&f, &r));
	assert_int_equal(resolver_calls, 0);
	conn_filter_free(&f);

	f = filter_of(CONN_LIST_HOSTNAMES, "!host1.* *.example.com 10.0.0.9", NULL);
	conn_filter_set_resolver(&f, fake_resolver, NULL);
	resolver_calls = 0;
	assert_true(conn_filter_match(&f, &r)); /* case-insensitive */
	assert_true(conn_filter_match(&f, &r));
	assert_int_equal(resolver_calls, 1); /* cached */
	r.t.daddr[3] = 1;
	assert_false(conn_filter_match(&f, &r));
	r.t.daddr[3] = 9; /* no name: its numeric form is matched */
	assert_true(conn_filter_match(&f, &r));
	r.t.daddr[3] = 8;
	assert_true(conn_filter_match(&f, &r));
	assert_int_equal(resolver_calls, 4);
	/* Bounded: after CONN_NAME_CACHE other addresses the first is asked again. */
	for (unsigned int i = 0; i < CONN_NAME_CACHE; i++) {
		r.t.daddr[2] = (__u8)(i >> 8 | 0x80);
		r.t.daddr[3] = (__u8)i;
		conn_filter_match(&f, &r);
	}
	assert_int_equal(f.cache_nr, CONN_NAME_CACHE);
	resolver_calls = 0;
	r.t.daddr[2] = 0;
	r.t.daddr[3] = 7;
	assert_true(conn_filter_match(&f, &r));
	assert_int_equal(resolver_calls, 1);
	conn_filter_free(&f);
}

/* The three lists together: a row must pass each. */
static void test_all_lists(void **state)
{
	struct conn_filter f;
	char err[256];
	struct conn_row r = row(OUT, "10.0.0.1", 40000, "10.0.0.7", 443);

	(void)state;
	f = filter_of(CONN_LIST_PORTS, "443", NULL);
	assert_int_equal(
	    conn_filter_parse(&f, CONN_LIST_IPS, "10.0.0.0/24", NULL, err, sizeof(err)), 0);
	assert_int_equal(
	    conn_filter_parse(&f, CONN_LIST_HOSTNAMES, "host7.*", NULL, err, sizeof(err)), 0);
	conn_filter_set_resolver(&f, fake_resolver, NULL);
	assert_true(conn_filter_match(&f, &r));
	r.t.dport = 80;
	assert_false(conn_filter_match(&f, &r));
	r.t.dport = 443;
	r.t.daddr[3] = 8;
	assert_false(conn_filter_match(&f, &r));
	r.t.daddr[2] = 1;
	r.t.daddr[3] = 7;
	assert_false(conn_filter_match(&f, &r));
	conn_filter_free(&f);
}

static void test_bad_patterns(void **state)
{
	static const struct {
		enum conn_list_kind kind;
		const char *text, *token;
	} cases[] = {
	    {CONN_LIST_PORTS, "22 0", "'0'"},
	    {CONN_LIST_PORTS, "70000", "'70000'"},
	    {CONN_LIST_PORTS, "2000-1000", "'2000-1000' (its first value is above its last)"},
	    {CONN_LIST_PORTS, "1000-", "'1000-'"},
	    {CONN_LIST_PORTS, "22x", "'22x'"},
	    {CONN_LIST_PORTS, "-5", "'-5'"},
	    {CONN_LIST_PORTS, "ssh", "'ssh' (no such service"}, /* no services table */
	    {CONN_LIST_PORTS, "22 !", "'!' (a '!' needs"},
	    {CONN_LIST_PORTS, "**", "'**'"},
	    {CONN_LIST_IPS, "10.0.0.0/33", "'10.0.0.0/33' (the prefix"},
	    {CONN_LIST_IPS, "fc00::/129", "'fc00::/129'"},
	    {CONN_LIST_IPS, "10.0.0.0/", "'10.0.0.0/'"},
	    {CONN_LIST_IPS, "10.0.0.0/+8", "'10.0.0.0/+8'"},
	    {CONN_LIST_IPS, "1.2.3", "'1.2.3'"},
	    {CONN_LIST_IPS, "10.0.0.5-10.0.0.1", "'10.0.0.5-10.0.0.1' (its first"},
	    {CONN_LIST_IPS, "10.0.0.1-::1", "'10.0.0.1-::1'"},
	    {CONN_LIST_IPS, "example.com", "'example.com'"},
	    {CONN_LIST_IPS, "!!10.0.0.1", "'!10.0.0.1'"},
	    {CONN_LIST_HOSTNAMES,
	     "a\x01"
	     "b",
	     "'a?b'"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn_filter f;
		int rc;

		conn_filter_init(&f);
		err[0] = '\0';
		rc = conn_filter_parse(&f, cases[i].kind, cases[i].text, NULL, err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, cases[i].token))
			fail_msg("'%s': rc %d, message '%s', want %s", cases[i].text, rc, err,
				 cases[i].token);
		/* One line that names the list and says what is accepted. */
		assert_null(strchr(err, '\n'));
		assert_non_null(strstr(err, cases[i].kind == CONN_LIST_PORTS ? "ports: "
					    : cases[i].kind == CONN_LIST_IPS ? "ips: "
									     : "hostnames: "));
		assert_non_null(strstr(err, "expected "));
		conn_filter_free(&f);
	}
	/* A long token is cut in the message. */
	{
		char text[300], msg[512];
		struct conn_filter f;

		memset(text, '9', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		conn_filter_init(&f);
		assert_int_equal(
		    conn_filter_parse(&f, CONN_LIST_PORTS, text, NULL, msg, sizeof(msg)), -EINVAL);
		assert_non_null(strstr(msg, "9999...'"));
		assert_true(strlen(msg) < 250);
		conn_filter_free(&f);
	}
}

static void test_services(void **state)
{
	struct conn_services s = {0};
	const char *path = write_tmp("services", "# a comment line\n"
						 "\n"
						 "ssh\t\t22/tcp\n"
						 "domain 53/tcp\n"
						 "domain 53/udp\n"
						 "bootps 67/udp\n"
						 "sctpthing 99/sctp\n"
						 "bad 70000/tcp\n"
						 "http 80/tcp www # World Wide Web\n");
	char err[256];

	(void)state;
	assert_int_equal(conn_services_load(&s, path), 0);
	assert_string_equal(conn_services_name(&s, 22, IPPROTO_TCP), "ssh");
	assert_null(conn_services_name(&s, 22, IPPROTO_UDP));
	assert_string_equal(conn_services_name(&s, 67, IPPROTO_UDP), "bootps");
	assert_null(conn_services_name(&s, 67, IPPROTO_TCP));
	assert_string_equal(conn_services_name(&s, 80, IPPROTO_TCP), "http"); /* not the alias */
	assert_null(conn_services_name(&s, 99, IPPROTO_TCP));
	assert_int_equal(conn_services_port(&s, "www"), 80);
	assert_int_equal(conn_services_port(&s, "bootps"), 67);
	assert_int_equal(conn_services_port(&s, "nosuch"), 0);
	/* Overrides win, for both protocols; the latest wins. */
	assert_int_equal(conn_services_override(&s, "22", "secure-shell", err, sizeof(err)), 0);
	assert_string_equal(conn_services_name(&s, 22, IPPROTO_TCP), "secure-shell");
	assert_string_equal(conn_services_name(&s, 22, IPPROTO_UDP), "secure-shell");
	assert_int_equal(conn_services_override(&s, "22", "ssh2", err, sizeof(err)), 0);
	assert_string_equal(conn_services_name(&s, 22, IPPROTO_TCP), "ssh2");
	assert_int_equal(conn_services_port(&s, "ssh"), 22);
	/* Bad overrides. */
	assert_int_equal(conn_services_override(&s, "0", "x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'0' is not a port"));
	assert_int_equal(conn_services_override(&s, "22a", "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(conn_services_override(&s, "22", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(conn_services_override(&s, "22", "a b", err, sizeof(err)), -EINVAL);
	assert_int_equal(conn_services_override(&s, "22", "a-name-longer-than-thirty-one-chars",
						err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(conn_services_load(&s, "/nonexistent/services"), -ENOENT);
	assert_string_equal(conn_services_name(&s, 53, IPPROTO_UDP), "domain"); /* kept */
	conn_services_free(&s);
}

/* The system's file, when it has ssh on 22/tcp (Debian's netbase does). */
static void test_system_services(void **state)
{
	struct conn_services s = {0};
	char *text = golden_read("/etc/services");
	bool has_ssh = text && strstr(text, "\nssh\t\t22/tcp") != NULL;

	(void)state;
	free(text);
	if (!has_ssh) {
		skip();
		return;
	}
	assert_int_equal(conn_services_load(&s, NULL), 0);
	assert_string_equal(conn_services_name(&s, 22, IPPROTO_TCP), "ssh");
	assert_int_equal(conn_services_port(&s, "ssh"), 22);
	conn_services_free(&s);
}

static struct conn_row traffic(struct conn_row r, __u64 rd, __u64 wr, __u32 rtt, __u32 var)
{
	r.bytes_read = rd;
	r.bytes_written = wr;
	r.rtt_us = rtt;
	r.rtt_var_us = var;
	return r;
}

static void test_collapse(void **state)
{
	struct conn_row rows[8];
	size_t n;

	(void)state;
	rows[0] = traffic(row(OUT, "10.0.0.1", 40000, "10.0.0.2", 443), 100, 300, 1000, 100);
	rows[1] = traffic(row(IN, "10.0.0.1", 22, "10.0.0.3", 50000), 5, 5, 50, 5);
	rows[2] = traffic(row(OUT, "10.0.0.1", 40001, "10.0.0.2", 443), 500, 100, 2000, 300);
	rows[3] = traffic(row(OUT, "10.0.0.1", 1022, "10.0.0.2", 443), 1, 1, 7, 1);
	rows[4] = traffic(row(IN, "10.0.0.1", 22, "10.0.0.3", 50001), 7, 3, 150, 15);
	rows[5] = traffic(row(OUT, "10.0.0.1", 40002, "10.0.0.2", 443), 0, 0, 9000, 900);
	rows[6] = traffic(row(OUT, "10.0.0.1", 40003, "10.0.0.2", 443), 0, 0, 0, 0);
	rows[7] = traffic(row(OUT, "10.0.0.1", 40004, "10.0.0.2", 443), 10, 0, 0, 0);
	rows[0].retransmits = 3;
	rows[2].retransmits = 4;
	rows[0].tcp_established = 1;
	rows[2].tcp_established = 1;
	rows[2].tcp_closed = 1;
	rows[0].open = false;
	rows[2].open = false;
	rows[5].open = true;
	rows[6].open = false;
	rows[7].open = false;
	rows[6].pid = 101; /* another process: a row of its own */

	n = conn_view_collapse(rows, 8, 32768);
	assert_int_equal(n, 4);
	/* First-seen order; the ephemeral side shown as 0. */
	assert_int_equal(rows[0].t.sport, 0);
	assert_int_equal(rows[0].t.dport, 443);
	assert_int_equal(rows[0].connections, 4); /* 40000, 40001, 40002, 40004 */
	assert_int_equal(rows[0].bytes_read, 610);
	assert_int_equal(rows[0].bytes_written, 400);
	assert_int_equal(rows[0].retransmits, 7);
	assert_int_equal(rows[0].tcp_established, 2);
	assert_int_equal(rows[0].tcp_closed, 1);
	assert_true(rows[0].open);
	/* Weighted by bytes: (400 * 1000 + 600 * 2000 + 0 * 9000 + 10 * 0) / 1010 = 1584.16 */
	assert_int_equal(rows[0].rtt_us, 1584);
	/* (400 * 100 + 600 * 300) / 1010 = 217.8 */
	assert_int_equal(rows[0].rtt_var_us, 218);

	assert_int_equal(rows[1].t.sport, 22);
	assert_int_equal(rows[1].t.dport, 0);
	assert_int_equal(rows[1].connections, 2);
	assert_int_equal(rows[1].bytes_read, 12);
	assert_int_equal(rows[1].bytes_written, 8);
	assert_int_equal(rows[1].rtt_us, 100); /* (10 * 50 + 10 * 150) / 20 */

	assert_int_equal(rows[2].t.sport, 1022); /* below the threshold: kept */
	assert_int_equal(rows[2].connections, 1);
	assert_int_equal(rows[3].pid, 101);
	assert_int_equal(rows[3].t.sport, 0);
	assert_false(rows[3].open);
}

static void test_collapse_rules(void **state)
{
	struct conn_row rows[4];
	size_t n;

	(void)state;
	/* 0 = off: nothing changes, nothing merges. */
	rows[0] = traffic(row(OUT, "10.0.0.1", 40000, "10.0.0.2", 443), 1, 1, 10, 1);
	rows[1] = traffic(row(OUT, "10.0.0.1", 40001, "10.0.0.2", 443), 1, 1, 10, 1);
	assert_int_equal(conn_view_collapse(rows, 2, 0), 2);
	assert_int_equal(rows[0].t.sport, 40000);
	/* Exact duplicates merge even without collapse. */
	rows[1].t.sport = 40000;
	assert_int_equal(conn_view_collapse(rows, 2, 0), 1);
	assert_int_equal(rows[0].connections, 2);

	/* Unknown direction: only when exactly one side is ephemeral. */
	rows[0] = row(UNK, "10.0.0.1", 40000, "10.0.0.2", 443);
	rows[1] = row(UNK, "10.0.0.1", 22, "10.0.0.2", 51000);
	rows[2] = row(UNK, "10.0.0.1", 40000, "10.0.0.2", 50000);
	rows[3] = row(OUT, "10.0.0.1", 40000, "10.0.0.2", 50000); /* a peer on a high port */
	n = conn_view_collapse(rows, 4, 32768);
	assert_int_equal(n, 4);
	assert_int_equal(rows[0].t.sport, 0);
	assert_int_equal(rows[0].t.dport, 443);
	assert_int_equal(rows[1].t.sport, 22);
	assert_int_equal(rows[1].t.dport, 0);
	assert_int_equal(rows[2].t.sport, 40000);
	assert_int_equal(rows[2].t.dport, 50000);
	assert_int_equal(rows[3].t.sport, 0);
	assert_int_equal(rows[3].t.dport, 50000);

	/* No bytes at all: rtt is the mean per connection. */
	rows[0] = traffic(row(OUT, "10.0.0.1", 40000, "10.0.0.2", 443), 0, 0, 10, 2);
	rows[1] = traffic(row(OUT, "10.0.0.1", 40001, "10.0.0.2", 443), 0, 0, 21, 3);
	assert_int_equal(conn_view_collapse(rows, 2, 32768), 1);
	assert_int_equal(rows[0].rtt_us, 16); /* 15.5 rounded */
	assert_int_equal(rows[0].rtt_var_us, 3);
	assert_int_equal(conn_view_collapse(rows, 0, 32768), 0);
}

static void test_sort_and_limit(void **state)
{
	struct conn_row rows[5], other;
	size_t n;

	(void)state;
	rows[0] = traffic(row(OUT, "10.0.0.1", 1, "10.0.0.2", 1), 10, 0, 100, 10);
	rows[1] = traffic(row(OUT, "10.0.0.1", 2, "10.0.0.2", 2), 0, 50, 0, 0);
	rows[2] = traffic(row(OUT, "10.0.0.1", 3, "10.0.0.2", 3), 20, 20, 300, 30);
	rows[3] = traffic(row(OUT, "10.0.0.1", 4, "10.0.0.2", 4), 5, 5, 200, 20);
	rows[4] = traffic(row(OUT, "10.0.0.1", 5, "10.0.0.2", 5), 10, 0, 0, 0);
	rows[4].connections = 3;
	rows[3].open = false;
	rows[0].open = false;
	rows[4].open = false;
	conn_view_sort(rows, 5);
	assert_int_equal(rows[0].t.dport, 2);
	assert_int_equal(rows[1].t.dport, 3);
	assert_int_equal(rows[2].t.dport, 1); /* ties: in key order */
	assert_int_equal(rows[3].t.dport, 4);
	assert_int_equal(rows[4].t.dport, 5);

	n = conn_view_limit(rows, 5, 2, &other);
	assert_int_equal(n, 2);
	assert_string_equal(other.process_name, "other");
	assert_int_equal(other.pid, 0);
	assert_int_equal(other.t.family, 0);
	assert_int_equal(other.connections, 5);
	assert_int_equal(other.bytes_read, 25);
	assert_int_equal(other.bytes_written, 5);
	assert_false(other.open);
	assert_int_equal(other.rtt_us, 100); /* (10 * 100 + 10 * 200 + 10 * 0) / 30 */
	/* Nothing cut: other is empty. */
	assert_int_equal(conn_view_limit(rows, 5, 5, &other), 5);
	assert_int_equal(other.connections, 0);
	assert_int_equal(conn_view_limit(rows, 5, 0, &other), 5);
	assert_int_equal(other.connections, 0);

	/* UINT64_MAX and more: the sum does not wrap. */
	rows[0].bytes_read = UINT64_MAX;
	rows[0].bytes_written = 1;
	rows[1].bytes_read = UINT64_MAX;
	rows[1].bytes_written = 2;
	conn_view_sort(rows, 2);
	assert_int_equal(rows[0].t.dport, 3);
}

static void test_ip_types(void **state)
{
	static const struct {
		const char *ip, *type;
	} cases[] = {
	    {"10.0.0.1", "private"},
	    {"172.16.0.1", "private"},
	    {"172.31.0.1", "private"},
	    {"172.32.0.1", "other"},
	    {"192.168.0.1", "private"},
	    {"127.0.0.1", "loopback"},
	    {"224.0.0.1", "multicast"},
	    {"239.255.255.250", "multicast"},
	    {"240.0.0.1", "other"},
	    {"169.254.1.1", "other"},
	    {"100.64.0.1", "other"},
	    {"8.8.8.8", "other"},
	    {"fd00::1", "private"},
	    {"fc00::1", "private"},
	    {"::1", "loopback"},
	    {"ff02::1", "multicast"},
	    {"fe80::1", "other"},
	    {"2001:db8::1", "other"},
	    {"::ffff:10.0.0.1", "private"},
	    {"::ffff:127.0.0.1", "loopback"},
	    {"::", "other"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u8 a[16] = {0};
		int af = strchr(cases[i].ip, ':') ? AF_INET6 : AF_INET;

		assert_int_equal(inet_pton(af, cases[i].ip, a), 1);
		if (strcmp(conn_ip_type((__u16)af, a), cases[i].type) != 0)
			fail_msg("%s: %s, want %s", cases[i].ip, conn_ip_type((__u16)af, a),
				 cases[i].type);
	}
}

/* Not inlined: GCC's -Wdangling-pointer then takes the memstream buffer for a local. */
static __attribute__((noinline)) char *render(const struct conn_row *rows, size_t nr,
					      const struct conn_row *other, bool json,
					      const struct conn_services *services)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		assert_int_equal(conn_view_print_json(f, rows, nr, other), 0);
	else
		assert_int_equal(conn_view_print_text(f, rows, nr, other, services), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

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
		print_message("# %s\n# exit %d: %s\n# input: %s\n", cmd, rc, out, text);
	assert_int_equal(rc, 0);
	free(out);
	free(cmd);
}

static void json_rows(struct conn_row *rows, struct conn_row *other)
{
	rows[0] = traffic(row(OUT, "10.0.0.1", 0, "8.8.8.8", 443), 10, 20, 1500, 300);
	rows[0].retransmits = 2;
	rows[0].tcp_established = 3;
	rows[0].tcp_closed = 1;
	rows[0].connections = 3;
	rows[1] = traffic(row(IN, "fd00::1", 22, "2001:db8::5", 0), 1, 2, 0, 0);
	rows[1].t.protocol = IPPROTO_UDP;
	rows[1].open = false;
	memcpy(rows[1].process_name,
	       "q\"b\\n\nx\xff\xc3\xbc"
	       "123456",
	       16); /* no NUL */
	rows[2] = row(UNK, "::ffff:192.168.0.1", 5353, "::ffff:224.0.0.251", 5353);
	rows[2].pid = 4294967295u;
	rows[2].bytes_read = UINT64_MAX;
	memset(other, 0, sizeof(*other));
	other->connections = 7;
	other->bytes_read = 99;
	strcpy(other->process_name, "other");
}

static void test_json(void **state)
{
	struct conn_row rows[3], other;
	char *text;

	(void)state;
	json_rows(rows, &other);
	text = render(rows, 3, &other, true, NULL);
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1); /* one line */
	check_python(
	    text,
	    "assert isinstance(d, list) and len(d) == 4\n"
	    "keys = {\"src_ip\", \"src_port\", \"dst_ip\", \"dst_port\", \"src_ip_type\",\n"
	    "  \"dst_ip_type\", \"family\", \"transport\", \"direction\", \"pid\",\n"
	    "  \"process_name\", \"bytes_read\", \"bytes_written\", \"retransmits\", \"rtt\",\n"
	    "  \"rtt_var\", \"tcp_established\", \"tcp_closed\", \"open\", \"connections\"}\n"
	    "assert all(set(o) == keys for o in d[:3]), [set(o) ^ keys for o in d]\n"
	    "assert set(d[3]) == keys | {\"other\"}\n"
	    "a = d[0]\n"
	    "assert a[\"src_ip\"] == \"10.0.0.1\" and a[\"src_port\"] == \"*\"\n"
	    "assert a[\"dst_ip\"] == \"8.8.8.8\" and a[\"dst_port\"] == 443\n"
	    "assert a[\"src_ip_type\"] == \"private\" and a[\"dst_ip_type\"] == \"other\"\n"
	    "assert a[\"family\"] == \"IPv4\" and a[\"transport\"] == \"tcp\"\n"
	    "assert a[\"direction\"] == \"outgoing\" and a[\"pid\"] == 100\n"
	    "assert a[\"process_name\"] == \"curl\"\n"
	    "assert (a[\"bytes_read\"], a[\"bytes_written\"], a[\"retransmits\"]) == (10, 20, 2)\n"
	    "assert (a[\"rtt\"], a[\"rtt_var\"]) == (1500, 300)\n"
	    "assert (a[\"tcp_established\"], a[\"tcp_closed\"]) == (3, 1)\n"
	    "assert a[\"open\"] is True and a[\"connections\"] == 3\n"
	    "b = d[1]\n"
	    "assert b[\"src_ip\"] == \"fd00::1\" and b[\"src_port\"] == 22\n"
	    "assert b[\"dst_ip\"] == \"2001:db8::5\" and b[\"dst_port\"] == \"*\"\n"
	    "assert b[\"family\"] == \"IPv6\" and b[\"transport\"] == \"udp\"\n"
	    "assert b[\"direction\"] == \"incoming\" and b[\"open\"] is False\n"
	    "assert b[\"process_name\"] == \"q\\\"b\\\\n\\nx\\ufffd\\u00fc123456\", b\n"
	    "c = d[2]\n"
	    "assert c[\"family\"] == \"IPv4\", c\n"
	    "assert c[\"src_ip\"] == \"192.168.0.1\" and c[\"dst_ip\"] == \"224.0.0.251\"\n"
	    "assert c[\"src_ip_type\"] == \"private\" and c[\"dst_ip_type\"] == \"multicast\"\n"
	    "assert c[\"direction\"] == \"unknown\" and c[\"pid\"] == 2**32 - 1\n"
	    "assert c[\"bytes_read\"] == 2**64 - 1\n"
	    "o = d[3]\n"
	    "assert o[\"other\"] is True and o[\"connections\"] == 7 and o[\"bytes_read\"] == 99\n"
	    "assert o[\"process_name\"] == \"other\" and o[\"src_port\"] == \"*\"\n");
	free(text);
	/* Empty: an empty list. */
	text = render(rows, 0, NULL, true, NULL);
	assert_string_equal(text, "[]\n");
	free(text);
	other.connections = 0;
	text = render(rows, 1, &other, true, NULL);
	check_python(text, "assert len(d) == 1");
	free(text);
}

static void test_json_write_error(void **state)
{
	struct conn_row rows[3], other;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f) {
		skip();
		return;
	}
	json_rows(rows, &other);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(conn_view_print_json(f, rows, 3, &other), -1);
	clearerr(f);
	assert_int_equal(conn_view_print_text(f, rows, 3, &other, NULL), -1);
	fclose(f);
}

static void test_text(void **state)
{
	struct conn_services s = {0};
	struct conn_row rows[3], other;
	char err[128], *text, *line;

	(void)state;
	json_rows(rows, &other);
	assert_int_equal(conn_services_override(&s, "443", "https", err, sizeof(err)), 0);
	assert_int_equal(conn_services_override(&s, "22", "ssh", err, sizeof(err)), 0);
	assert_int_equal(conn_services_override(&s, "5353", "mdns", err, sizeof(err)), 0);
	text = render(rows, 3, &other, false, &s);
	assert_true(!strncmp(text, "PROTO ", 6));
	line = strchr(text, '\n') + 1;
	assert_non_null(strstr(line, "tcp   outgoing  10.0.0.1:*"));
	assert_non_null(strstr(line, "8.8.8.8:https"));
	assert_non_null(strstr(line, "1.500ms"));
	assert_non_null(strstr(text, "[fd00::1]:ssh"));
	assert_non_null(strstr(text, "[2001:db8::5]:*"));
	/* Printable, valid UTF-8 (U+FFFD for the bad byte), all 16 bytes. */
	assert_non_null(strstr(text, "q\"b\\n?x\xef\xbf\xbd\xc3\xbc"
				     "123456 "));
	/* The service port is named: both sides here (5353 to 5353). */
	assert_non_null(strstr(text, "192.168.0.1:mdns"));
	assert_non_null(strstr(text, "224.0.0.251:mdns"));
	assert_non_null(strstr(text, "other"));
	golden_check("conn_view.txt", text);
	free(text);
	/* Without names: numbers. */
	text = render(rows, 1, NULL, false, NULL);
	assert_non_null(strstr(text, "8.8.8.8:443"));
	free(text);
	conn_services_free(&s);
}

/* The whole pipeline with the defaults: filter, collapse, sort, limit. */
static void test_apply(void **state)
{
	struct conn_row rows[60], other;
	struct conn_view v;
	size_t n = 0, kept;

	(void)state;
	assert_int_equal(conn_view_init(&v), 0);
	rows[n++] =
	    traffic(row(OUT, "10.0.0.1", 40000, "127.0.0.1", 80), 1000, 0, 0, 0);	/* hidden */
	rows[n++] = traffic(row(OUT, "10.0.0.1", 40000, "8.8.8.8", 53), 1000, 0, 0, 0); /* hidden */
	for (unsigned int i = 0; i < 58; i++)
		rows[n++] = traffic(
		    row(OUT, "10.0.0.1", (__u16)(40000 + i), "10.0.0.2", (__u16)(1000 + i % 55)), i,
		    0, 0, 0);
	kept = conn_view_apply(&v, rows, n, &other);
	assert_int_equal(kept, 50);
	/* 55 destinations (3 of them twice), the 50 busiest kept. */
	assert_int_equal(other.connections, 5);
	assert_int_equal(rows[0].t.dport, 1002); /* 2 + 57 */
	assert_int_equal(rows[0].bytes_read, 59);
	assert_int_equal(rows[0].connections, 2);
	for (size_t i = 0; i < kept; i++)
		assert_int_equal(rows[i].t.sport, 0);
	assert_int_equal(other.bytes_read, 3 + 4 + 5 + 6 + 7);
	conn_view_free(&v);
}

/* resolve hostnames: rows shown carry the remote name, in JSON and in the table. */
static void test_resolve_hostnames(void **state)
{
	struct conn_row rows[2], other;
	struct conn_view v;
	char *buf = NULL;
	size_t len = 0, kept;
	FILE *f;

	(void)state;
	assert_int_equal(conn_view_init(&v), 0);
	v.resolve_hostnames = true;
	conn_filter_set_resolver(&v.filter, fake_resolver, NULL);
	rows[0] = traffic(row(OUT, "10.0.0.1", 40000, "10.0.0.7", 443), 10, 0, 0, 0);
	rows[1] = traffic(row(OUT, "10.0.0.1", 40001, "10.0.0.9", 443), 5, 0, 0, 0);
	resolver_calls = 0;
	kept = conn_view_apply(&v, rows, 2, &other);
	assert_int_equal(kept, 2);
	assert_string_equal(rows[0].dst_host, "host7.Example.COM");
	assert_string_equal(rows[1].dst_host, ""); /* no name: the address stays */
	kept = conn_view_apply(&v, rows, 2, &other);
	assert_int_equal(resolver_calls, 2); /* the second time from the cache */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(conn_view_print_json(f, rows, kept, NULL), 0);
	assert_int_equal(conn_view_print_text(f, rows, kept, NULL, NULL), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"dst_ip\":\"10.0.0.7\",\"dst_port\":443,\"dst_host\":\"host7.Example.COM\""));
	assert_null(strstr(buf, "\"dst_host\":\"\""));
	assert_non_null(strstr(buf, "host7.Example.COM:443"));
	free(buf);
	conn_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_hostnames),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_service_port),
	    cmocka_unit_test(test_port_names),
	    cmocka_unit_test(test_ips),
	    cmocka_unit_test(test_netdata_default_ips),
	    cmocka_unit_test(test_hostnames),
	    cmocka_unit_test(test_all_lists),
	    cmocka_unit_test(test_bad_patterns),
	    cmocka_unit_test(test_services),
	    cmocka_unit_test(test_system_services),
	    cmocka_unit_test(test_collapse),
	    cmocka_unit_test(test_collapse_rules),
	    cmocka_unit_test(test_sort_and_limit),
	    cmocka_unit_test(test_ip_types),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_write_error),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests_name("conn_view", tests, group_setup, group_teardown);
}
