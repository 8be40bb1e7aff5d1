// SPDX-License-Identifier: GPL-2.0
/*
 * dnsflow: pairing queries with answers (a bounded open-addressing table),
 * timing out the unanswered, and rows per DataKit's dnsflow key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "export/json.h"
#include "core/blacklist.h"
#include "modules/dnsflow/dns_agg.h"

struct pend_key {
	uint64_t netns;
	uint8_t local[16], remote[16];
	uint16_t lport, rport;
	uint16_t id;
	uint8_t proto;
	uint8_t outgoing;
};

struct dns_pending {
	bool used;
	struct pend_key k;
	uint64_t ts_ns;
	uint16_t family, qtype;
	uint32_t pid;
	char comm[16];
	char question[DNS_NAME_MAX];
};

static uint32_t fnv1a(const void *data, size_t len, uint32_t h)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

int dns_tracker_init(struct dns_tracker *t, uint32_t max, uint64_t timeout_ns)
{
	uint32_t cap = 16;

	memset(t, 0, sizeof(*t));
	if (!max)
		max = 1;
	/* At most half full: probes stay short. */
	while (cap < 2 * (uint64_t)max && cap < (1u << 30))
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->cap = cap;
	t->max = max;
	t->timeout_ns = timeout_ns;
	return 0;
}

void dns_tracker_free(struct dns_tracker *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->used = 0;
}

static uint32_t slot_of(const struct dns_tracker *t, const struct pend_key *k)
{
	return fnv1a(k, sizeof(*k), 2166136261u) & (t->cap - 1);
}

static struct dns_pending *find(struct dns_tracker *t, const struct pend_key *k)
{
	for (uint32_t i = slot_of(t, k), n = 0; n < t->cap; i = (i + 1) & (t->cap - 1), n++) {
		if (!t->slots[i].used)
			return NULL;
		if (!memcmp(&t->slots[i].k, k, sizeof(*k)))
			return &t->slots[i];
	}
	return NULL;
}

/* Linear probing's deletion: move later entries of the run back into the hole. */
static void del(struct dns_tracker *t, struct dns_pending *e)
{
	uint32_t mask = t->cap - 1, hole = (uint32_t)(e - t->slots), i = hole;

	t->slots[hole].used = false;
	t->used--;
	for (;;) {
		uint32_t home;

		i = (i + 1) & mask;
		if (!t->slots[i].used)
			return;
		home = slot_of(t, &t->slots[i].k);
		/* Movable when its home is not in (hole, i] cyclically. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			t->slots[i].used = false;
			hole = i;
		}
	}
}

static void fill_done(struct dns_done *d, const struct dns_pending *q)
{
	memset(d, 0, sizeof(*d));
	d->netns = q->k.netns;
	memcpy(d->src, q->k.local, 16);
	memcpy(d->dst, q->k.remote, 16);
	d->sport = q->k.lport;
	d->dport = q->k.rport;
	d->family = q->family;
	d->proto = q->k.proto;
	d->outgoing = q->k.outgoing;
	d->pid = q->pid;
	memcpy(d->comm, q->comm, sizeof(d->comm));
	d->qtype = q->qtype;
	memcpy(d->question, q->question, sizeof(d->question));
}

static void message(struct dns_tracker *t, const struct dns_event *ev, const uint8_t *p,
		    size_t len, dns_done_fn fn, void *arg)
{
	bool egress = ev->dir == DNS_DIR_EGRESS;
	struct dns_pending *e;
	struct pend_key k;
	struct dns_msg m;
	struct dns_done d;

	if (dns_parse(p, len, &m) != DNS_OK) {
		t->st.malformed++;
		return;
	}
	memset(&k, 0, sizeof(k));
	k.netns = ev->netns;
	memcpy(k.local, egress ? ev->saddr : ev->daddr, 16);
	memcpy(k.remote, egress ? ev->daddr : ev->saddr, 16);
	k.lport = egress ? ev->sport : ev->dport;
	k.rport = egress ? ev->dport : ev->sport;
	k.id = m.id;
	k.proto = ev->proto;
	/* The client sends queries and receives answers. */
	k.outgoing = m.qr ? !egress : egress;

	if (!m.qr) {
		t->st.queries++;
		if (find(t, &k)) {
			t->st.duplicates++;
			return;
		}
		if (t->used >= t->max) {
			t->st.pending_full++;
			return;
		}
		for (uint32_t i = slot_of(t, &k);; i = (i + 1) & (t->cap - 1)) {
			if (t->slots[i].used)
				continue;
			e = &t->slots[i];
			break;
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->k = k;
		e->ts_ns = ev->ts_ns;
		e->family = ev->family;
		e->qtype = m.qtype;
		e->pid = ev->pid;
		memcpy(e->comm, ev->comm, sizeof(e->comm));
		snprintf(e->question, sizeof(e->question), "%s", m.qname);
		t->used++;
		return;
	}
	t->st.answers++;
	e = find(t, &k);
	if (!e) {
		t->st.unmatched++;
		return;
	}
	fill_done(&d, e);
	d.rcode = m.rcode;
	d.latency_ns = ev->ts_ns > e->ts_ns ? ev->ts_ns - e->ts_ns : 0;
	/* A server's socket is known from its answer, not from the query it had not read. */
	if (!d.pid && ev->pid) {
		d.pid = ev->pid;
		memcpy(d.comm, ev->comm, sizeof(d.comm));
	}
	del(t, e);
	fn(&d, arg);
}

void dns_tracker_packet(struct dns_tracker *t, const struct dns_event *ev, dns_done_fn fn,
			void *arg)
{
	size_t len = ev->len < DNS_CAP ? ev->len : DNS_CAP;

	if (ev->proto != IPPROTO_TCP) {
		message(t, ev, ev->data, len, fn, arg);
		return;
	}
	/*
	 * TCP: messages behind 2-byte lengths. A segment that does not start
	 * with a length (the rest of a message split over segments) parses as
	 * garbage or a bad name and is counted malformed; a message cut by the
	 * capture still has its header and question.
	 */
	for (size_t off = 0; off + 2 + DNS_HDR_LEN <= len;) {
		size_t mlen = (size_t)ev->data[off] << 8 | ev->data[off + 1];
		size_t have = len - off - 2;

		if (mlen < DNS_HDR_LEN) {
			t->st.malformed++;
			return;
		}
		message(t, ev, ev->data + off + 2, mlen < have ? mlen : have, fn, arg);
		off += 2 + mlen;
	}
}

void dns_tracker_expire(struct dns_tracker *t, uint64_t now_ns, dns_done_fn fn, void *arg)
{
	for (uint32_t i = 0; i < t->cap; i++) {
		struct dns_pending *e = &t->slots[i];
		struct dns_done d;

		if (!e->used || now_ns < e->ts_ns || now_ns - e->ts_ns < t->timeout_ns)
			continue;
		fill_done(&d, e);
		d.rcode = DNS_RCODE_TIMEOUT;
		t->st.timeouts++;
		del(t, e);
		fn(&d, arg);
		/* del() may have moved a later entry into slot i: look at it again. */
		i--;
	}
}

/* ---- rows ---------------------------------------------------------------- */

int dns_rows_init(struct dns_rows *r, uint32_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max ? max : 1;
	r->nr_index = 16;
	while (r->nr_index < r->max && r->nr_index < (1u << 30))
		r->nr_index <<= 1;
	r->index = calloc(r->nr_index, sizeof(*r->index));
	if (!r->index)
		return -ENOMEM;
	return 0;
}

void dns_rows_free(struct dns_rows *r)
{
	free(r->rows);
	free(r->index);
	memset(r, 0, sizeof(*r));
}

void dns_rows_reset(struct dns_rows *r)
{
	r->nr = 0;
	r->overflow = 0;
	memset(r->index, 0, r->nr_index * sizeof(*r->index));
}

/* The key of a done request: everything but its latency. */
static void key_of(struct dns_done *k, const struct dns_done *d)
{
	*k = *d;
	k->latency_ns = 0;
}

static bool same_key(const struct dns_done *a, const struct dns_done *b)
{
	return a->netns == b->netns && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
	       a->sport == b->sport && a->dport == b->dport && a->family == b->family &&
	       a->proto == b->proto && a->outgoing == b->outgoing && a->rcode == b->rcode &&
	       a->pid == b->pid && !strncmp(a->comm, b->comm, sizeof(a->comm)) &&
	       a->qtype == b->qtype && !strcmp(a->question, b->question);
}

static uint32_t key_hash(const struct dns_done *k)
{
	uint32_t h = 2166136261u;

	h = fnv1a(&k->netns, sizeof(k->netns), h);
	h = fnv1a(k->src, 16, h);
	h = fnv1a(k->dst, 16, h);
	h = fnv1a(&k->sport, sizeof(k->sport), h);
	h = fnv1a(&k->dport, sizeof(k->dport), h);
	h = fnv1a(&k->rcode, sizeof(k->rcode), h);
	h = fnv1a(&k->pid, sizeof(k->pid), h);
	h = fnv1a(&k->qtype, sizeof(k->qtype), h);
	return fnv1a(k->question, strlen(k->question), h);
}

void dns_rows_add(const struct dns_done *d, void *arg)
{
	struct dns_rows *r = arg;
	struct dns_row *row = NULL;
	struct dns_done k;
	uint32_t h, b;

	key_of(&k, d);
	h = key_hash(&k);
	b = h & (r->nr_index - 1);
	for (uint32_t i = r->index[b]; i; i = r->rows[i - 1].next) {
		if (r->rows[i - 1].hash == h && same_key(&r->rows[i - 1].k, &k)) {
			row = &r->rows[i - 1];
			break;
		}
	}
	if (!row) {
		if (r->nr >= r->max) {
			r->overflow++;
			return;
		}
		if (!r->rows) {
			r->rows = calloc(r->max, sizeof(*r->rows));
			if (!r->rows) {
				r->overflow++;
				return;
			}
		}
		row = &r->rows[r->nr];
		memset(row, 0, sizeof(*row));
		row->k = k;
		row->hash = h;
		row->next = r->index[b];
		r->index[b] = ++r->nr;
	}
	row->count++;
	if (d->rcode != DNS_RCODE_TIMEOUT) {
		row->latency_sum += d->latency_ns;
		if (d->latency_ns > row->latency_max)
			row->latency_max = d->latency_ns;
	}
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct dns_row *a = pa, *b = pb;
	int c;

	if (a->k.outgoing != b->k.outgoing)
		return a->k.outgoing ? -1 : 1;
	c = strcmp(a->k.question, b->k.question);
	if (c)
		return c;
	if (a->k.rcode != b->k.rcode)
		return a->k.rcode < b->k.rcode ? -1 : 1;
	if (a->k.qtype != b->k.qtype)
		return a->k.qtype < b->k.qtype ? -1 : 1;
	c = memcmp(a->k.src, b->k.src, 16);
	if (c)
		return c;
	c = memcmp(a->k.dst, b->k.dst, 16);
	if (c)
		return c;
	if (a->k.sport != b->k.sport)
		return a->k.sport < b->k.sport ? -1 : 1;
	if (a->k.pid != b->k.pid)
		return a->k.pid < b->k.pid ? -1 : 1;
	return 0;
}

void dns_rows_sort(struct dns_rows *r)
{
	if (r->nr > 1)
		qsort(r->rows, r->nr, sizeof(*r->rows), row_cmp);
	/* The index is stale after sorting: rebuild it. */
	memset(r->index, 0, r->nr_index * sizeof(*r->index));
	for (uint32_t i = 0; i < r->nr; i++) {
		uint32_t b = r->rows[i].hash & (r->nr_index - 1);

		r->rows[i].next = r->index[b];
		r->index[b] = i + 1;
	}
}

const char *dns_addr_str(uint16_t family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *dns_ip_type(uint16_t family, const uint8_t *a)
{
	if (family == AF_INET6) {
		if (a[0] == 0xff)
			return "multicast";
		if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return "private";
		return "other";
	}
	if (a[0] >= 224 && a[0] <= 239)
		return "multicast";
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168))
		return "private";
	return "other";
}

static uint64_t mean(const struct dns_row *w)
{
	uint64_t answered = w->k.rcode == DNS_RCODE_TIMEOUT ? 0 : w->count;

	return answered ? w->latency_sum / answered : 0;
}

/* Line protocol tag values: escape commas, spaces, equals signs and backslashes. */
static void tag(FILE *out, const char *name, const char *v)
{
	fprintf(out, ",%s=", name);
	if (!*v) {
		fputs("\\ ", out); /* an empty tag value is not allowed: one escaped space */
		return;
	}
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		/* A control character (a newline in a process name) would end the line. */
		if (c < 0x20 || c == 0x7f) {
			fputc('?', out);
			continue;
		}
		if (c == ',' || c == ' ' || c == '=' || c == '\\')
			fputc('\\', out);
		fputc(c, out);
	}
}

static const char *family_name(uint16_t f)
{
	return f == AF_INET6 ? "IPv6" : "IPv4";
}

static const char *transport_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : "udp";
}

int dns_rows_influx(FILE *out, const struct dns_rows *r, const char *host, uint64_t ts_ns)
{
	for (uint32_t i = 0; i < r->nr; i++) {
		const struct dns_row *w = &r->rows[i];
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], num[16], qt[16];

		/* Tags in key order, as InfluxDB stores them. */
		fputs("dnsflow", out);
		tag(out, "direction", w->k.outgoing ? "outgoing" : "incoming");
		tag(out, "dst_ip", dns_addr_str(w->k.family, w->k.dst, dst, sizeof(dst)));
		tag(out, "dst_ip_type", dns_ip_type(w->k.family, w->k.dst));
		snprintf(num, sizeof(num), "%u", w->k.dport);
		tag(out, "dst_port", num);
		tag(out, "family", family_name(w->k.family));
		if (host)
			tag(out, "host", host);
		snprintf(num, sizeof(num), "%u", w->k.pid);
		tag(out, "pid", num);
		tag(out, "process_name", w->k.comm);
		tag(out, "qtype", dns_qtype_name(w->k.qtype, qt, sizeof(qt)));
		tag(out, "question", w->k.question);
		tag(out, "source", "dnsflow");
		tag(out, "src_ip", dns_addr_str(w->k.family, w->k.src, src, sizeof(src)));
		tag(out, "src_ip_type", dns_ip_type(w->k.family, w->k.src));
		snprintf(num, sizeof(num), "%u", w->k.sport);
		tag(out, "src_port", num);
		tag(out, "transport", transport_name(w->k.proto));
		fprintf(out, " count=%llui,latency=%llui,latency_max=%llui,rcode=%di %llu\n",
			(unsigned long long)w->count, (unsigned long long)mean(w),
			(unsigned long long)w->latency_max, w->k.rcode, (unsigned long long)ts_ns);
	}
	return ferror(out) ? -1 : (int)r->nr;
}

/* JSON strings: process names are any bytes; the project's one writer escapes them. */
static void jstr(FILE *out, const char *s)
{
	json_put_string(out, s);
}

int dns_rows_json(FILE *out, const struct dns_rows *r)
{
	fputc('[', out);
	for (uint32_t i = 0; i < r->nr; i++) {
		const struct dns_row *w = &r->rows[i];
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], qt[16];

		fprintf(out, "%s\n  {\"direction\":\"%s\",\"src_ip\":", i ? "," : "",
			w->k.outgoing ? "outgoing" : "incoming");
		jstr(out, dns_addr_str(w->k.family, w->k.src, src, sizeof(src)));
		fprintf(out, ",\"src_port\":%u,\"dst_ip\":", w->k.sport);
		jstr(out, dns_addr_str(w->k.family, w->k.dst, dst, sizeof(dst)));
		fprintf(out, ",\"dst_port\":%u,\"src_ip_type\":\"%s\",\"dst_ip_type\":\"%s\"",
			w->k.dport, dns_ip_type(w->k.family, w->k.src),
			dns_ip_type(w->k.family, w->k.dst));
		fprintf(out, ",\"transport\":\"%s\",\"family\":\"%s\",\"pid\":%u,\"process_name\":",
			transport_name(w->k.proto), family_name(w->k.family), w->k.pid);
		jstr(out, w->k.comm);
		fputs(",\"question\":", out);
		jstr(out, w->k.question);
		fprintf(out, ",\"qtype\":\"%s\",\"rcode\":%d,\"count\":%llu,\"latency\":%llu,\"latency_max\":%llu}",
			dns_qtype_name(w->k.qtype, qt, sizeof(qt)), w->k.rcode,
			(unsigned long long)w->count, (unsigned long long)mean(w),
			(unsigned long long)w->latency_max);
	}
	fputs(r->nr ? "\n]\n" : "]\n", out);
	return ferror(out) ? -1 : 0;
}

static const char *rcode_name(int rc, char *buf, size_t len)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED" };

	if (rc == DNS_RCODE_TIMEOUT)
		return "TIMEOUT";
	if (rc >= 0 && rc < (int)(sizeof(names) / sizeof(names[0])))
		return names[rc];
	snprintf(buf, len, "RCODE%d", rc);
	return buf;
}

int dns_rows_table(FILE *out, const struct dns_rows *r)
{
	fprintf(out, "%-8s %-5s %-40s %-6s %-9s %6s %12s %12s %-16s %7s %s\n", "DIR", "PROTO",
		"QUESTION", "QTYPE", "RCODE", "COUNT", "LATENCY_US", "MAX_US", "PROCESS", "PID",
		"SRC -> DST");
	for (uint32_t i = 0; i < r->nr; i++) {
		const struct dns_row *w = &r->rows[i];
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], qt[16], rc[16];

		fprintf(out, "%-8s %-5s %-40s %-6s %-9s %6llu %12.1f %12.1f %-16s %7u %s:%u -> %s:%u\n",
			w->k.outgoing ? "out" : "in", transport_name(w->k.proto), w->k.question,
			dns_qtype_name(w->k.qtype, qt, sizeof(qt)), rcode_name(w->k.rcode, rc, sizeof(rc)),
			(unsigned long long)w->count, mean(w) / 1000.0, w->latency_max / 1000.0,
			w->k.comm[0] ? w->k.comm : "-", w->k.pid,
			dns_addr_str(w->k.family, w->k.src, src, sizeof(src)), w->k.sport,
			dns_addr_str(w->k.family, w->k.dst, dst, sizeof(dst)), w->k.dport);
	}
	return ferror(out) ? -1 : 0;
}

bool dns_done_blacklisted(const struct dns_done *d, const struct blacklist *b)
{
	struct bl_row r = { .tcp = d->proto == IPPROTO_TCP, .udp = d->proto == IPPROTO_UDP,
			    .ipv4 = d->family == AF_INET, .ipv6 = d->family == AF_INET6,
			    .src_port = d->sport, .dst_port = d->dport };

	if (!b)
		return false;
	memcpy(r.saddr, d->src, sizeof(r.saddr));
	memcpy(r.daddr, d->dst, sizeof(r.daddr));
	return blacklist_match(b, &r);
}
