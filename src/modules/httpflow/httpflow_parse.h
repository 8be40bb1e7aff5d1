/* SPDX-License-Identifier: GPL-2.0 */
/*
 * httpflow, user side without BPF: the HTTP/1.x parser, the pairing of
 * requests and responses per connection, the rows, and their renderings
 * (text table, JSON, DataKit's `httpflow` line protocol). Unit-tested
 * (tests/unit/test_httpflow.c) and fuzzed (tests/fuzz/fuzz_http_parse.c).
 */
#ifndef EBPFMON_HTTPFLOW_PARSE_H
#define EBPFMON_HTTPFLOW_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modules/httpflow/httpflow.h"

/*
 * A path is kept up to HTTP_PATH_MAX - 1 bytes; a longer one is cut there
 * and its row says truncated. So is a request line longer than the bytes
 * the kernel copies (HTTP_CAP): its path is what arrived.
 */
#define HTTP_PATH_MAX 128
#define HTTP_METHOD_MAX 8

struct http_req {
	char method[HTTP_METHOD_MAX];
	char path[HTTP_PATH_MAX];
	char version[4]; /* "1.0", "1.1"; "" when the line was cut before it */
	bool truncated;
};

/*
 * The request line at the start of @buf (@len bytes, no terminator needed).
 * @keep_query: keep "?..." in the path, else cut it. 0, or -1 when @buf
 * does not start with an HTTP/1.x request line.
 */
int http_parse_request(const char *buf, size_t len, bool keep_query, struct http_req *r);
/* The status line: 0 and the code (100..599) and version, or -1. */
int http_parse_response(const char *buf, size_t len, int *status, char version[4]);

/* One row: its key and what it counted over the window. */
struct http_row {
	char src_ip[48], dst_ip[48]; /* local, remote */
	char src_port[8], dst_port[8]; /* the client's ephemeral port is "*" */
	char method[HTTP_METHOD_MAX];
	char path[HTTP_PATH_MAX];
	char version[4];
	int status;
	bool incoming; /* direction: the process answered the request (server) */
	bool tls;
	bool truncated;
	uint32_t pid;
	char comm[16];
	uint64_t count;
	uint64_t latency_sum_ns; /* request sent/received to first response byte */
	uint64_t latency_max_ns;
	uint64_t bytes_read, bytes_written;
};

/* A connection's exchange under way. */
struct http_conn {
	uint64_t ptr;
	uint32_t ctgid, tls; /* the kernel's connection key */
	uint64_t ino;	     /* the socket's inode: a new socket at the same address differs */
	uint64_t last_ts;
	bool have_req, have_resp;
	struct http_req req;
	bool incoming;
	uint64_t req_ts, resp_ts;
	uint64_t rd0, wr0;
	int status;
	uint32_t pid;
	char comm[16];
	/* the 4-tuple, from the first event of the exchange that had it */
	uint16_t family, sport, dport;
	uint8_t saddr[16], daddr[16];
};

/* Where the bytes of a connection stand now (kernel map lookup): 0, or -1 if gone. */
typedef int (*http_bytes_fn)(void *arg, const struct http_conn *c, uint64_t *rd, uint64_t *wr);

struct http_agg {
	bool keep_query;
	bool no_tls; /* ignore TLS events */
	uint32_t only_pid; /* 0: every process */
	struct http_conn *conns;
	size_t nr_conns, cap_conns;
	struct http_row *rows;
	size_t nr_rows, cap_rows;
	size_t max_rows, max_conns;
	/* counters */
	uint64_t events, not_http, unanswered, rows_full, conns_full;
	http_bytes_fn bytes;
	void *bytes_arg;
};

#define HTTP_DEFAULT_MAX_ROWS 10000
#define HTTP_DEFAULT_MAX_CONNS 65536

void http_agg_init(struct http_agg *a);
void http_agg_free(struct http_agg *a);
/* One event from the kernel (@len bytes: never trusted). */
void http_agg_event(struct http_agg *a, const void *data, size_t len);
/*
 * Close the exchanges that have their response: their rows get their
 * bytes so far (a->bytes). Connections quiet for @idle_ns before @now_ns
 * are forgotten (0: keep them).
 */
void http_agg_flush(struct http_agg *a, uint64_t now_ns, uint64_t idle_ns);
/* Forget the rows (a new window). */
void http_agg_clear_rows(struct http_agg *a);
/* Sort rows: process, direction, method, path, status. */
void http_agg_sort(struct http_agg *a);

/* Average latency of a row, in ns. */
uint64_t http_row_latency(const struct http_row *r);

void http_rows_text(FILE *out, const struct http_row *rows, size_t n);
void http_rows_json(FILE *out, const struct http_row *rows, size_t n);
struct blacklist;
/* Drop the rows DataKit's netlog blacklist @b matches (NULL: none); how many stay. */
size_t http_rows_blacklist(struct http_row *rows, size_t n, const struct blacklist *b);
/*
 * DataKit's `httpflow` measurement, one line per row, for the push code:
 *   httpflow,src_ip=..,src_port=..,dst_ip=..,dst_port=..,pid=..,
 *     process_name=..,direction=outgoing|incoming,transport=tcp,
 *     family=IPv4|IPv6,method=..,path=..,status_code=..,http_version=..,
 *     tls=true|false[,host=@host] count=Ni,latency=Ni,bytes_read=Ni,
 *     bytes_written=Ni,truncated=true|false TIMESTAMP
 * (tag values escaped for line protocol, empty ones left out; latency:
 * average ns; TIMESTAMP: @ts_ns, or none when 0). Returns the lines
 * written, -1 on a write error.
 */
int http_rows_influx(FILE *out, const struct http_row *rows, size_t n, const char *host,
		     uint64_t ts_ns);

#endif
