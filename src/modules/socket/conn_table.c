// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the socket module's connection table (see conn_table.h). The
 * kernel keeps open connections in a hash table keyed by the socket's
 * address and hands over the ones that end through a ring buffer. TCP ends
 * in the kernel (CLOSE); a UDP socket has no such event, so an entry whose
 * counts stood still for `udp_idle` seconds is taken out here (lookup and
 * delete in one step: nothing counted meanwhile is lost) and its kind's
 * count in the kernel is given back.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/accounting.h"
#include "core/blacklist.h"
#include "modules/conntrack/conntrack_api.h"
#include "modules/socket/conn_table.h"

#define CONN_UDP_IDLE 60.0	     /* seconds without a datagram before a UDP entry goes */
#define CONN_ENDED_MAX 65536	     /* ended connections kept at most */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void conn_row_of(const struct conn_entry *e, bool open, struct conn_row *r)
{
	memset(r, 0, sizeof(*r));
	r->t = e->t;
	r->pid = e->pid;
	memcpy(r->process_name, e->comm, sizeof(r->process_name));
	r->bytes_read = e->bytes_read;
	r->bytes_written = e->bytes_written;
	r->retransmits = e->retransmits;
	r->rtt_us = e->rtt_us;
	r->rtt_var_us = e->rtt_var_us;
	r->tcp_established = !!(e->flags & CONN_F_ESTABLISHED);
	r->tcp_closed = !!(e->flags & CONN_F_CLOSED);
	r->connections = 1;
	r->open = open;
}

/* Drop the @n oldest ended connections. */
static void ended_drop(struct conn_table *t, size_t n)
{
	memmove(t->ended, t->ended + n, (t->nr_ended - n) * sizeof(*t->ended));
	t->nr_ended -= n;
}

static void ended_push(struct conn_table *t, const struct conn_entry *e)
{
	if (t->nr_ended == t->cap_ended) {
		size_t ncap = t->cap_ended ? t->cap_ended * 2 : 64;
		struct conn_ended *p;

		if (ncap > t->max_ended)
			ncap = t->max_ended;
		p = ncap > t->cap_ended ? realloc(t->ended, ncap * sizeof(*p)) : NULL;
		if (p) {
			t->ended = p;
			t->cap_ended = ncap;
		} else {
			/* At the bound (or out of memory): the oldest quarter goes. */
			size_t n = t->nr_ended / 4 ? t->nr_ended / 4 : t->nr_ended;

			t->ended_dropped += n;
			ended_drop(t, n);
			if (!t->cap_ended)
				return;
		}
	}
	t->ended[t->nr_ended].e = *e;
	t->ended[t->nr_ended].at = t->now;
	t->nr_ended++;
}

static int on_ended(void *ctx, void *data, size_t size)
{
	const struct conn_closed *c = data;

	if (size >= sizeof(*c))
		ended_push(ctx, &c->e);
	return 0;
}

static int conn_cmp(const void *x, const void *y)
{
	__u64 a = ((const struct conn_open *)x)->sk, b = ((const struct conn_open *)y)->sk;

	return (a > b) - (a < b);
}

static const struct conn_open *prev_of(const struct conn_table *t, __u64 sk)
{
	struct conn_open key = { .sk = sk };

	return bsearch(&key, t->prev, t->nr_prev, sizeof(*t->prev), conn_cmp);
}

int conn_check_pattern(const char *key, const char *value, char *err, size_t errlen)
{
	enum conn_list_kind kind = !strcmp(key, "ports") ? CONN_LIST_PORTS
				   : !strcmp(key, "ips") ? CONN_LIST_IPS
							 : CONN_LIST_HOSTNAMES;
	struct conn_services services = {};
	struct conn_filter f;
	int rc;

	conn_filter_init(&f);
	if (kind == CONN_LIST_PORTS)
		conn_services_load(&services, NULL);
	rc = conn_filter_parse(&f, kind, value, &services, err, errlen);
	conn_filter_free(&f);
	conn_services_free(&services);
	return rc ? -1 : 0;
}

static int view_from_config(struct conn_view *v, const struct config *cfg, char *err,
			    size_t errlen)
{
	const struct config_net_view *n = &cfg->net;
	char port[8];
	int rc;

	memset(v, 0, sizeof(*v));
	conn_filter_init(&v->filter);
	v->resolve_services = n->resolve_service_names;
	v->resolve_hostnames = n->resolve_hostnames;
	v->max_dimensions = n->maximum_dimensions;
	v->ephemeral_port = n->ephemeral_port;
	if (conn_services_load(&v->services, NULL) == -ENOMEM)
		return -ENOMEM;
	for (unsigned int i = 0; i < n->nr_services; i++) {
		snprintf(port, sizeof(port), "%u", n->services[i].port);
		rc = conn_services_override(&v->services, port, n->services[i].name, err, errlen);
		if (rc)
			return rc;
	}
	rc = conn_filter_parse(&v->filter, CONN_LIST_PORTS, n->ports, &v->services, err, errlen);
	if (!rc)
		rc = conn_filter_parse(&v->filter, CONN_LIST_IPS, n->ips, &v->services, err, errlen);
	if (!rc)
		rc = conn_filter_parse(&v->filter, CONN_LIST_HOSTNAMES, n->hostnames, &v->services,
				       err, errlen);
	if (!rc && cfg->netlog_blacklist[0]) {
		v->blacklist = blacklist_compile(cfg->netlog_blacklist, "netlog blacklist", err,
						 errlen);
		rc = v->blacklist ? 0 : -1;
	}
	return rc ? -EINVAL : 0;
}

int conn_table_init(struct conn_table *t, struct acct *a, const struct config *cfg,
		    double keep_ended, char *err, size_t errlen)
{
	int rb_fd;
	int rc;

	memset(t, 0, sizeof(*t));
	text_slot_init(&t->json);
	t->map_fd = acct_map_fd(a, "conns");
	rb_fd = acct_map_fd(a, "conns_closed");
	t->used = acct_conn_used(a);
	t->max_entries = (size_t)cfg->ipv4_conn_table_size + cfg->ipv6_conn_table_size +
			 cfg->udp_conn_table_size;
	t->udp_idle = CONN_UDP_IDLE;
	t->keep_ended = keep_ended;
	t->now = mono();
	t->max_ended = CONN_ENDED_MAX;
	rc = view_from_config(&t->view, cfg, err, errlen);
	if (rc)
		return rc;
	t->keys = malloc(t->max_entries * sizeof(*t->keys));
	t->vals = malloc(t->max_entries * sizeof(*t->vals));
	t->open = malloc(t->max_entries * sizeof(*t->open));
	t->prev = malloc(t->max_entries * sizeof(*t->prev));
	if (!t->keys || !t->vals || !t->open || !t->prev) {
		snprintf(err, errlen, "out of memory for the connection table");
		return -ENOMEM;
	}
	if (t->map_fd < 0 || rb_fd < 0) {
		snprintf(err, errlen, "the connection table is not in the core's object");
		return -ENOENT;
	}
	t->rb = ring_buffer__new(rb_fd, on_ended, t, NULL);
	if (!t->rb) {
		rc = -errno;
		snprintf(err, errlen, "connection ring buffer: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

void conn_table_free(struct conn_table *t)
{
	ring_buffer__free(t->rb);
	conn_view_free(&t->view);
	free(t->keys);
	free(t->vals);
	free(t->open);
	free(t->prev);
	free(t->ended);
	text_slot_destroy(&t->json);
	memset(t, 0, sizeof(*t));
}

/* Ended connections older than keep_ended leave the ring. */
static void ended_expire(struct conn_table *t)
{
	size_t n = 0;

	if (!t->keep_ended)
		return;
	while (n < t->nr_ended && t->now - t->ended[n].at > t->keep_ended)
		n++;
	if (n)
		ended_drop(t, n);
	/* Mostly empty again: give the memory back. */
	if (t->cap_ended > 256 && t->nr_ended < t->cap_ended / 8) {
		struct conn_ended *p = realloc(t->ended, t->cap_ended / 4 * sizeof(*p));

		if (p) {
			t->ended = p;
			t->cap_ended /= 4;
		}
	}
}

int conn_table_read(struct conn_table *t)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 cursor = 0;
	size_t n = 0;
	bool first = true;
	struct conn_open *swap;

	t->now = mono();
	if (ring_buffer__consume(t->rb) < 0)
		return -EIO;
	/* The whole table, in batches (a deletion under the walk may repeat a key: sorted below). */
	for (;;) {
		__u32 count = (__u32)(t->max_entries - n);
		int err;

		if (!count)
			break;
		err = bpf_map_lookup_batch(t->map_fd, first ? NULL : &cursor, &cursor, t->keys + n,
					   t->vals + n, &count, &opts);
		first = false;
		n += count;
		if (err) {
			if (errno == ENOENT)
				break;
			return -errno;
		}
	}
	/* The previous reading, to see which counts stood still. */
	swap = t->prev;
	t->prev = t->open;
	t->nr_prev = t->nr_open;
	t->open = swap;
	t->nr_open = 0;
	for (size_t i = 0; i < n; i++) {
		const struct conn_entry *e = &t->vals[i];
		const struct conn_open *p = prev_of(t, t->keys[i]);
		struct conn_open *o = &t->open[t->nr_open];
		bool still = p && p->e.bytes_read == e->bytes_read &&
			     p->e.bytes_written == e->bytes_written;

		o->sk = t->keys[i];
		o->e = *e;
		o->still_since = still ? p->still_since : t->now;
		if (e->t.protocol == IPPROTO_UDP && t->now - o->still_since > t->udp_idle) {
			struct conn_entry last;

			if (!bpf_map_lookup_and_delete_elem(t->map_fd, &o->sk, &last)) {
				__atomic_fetch_sub(&t->used[CONN_UDP], 1, __ATOMIC_SEQ_CST);
				last.flags |= CONN_F_EXPIRED;
				ended_push(t, &last);
			}
			continue;
		}
		t->nr_open++;
	}
	qsort(t->open, t->nr_open, sizeof(*t->open), conn_cmp);
	/* Drop a repeated key (the batch walk restarted). */
	if (t->nr_open > 1) {
		size_t kept = 1;

		for (size_t i = 1; i < t->nr_open; i++)
			if (t->open[i].sk != t->open[kept - 1].sk)
				t->open[kept++] = t->open[i];
		t->nr_open = kept;
	}
	ended_expire(t);
	return 0;
}

long conn_table_rows(struct conn_table *t, struct conn_row **rows, struct conn_row *other)
{
	size_t n = t->nr_open + t->nr_ended, k = 0;
	struct conn_row *r;

	memset(other, 0, sizeof(*other));
	*rows = NULL;
	if (!n)
		return 0;
	r = malloc(n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_open; i++)
		conn_row_of(&t->open[i].e, true, &r[k++]);
	for (size_t i = 0; i < t->nr_ended; i++)
		conn_row_of(&t->ended[i].e, false, &r[k++]);
	/* Before the filters and the collapse: the NAT tags belong to each connection. */
	conntrack_annotate(r, k);
	*rows = r;
	return (long)conn_view_apply(&t->view, r, k, other);
}
