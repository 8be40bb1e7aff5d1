// SPDX-License-Identifier: GPL-2.0
/*
 * dnsflow's DNS parser and pairing, on any bytes. Beyond "no crash, no
 * hang, no read past the message" (ASan, libFuzzer's timeout), each input
 * is checked against a reading of RFC 1035's name rules written apart from
 * the parser (recursive, with the visited offsets in a bitmap instead of
 * the parser's "strictly backwards" bound):
 *  - dns_parse() accepts the question exactly when the reference does, and
 *    gives the same name text; a name is at most 253 characters of lower
 *    case printable ASCII without spaces, or ".";
 *  - the reference's loops are the parser's: a pointer to an offset already
 *    read, or to one after the pointer, is refused by both;
 *  - the same bytes as UDP and TCP payloads, query and answer, through the
 *    tracker and the rows: nothing waits beyond the bound, the rows never
 *    exceed theirs, every request finishes exactly once.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "modules/dnsflow/dns_agg.h"
#include "modules/dnsflow/dns_parse.h"
#include "fuzz/fuzz.h"

struct ref {
	const uint8_t *p;
	size_t len;
	uint8_t seen[65536 / 8];
	char out[1024];
	size_t o, wire;
	unsigned int hops;
};

/* 0 ok, -1 error. @lowest: every pointer must go below it (the parser's rule, stated as RFC's "prior occurrence"). */
static int ref_name(struct ref *r, size_t pos, size_t lowest, size_t *end, int depth)
{
	for (;;) {
		uint8_t l;

		if (pos >= r->len)
			return -1;
		l = r->p[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= r->len || depth >= DNS_MAX_HOPS)
				return -1;
			to = (size_t)(l & 0x3f) * 256 + r->p[pos + 1];
			if (to >= lowest || (r->seen[to / 8] >> (to % 8) & 1))
				return -1;
			if (end && !*end)
				*end = pos + 2;
			return ref_name(r, to, to, NULL, depth + 1);
		}
		if (l >= 64)
			return -1;
		r->wire += l + 1;
		if (r->wire > 255)
			return -1;
		if (!l) {
			if (end && !*end)
				*end = pos + 1;
			return 0;
		}
		if (pos + 1 + l > r->len)
			return -1;
		for (size_t i = pos; i <= pos + l; i++)
			r->seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (r->o)
			r->out[r->o++] = '.';
		for (size_t i = 1; i <= l; i++) {
			uint8_t c = r->p[pos + i];

			if (c >= 'A' && c <= 'Z')
				c += 32;
			if (c < 0x21 || c > 0x7e || c == '.')
				c = '?';
			r->out[r->o++] = (char)c;
		}
		pos += l + 1;
	}
}

static unsigned int finished;

static void count_done(const struct dns_done *d, void *arg)
{
	finished++;
	dns_rows_add(d, arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref r;
	struct dns_msg m;
	int err = dns_parse(data, size, &m);
	size_t end = 0;

	if (size < DNS_HDR_LEN) {
		must(err == DNS_ESHORT, "short input not refused");
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.p = data;
	r.len = size;
	if (m.qdcount) {
		int rr = ref_name(&r, DNS_HDR_LEN, DNS_HDR_LEN, &end, 0);
		bool ref_ok = !rr && end + 4 <= size;

		if (!r.o && !rr)
			r.out[r.o++] = '.';
		r.out[r.o] = 0;
		must(ref_ok == (err == DNS_OK), "parser says %d, reference %s", err, ref_ok ? "ok" : "bad");
		must(m.has_question == ref_ok, "has_question %d", m.has_question);
		if (ref_ok)
			must(!strcmp(r.out, m.qname), "name '%s', reference '%s'", m.qname, r.out);
	} else {
		must(err == DNS_OK && !m.has_question, "no question: %d", err);
	}
	if (m.has_question) {
		size_t n = strlen(m.qname);

		must(n && n <= 253, "name of %zu characters", n);
		for (size_t i = 0; i < n; i++)
			must(m.qname[i] > 0x20 && m.qname[i] < 0x7f && !(m.qname[i] >= 'A' && m.qname[i] <= 'Z'),
			     "byte %d in the name", m.qname[i]);
	}

	/* The pairing: the input as a query out and an answer in, by UDP and TCP. */
	{
		static struct dns_event ev;
		struct dns_tracker t;
		struct dns_rows rows;
		size_t n = size < DNS_CAP ? size : DNS_CAP;

		finished = 0;
		must(!dns_tracker_init(&t, 2, 1000) && !dns_rows_init(&rows, 2), "init");
		for (int i = 0; i < 4; i++) {
			memset(&ev, 0, sizeof(ev));
			ev.family = AF_INET;
			ev.proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;
			ev.dir = i & 2 ? DNS_DIR_INGRESS : DNS_DIR_EGRESS;
			ev.sport = i & 2 ? 53 : 4000;
			ev.dport = i & 2 ? 4000 : 53;
			ev.ts_ns = (uint64_t)i * 10;
			memcpy(ev.data, data, n);
			ev.len = (uint16_t)n;
			dns_tracker_packet(&t, &ev, count_done, &rows);
			/* And flipped between query and answer. */
			if (n > 2) {
				ev.data[2] ^= 0x80;
				dns_tracker_packet(&t, &ev, count_done, &rows);
			}
			must(t.used <= 2, "%u queries waiting, bound 2", t.used);
		}
		dns_tracker_expire(&t, 1ULL << 40, count_done, &rows);
		must(t.used == 0, "%u left after expiry", t.used);
		must(rows.nr <= 2, "%u rows, bound 2", rows.nr);
		must(finished <= t.st.queries - t.st.duplicates - t.st.pending_full,
		     "%u finished, %llu queries tracked", finished,
		     (unsigned long long)(t.st.queries - t.st.duplicates - t.st.pending_full));
		must(finished == t.st.timeouts + t.st.answers - t.st.unmatched, "finished %u", finished);
		dns_tracker_free(&t);
		dns_rows_free(&rows);
	}
	return 0;
}
