// SPDX-License-Identifier: GPL-2.0
/*
 * httpflow without the kernel: the HTTP/1.x parser (request and status
 * lines, cut copies, query strings, garbage), the pairing of requests and
 * responses on synthetic kernel events (keep-alive, interim responses,
 * bytes per exchange, a new socket at a reused address, a response with no
 * request), and the DataKit line-protocol rendering with its escaping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/blacklist.h"
#include "core/module.h"
#include "modules/httpflow/httpflow_parse.h"

#define S(x) x, sizeof(x) - 1

static void test_request_lines(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(http_parse_request(S("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), false, &r), 0);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/hello");
	assert_string_equal(r.version, "1.1");
	assert_false(r.truncated);
	assert_int_equal(http_parse_request(S("POST /submit HTTP/1.0\r\n"), false, &r), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.version, "1.0");
	assert_int_equal(http_parse_request(S("DELETE /a HTTP/1.1\n"), false, &r), 0);
	assert_int_equal(http_parse_request(S("OPTIONS * HTTP/1.1\r\n"), false, &r), 0);
	assert_string_equal(r.path, "*");
	/* Query strings: cut by default, kept on request. */
	assert_int_equal(http_parse_request(S("GET /s?q=1&x=2 HTTP/1.1\r\n"), false, &r), 0);
	assert_string_equal(r.path, "/s");
	assert_false(r.truncated);
	assert_int_equal(http_parse_request(S("GET /s?q=1&x=2 HTTP/1.1\r\n"), true, &r), 0);
	assert_string_equal(r.path, "/s?q=1&x=2");
	/* Not requests. */
	assert_int_equal(http_parse_request(S("get /a HTTP/1.1\r\n"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GETX /a HTTP/1.1\r\n"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GET  HTTP/1.1\r\n"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GET /a HTTP/2.0\r\n"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GET /a HTTP/1.1x"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GET /a\tb HTTP/1.1\r\n"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GET /\x80 HTTP/1.1\r\n"), false, &r), -1);
	assert_int_equal(http_parse_request(S("GET "), false, &r), -1);
	assert_int_equal(http_parse_request("", 0, false, &r), -1);
	assert_int_equal(http_parse_request(S("HTTP/1.1 200 OK\r\n"), false, &r), -1);
}

static void test_cut_requests(void **state)
{
	char buf[HTTP_CAP];
	struct http_req r;

	(void)state;
	/* The copy ends inside the path: what arrived, marked truncated. */
	assert_int_equal(http_parse_request(S("GET /abc"), false, &r), 0);
	assert_string_equal(r.path, "/abc");
	assert_true(r.truncated);
	assert_string_equal(r.version, "");
	/* ... inside the query string, which is dropped anyway: not truncated. */
	assert_int_equal(http_parse_request(S("GET /abc?x=1"), false, &r), 0);
	assert_string_equal(r.path, "/abc");
	assert_false(r.truncated);
	/* ... inside the version: a request without one. */
	assert_int_equal(http_parse_request(S("GET /abc HTTP/"), false, &r), 0);
	assert_false(r.truncated);
	assert_string_equal(r.version, "");
	assert_int_equal(http_parse_request(S("GET /abc XTTP/"), false, &r), -1);
	/* A path longer than HTTP_PATH_MAX - 1: cut there. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', sizeof(buf) - 5);
	memcpy(buf + 200, " HTTP/1.1\r\n", 11);
	assert_int_equal(http_parse_request(buf, 211, false, &r), 0);
	assert_int_equal(strlen(r.path), HTTP_PATH_MAX - 1);
	assert_true(r.truncated);
	assert_string_equal(r.version, "1.1");
}

static void test_status_lines(void **state)
{
	char v[4];
	int st;

	(void)state;
	assert_int_equal(http_parse_response(S("HTTP/1.1 200 OK\r\n"), &st, v), 0);
	assert_int_equal(st, 200);
	assert_string_equal(v, "1.1");
	assert_int_equal(http_parse_response(S("HTTP/1.0 501 Unsupported method ('POST')\r\n"), &st, v), 0);
	assert_int_equal(st, 501);
	assert_string_equal(v, "1.0");
	assert_int_equal(http_parse_response(S("HTTP/1.1 404"), &st, v), 0);
	assert_int_equal(st, 404);
	assert_int_equal(http_parse_response(S("HTTP/1.1 20"), &st, v), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 099 x"), &st, v), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 600 x"), &st, v), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 2000 x"), &st, v), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 2x0 x"), &st, v), -1);
	assert_int_equal(http_parse_response(S("HTTP/2 200 x"), &st, v), -1);
	assert_int_equal(http_parse_response(S("GET / HTTP/1.1"), &st, v), -1);
}

/* A synthetic kernel event on connection @conn. */
static void ev(struct http_agg *a, uint64_t conn, uint64_t ino, int op, uint64_t ts, uint64_t rd,
	       uint64_t wr, const char *data, uint32_t pid)
{
	struct http_event e;

	memset(&e, 0, sizeof(e));
	e.ts = ts;
	e.conn = conn;
	e.ino = ino;
	e.rd_before = rd;
	e.wr_before = wr;
	e.tgid = e.tid = pid;
	e.op = op;
	e.family = 2;
	memcpy(e.saddr, "\x0a\x00\x00\x01", 4);
	memcpy(e.daddr, "\x0a\x00\x00\x02", 4);
	e.sport = 40000;
	e.dport = 8080;
	strcpy(e.comm, "curl");
	e.cap = strlen(data);
	memcpy(e.data, data, e.cap);
	e.len = e.cap;
	http_agg_event(a, &e, sizeof(e));
}

static uint64_t now_rd, now_wr;
static int fake_bytes(void *arg, const struct http_conn *c, uint64_t *rd, uint64_t *wr)
{
	(void)arg;
	(void)c;
	*rd = now_rd;
	*wr = now_wr;
	return 0;
}

static void test_pairing(void **state)
{
	struct http_agg a;

	(void)state;
	http_agg_init(&a);
	a.bytes = fake_bytes;
	/* Keep-alive: two exchanges on one connection, then one on another. */
	ev(&a, 1, 7, HTTP_OP_WRITE, 1000, 0, 0, "GET /a HTTP/1.1\r\n", 42);
	ev(&a, 1, 7, HTTP_OP_READ, 1500, 0, 50, "HTTP/1.1 200 OK\r\n", 42);
	ev(&a, 1, 7, HTTP_OP_WRITE, 3000, 300, 50, "GET /a HTTP/1.1\r\n", 42);
	/* An interim 100 Continue: latency from it, status from the final one. */
	ev(&a, 1, 7, HTTP_OP_READ, 3100, 300, 100, "HTTP/1.1 100 Continue\r\n", 42);
	ev(&a, 1, 7, HTTP_OP_READ, 3900, 325, 100, "HTTP/1.1 200 OK\r\n", 42);
	/* A response with no request, and garbage: ignored. */
	ev(&a, 2, 8, HTTP_OP_READ, 4000, 0, 0, "HTTP/1.1 200 OK\r\n", 42);
	ev(&a, 2, 8, HTTP_OP_WRITE, 4000, 0, 0, "GET \x01 HTTP/1.1\r\n", 42);
	/* The second exchange's end: the connection's counters now. */
	now_rd = 700;
	now_wr = 100;
	http_agg_flush(&a, 0, 0);
	assert_int_equal(a.nr_rows, 1);
	assert_int_equal(a.rows[0].count, 2);
	assert_int_equal(a.rows[0].status, 200);
	assert_int_equal(a.rows[0].latency_sum_ns, 500 + 100);
	assert_int_equal(a.rows[0].latency_max_ns, 500);
	assert_int_equal(http_row_latency(&a.rows[0]), 300);
	assert_int_equal(a.rows[0].bytes_written, 50 + 50);
	assert_int_equal(a.rows[0].bytes_read, 300 + 400);
	assert_string_equal(a.rows[0].src_ip, "10.0.0.1");
	assert_string_equal(a.rows[0].src_port, "*");
	assert_string_equal(a.rows[0].dst_port, "8080");
	assert_false(a.rows[0].incoming);
	assert_int_equal(a.not_http, 1);

	/* The server's side: request read, response written; its port is kept. */
	http_agg_clear_rows(&a);
	ev(&a, 3, 9, HTTP_OP_READ, 100, 0, 0, "POST /submit HTTP/1.1\r\n", 77);
	ev(&a, 3, 9, HTTP_OP_WRITE, 160, 80, 0, "HTTP/1.0 501 No\r\n", 77);
	now_rd = 80;
	now_wr = 300;
	http_agg_flush(&a, 0, 0);
	assert_int_equal(a.nr_rows, 1);
	assert_true(a.rows[0].incoming);
	assert_int_equal(a.rows[0].status, 501);
	assert_int_equal(a.rows[0].bytes_read, 80);
	assert_int_equal(a.rows[0].bytes_written, 300);
	assert_int_equal(a.rows[0].latency_sum_ns, 60);
	http_agg_free(&a);
}

static void test_reused_address(void **state)
{
	struct http_agg a;
	struct http_event e;

	(void)state;
	http_agg_init(&a);
	ev(&a, 5, 1, HTTP_OP_READ, 100, 0, 0, "POST /submit HTTP/1.1\r\n", 77);
	ev(&a, 5, 1, HTTP_OP_WRITE, 160, 90, 0, "HTTP/1.0 501 No\r\n", 77);
	/* The kernel restarted the counts: the old socket's come as old_rd/old_wr. */
	memset(&e, 0, sizeof(e));
	e.conn = 5;
	e.ino = 2;
	e.op = HTTP_OP_READ;
	e.ts = 900;
	e.old_rd = 90;
	e.old_wr = 400;
	e.tgid = 77;
	strcpy(e.comm, "srv");
	strcpy(e.data, "GET /x HTTP/1.1\r\n");
	e.cap = strlen(e.data);
	http_agg_event(&a, &e, sizeof(e));
	/* A response of the old socket arriving late: not the new exchange's. */
	ev(&a, 5, 1, HTTP_OP_WRITE, 950, 0, 0, "HTTP/1.0 200 OK\r\n", 77);
	assert_int_equal(a.nr_rows, 1);
	assert_string_equal(a.rows[0].method, "POST");
	assert_int_equal(a.rows[0].status, 501);
	assert_true(a.rows[0].incoming);
	assert_string_equal(a.rows[0].src_port, "40000");
	assert_string_equal(a.rows[0].dst_port, "*");
	assert_int_equal(a.rows[0].bytes_read, 90);
	assert_int_equal(a.rows[0].bytes_written, 400);
	assert_int_equal(a.rows[0].latency_sum_ns, 60);
	/* Without a byte source, the open exchange (no response) is not a row. */
	http_agg_flush(&a, 0, 0);
	assert_int_equal(a.nr_rows, 1);
	/* Idle connections are forgotten, the unanswered request counted. */
	http_agg_flush(&a, 10000, 1000);
	assert_int_equal(a.nr_conns, 0);
	assert_int_equal(a.unanswered, 1);
	/* A short event is refused. */
	http_agg_event(&a, &e, sizeof(e) - 1);
	assert_int_equal(a.events, 4);
	http_agg_free(&a);
}

static void test_influx(void **state)
{
	struct http_row r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.src_ip, "10.0.0.1");
	strcpy(r.src_port, "*");
	strcpy(r.dst_ip, "10.0.0.2");
	strcpy(r.dst_port, "8080");
	strcpy(r.method, "GET");
	strcpy(r.path, "/a b,c=d\\e");
	strcpy(r.version, "1.1");
	strcpy(r.comm, "my app");
	r.status = 404;
	r.pid = 42;
	r.count = 4;
	r.latency_sum_ns = 4000;
	r.bytes_read = 10;
	r.bytes_written = 20;
	r.truncated = true;
	assert_int_equal(http_rows_influx(f, &r, 1, "node 1", 1700000000000000000ULL), 1);
	fclose(f);
	assert_string_equal(buf,
			    "httpflow,src_ip=10.0.0.1,src_port=*,dst_ip=10.0.0.2,dst_port=8080,pid=42,"
			    "process_name=my\\ app,direction=outgoing,transport=tcp,family=IPv4,method=GET,"
			    "path=/a\\ b\\,c\\=d\\\\e,status_code=404,http_version=1.1,tls=false,host=node\\ 1 "
			    "count=4i,latency=1000i,bytes_read=10i,bytes_written=20i,truncated=true "
			    "1700000000000000000\n");
	free(buf);
}

static void test_json(void **state)
{
	struct http_row r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.method, "GET");
	strcpy(r.path, "/q\"x");
	strcpy(r.comm, "c\x01");
	r.count = 1;
	r.tls = true;
	r.incoming = true;
	http_rows_json(f, &r, 1);
	fclose(f);
	assert_non_null(strstr(buf, "\"path\": \"/q\\\"x\""));
	assert_non_null(strstr(buf, "\"process_name\": \"c\\u0001\""));
	assert_non_null(strstr(buf, "\"tls\": true"));
	assert_non_null(strstr(buf, "\"direction\": \"incoming\""));
	free(buf);
}

/* The module's latency buckets are ascending (Prometheus `le`). */
static void test_module_defs(void **state)
{
	const struct module *m = module_find("httpflow");

	(void)state;
	assert_non_null(m);
	assert_false(m->default_on);
	for (unsigned int i = 0; i < m->nr_defs; i++) {
		const struct counter_def *d = &m->defs[i];

		for (unsigned int k = 1; d->kind == HISTOGRAM && k < d->nr_le; k++)
			assert_true(d->le_ns[k] > d->le_ns[k - 1]);
	}
}

/* DataKit's netlog blacklist on httpflow rows: addresses, ports, the "*" port. */
static void test_blacklist(void **state)
{
	struct http_row rows[3] = {
		{ .src_ip = "10.78.0.1", .dst_ip = "10.78.0.2", .src_port = "*", .dst_port = "8080" },
		{ .src_ip = "10.78.0.1", .dst_ip = "10.78.0.2", .src_port = "*", .dst_port = "8443" },
		{ .src_ip = "fd78::2", .dst_ip = "fd78::1", .src_port = "8080", .dst_port = "*" },
	};
	char err[128];
	struct blacklist *b = blacklist_compile("tcp && (dst_port == 8080 || src_port == 8080)", "t",
						err, sizeof(err));

	(void)state;
	assert_non_null(b);
	assert_int_equal(http_rows_blacklist(rows, 3, b), 1);
	assert_string_equal(rows[0].dst_port, "8443");
	blacklist_free(b);
	b = blacklist_compile("ipnet_contains(\"fd78::/16\", ip6_saddr)", "t", err, sizeof(err));
	assert_non_null(b);
	rows[1] = (struct http_row){ .src_ip = "fd78::2", .dst_ip = "fd78::1", .src_port = "80",
				     .dst_port = "*" };
	assert_int_equal(http_rows_blacklist(rows, 2, b), 1);
	assert_string_equal(rows[0].dst_port, "8443");
	assert_int_equal(http_rows_blacklist(rows, 1, NULL), 1);
	blacklist_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_lines), cmocka_unit_test(test_cut_requests),
		cmocka_unit_test(test_status_lines),  cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_reused_address), cmocka_unit_test(test_influx),
		cmocka_unit_test(test_json),	      cmocka_unit_test(test_module_defs),
		cmocka_unit_test(test_blacklist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
