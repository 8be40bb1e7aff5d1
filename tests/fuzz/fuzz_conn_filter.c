// SPDX-License-Identifier: GPL-2.0
/*
 * The network viewer's filters (conn_filter_parse(), conn_filter_match())
 * and what runs after them (collapse, sort, limit, JSON). Input: one byte
 * choosing the list (ports, ips, hostnames), the list's text up to the
 * first newline, then rows, ROW_BYTES each. Beyond "no crash":
 *  - a refusal is -EINVAL and one printable line naming the list;
 *  - an accepted list is matched against every row; `*` shows every row,
 *    and for the list's first pattern X, "!X *" shows exactly the rows that
 *    "X" hides (first match decides, what none matches is hidden);
 *  - collapse keeps the sums of bytes and connections, the sort is by
 *    bytes descending, the limit keeps the sums too, and the JSON printed
 *    is one line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz/fuzz.h"
#include "modules/socket/conn_view.h"

#define ROW_BYTES 44
#define MAX_ROWS  64

static const char *const list_names[] = {"ports: ", "ips: ", "hostnames: "};

/* Names with the characters a glob cares about, and an address without one. */
static int fake_resolver(void *ctx, __u16 family, const __u8 *addr, char *name, size_t size)
{
	static const char *const forms[] = {"h%u.example.com", "%u*[x].Example.org", "a?%u", "%u"};

	(void)ctx;
	(void)family;
	if (addr[0] % 5 == 4)
		return -1;
	snprintf(name, size, forms[addr[0] % 5], addr[1]);
	return 0;
}

static size_t make_rows(struct conn_row *rows, const uint8_t *p, size_t size)
{
	size_t n = 0;

	for (; size >= ROW_BYTES && n < MAX_ROWS; p += ROW_BYTES, size -= ROW_BYTES, n++) {
		struct conn_row *r = &rows[n];

		memset(r, 0, sizeof(*r));
		r->t.family = p[0] & 1 ? AF_INET6 : AF_INET;
		r->t.protocol = p[0] & 2 ? IPPROTO_UDP : IPPROTO_TCP;
		r->t.direction = (__u8)((p[0] >> 2) % 3);
		/* Few distinct addresses: rows collide and merge. */
		memcpy(r->t.saddr, p + 1, 4);
		memcpy(r->t.daddr, p + 5, 16);
		if (p[0] & 0x20) /* an IPv4-mapped address */
			memcpy(r->t.daddr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		r->t.sport = (__u16)(p[21] << 8 | p[22]);
		r->t.dport = (__u16)(p[23] << 8 | p[24]);
		r->pid = p[25] & 3;
		memcpy(r->process_name, p + 26, 4);
		r->bytes_read = p[30] & 0x80 ? UINT64_MAX - p[31] : p[31];
		r->bytes_written = p[32];
		r->retransmits = p[33];
		r->rtt_us = (__u32)p[34] << 24 | p[35];
		r->rtt_var_us = p[36];
		r->tcp_established = p[37] & 1;
		r->tcp_closed = p[37] >> 1 & 1;
		r->connections = p[38] & 3;
		r->open = p[39] & 1;
	}
	return n;
}

static void sums(const struct conn_row *rows, size_t n, unsigned __int128 *bytes,
		 unsigned long *conns)
{
	*bytes = 0;
	*conns = 0;
	for (size_t i = 0; i < n; i++) {
		*bytes += (unsigned __int128)rows[i].bytes_read + rows[i].bytes_written;
		*conns += rows[i].connections ? rows[i].connections : 1;
	}
}

static void check_pipeline(struct conn_row *rows, size_t n, unsigned int eph, size_t max)
{
	unsigned __int128 b0, b1, b2;
	unsigned long c0, c1, c2;
	struct conn_row other;
	char *buf = NULL;
	size_t len = 0, kept;
	FILE *f;

	sums(rows, n, &b0, &c0);
	n = conn_view_collapse(rows, n, eph);
	sums(rows, n, &b1, &c1);
	/* Merged counters are u64 fields: sums agree modulo 2^64. */
	must((uint64_t)b0 == (uint64_t)b1, "collapse changed the bytes");
	must(c0 == c1, "collapse changed the connections: %lu -> %lu", c0, c1);
	conn_view_sort(rows, n);
	for (size_t i = 1; i < n; i++)
		must((unsigned __int128)rows[i - 1].bytes_read + rows[i - 1].bytes_written >=
			 (unsigned __int128)rows[i].bytes_read + rows[i].bytes_written,
		     "row %zu sorted after a smaller one", i);
	kept = conn_view_limit(rows, n, max, &other);
	must(kept <= n && (!max || kept <= max), "limit kept %zu of %zu (max %zu)", kept, n, max);
	sums(rows, kept, &b2, &c2);
	if (other.connections) {
		must(kept < n, "an 'other' row with nothing cut");
		c2 += other.connections;
	}
	must(c2 == c1, "limit changed the connections");
	f = open_memstream(&buf, &len);
	must(f != NULL, "open_memstream");
	must(!conn_view_print_json(f, rows, kept, &other), "JSON write failed");
	must(!conn_view_print_text(f, rows, kept, &other, NULL), "text write failed");
	fclose(f);
	must(buf && len >= 3 && buf[0] == '[' && strchr(buf, '\n') && strchr(buf, '\n')[-1] == ']',
	     "JSON is not one line of an array");
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_row rows[MAX_ROWS];
	struct conn_services services = {0};
	struct conn_filter f, star, x, notx;
	enum conn_list_kind kind;
	const uint8_t *nl;
	char err[512] = "", *text, *first, *negated;
	size_t tlen, n, flen;
	int rc;

	if (size < 1)
		return 0;
	kind = (enum conn_list_kind)(data[0] % 3);
	data++;
	size--;
	nl = memchr(data, '\n', size);
	tlen = nl ? (size_t)(nl - data) : size;
	text = fuzz_cstring(data, tlen);
	n = nl ? make_rows(rows, nl + 1, size - tlen - 1) : 0;
	must(!conn_services_override(&services, "22", "ssh", err, sizeof(err)), "override");
	must(!conn_services_override(&services, "80", "http", err, sizeof(err)), "override");

	conn_filter_init(&f);
	conn_filter_set_resolver(&f, fake_resolver, NULL);
	rc = conn_filter_parse(&f, kind, text, &services, err, sizeof(err));
	if (rc) {
		must(rc == -EINVAL, "'%s' refused with %d", text, rc);
		for (const char *p = err; *p; p++)
			must((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in '%s'",
			     err);
		must(!strncmp(err, list_names[kind], strlen(list_names[kind])),
		     "the refusal '%s' does not name the list", err);
		goto out;
	}

	conn_filter_init(&star);
	must(!conn_filter_parse(&star, kind, "*", &services, err, sizeof(err)), "'*' refused");
	/* The first pattern alone, and negated before a '*'. */
	first = strtok(text, " \t\n\r\v\f");
	conn_filter_init(&x);
	conn_filter_init(&notx);
	conn_filter_set_resolver(&x, fake_resolver, NULL);
	conn_filter_set_resolver(&notx, fake_resolver, NULL);
	if (first && first[0] != '!') {
		flen = strlen(first);
		negated = malloc(flen + 4);
		must(negated != NULL, "malloc");
		snprintf(negated, flen + 4, "!%s *", first);
		must(!conn_filter_parse(&x, kind, first, &services, err, sizeof(err)),
		     "'%s' accepted in a list, refused alone: %s", first, err);
		must(!conn_filter_parse(&notx, kind, negated, &services, err, sizeof(err)),
		     "'%s' refused: %s", negated, err);
		free(negated);
	} else {
		first = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		bool shown = conn_filter_match(&f, &rows[i]);

		(void)shown;
		must(conn_filter_match(&star, &rows[i]), "'*' hides row %zu", i);
		if (first)
			must(conn_filter_match(&x, &rows[i]) != conn_filter_match(&notx, &rows[i]),
			     "'%s' and '!%s *' agree on row %zu", first, first, i);
	}
	conn_filter_free(&star);
	conn_filter_free(&x);
	conn_filter_free(&notx);
	if (n)
		check_pipeline(rows, n, data[0] & 1 ? 32768 : data[0], data[0] % 4);
out:
	conn_filter_free(&f);
	conn_services_free(&services);
	free(text);
	return 0;
}
