// SPDX-License-Identifier: GPL-2.0
/*
 * The network viewer's user-space half: filters, service names, ip types,
 * ephemeral-port collapse, ordering, the row limit and output. See
 * conn_view.h for what each step means and why.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/blacklist.h"
#include "core/text.h"
#include "export/common.h"
#include "export/json.h"
#include "export/influx.h"
#include "modules/socket/conn_view.h"

enum pat_kind { PAT_ANY, PAT_PORTS, PAT_ADDRS, PAT_GLOB };

struct conn_pattern {
	bool negative;
	enum pat_kind kind;
	__u16 lo, hi;	/* PAT_PORTS, inclusive */
	__u16 family;	/* PAT_ADDRS */
	__u8 first[16]; /* PAT_ADDRS, inclusive, network order */
	__u8 last[16];
	char *glob; /* PAT_GLOB */
};

static const char *const list_names[] = {
    [CONN_LIST_PORTS] = "ports",
    [CONN_LIST_IPS] = "ips",
    [CONN_LIST_HOSTNAMES] = "hostnames",
};

static const char *const list_accepts[] = {
    [CONN_LIST_PORTS] = "a port (22), a range (1000-2000), a service name (ssh) or *",
    [CONN_LIST_IPS] = ("an address (10.0.0.1, ::1), a CIDR (10.0.0.0/8, fc00::/7), "
		       "a range (10.0.0.1-10.0.0.20) or *"),
    [CONN_LIST_HOSTNAMES] = "a host name pattern (*.example.com) or *",
};

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static size_t addr_len(__u16 family)
{
	return family == AF_INET ? 4 : 16;
}

static bool is_v4_mapped(const __u8 *a)
{
	static const __u8 prefix[12] = {[10] = 0xff, [11] = 0xff};

	return !memcmp(a, prefix, sizeof(prefix));
}

/* ---- service names ---------------------------------------------------------- */

static int services_insert(struct conn_services *s, size_t at, __u16 port, __u8 protocol,
			   const char *name, size_t len)
{
	struct conn_service *e;

	if (len == 0 || len >= sizeof(e->name))
		return 0; /* a name we could not print whole is left out */
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *v = reallocarray(s->v, cap, sizeof(*s->v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[at + 1], &s->v[at], (s->nr - at) * sizeof(*s->v));
	e = &s->v[at];
	e->port = port;
	e->protocol = protocol;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	s->nr++;
	return 0;
}

/* Digits only, 1 to 65535. */
static bool parse_port(const char *s, size_t len, __u16 *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (__u16)v;
	return true;
}

/* One services(5) line: "name port/protocol [aliases...] [# comment]". */
static int services_line(struct conn_services *s, char *line)
{
	char *save = NULL, *name, *pp, *slash, *alias;
	__u8 protocol;
	__u16 port;
	int err;

	line[strcspn(line, "#")] = '\0';
	name = strtok_r(line, " \t\r\n", &save);
	pp = name ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	if (!pp)
		return 0;
	slash = strchr(pp, '/');
	if (!slash || !parse_port(pp, (size_t)(slash - pp), &port))
		return 0;
	if (!strcmp(slash + 1, "tcp"))
		protocol = IPPROTO_TCP;
	else if (!strcmp(slash + 1, "udp"))
		protocol = IPPROTO_UDP;
	else
		return 0; /* sctp, ddp: no such connections here */
	/* Aliases after the name: they name the port in a filter, never in output. */
	for (alias = name; alias; alias = strtok_r(NULL, " \t\r\n", &save)) {
		err = services_insert(s, s->nr, port, protocol, alias, strlen(alias));
		if (err)
			return err;
	}
	return 0;
}

int conn_services_load(struct conn_services *s, const char *path)
{
	char line[1024];
	int err = 0;
	FILE *f;

	f = fopen(path ? path : "/etc/services", "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			/* A line longer than any real one: skip the rest of it. */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		err = services_line(s, line);
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

int conn_services_override(struct conn_services *s, const char *port, const char *name, char *err,
			   size_t errlen)
{
	size_t len = strlen(name);
	__u16 p;

	if (!parse_port(port, strlen(port), &p)) {
		seterr(err, errlen, "[service name]: '%.32s' is not a port (1 to 65535)", port);
		text_make_printable(err);
		return -EINVAL;
	}
	if (len == 0 || len >= sizeof(s->v->name)) {
		seterr(err, errlen,
		       "[service name]: the name of port %u must have 1 to %zu characters", p,
		       sizeof(s->v->name) - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f) {
			seterr(err, errlen,
			       "[service name]: the name of port %u has a blank or a "
			       "control character",
			       p);
			return -EINVAL;
		}
	}
	/* In front: the latest override is the first found. */
	if (services_insert(s, 0, p, 0, name, len)) {
		seterr(err, errlen, "[service name]: out of memory");
		return -ENOMEM;
	}
	s->overrides++;
	return 0;
}

const char *conn_services_name(const struct conn_services *s, __u16 port, __u8 protocol)
{
	for (size_t i = 0; s && i < s->nr; i++)
		if (s->v[i].port == port && (!s->v[i].protocol || s->v[i].protocol == protocol))
			return s->v[i].name;
	return NULL;
}

__u16 conn_services_port(const struct conn_services *s, const char *name)
{
	static const __u8 order[] = {0, IPPROTO_TCP, IPPROTO_UDP};

	for (size_t o = 0; s && o < sizeof(order); o++)
		for (size_t i = 0; i < s->nr; i++)
			if (s->v[i].protocol == order[o] && !strcmp(s->v[i].name, name))
				return s->v[i].port;
	return 0;
}

void conn_services_free(struct conn_services *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- filters: parsing ----------------------------------------------------------- */

/* "LIST: bad pattern 'TOKEN' (why): expected ...", the token cut and made printable. */
static int refuse(char *err, size_t errlen, enum conn_list_kind kind, const char *tok, size_t len,
		  const char *why)
{
	char quoted[65];
	size_t n = len < 64 ? len : 64;

	memcpy(quoted, tok, n);
	quoted[n] = '\0';
	text_make_printable(quoted);
	seterr(err, errlen, "%s: bad pattern '%s%s'%s%s: expected %s, each optionally after '!'",
	       list_names[kind], quoted, len > n ? "..." : "", why ? " " : "", why ? why : "",
	       list_accepts[kind]);
	return -EINVAL;
}

static int parse_port_pattern(struct conn_pattern *p, const char *tok, size_t len,
			      const struct conn_services *services)
{
	char name[32];
	size_t cut;

	if (isdigit((unsigned char)tok[0])) {
		cut = strcspn(tok, "-:");
		if (cut > len)
			cut = len;
		if (!parse_port(tok, cut, &p->lo))
			return -EINVAL;
		p->hi = p->lo;
		if (cut < len && !parse_port(tok + cut + 1, len - cut - 1, &p->hi))
			return -EINVAL;
		if (p->lo > p->hi)
			return -ERANGE;
		p->kind = PAT_PORTS;
		return 0;
	}
	if (!isalpha((unsigned char)tok[0]) || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, tok, len);
	name[len] = '\0';
	p->lo = p->hi = conn_services_port(services, name);
	if (!p->lo)
		return -ENOENT;
	p->kind = PAT_PORTS;
	return 0;
}

/* An address of either family into @out (16 bytes); its family, or 0. */
static __u16 parse_addr(const char *s, size_t len, __u8 *out)
{
	char buf[INET6_ADDRSTRLEN];
	__u16 family = memchr(s, ':', len) ? AF_INET6 : AF_INET;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, 16);
	return inet_pton(family, buf, out) == 1 ? family : 0;
}

static int parse_ip_pattern(struct conn_pattern *p, const char *tok, size_t len)
{
	const char *slash = memchr(tok, '/', len), *dash = memchr(tok, '-', len);
	size_t alen;

	p->kind = PAT_ADDRS;
	if (slash) {
		size_t plen = len - (size_t)(slash - tok) - 1, bits = 0;

		p->family = parse_addr(tok, (size_t)(slash - tok), p->first);
		if (!p->family || plen == 0 || plen > 3)
			return -EINVAL;
		for (size_t i = 0; i < plen; i++) {
			if (!isdigit((unsigned char)slash[1 + i]))
				return -EINVAL;
			bits = bits * 10 + (size_t)(slash[1 + i] - '0');
		}
		alen = addr_len(p->family);
		if (bits > alen * 8)
			return -EDOM;
		/* Netdata clears the host bits (its default has 127.0.0.1/8) */
		for (size_t i = 0; i < alen; i++) {
			size_t keep = bits > i * 8 ? bits - i * 8 : 0;
			__u8 mask = keep >= 8 ? 0xff : (__u8)(0xff << (8 - keep));

			p->first[i] &= mask;
			p->last[i] = p->first[i] | (__u8)~mask;
		}
		return 0;
	}
	if (dash) {
		__u16 second;

		p->family = parse_addr(tok, (size_t)(dash - tok), p->first);
		second = parse_addr(dash + 1, len - (size_t)(dash - tok) - 1, p->last);
		if (!p->family || p->family != second)
			return -EINVAL;
		if (memcmp(p->first, p->last, addr_len(p->family)) > 0)
			return -ERANGE;
		return 0;
	}
	p->family = parse_addr(tok, len, p->first);
	memcpy(p->last, p->first, sizeof(p->last));
	return p->family ? 0 : -EINVAL;
}

static int parse_glob_pattern(struct conn_pattern *p, const char *tok, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)tok[i] < 0x20 || tok[i] == 0x7f)
			return -EINVAL;
	p->glob = strndup(tok, len);
	if (!p->glob)
		return -ENOMEM;
	p->kind = PAT_GLOB;
	return 0;
}

static void list_free(struct conn_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->pat[i].glob);
	free(l->pat);
	l->pat = NULL;
	l->nr = 0;
}

static const char *why_of(int rc)
{
	switch (rc) {
	case -ERANGE:
		return "(its first value is above its last)";
	case -EDOM:
		return "(the prefix is longer than the address)";
	case -ENOENT:
		return "(no such service in [service name] nor the services file)";
	default:
		return NULL;
	}
}

int conn_filter_parse(struct conn_filter *f, enum conn_list_kind kind, const char *text,
		      const struct conn_services *services, char *err, size_t errlen)
{
	struct conn_list l = {0};
	size_t cap = 0;
	int rc = 0;

	for (const char *s = text ? text : ""; *s;) {
		const char *tok = s;
		struct conn_pattern *p;
		size_t len = 0;

		if (is_sep(*s)) {
			s++;
			continue;
		}
		while (s[len] && !is_sep(s[len]))
			len++;
		s += len;
		if (l.nr == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *v = reallocarray(l.pat, ncap, sizeof(*l.pat));

			if (!v) {
				rc = -ENOMEM;
				seterr(err, errlen, "%s: out of memory", list_names[kind]);
				break;
			}
			l.pat = v;
			cap = ncap;
		}
		p = memset(&l.pat[l.nr], 0, sizeof(*p));
		p->negative = tok[0] == '!';
		if (p->negative && len == 1) {
			rc = refuse(err, errlen, kind, tok, len,
				    "(a '!' needs a pattern right after it)");
			break;
		}
		if (p->negative) {
			tok++;
			len--;
		}
		if (len == 1 && tok[0] == '*') {
			p->kind = PAT_ANY;
		} else if (kind == CONN_LIST_PORTS) {
			rc = parse_port_pattern(p, tok, len, services);
		} else if (kind == CONN_LIST_IPS) {
			rc = parse_ip_pattern(p, tok, len);
		} else {
			rc = parse_glob_pattern(p, tok, len);
		}
		if (rc == -ENOMEM) {
			seterr(err, errlen, "%s: out of memory", list_names[kind]);
			break;
		}
		if (rc) {
			rc = refuse(err, errlen, kind, tok, len, why_of(rc));
			break;
		}
		l.nr++;
	}
	if (rc) {
		list_free(&l);
		return rc;
	}
	list_free(&f->lists[kind]);
	f->lists[kind] = l;
	return 0;
}

/* ---- filters: matching ---------------------------------------------------------- */

static int system_resolver(void *ctx, __u16 family, const __u8 *addr, char *name, size_t size)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct sockaddr_in sin = {.sin_family = AF_INET};

	(void)ctx;
	if (family == AF_INET) {
		memcpy(&sin.sin_addr, addr, 4);
		return getnameinfo((struct sockaddr *)&sin, sizeof(sin), name, (socklen_t)size,
				   NULL, 0, NI_NAMEREQD);
	}
	memcpy(&sin6.sin6_addr, addr, 16);
	return getnameinfo((struct sockaddr *)&sin6, sizeof(sin6), name, (socklen_t)size, NULL, 0,
			   NI_NAMEREQD);
}

void conn_filter_init(struct conn_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->resolve = system_resolver;
}

void conn_filter_set_resolver(struct conn_filter *f, conn_resolver_fn fn, void *ctx)
{
	f->resolve = fn ? fn : system_resolver;
	f->resolve_ctx = fn ? ctx : NULL;
	f->cache_nr = f->cache_next = 0;
}

void conn_filter_free(struct conn_filter *f)
{
	for (size_t i = 0; i < sizeof(f->lists) / sizeof(f->lists[0]); i++)
		list_free(&f->lists[i]);
	free(f->cache);
	conn_filter_init(f);
}

__u16 conn_service_port(const struct conn_tuple *t)
{
	switch (t->direction) {
	case CONN_DIR_OUTGOING:
		return t->dport;
	case CONN_DIR_INCOMING:
		return t->sport;
	default:
		return t->sport < t->dport ? t->sport : t->dport;
	}
}

static bool addr_in(const struct conn_pattern *p, const struct conn_tuple *t)
{
	const __u8 *a = t->daddr;

	if (t->family == AF_INET6 && p->family == AF_INET && is_v4_mapped(a))
		a += 12;
	else if (t->family != p->family)
		return false;
	return memcmp(p->first, a, addr_len(p->family)) <= 0 &&
	       memcmp(a, p->last, addr_len(p->family)) <= 0;
}

/* The remote host's name for the hostnames list, through the cache. */
static const char *remote_name(struct conn_filter *f, const struct conn_tuple *t, char *numeric)
{
	__u8 addr[16] = {0};
	struct conn_name_entry *e;

	memcpy(addr, t->daddr, addr_len(t->family));
	for (size_t i = 0; i < f->cache_nr; i++) {
		e = &f->cache[i];
		if (e->family == t->family && !memcmp(e->addr, addr, sizeof(addr)))
			goto found;
	}
	if (!f->cache) {
		f->cache = calloc(CONN_NAME_CACHE, sizeof(*f->cache));
		if (!f->cache)
			return NULL;
	}
	/* Full: the oldest entry goes (a ring: no bookkeeping per hit). */
	e = &f->cache[f->cache_next];
	f->cache_next = (f->cache_next + 1) % CONN_NAME_CACHE;
	if (f->cache_nr < CONN_NAME_CACHE)
		f->cache_nr++;
	e->family = t->family;
	memcpy(e->addr, addr, sizeof(addr));
	f->resolutions++;
	if (f->resolve(f->resolve_ctx, t->family, addr, e->name, sizeof(e->name)))
		e->name[0] = '\0';
	e->name[sizeof(e->name) - 1] = '\0';
found:
	if (e->name[0])
		return e->name;
	if (!inet_ntop(t->family == AF_INET ? AF_INET : AF_INET6, addr, numeric, INET6_ADDRSTRLEN))
		return NULL;
	return numeric;
}

const char *conn_filter_remote_host(struct conn_filter *f, const struct conn_tuple *t)
{
	char numeric[INET6_ADDRSTRLEN];
	const char *name = remote_name(f, t, numeric);

	return name && name != numeric ? name : NULL;
}

/* The first pattern of @l that matches decides; what none matches is hidden. */
static bool list_shows(struct conn_filter *f, const struct conn_list *l, const struct conn_row *r)
{
	char numeric[INET6_ADDRSTRLEN];
	const char *name = NULL;
	__u16 port = conn_service_port(&r->t);
	bool hit;

	if (!l->nr)
		return true;
	for (size_t i = 0; i < l->nr; i++) {
		const struct conn_pattern *p = &l->pat[i];

		switch (p->kind) {
		case PAT_ANY:
			hit = true;
			break;
		case PAT_PORTS:
			hit = port >= p->lo && port <= p->hi;
			break;
		case PAT_ADDRS:
			hit = addr_in(p, &r->t);
			break;
		default:
			/* Resolved only when a pattern needs the name, once per row. */
			if (!name)
				name = remote_name(f, &r->t, numeric);
			hit = name && !fnmatch(p->glob, name, FNM_CASEFOLD);
			break;
		}
		if (hit)
			return !p->negative;
	}
	return false;
}

bool conn_filter_match(struct conn_filter *f, const struct conn_row *r)
{
	return list_shows(f, &f->lists[CONN_LIST_PORTS], r) &&
	       list_shows(f, &f->lists[CONN_LIST_IPS], r) &&
	       list_shows(f, &f->lists[CONN_LIST_HOSTNAMES], r);
}

/* ---- ip types ------------------------------------------------------------------- */

const char *conn_ip_type(__u16 family, const __u8 *a)
{
	if (family == AF_INET6 && is_v4_mapped(a)) {
		family = AF_INET;
		a += 12;
	}
	if (family == AF_INET) {
		if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168))
			return "private";
		if (a[0] == 127)
			return "loopback";
		if ((a[0] & 0xf0) == 224)
			return "multicast";
		return "other";
	}
	if ((a[0] & 0xfe) == 0xfc)
		return "private";
	if (a[15] == 1 && !memcmp(a, (const __u8[15]){0}, 15))
		return "loopback";
	if (a[0] == 0xff)
		return "multicast";
	return "other";
}

/* ---- collapse, order, limit ----------------------------------------------------- */

/* What merged rows add up to; rtt weighted by bytes, or by connections when no bytes moved. */
struct merge_acc {
	unsigned __int128 bytes, rtt_b, var_b;
	unsigned __int128 conns, rtt_c, var_c;
};

static void acc_add(struct merge_acc *acc, struct conn_row *dst, const struct conn_row *r,
		    bool first)
{
	unsigned __int128 w = (unsigned __int128)r->bytes_read + r->bytes_written;
	__u32 c = r->connections ? r->connections : 1;

	acc->bytes += w;
	acc->rtt_b += w * r->rtt_us;
	acc->var_b += w * r->rtt_var_us;
	acc->conns += c;
	acc->rtt_c += (unsigned __int128)c * r->rtt_us;
	acc->var_c += (unsigned __int128)c * r->rtt_var_us;
	if (first) {
		*dst = *r;
		dst->connections = c;
		return;
	}
	dst->bytes_read += r->bytes_read;
	dst->bytes_written += r->bytes_written;
	dst->retransmits += r->retransmits;
	dst->tcp_established += r->tcp_established;
	dst->tcp_closed += r->tcp_closed;
	dst->connections += c;
	dst->open = dst->open || r->open;
}

/* Rounded to the nearest microsecond; a mean never exceeds the largest input. */
static __u32 mean(unsigned __int128 sum, unsigned __int128 weight)
{
	return (__u32)((sum + weight / 2) / weight);
}

static void acc_finish(const struct merge_acc *acc, struct conn_row *dst)
{
	if (acc->bytes) {
		dst->rtt_us = mean(acc->rtt_b, acc->bytes);
		dst->rtt_var_us = mean(acc->var_b, acc->bytes);
	} else if (acc->conns) {
		dst->rtt_us = mean(acc->rtt_c, acc->conns);
		dst->rtt_var_us = mean(acc->var_c, acc->conns);
	}
}

static int key_cmp(const struct conn_row *a, const struct conn_row *b)
{
	size_t alen = addr_len(a->t.family);
	int c;

	if (a->t.family != b->t.family)
		return a->t.family < b->t.family ? -1 : 1;
	if (a->t.protocol != b->t.protocol)
		return a->t.protocol < b->t.protocol ? -1 : 1;
	if (a->t.direction != b->t.direction)
		return a->t.direction < b->t.direction ? -1 : 1;
	c = memcmp(a->t.daddr, b->t.daddr, alen);
	if (c)
		return c;
	if (a->t.dport != b->t.dport)
		return a->t.dport < b->t.dport ? -1 : 1;
	c = memcmp(a->t.saddr, b->t.saddr, alen);
	if (c)
		return c;
	if (a->t.sport != b->t.sport)
		return a->t.sport < b->t.sport ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return strncmp(a->process_name, b->process_name, sizeof(a->process_name));
}

struct keyed {
	const struct conn_row *row;
	size_t at;
};

static int keyed_cmp(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = key_cmp(a->row, b->row);

	if (c)
		return c;
	return a->at < b->at ? -1 : a->at > b->at;
}

static void collapse_ports(struct conn_tuple *t, unsigned int eph)
{
	bool s = t->sport >= eph, d = t->dport >= eph;

	if (t->direction == CONN_DIR_OUTGOING || (t->direction == CONN_DIR_UNKNOWN && s && !d)) {
		if (s)
			t->sport = 0;
	} else if (t->direction == CONN_DIR_INCOMING ||
		   (t->direction == CONN_DIR_UNKNOWN && d && !s)) {
		if (d)
			t->dport = 0;
	}
}

size_t conn_view_collapse(struct conn_row *rows, size_t nr, unsigned int ephemeral)
{
	struct conn_row *merged;
	struct keyed *k;
	bool *lead;
	size_t out = 0;

	if (nr == 0)
		return 0;
	for (size_t i = 0; ephemeral && i < nr; i++)
		collapse_ports(&rows[i].t, ephemeral);
	k = calloc(nr, sizeof(*k));
	merged = calloc(nr, sizeof(*merged));
	lead = calloc(nr, sizeof(*lead));
	if (!k || !merged || !lead) {
		/* No memory to merge: rows stay apart, each still a true row. */
		free(k);
		free(merged);
		free(lead);
		return nr;
	}
	for (size_t i = 0; i < nr; i++)
		k[i] = (struct keyed){&rows[i], i};
	qsort(k, nr, sizeof(*k), keyed_cmp);
	/* Each group sums into its first-seen row's slot, all members in one pass. */
	for (size_t g = 0, end; g < nr; g = end) {
		struct merge_acc acc = {0};

		for (end = g; end < nr && !key_cmp(k[g].row, k[end].row); end++)
			acc_add(&acc, &merged[k[g].at], k[end].row, end == g);
		acc_finish(&acc, &merged[k[g].at]);
		lead[k[g].at] = true;
	}
	for (size_t i = 0; i < nr; i++)
		if (lead[i])
			rows[out++] = merged[i];
	free(k);
	free(merged);
	free(lead);
	return out;
}

static int bytes_desc_cmp(const void *pa, const void *pb)
{
	const struct conn_row *a = pa, *b = pb;
	unsigned __int128 x = (unsigned __int128)a->bytes_read + a->bytes_written;
	unsigned __int128 y = (unsigned __int128)b->bytes_read + b->bytes_written;

	if (x != y)
		return x > y ? -1 : 1;
	return key_cmp(a, b);
}

void conn_view_sort(struct conn_row *rows, size_t nr)
{
	if (nr > 1)
		qsort(rows, nr, sizeof(*rows), bytes_desc_cmp);
}

size_t conn_view_limit(struct conn_row *rows, size_t nr, size_t max, struct conn_row *other)
{
	struct merge_acc acc = {0};

	memset(other, 0, sizeof(*other));
	if (!max || nr <= max)
		return nr;
	for (size_t i = max; i < nr; i++)
		acc_add(&acc, other, &rows[i], i == max);
	acc_finish(&acc, other);
	/* Whatever the first cut row was, "other" has no tuple and no process of its own. */
	memset(&other->t, 0, sizeof(other->t));
	other->pid = 0;
	memset(other->process_name, 0, sizeof(other->process_name));
	strcpy(other->process_name, "other");
	return max;
}

/* ---- the whole view --------------------------------------------------------- */

int conn_view_init(struct conn_view *v)
{
	memset(v, 0, sizeof(*v));
	conn_filter_init(&v->filter);
	v->resolve_services = true;
	v->max_dimensions = CONN_DEFAULT_MAX_DIMENSIONS;
	v->ephemeral_port = CONN_DEFAULT_EPHEMERAL_PORT;
	/* No services file only means numbers instead of names. */
	if (conn_services_load(&v->services, NULL) == -ENOMEM)
		return -ENOMEM;
	return conn_filter_parse(&v->filter, CONN_LIST_IPS, CONN_DEFAULT_IPS, NULL, NULL, 0);
}

void conn_view_free(struct conn_view *v)
{
	conn_filter_free(&v->filter);
	conn_services_free(&v->services);
	blacklist_free(v->blacklist);
	v->blacklist = NULL;
}

void conn_blacklist_row(const struct conn_row *r, struct bl_row *out)
{
	const struct in6_addr *s6 = (const struct in6_addr *)r->t.saddr;
	const struct in6_addr *d6 = (const struct in6_addr *)r->t.daddr;

	memset(out, 0, sizeof(*out));
	out->tcp = r->t.protocol == IPPROTO_TCP;
	out->udp = r->t.protocol == IPPROTO_UDP;
	out->src_port = r->t.sport;
	out->dst_port = r->t.dport;
	if (r->t.family == AF_INET6 && !(IN6_IS_ADDR_V4MAPPED(s6) && IN6_IS_ADDR_V4MAPPED(d6))) {
		out->ipv6 = true;
		memcpy(out->saddr, r->t.saddr, 16);
		memcpy(out->daddr, r->t.daddr, 16);
	} else {
		size_t off = r->t.family == AF_INET6 ? 12 : 0;

		out->ipv4 = true;
		memcpy(out->saddr, r->t.saddr + off, 4);
		memcpy(out->daddr, r->t.daddr + off, 4);
	}
}

size_t conn_view_apply(struct conn_view *v, struct conn_row *rows, size_t nr,
		       struct conn_row *other)
{
	size_t kept = 0;

	for (size_t i = 0; i < nr; i++) {
		struct bl_row b;

		if (!conn_filter_match(&v->filter, &rows[i]))
			continue;
		if (v->blacklist) {
			conn_blacklist_row(&rows[i], &b);
			if (blacklist_match(v->blacklist, &b))
				continue;
		}
		rows[kept++] = rows[i];
	}
	kept = conn_view_collapse(rows, kept, v->ephemeral_port);
	conn_view_sort(rows, kept);
	kept = conn_view_limit(rows, kept, v->max_dimensions, other);
	for (size_t i = 0; v->resolve_hostnames && i < kept; i++) {
		const char *host = conn_filter_remote_host(&v->filter, &rows[i].t);

		snprintf(rows[i].dst_host, sizeof(rows[i].dst_host), "%s", host ? host : "");
	}
	return kept;
}

/* ---- output -------------------------------------------------------------------- */

/* The row's addresses as printed, and its family: two IPv4-mapped addresses are IPv4. */
struct shown {
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *family;
	bool v6;
};

static void show_addrs(const struct conn_tuple *t, struct shown *s)
{
	const __u8 *sa = t->saddr, *da = t->daddr;
	int af = t->family == AF_INET ? AF_INET : AF_INET6;

	if (af == AF_INET6 && is_v4_mapped(sa) && is_v4_mapped(da)) {
		af = AF_INET;
		sa += 12;
		da += 12;
	}
	s->v6 = af == AF_INET6;
	s->family = s->v6 ? "IPv6" : "IPv4";
	if (!inet_ntop(af, sa, s->src, sizeof(s->src)))
		strcpy(s->src, "?");
	if (!inet_ntop(af, da, s->dst, sizeof(s->dst)))
		strcpy(s->dst, "?");
}

static const char *direction_name(__u8 d)
{
	return d == CONN_DIR_OUTGOING	? "outgoing"
	       : d == CONN_DIR_INCOMING ? "incoming"
					: "unknown";
}

static const char *transport_name(__u8 p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?";
}

/* The address DNAT sent a connection to (the conntrack module), as text. */
static void nat_addr(const struct conn_row *r, char *buf, size_t size)
{
	if (!inet_ntop(r->t.family == AF_INET6 ? AF_INET6 : AF_INET, r->dst_nat_addr, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
}

/* "addr:port", "[addr]:port"; port 0 is "*", the service port by name when known. */
static void endpoint(char *buf, size_t size, const char *addr, bool v6, __u16 port, bool named,
		     const struct conn_row *r, const struct conn_services *services)
{
	const char *name = named ? conn_services_name(services, port, r->t.protocol) : NULL;
	char num[8];

	snprintf(num, sizeof(num), "%u", port);
	snprintf(buf, size, "%s%s%s:%s", v6 ? "[" : "", addr, v6 ? "]" : "",
		 port == 0 ? "*"
		 : name	   ? name
			   : num);
}

int conn_view_print_text(FILE *out, const struct conn_row *rows, size_t nr,
			 const struct conn_row *other, const struct conn_services *services)
{
	char local[96], remote[96], comm[3 * 16 + 1], rtt[24];
	size_t total = nr + (other && other->connections ? 1 : 0);

	fprintf(out, "%-5s %-9s %-47s %-47s %7s %-16s %12s %12s %7s %10s %-6s %5s\n", "PROTO",
		"DIRECTION", "LOCAL", "REMOTE", "PID", "PROCESS", "READ", "WRITTEN", "RETRANS",
		"RTT", "STATE", "CONNS");
	for (size_t i = 0; i < total; i++) {
		const struct conn_row *r = i < nr ? &rows[i] : other;
		__u16 svc = conn_service_port(&r->t);
		struct shown s;

		/* A comm holds any byte: valid UTF-8 and no control character reach the terminal.
		 */
		export_utf8_sanitize(comm, r->process_name,
				     strnlen(r->process_name, sizeof(r->process_name)));
		text_make_printable(comm);
		if (r->rtt_us)
			snprintf(rtt, sizeof(rtt), "%u.%03ums", r->rtt_us / 1000, r->rtt_us % 1000);
		else
			strcpy(rtt, "-");
		if (i >= nr) {
			fprintf(out, "%-5s %-9s %-47s %-47s %7s %-16s", "*", "*", "*", "*", "-",
				"other");
		} else {
			show_addrs(&r->t, &s);
			endpoint(local, sizeof(local), s.src, s.v6, r->t.sport,
				 services && r->t.sport == svc, r, services);
			/* A resolved name stands for the address (printable: it came from DNS). */
			if (r->dst_host[0]) {
				char host[sizeof(r->dst_host)];

				snprintf(host, sizeof(host), "%s", r->dst_host);
				text_make_printable(host);
				endpoint(remote, sizeof(remote), host, false, r->t.dport,
					 services && r->t.dport == svc, r, services);
			} else {
				endpoint(remote, sizeof(remote), s.dst, s.v6, r->t.dport,
					 services && r->t.dport == svc, r, services);
			}
			if (r->dst_nat) {
				char nat[INET6_ADDRSTRLEN];
				size_t used = strlen(remote);

				nat_addr(r, nat, sizeof(nat));
				snprintf(remote + used, sizeof(remote) - used, " (nat %s%s%s:%u)",
					 s.v6 ? "[" : "", nat, s.v6 ? "]" : "", r->dst_nat_port);
			}
			fprintf(out, "%-5s %-9s %-47s %-47s %7u %-16s",
				transport_name(r->t.protocol), direction_name(r->t.direction),
				local, remote, r->pid, comm);
		}
		fprintf(out, " %12llu %12llu %7llu %10s %-6s %5u\n",
			(unsigned long long)r->bytes_read, (unsigned long long)r->bytes_written,
			(unsigned long long)r->retransmits, rtt, r->open ? "open" : "closed",
			r->connections);
	}
	return ferror(out) ? -1 : 0;
}

static void json_port(FILE *out, const char *key, __u16 port)
{
	if (port)
		fprintf(out, ",\"%s\":%u", key, port);
	else
		fprintf(out, ",\"%s\":\"*\"", key);
}

static void json_row(FILE *out, const struct conn_row *r, bool is_other)
{
	struct shown s;

	if (is_other) {
		fputs("{\"other\":true,\"src_ip\":\"*\",\"src_port\":\"*\",\"dst_ip\":\"*\","
		      "\"dst_port\":\"*\",\"src_ip_type\":\"other\",\"dst_ip_type\":\"other\","
		      "\"family\":\"*\",\"transport\":\"*\",\"direction\":\"*\",\"pid\":0,"
		      "\"process_name\":\"other\"",
		      out);
	} else {
		show_addrs(&r->t, &s);
		fputs("{\"src_ip\":", out);
		json_put_string_n(out, s.src, strlen(s.src));
		json_port(out, "src_port", r->t.sport);
		fputs(",\"dst_ip\":", out);
		json_put_string_n(out, s.dst, strlen(s.dst));
		json_port(out, "dst_port", r->t.dport);
		if (r->dst_host[0]) {
			fputs(",\"dst_host\":", out);
			json_put_string_n(out, r->dst_host, strnlen(r->dst_host, sizeof(r->dst_host)));
		}
		if (r->dst_nat) {
			char nat[INET6_ADDRSTRLEN];

			nat_addr(r, nat, sizeof(nat));
			fputs(",\"dst_nat_ip\":", out);
			json_put_string(out, nat);
			fprintf(out, ",\"dst_nat_port\":%u", r->dst_nat_port);
		}
		fprintf(out, ",\"src_ip_type\":\"%s\",\"dst_ip_type\":\"%s\"",
			conn_ip_type(r->t.family, r->t.saddr),
			conn_ip_type(r->t.family, r->t.daddr));
		fprintf(out, ",\"family\":\"%s\",\"transport\":\"%s\",\"direction\":\"%s\"",
			s.family, transport_name(r->t.protocol), direction_name(r->t.direction));
		fprintf(out, ",\"pid\":%u,\"process_name\":", r->pid);
		json_put_string_n(out, r->process_name,
			    strnlen(r->process_name, sizeof(r->process_name)));
	}
	fprintf(out,
		",\"bytes_read\":%llu,\"bytes_written\":%llu,\"retransmits\":%llu,\"rtt\":%u,"
		"\"rtt_var\":%u,\"tcp_established\":%u,\"tcp_closed\":%u,\"open\":%s,"
		"\"connections\":%u}",
		(unsigned long long)r->bytes_read, (unsigned long long)r->bytes_written,
		(unsigned long long)r->retransmits, r->rtt_us, r->rtt_var_us, r->tcp_established,
		r->tcp_closed, r->open ? "true" : "false", r->connections);
}

int conn_view_print_json(FILE *out, const struct conn_row *rows, size_t nr,
			 const struct conn_row *other)
{
	fputc('[', out);
	for (size_t i = 0; i < nr; i++) {
		if (i)
			fputc(',', out);
		json_row(out, &rows[i], false);
	}
	if (other && other->connections) {
		if (nr)
			fputc(',', out);
		json_row(out, other, true);
	}
	fputs("]\n", out);
	return ferror(out) ? -1 : 0;
}

/* A port as DataKit tags it: its number, "*" when collapsed. */
static void influx_port_tag(FILE *out, const char *key, __u16 port)
{
	char num[8];

	snprintf(num, sizeof(num), "%u", port);
	influx_put_tag(out, key, port ? num : "*");
}

static void influx_row(FILE *out, const struct conn_row *r, bool is_other, const char *host,
		       uint64_t ts_ns)
{
	char name[3 * sizeof(r->process_name) + 1], pid[12];
	struct shown s = { .src = "*", .dst = "*", .family = "*" };

	if (!is_other)
		show_addrs(&r->t, &s);
	export_utf8_sanitize(name, is_other ? "other" : r->process_name,
			     is_other ? 5 : strnlen(r->process_name, sizeof(r->process_name)));
	snprintf(pid, sizeof(pid), "%u", r->pid);
	/* Tags in key order, as InfluxDB stores them. */
	influx_put_measurement(out, "netflow");
	influx_put_tag(out, "direction", is_other ? "*" : direction_name(r->t.direction));
	if (!is_other)
		influx_put_tag(out, "dst_domain", r->dst_host);
	influx_put_tag(out, "dst_ip", s.dst);
	influx_put_tag(out, "dst_ip_type", is_other ? "other" : conn_ip_type(r->t.family, r->t.daddr));
	if (!is_other && r->dst_nat) {
		char nat[INET6_ADDRSTRLEN];

		nat_addr(r, nat, sizeof(nat));
		influx_put_tag(out, "dst_nat_ip", nat);
		influx_port_tag(out, "dst_nat_port", r->dst_nat_port);
	}
	influx_port_tag(out, "dst_port", is_other ? 0 : r->t.dport);
	influx_put_tag(out, "family", s.family);
	influx_put_tag(out, "host", host);
	influx_put_tag(out, "pid", pid);
	influx_put_tag(out, "process_name", name);
	influx_put_tag(out, "source", "netflow");
	influx_put_tag(out, "src_ip", s.src);
	influx_put_tag(out, "src_ip_type", is_other ? "other" : conn_ip_type(r->t.family, r->t.saddr));
	influx_port_tag(out, "src_port", is_other ? 0 : r->t.sport);
	influx_put_tag(out, "transport", is_other ? "*" : transport_name(r->t.protocol));
	fprintf(out,
		" bytes_read=%llui,bytes_written=%llui,retransmits=%llui,rtt=%ui,rtt_var=%ui,"
		"tcp_closed=%ui,tcp_established=%ui %llu\n",
		(unsigned long long)r->bytes_read, (unsigned long long)r->bytes_written,
		(unsigned long long)r->retransmits, r->rtt_us, r->rtt_var_us, r->tcp_closed,
		r->tcp_established, (unsigned long long)ts_ns);
}

int conn_view_print_influx(FILE *out, const struct conn_row *rows, size_t nr,
			   const struct conn_row *other, const char *host, uint64_t ts_ns)
{
	for (size_t i = 0; i < nr; i++)
		influx_row(out, &rows[i], false, host, ts_ns);
	if (other && other->connections)
		influx_row(out, other, true, host, ts_ns);
	return ferror(out) ? -1 : 0;
}
