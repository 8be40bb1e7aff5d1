// SPDX-License-Identifier: GPL-2.0
/*
 * httpflow: the HTTP/1.x parser over the first bytes of a message, the
 * pairing of requests and responses per connection (keep-alive: one
 * exchange after the other), the rows and their renderings.
 *
 * Nothing from the kernel is trusted: an event shorter than its struct is
 * dropped, cap is clamped to the bytes there, and the parser stops at the
 * end of what it was given.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "export/common.h"
#include "core/blacklist.h"
#include "modules/httpflow/httpflow_parse.h"

static const char *const methods[] = { "GET",	 "POST",    "PUT",     "HEAD", "DELETE",
				       "PATCH", "OPTIONS", "CONNECT", "TRACE" };

/* "HTTP/1.0" or "HTTP/1.1" at @p (@left bytes): the version, else NULL. */
static const char *version_at(const char *p, size_t left)
{
	if (left < 8 || memcmp(p, "HTTP/1.", 7))
		return NULL;
	return p[7] == '0' ? "1.0" : p[7] == '1' ? "1.1" : NULL;
}

int http_parse_request(const char *buf, size_t len, bool keep_query, struct http_req *r)
{
	size_t i, m, plen = 0;
	bool in_query = false;
	const char *v;

	memset(r, 0, sizeof(*r));
	for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		size_t ml = strlen(methods[m]);

		if (len > ml && !memcmp(buf, methods[m], ml) && buf[ml] == ' ')
			break;
	}
	if (m == sizeof(methods) / sizeof(methods[0]))
		return -1;
	strcpy(r->method, methods[m]);
	i = strlen(methods[m]) + 1;
	if (i >= len)
		return -1; /* nothing of the target: not enough to call it a request */
	for (; i < len && buf[i] != ' '; i++) {
		unsigned char c = buf[i];

		/* A target is printable ASCII (RFC 9112: no spaces, no controls). */
		if (c <= 0x20 || c >= 0x7f)
			return -1;
		if (c == '?' && !keep_query)
			in_query = true;
		if (in_query)
			continue;
		if (plen < HTTP_PATH_MAX - 1)
			r->path[plen++] = c;
		else
			r->truncated = true;
	}
	r->path[plen] = 0;
	if (!plen)
		return -1;
	if (i == len) {
		/* The copy ended inside the target: what arrived of it is the path. */
		if (!in_query)
			r->truncated = true;
		return 0;
	}
	i++; /* the space */
	v = version_at(buf + i, len - i);
	if (!v) {
		/* Cut inside "HTTP/1.x": still a request; anything else is not one. */
		if (len - i < 8 && !memcmp(buf + i, "HTTP/1.", len - i < 7 ? len - i : 7))
			return 0;
		return -1;
	}
	i += 8;
	if (i < len && buf[i] != '\r' && buf[i] != '\n')
		return -1;
	memcpy(r->version, v, 4);
	return 0;
}

int http_parse_response(const char *buf, size_t len, int *status, char version[4])
{
	const char *v = version_at(buf, len);
	int code = 0;

	if (!v || len < 12 || buf[8] != ' ')
		return -1;
	for (int k = 9; k < 12; k++) {
		if (buf[k] < '0' || buf[k] > '9')
			return -1;
		code = code * 10 + (buf[k] - '0');
	}
	if (code < 100 || code > 599)
		return -1;
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return -1;
	*status = code;
	memcpy(version, v, 4);
	return 0;
}

void http_agg_init(struct http_agg *a)
{
	memset(a, 0, sizeof(*a));
	a->max_rows = HTTP_DEFAULT_MAX_ROWS;
	a->max_conns = HTTP_DEFAULT_MAX_CONNS;
}

void http_agg_free(struct http_agg *a)
{
	free(a->conns);
	free(a->rows);
	a->conns = NULL;
	a->rows = NULL;
	a->nr_conns = a->nr_rows = a->cap_conns = a->cap_rows = 0;
}

void http_agg_clear_rows(struct http_agg *a)
{
	a->nr_rows = 0;
}

static struct http_conn *conn_find(struct http_agg *a, uint64_t ptr, uint32_t ctgid, uint32_t tls,
				   bool create)
{
	struct http_conn *c;

	/* A linear scan: connections with an exchange under way are few. */
	for (size_t i = 0; i < a->nr_conns; i++) {
		c = &a->conns[i];
		if (c->ptr == ptr && c->ctgid == ctgid && c->tls == tls)
			return c;
	}
	if (!create)
		return NULL;
	if (a->nr_conns >= a->max_conns) {
		a->conns_full++;
		return NULL;
	}
	if (a->nr_conns == a->cap_conns) {
		size_t cap = a->cap_conns ? a->cap_conns * 2 : 64;
		struct http_conn *n = realloc(a->conns, cap * sizeof(*n));

		if (!n) {
			a->conns_full++;
			return NULL;
		}
		a->conns = n;
		a->cap_conns = cap;
	}
	c = &a->conns[a->nr_conns++];
	memset(c, 0, sizeof(*c));
	c->ptr = ptr;
	c->ctgid = ctgid;
	c->tls = tls;
	return c;
}

static void fmt_addr(char *out, size_t len, uint16_t family, const uint8_t *a)
{
	if (family == 2)
		inet_ntop(AF_INET, a, out, len);
	else if (family == 10)
		inet_ntop(AF_INET6, a, out, len);
	else
		snprintf(out, len, "%s", "");
}

static void row_add(struct http_agg *a, const struct http_conn *c, uint64_t rd, uint64_t wr)
{
	struct http_row k = { 0 }, *r = NULL;
	uint64_t lat = c->resp_ts > c->req_ts ? c->resp_ts - c->req_ts : 0;

	fmt_addr(k.src_ip, sizeof(k.src_ip), c->family, c->saddr);
	fmt_addr(k.dst_ip, sizeof(k.dst_ip), c->family, c->daddr);
	if (c->family) {
		/* The client's port changes with every connection: rows would never merge. */
		if (c->incoming) {
			snprintf(k.src_port, sizeof(k.src_port), "%u", c->sport);
			strcpy(k.dst_port, "*");
		} else {
			strcpy(k.src_port, "*");
			snprintf(k.dst_port, sizeof(k.dst_port), "%u", c->dport);
		}
	}
	memcpy(k.method, c->req.method, sizeof(k.method));
	memcpy(k.path, c->req.path, sizeof(k.path));
	memcpy(k.version, c->req.version, sizeof(k.version));
	k.status = c->status;
	k.incoming = c->incoming;
	k.tls = c->tls;
	k.truncated = c->req.truncated;
	k.pid = c->pid;
	memcpy(k.comm, c->comm, sizeof(k.comm));
	for (size_t i = 0; i < a->nr_rows; i++) {
		struct http_row *x = &a->rows[i];

		if (x->status == k.status && x->pid == k.pid && x->incoming == k.incoming &&
		    x->tls == k.tls && x->truncated == k.truncated && !strcmp(x->path, k.path) &&
		    !strcmp(x->method, k.method) && !strcmp(x->version, k.version) &&
		    !strcmp(x->src_ip, k.src_ip) && !strcmp(x->dst_ip, k.dst_ip) &&
		    !strcmp(x->src_port, k.src_port) && !strcmp(x->dst_port, k.dst_port) &&
		    !strcmp(x->comm, k.comm)) {
			r = x;
			break;
		}
	}
	if (!r) {
		if (a->nr_rows >= a->max_rows) {
			a->rows_full++;
			return;
		}
		if (a->nr_rows == a->cap_rows) {
			size_t cap = a->cap_rows ? a->cap_rows * 2 : 64;
			struct http_row *n = realloc(a->rows, cap * sizeof(*n));

			if (!n) {
				a->rows_full++;
				return;
			}
			a->rows = n;
			a->cap_rows = cap;
		}
		r = &a->rows[a->nr_rows++];
		*r = k;
	}
	r->count++;
	r->latency_sum_ns += lat;
	if (lat > r->latency_max_ns)
		r->latency_max_ns = lat;
	/* Counters only grow; a connection key reused by a new socket restarts them. */
	r->bytes_read += rd >= c->rd0 ? rd - c->rd0 : 0;
	r->bytes_written += wr >= c->wr0 ? wr - c->wr0 : 0;
}

static void take_tuple(struct http_conn *c, const struct http_event *e)
{
	if (!e->family || c->family)
		return;
	c->family = e->family;
	c->sport = e->sport;
	c->dport = e->dport;
	memcpy(c->saddr, e->saddr, sizeof(c->saddr));
	memcpy(c->daddr, e->daddr, sizeof(c->daddr));
}

void http_agg_event(struct http_agg *a, const void *data, size_t len)
{
	struct http_event e;
	struct http_conn *c;
	struct http_req req;
	size_t cap;
	int status;
	char ver[4];

	if (len < sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	a->events++;
	if ((e.tls && a->no_tls) || (a->only_pid && e.tgid != a->only_pid))
		return;
	cap = e.cap < HTTP_CAP ? e.cap : HTTP_CAP;
	if (!http_parse_request(e.data, cap, a->keep_query, &req)) {
		c = conn_find(a, e.conn, e.tls ? e.tgid : 0, e.tls, true);
		if (!c)
			return;
		if (c->have_req && c->have_resp) {
			/* Another socket at this address: the old one's bytes came with the event. */
			if (c->ino != e.ino)
				row_add(a, c, e.old_rd, e.old_wr);
			else
				row_add(a, c, e.rd_before, e.wr_before);
		}
		else if (c->have_req)
			a->unanswered++;
		c->have_req = true;
		c->have_resp = false;
		c->ino = e.ino;
		c->req = req;
		c->incoming = e.op == HTTP_OP_READ;
		c->req_ts = e.ts;
		c->rd0 = e.rd_before;
		c->wr0 = e.wr_before;
		c->status = 0;
		c->pid = e.tgid;
		memcpy(c->comm, e.comm, sizeof(c->comm));
		c->comm[sizeof(c->comm) - 1] = 0;
		c->family = 0;
		take_tuple(c, &e);
		c->last_ts = e.ts;
		return;
	}
	if (!http_parse_response(e.data, cap, &status, ver)) {
		c = conn_find(a, e.conn, e.tls ? e.tgid : 0, e.tls, false);
		/* A response goes the other way from its request. */
		if (!c || !c->have_req || c->have_resp || c->incoming != (e.op == HTTP_OP_WRITE) ||
		    c->ino != e.ino)
			return;
		c->last_ts = e.ts;
		take_tuple(c, &e);
		if (!c->resp_ts || c->resp_ts < c->req_ts)
			c->resp_ts = e.ts; /* the first byte of any response, 1xx included */
		if (status < 200)
			return; /* an interim response: the final one follows */
		c->status = status;
		if (!c->req.version[0])
			memcpy(c->req.version, ver, sizeof(ver));
		c->have_resp = true;
		return;
	}
	a->not_http++;
}

void http_agg_flush(struct http_agg *a, uint64_t now_ns, uint64_t idle_ns)
{
	size_t i = 0;

	while (i < a->nr_conns) {
		struct http_conn *c = &a->conns[i];
		uint64_t rd = 0, wr = 0;

		if (c->have_req && c->have_resp) {
			if (!a->bytes || a->bytes(a->bytes_arg, c, &rd, &wr)) {
				rd = c->rd0;
				wr = c->wr0;
			}
			row_add(a, c, rd, wr);
			c->have_req = c->have_resp = false;
		}
		if (idle_ns && now_ns > c->last_ts + idle_ns) {
			if (c->have_req)
				a->unanswered++;
			a->conns[i] = a->conns[--a->nr_conns];
			continue;
		}
		i++;
	}
}

static int row_cmp(const void *x, const void *y)
{
	const struct http_row *a = x, *b = y;
	int c;

	if ((c = strcmp(a->comm, b->comm)))
		return c;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->incoming != b->incoming)
		return a->incoming ? 1 : -1;
	if (a->tls != b->tls)
		return a->tls ? 1 : -1;
	if ((c = strcmp(a->method, b->method)))
		return c;
	if ((c = strcmp(a->path, b->path)))
		return c;
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	if ((c = strcmp(a->dst_ip, b->dst_ip)))
		return c;
	return strcmp(a->src_ip, b->src_ip);
}

void http_agg_sort(struct http_agg *a)
{
	if (a->nr_rows > 1)
		qsort(a->rows, a->nr_rows, sizeof(*a->rows), row_cmp);
}

uint64_t http_row_latency(const struct http_row *r)
{
	return r->count ? r->latency_sum_ns / r->count : 0;
}

static const char *dir_name(const struct http_row *r)
{
	return r->incoming ? "incoming" : "outgoing";
}

void http_rows_text(FILE *out, const struct http_row *rows, size_t n)
{
	fprintf(out, "%-16s %7s %-3s %-8s %-7s %-30s %6s %-3s %-22s %-22s %6s %12s %10s %10s\n",
		"PROCESS", "PID", "TLS", "DIR", "METHOD", "PATH", "STATUS", "VER", "SRC", "DST",
		"COUNT", "LATENCY_US", "READ", "WRITTEN");
	for (size_t i = 0; i < n; i++) {
		const struct http_row *r = &rows[i];
		char src[64], dst[64], comm[16 * 3 + 1], path[HTTP_PATH_MAX + 1];

		export_utf8_sanitize(comm, r->comm, strnlen(r->comm, sizeof(r->comm)));
		snprintf(src, sizeof(src), "%s:%s", r->src_ip, r->src_port);
		snprintf(dst, sizeof(dst), "%s:%s", r->dst_ip, r->dst_port);
		snprintf(path, sizeof(path), "%s%s", r->path, r->truncated ? "~" : "");
		fprintf(out,
			"%-16s %7u %-3s %-8s %-7s %-30s %6d %-3s %-22s %-22s %6llu %12.1f %10llu %10llu\n",
			comm, r->pid, r->tls ? "yes" : "no", dir_name(r), r->method, path, r->status,
			r->version[0] ? r->version : "-", src, dst, (unsigned long long)r->count,
			http_row_latency(r) / 1000.0, (unsigned long long)r->bytes_read,
			(unsigned long long)r->bytes_written);
	}
}

/* A JSON string: the path and comm are printable already or sanitized here. */
static void json_str(FILE *out, const char *s, size_t max)
{
	char buf[HTTP_PATH_MAX * 3 + 1];
	size_t n = strnlen(s, max);

	if (n > HTTP_PATH_MAX)
		n = HTTP_PATH_MAX;
	export_utf8_sanitize(buf, s, n);
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			putc(*p, out);
	}
	putc('"', out);
}

void http_rows_json(FILE *out, const struct http_row *rows, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		const struct http_row *r = &rows[i];

		fprintf(out, "%s\n  {\"src_ip\": ", i ? "," : "");
		json_str(out, r->src_ip, sizeof(r->src_ip));
		fputs(", \"src_port\": ", out);
		json_str(out, r->src_port, sizeof(r->src_port));
		fputs(", \"dst_ip\": ", out);
		json_str(out, r->dst_ip, sizeof(r->dst_ip));
		fputs(", \"dst_port\": ", out);
		json_str(out, r->dst_port, sizeof(r->dst_port));
		fprintf(out, ", \"pid\": %u, \"process_name\": ", r->pid);
		json_str(out, r->comm, sizeof(r->comm));
		fprintf(out, ", \"direction\": \"%s\", \"tls\": %s, \"method\": \"%s\", \"path\": ",
			dir_name(r), r->tls ? "true" : "false", r->method);
		json_str(out, r->path, sizeof(r->path));
		fprintf(out,
			", \"status_code\": %d, \"http_version\": \"%s\", \"truncated\": %s, \"count\": %llu, \"latency\": %llu, \"latency_max\": %llu, \"bytes_read\": %llu, \"bytes_written\": %llu}",
			r->status, r->version, r->truncated ? "true" : "false",
			(unsigned long long)r->count, (unsigned long long)http_row_latency(r),
			(unsigned long long)r->latency_max_ns, (unsigned long long)r->bytes_read,
			(unsigned long long)r->bytes_written);
	}
	fputs(n ? "\n]\n" : "]\n", out);
}

/* A line-protocol tag value: commas, spaces, equals signs and backslashes escaped. */
static void lp_tag(FILE *out, const char *key, const char *v, size_t max)
{
	char buf[HTTP_PATH_MAX * 3 + 1];
	size_t n = strnlen(v, max);

	if (n > HTTP_PATH_MAX)
		n = HTTP_PATH_MAX;
	export_utf8_sanitize(buf, v, n);
	if (!buf[0])
		return; /* line protocol has no empty tag values */
	fprintf(out, ",%s=", key);
	for (const char *p = buf; *p; p++) {
		if (*p == ',' || *p == ' ' || *p == '=' || *p == '\\')
			putc('\\', out);
		if (*p == '\n' || *p == '\r')
			continue;
		putc(*p, out);
	}
}

int http_rows_influx(FILE *out, const struct http_row *rows, size_t n, const char *host,
		     uint64_t ts_ns)
{
	for (size_t i = 0; i < n; i++) {
		const struct http_row *r = &rows[i];
		char num[24];

		fputs("httpflow", out);
		lp_tag(out, "src_ip", r->src_ip, sizeof(r->src_ip));
		lp_tag(out, "src_port", r->src_port, sizeof(r->src_port));
		lp_tag(out, "dst_ip", r->dst_ip, sizeof(r->dst_ip));
		lp_tag(out, "dst_port", r->dst_port, sizeof(r->dst_port));
		snprintf(num, sizeof(num), "%u", r->pid);
		lp_tag(out, "pid", num, sizeof(num));
		lp_tag(out, "process_name", r->comm, sizeof(r->comm));
		lp_tag(out, "direction", dir_name(r), 9);
		lp_tag(out, "transport", "tcp", 4);
		if (r->src_ip[0])
			lp_tag(out, "family", strchr(r->src_ip, ':') ? "IPv6" : "IPv4", 5);
		lp_tag(out, "method", r->method, sizeof(r->method));
		lp_tag(out, "path", r->path, sizeof(r->path));
		snprintf(num, sizeof(num), "%d", r->status);
		lp_tag(out, "status_code", num, sizeof(num));
		lp_tag(out, "http_version", r->version, sizeof(r->version));
		lp_tag(out, "tls", r->tls ? "true" : "false", 6);
		if (host)
			lp_tag(out, "host", host, HTTP_PATH_MAX);
		fprintf(out, " count=%llui,latency=%llui,bytes_read=%llui,bytes_written=%llui,truncated=%s",
			(unsigned long long)r->count, (unsigned long long)http_row_latency(r),
			(unsigned long long)r->bytes_read, (unsigned long long)r->bytes_written,
			r->truncated ? "true" : "false");
		if (ts_ns)
			fprintf(out, " %llu", (unsigned long long)ts_ns);
		if (putc('\n', out) == EOF)
			return -1;
	}
	return ferror(out) ? -1 : (int)n;
}

/* An address of a row as the blacklist sees it: family, and bytes in @out. */
static int row_addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, out) == 1)
		return AF_INET6;
	return 0;
}

size_t http_rows_blacklist(struct http_row *rows, size_t n, const struct blacklist *b)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		const struct http_row *r = &rows[i];
		struct bl_row br = { .tcp = true };
		int fam = row_addr(r->src_ip, br.saddr);

		row_addr(r->dst_ip, br.daddr);
		br.ipv4 = fam == AF_INET;
		br.ipv6 = fam == AF_INET6;
		/* "*" (a client's ephemeral port) is no port. */
		br.src_port = (uint16_t)strtoul(r->src_port, NULL, 10);
		br.dst_port = (uint16_t)strtoul(r->dst_port, NULL, 10);
		if (b && blacklist_match(b, &br))
			continue;
		rows[kept++] = rows[i];
	}
	return kept;
}
