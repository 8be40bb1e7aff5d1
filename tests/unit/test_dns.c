// SPDX-License-Identifier: GPL-2.0
/*
 * dnsflow's user half: the parser against hand-made messages (compression
 * pointers, loops, forward pointers, truncated names, labels over 63 bytes,
 * names over 255, counts larger than the message), the pairing of queries
 * and answers per socket side (latency, timeouts, duplicates, answers with
 * no query, a full table, TCP's length prefixes), the rows and their
 * line-protocol, JSON and table renderings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "modules/dnsflow/dns_agg.h"
#include "modules/dnsflow/dns_parse.h"

/* A message: header, then @qname in wire format (@qlen bytes), then qtype/qclass when @full. */
static size_t msg(uint8_t *b, uint16_t id, bool qr, uint8_t rcode, uint16_t qd, const void *qname,
		  size_t qlen, uint16_t qtype)
{
	size_t n = 12;

	memset(b, 0, 12);
	b[0] = id >> 8;
	b[1] = id & 0xff;
	b[2] = qr ? 0x81 : 0x01;
	b[3] = rcode;
	b[4] = qd >> 8;
	b[5] = qd & 0xff;
	memcpy(b + n, qname, qlen);
	n += qlen;
	b[n++] = qtype >> 8;
	b[n++] = qtype & 0xff;
	b[n++] = 0;
	b[n++] = 1;
	return n;
}

#define NAME_EXAMPLE "\x03WwW\x07" "Example\x03" "com\x00"

static void test_parse_query(void **state)
{
	uint8_t b[512];
	struct dns_msg m;
	size_t n = msg(b, 0xbeef, false, 0, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 28);

	(void)state;
	assert_int_equal(dns_parse(b, n, &m), DNS_OK);
	assert_int_equal(m.id, 0xbeef);
	assert_false(m.qr);
	assert_true(m.has_question);
	assert_string_equal(m.qname, "www.example.com");
	assert_int_equal(m.qtype, 28);
	assert_int_equal(m.qclass, 1);
	/* One byte short of qclass: the question is cut. */
	assert_int_equal(dns_parse(b, n - 1, &m), DNS_ETRUNC);
	assert_false(m.has_question);
	assert_int_equal(m.id, 0xbeef); /* the header is still there */
	/* A response: rcode from the header's low 4 bits. */
	n = msg(b, 7, true, 3, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);
	assert_int_equal(dns_parse(b, n, &m), DNS_OK);
	assert_true(m.qr);
	assert_int_equal(m.rcode, 3);
	/* Shorter than a header. */
	assert_int_equal(dns_parse(b, 11, &m), DNS_ESHORT);
	assert_int_equal(dns_parse(NULL, 0, &m), DNS_ESHORT);
	/* No question at all: fine, no name. */
	n = msg(b, 7, true, 2, 0, "", 0, 1);
	assert_int_equal(dns_parse(b, 12, &m), DNS_OK);
	assert_false(m.has_question);
	/* The root name. */
	n = msg(b, 8, false, 0, 1, "\x00", 1, 2);
	assert_int_equal(dns_parse(b, n, &m), DNS_OK);
	assert_string_equal(m.qname, ".");
}

static void test_parse_counts_larger_than_message(void **state)
{
	uint8_t b[512];
	struct dns_msg m;
	size_t n = msg(b, 1, false, 0, 65535, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);

	(void)state;
	b[6] = b[7] = 0xff; /* ancount 65535 too */
	assert_int_equal(dns_parse(b, n, &m), DNS_OK);
	assert_int_equal(m.qdcount, 65535);
	assert_int_equal(m.ancount, 65535);
	assert_string_equal(m.qname, "www.example.com");
}

static void test_names(void **state)
{
	uint8_t b[1024];
	char out[DNS_NAME_MAX];
	size_t next = 0, n;

	(void)state;
	/* example.com at 12, then "www" + pointer to 12 at 25. */
	memset(b, 0, sizeof(b));
	memcpy(b + 12, "\x07" "example\x03" "com\x00", 13);
	memcpy(b + 25, "\x03www\xc0\x0c", 6);
	assert_int_equal(dns_read_name(b, 31, 25, out, &next), DNS_OK);
	assert_string_equal(out, "www.example.com");
	assert_int_equal(next, 31); /* after the pointer, not after the name it points to */
	assert_int_equal(dns_read_name(b, 31, 12, out, &next), DNS_OK);
	assert_int_equal(next, 25);
	/* A chain of pointers, each further back: fine. */
	memcpy(b + 31, "\x02" "a1\xc0\x19", 5); /* a1 -> 25 (www -> 12) */
	assert_int_equal(dns_read_name(b, 36, 31, out, &next), DNS_OK);
	assert_string_equal(out, "a1.www.example.com");
	/* A pointer to itself, to later bytes, and two pointing at each other. */
	memcpy(b + 40, "\xc0\x28", 2);
	assert_int_equal(dns_read_name(b, 42, 40, out, &next), DNS_ELOOP);
	memcpy(b + 40, "\xc0\x30", 2);
	assert_int_equal(dns_read_name(b, 64, 40, out, &next), DNS_ELOOP);
	memcpy(b + 44, "\x01x\xc0\x2c", 4); /* 44: x -> 44 */
	assert_int_equal(dns_read_name(b, 48, 44, out, &next), DNS_ELOOP);
	memcpy(b + 50, "\x01y\xc0\x34", 4); /* 50: y -> 52 = the pointer itself */
	assert_int_equal(dns_read_name(b, 54, 50, out, &next), DNS_ELOOP);
	/* A pointer cut after its first byte; a label past the end. */
	memcpy(b + 60, "\x01z\xc0", 3);
	assert_int_equal(dns_read_name(b, 63, 60, out, &next), DNS_ETRUNC);
	memcpy(b + 60, "\x05" "ab", 3);
	assert_int_equal(dns_read_name(b, 63, 60, out, &next), DNS_ETRUNC);
	/* No terminating zero. */
	assert_int_equal(dns_read_name(b, 63 - 2, 60, out, &next), DNS_ETRUNC);
	/* Labels of 64 (0x40: reserved type) and 0x80 types. */
	b[60] = 0x40;
	assert_int_equal(dns_read_name(b, 200, 60, out, &next), DNS_ELABEL);
	b[60] = 0x80;
	assert_int_equal(dns_read_name(b, 200, 60, out, &next), DNS_ELABEL);
	/* A label of 63 is fine; 4 of them (256 bytes on the wire) are too long. */
	n = 100;
	for (int i = 0; i < 4; i++) {
		b[n] = 63;
		memset(b + n + 1, 'a', 63);
		n += 64;
	}
	b[n++] = 0;
	assert_int_equal(dns_read_name(b, n, 100, out, &next), DNS_ETOOLONG);
	/* 3 of 63 and one of 61: 255 bytes exactly, 253 characters. */
	b[100 + 3 * 64] = 61;
	b[100 + 3 * 64 + 62] = 0;
	assert_int_equal(dns_read_name(b, 100 + 3 * 64 + 63, 100, out, &next), DNS_OK);
	assert_int_equal(strlen(out), 253);
	/* The limit counts bytes reached through pointers too. */
	memcpy(b + 400, "\x05" "bbbbb\xc0\x64", 8); /* bbbbb + the 255-byte name */
	assert_int_equal(dns_read_name(b, 408, 400, out, &next), DNS_ETOOLONG);
	/* Unprintable bytes and dots inside a label become '?', upper case lower. */
	memcpy(b + 500, "\x04" "A.\x01 \x00", 6);
	assert_int_equal(dns_read_name(b, 506, 500, out, &next), DNS_OK);
	assert_string_equal(out, "a???");
}

static void ev_set(struct dns_event *ev, uint64_t ts, uint8_t dir, const char *src, uint16_t sport,
		   const char *dst, uint16_t dport, const void *payload, size_t len)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = ts;
	ev->netns = 4096;
	ev->family = AF_INET;
	ev->proto = IPPROTO_UDP;
	ev->dir = dir;
	inet_pton(AF_INET, src, ev->saddr);
	inet_pton(AF_INET, dst, ev->daddr);
	ev->sport = sport;
	ev->dport = dport;
	memcpy(ev->data, payload, len);
	ev->len = (uint16_t)len;
	ev->orig_len = (uint16_t)len;
}

static struct dns_done last;
static int ndone;

static void keep(const struct dns_done *d, void *arg)
{
	(void)arg;
	last = *d;
	ndone++;
}

static void test_pairing(void **state)
{
	struct dns_tracker t;
	struct dns_event ev;
	uint8_t q[256], a[256];
	size_t ql = msg(q, 42, false, 0, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);
	size_t al = msg(a, 42, true, 3, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);

	(void)state;
	ndone = 0;
	assert_int_equal(dns_tracker_init(&t, 4, 1000), 0);
	/* Client side: query out, answer in. */
	ev_set(&ev, 100, DNS_DIR_EGRESS, "10.0.0.1", 5000, "10.0.0.2", 53, q, ql);
	ev.pid = 77;
	strcpy(ev.comm, "dig");
	dns_tracker_packet(&t, &ev, keep, NULL);
	dns_tracker_packet(&t, &ev, keep, NULL); /* a retransmission */
	assert_int_equal(t.st.duplicates, 1);
	/* The server side of the same exchange (another namespace): query in. */
	ev_set(&ev, 110, DNS_DIR_INGRESS, "10.0.0.1", 5000, "10.0.0.2", 53, q, ql);
	ev.netns = 8192;
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(t.used, 2);
	/* The server answers (its socket's owner known now). */
	ev_set(&ev, 150, DNS_DIR_EGRESS, "10.0.0.2", 53, "10.0.0.1", 5000, a, al);
	ev.netns = 8192;
	ev.pid = 9;
	strcpy(ev.comm, "dnsmasq");
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(ndone, 1);
	assert_false(last.outgoing);
	assert_int_equal(last.latency_ns, 40);
	assert_int_equal(last.pid, 9);
	assert_string_equal(last.comm, "dnsmasq");
	assert_int_equal(last.sport, 53); /* src: the local end */
	assert_int_equal(last.dport, 5000);
	/* The client gets it. */
	ev_set(&ev, 160, DNS_DIR_INGRESS, "10.0.0.2", 53, "10.0.0.1", 5000, a, al);
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(ndone, 2);
	assert_true(last.outgoing);
	assert_int_equal(last.rcode, 3);
	assert_int_equal(last.latency_ns, 60);
	assert_int_equal(last.pid, 77);
	assert_string_equal(last.comm, "dig");
	assert_string_equal(last.question, "www.example.com");
	assert_int_equal(last.qtype, 1);
	assert_int_equal(last.sport, 5000);
	assert_int_equal(t.used, 0);
	/* Again: no query waits for it any more. */
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(t.st.unmatched, 1);
	/* An unanswered query times out at 1000 ns, not before. */
	ev_set(&ev, 2000, DNS_DIR_EGRESS, "10.0.0.1", 5001, "10.0.0.3", 53, q, ql);
	dns_tracker_packet(&t, &ev, keep, NULL);
	dns_tracker_expire(&t, 2999, keep, NULL);
	assert_int_equal(ndone, 2);
	dns_tracker_expire(&t, 3000, keep, NULL);
	assert_int_equal(ndone, 3);
	assert_int_equal(last.rcode, DNS_RCODE_TIMEOUT);
	assert_int_equal(last.latency_ns, 0);
	assert_int_equal(t.st.timeouts, 1);
	/* Full: 4 waiting at most (the table is twice that); the 5th is counted. */
	for (int i = 0; i < 5; i++) {
		ev_set(&ev, 4000, DNS_DIR_EGRESS, "10.0.0.1", (uint16_t)(6000 + i), "10.0.0.2", 53, q, ql);
		dns_tracker_packet(&t, &ev, keep, NULL);
	}
	assert_int_equal(t.st.pending_full, 1);
	dns_tracker_expire(&t, 1u << 30, keep, NULL);
	assert_int_equal(t.used, 0);
	assert_int_equal(ndone, 7);
	/* Garbage. */
	ev_set(&ev, 5000, DNS_DIR_EGRESS, "10.0.0.1", 1, "10.0.0.2", 53, "\x01\x02", 2);
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(t.st.malformed, 1);
	dns_tracker_free(&t);
}

static void test_pairing_many(void **state)
{
	struct dns_tracker t;
	struct dns_event ev;
	uint8_t q[256];

	(void)state;
	ndone = 0;
	/* Deletions in the middle of probe runs must keep every entry findable. */
	assert_int_equal(dns_tracker_init(&t, 64, 1000), 0);
	for (int i = 0; i < 64; i++) {
		size_t ql = msg(q, (uint16_t)i, false, 0, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);

		ev_set(&ev, 10, DNS_DIR_EGRESS, "10.0.0.1", 5000, "10.0.0.2", 53, q, ql);
		dns_tracker_packet(&t, &ev, keep, NULL);
	}
	assert_int_equal(t.used, 64);
	for (int i = 63; i >= 0; i -= 2) {
		size_t al = msg(q, (uint16_t)i, true, 0, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);

		ev_set(&ev, 20, DNS_DIR_INGRESS, "10.0.0.2", 53, "10.0.0.1", 5000, q, al);
		dns_tracker_packet(&t, &ev, keep, NULL);
	}
	for (int i = 0; i < 64; i += 2) {
		size_t al = msg(q, (uint16_t)i, true, 0, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);

		ev_set(&ev, 20, DNS_DIR_INGRESS, "10.0.0.2", 53, "10.0.0.1", 5000, q, al);
		dns_tracker_packet(&t, &ev, keep, NULL);
	}
	assert_int_equal(ndone, 64);
	assert_int_equal(t.st.unmatched, 0);
	assert_int_equal(t.used, 0);
	dns_tracker_free(&t);
}

static void test_tcp(void **state)
{
	struct dns_tracker t;
	struct dns_event ev;
	uint8_t seg[512], m1[128], m2[128];
	size_t l1 = msg(m1, 1, false, 0, 1, NAME_EXAMPLE, sizeof(NAME_EXAMPLE) - 1, 1);
	size_t l2 = msg(m2, 2, false, 0, 1, "\x01" "b\x00", 3, 16);
	size_t n = 0;

	(void)state;
	ndone = 0;
	assert_int_equal(dns_tracker_init(&t, 16, 1000), 0);
	/* Two queries in one segment, each behind its length. */
	seg[n++] = 0;
	seg[n++] = (uint8_t)l1;
	memcpy(seg + n, m1, l1);
	n += l1;
	seg[n++] = 0;
	seg[n++] = (uint8_t)l2;
	memcpy(seg + n, m2, l2);
	n += l2;
	ev_set(&ev, 10, DNS_DIR_EGRESS, "10.0.0.1", 4000, "10.0.0.2", 53, seg, n);
	ev.proto = IPPROTO_TCP;
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(t.st.queries, 2);
	/* A length prefix claiming more than the segment: the header and question still count. */
	seg[0] = 0xff;
	ev_set(&ev, 10, DNS_DIR_EGRESS, "10.0.0.1", 4001, "10.0.0.2", 53, seg, 2 + l1);
	ev.proto = IPPROTO_TCP;
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(t.st.queries, 3);
	/* A length under a header: malformed, and the rest of the segment is dropped. */
	seg[0] = 0;
	seg[1] = 5;
	ev_set(&ev, 10, DNS_DIR_EGRESS, "10.0.0.1", 4002, "10.0.0.2", 53, seg, n);
	ev.proto = IPPROTO_TCP;
	dns_tracker_packet(&t, &ev, keep, NULL);
	assert_int_equal(t.st.queries, 3);
	assert_int_equal(t.st.malformed, 1);
	dns_tracker_free(&t);
}

static void add(struct dns_rows *r, const char *q, int rcode, uint64_t lat, const char *comm)
{
	struct dns_done d;

	memset(&d, 0, sizeof(d));
	d.family = AF_INET;
	d.proto = IPPROTO_UDP;
	d.outgoing = true;
	inet_pton(AF_INET, "192.168.1.5", d.src);
	inet_pton(AF_INET, "8.8.8.8", d.dst);
	d.sport = 40000;
	d.dport = 53;
	d.pid = 1234;
	snprintf(d.comm, sizeof(d.comm), "%s", comm);
	d.qtype = 1;
	snprintf(d.question, sizeof(d.question), "%s", q);
	d.rcode = rcode;
	d.latency_ns = lat;
	dns_rows_add(&d, r);
}

static char *render(int (*fn)(FILE *, const struct dns_rows *), const struct dns_rows *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_true(fn(f, r) >= 0);
	fclose(f);
	return buf;
}

static int influx_at(FILE *f, const struct dns_rows *r)
{
	return dns_rows_influx(f, r, "h1", 1700000000000000000ULL);
}

static void test_rows(void **state)
{
	struct dns_rows r;
	char *s;

	(void)state;
	assert_int_equal(dns_rows_init(&r, 3), 0);
	add(&r, "b.example", 0, 100, "curl");
	add(&r, "b.example", 0, 300, "curl");
	add(&r, "b.example", 0, 200, "curl");
	add(&r, "a.example", -1, 0, "my app,x");
	add(&r, "a.example", 3, 50, "curl");
	add(&r, "c.example", 0, 50, "curl"); /* a 4th row: over the bound */
	assert_int_equal(r.nr, 3);
	assert_int_equal(r.overflow, 1);
	dns_rows_sort(&r);
	assert_string_equal(r.rows[0].k.question, "a.example");
	assert_int_equal(r.rows[0].k.rcode, -1);
	assert_int_equal(r.rows[2].count, 3);
	assert_int_equal(r.rows[2].latency_sum, 600);
	assert_int_equal(r.rows[2].latency_max, 300);
	/* Still found after sorting. */
	add(&r, "b.example", 0, 400, "curl");
	assert_int_equal(r.rows[2].count, 4);

	s = render(influx_at, &r);
	assert_string_equal(s,
		"dnsflow,direction=outgoing,dst_ip=8.8.8.8,dst_ip_type=other,dst_port=53,family=IPv4,host=h1,pid=1234,process_name=my\\ app\\,x,qtype=A,question=a.example,source=dnsflow,src_ip=192.168.1.5,src_ip_type=private,src_port=40000,transport=udp count=1i,latency=0i,latency_max=0i,rcode=-1i 1700000000000000000\n"
		"dnsflow,direction=outgoing,dst_ip=8.8.8.8,dst_ip_type=other,dst_port=53,family=IPv4,host=h1,pid=1234,process_name=curl,qtype=A,question=a.example,source=dnsflow,src_ip=192.168.1.5,src_ip_type=private,src_port=40000,transport=udp count=1i,latency=50i,latency_max=50i,rcode=3i 1700000000000000000\n"
		"dnsflow,direction=outgoing,dst_ip=8.8.8.8,dst_ip_type=other,dst_port=53,family=IPv4,host=h1,pid=1234,process_name=curl,qtype=A,question=b.example,source=dnsflow,src_ip=192.168.1.5,src_ip_type=private,src_port=40000,transport=udp count=4i,latency=250i,latency_max=400i,rcode=0i 1700000000000000000\n");
	free(s);
	s = render(dns_rows_json, &r);
	assert_non_null(strstr(s, "\"question\":\"b.example\",\"qtype\":\"A\",\"rcode\":0,\"count\":4,\"latency\":250,\"latency_max\":400}"));
	assert_non_null(strstr(s, "\"process_name\":\"my app,x\""));
	free(s);
	s = render(dns_rows_table, &r);
	assert_non_null(strstr(s, "TIMEOUT"));
	assert_non_null(strstr(s, "NXDOMAIN"));
	free(s);
	/* A newline in a process name cannot start a line of its own. */
	dns_rows_reset(&r);
	add(&r, "a.example", 0, 10, "ev\nil=1 2");
	s = render(influx_at, &r);
	assert_non_null(strstr(s, ",process_name=ev?il\\=1\\ 2,"));
	assert_int_equal(strchr(s, '\n') - s + 1, (long)strlen(s));
	free(s);
	dns_rows_reset(&r);
	assert_int_equal(r.nr, 0);
	s = render(dns_rows_json, &r);
	assert_string_equal(s, "[]\n");
	free(s);
	dns_rows_free(&r);
}

static void test_ip_types(void **state)
{
	uint8_t a[16] = { 0 };

	(void)state;
	inet_pton(AF_INET, "172.16.0.1", a);
	assert_string_equal(dns_ip_type(AF_INET, a), "private");
	inet_pton(AF_INET, "172.32.0.1", a);
	assert_string_equal(dns_ip_type(AF_INET, a), "other");
	inet_pton(AF_INET, "224.0.0.251", a);
	assert_string_equal(dns_ip_type(AF_INET, a), "multicast");
	inet_pton(AF_INET6, "fd00::1", a);
	assert_string_equal(dns_ip_type(AF_INET6, a), "private");
	inet_pton(AF_INET6, "ff02::fb", a);
	assert_string_equal(dns_ip_type(AF_INET6, a), "multicast");
	inet_pton(AF_INET6, "2001:db8::1", a);
	assert_string_equal(dns_ip_type(AF_INET6, a), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_parse_counts_larger_than_message),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_pairing_many),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_ip_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
