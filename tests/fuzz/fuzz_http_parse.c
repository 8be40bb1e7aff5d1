// SPDX-License-Identifier: GPL-2.0
/*
 * httpflow's parser and pairing over any bytes (what the kernel copies is
 * whatever a process sent). Beyond "no crash":
 *  - an accepted request line starts with a known method and a space, its
 *    path is non-empty printable ASCII shorter than HTTP_PATH_MAX, without
 *    '?' unless the query is kept, and its version is "", "1.0" or "1.1";
 *  - an accepted status line starts with "HTTP/1." and has a code 100..599;
 *  - a message is never both;
 *  - the input cut into events (the first byte picks the operation) pairs
 *    into rows whose counts sum to at most the requests seen, and renders
 *    as text, JSON and line protocol without error.
 */
#include <ctype.h>

#include "fuzz/fuzz.h"
#include "modules/httpflow/httpflow_parse.h"

static void check_request(const char *buf, size_t len, bool keep_query)
{
	struct http_req r;
	size_t n;

	if (http_parse_request(buf, len, keep_query, &r))
		return;
	n = strlen(r.method);
	must(n > 0 && n < len && !memcmp(buf, r.method, n) && buf[n] == ' ',
	     "request accepted without its method and a space");
	n = strlen(r.path);
	must(n > 0 && n < HTTP_PATH_MAX, "path length %zu", n);
	for (size_t i = 0; i < n; i++)
		must(r.path[i] > 0x20 && r.path[i] < 0x7f, "unprintable byte in the path");
	must(keep_query || !strchr(r.path, '?'), "query kept");
	must(!r.version[0] || !strcmp(r.version, "1.0") || !strcmp(r.version, "1.1"),
	     "version '%.3s'", r.version);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_agg a;
	uint64_t total = 0, requests = 0;
	char ver[4], *out = NULL;
	size_t outlen = 0;
	struct http_req r;
	FILE *f;
	int st;

	check_request(buf, size, false);
	check_request(buf, size, true);
	if (!http_parse_response(buf, size, &st, ver)) {
		must(size >= 12 && !memcmp(buf, "HTTP/1.", 7), "status line without HTTP/1.");
		must(st >= 100 && st <= 599, "status %d", st);
		must(http_parse_request(buf, size, false, &r) != 0, "both a request and a response");
	}

	/* Events: chunks split at '|', the first byte of each its op and connection. */
	http_agg_init(&a);
	for (size_t i = 0; i < size;) {
		const char *end = memchr(buf + i, '|', size - i);
		size_t n = end ? (size_t)(end - (buf + i)) : size - i;
		struct http_event e;

		memset(&e, 0, sizeof(e));
		if (n) {
			e.op = buf[i] & 1;
			e.conn = (buf[i] >> 1) & 3;
			e.ino = (buf[i] >> 3) & 1;
			e.tls = (buf[i] >> 4) & 1;
			e.family = buf[i] & 0x20 ? 10 : 2;
			e.ts = i;
			e.rd_before = i * 3;
			e.wr_before = i * 5;
			e.cap = n - 1; /* possibly more than data[] holds: never trusted */
			memcpy(e.data, buf + i + 1, n - 1 < HTTP_CAP ? n - 1 : HTTP_CAP);
			memcpy(e.comm, buf + i + 1, n - 1 < 16 ? n - 1 : 16);
			if (!http_parse_request(e.data, n - 1 < HTTP_CAP ? n - 1 : HTTP_CAP, false, &r))
				requests++;
			http_agg_event(&a, &e, sizeof(e));
		}
		i += n + 1;
	}
	http_agg_flush(&a, 0, 0);
	http_agg_sort(&a);
	for (size_t i = 0; i < a.nr_rows; i++)
		total += a.rows[i].count;
	must(total <= requests, "%llu exchanges from %llu requests", (unsigned long long)total,
	     (unsigned long long)requests);
	f = open_memstream(&out, &outlen);
	must(f != NULL, "open_memstream");
	http_rows_text(f, a.rows, a.nr_rows);
	http_rows_json(f, a.rows, a.nr_rows);
	must(http_rows_influx(f, a.rows, a.nr_rows, "h", 1) == (int)a.nr_rows, "line protocol");
	fclose(f);
	free(out);
	http_agg_free(&a);
	return 0;
}
