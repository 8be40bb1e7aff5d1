/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dnsflow: pairing queries with answers, and DataKit's dnsflow rows.
 * Pure user-space code (no BPF): the unit tests drive it with events.
 *
 * A query and its answer are paired per socket side: the client side sends
 * the query and receives the answer (DataKit's direction "outgoing": the
 * source, the local end, started it), the server side receives the query
 * and sends the answer ("incoming"). Key: network namespace, side, local
 * and remote address and port, transport and the DNS id.
 */
#ifndef EBPFMON_DNS_AGG_H
#define EBPFMON_DNS_AGG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "modules/dnsflow/dns_parse.h"
#include "modules/dnsflow/dnsflow.h"

/* rcode of a query that got no answer within the timeout (DataKit's -1). */
#define DNS_RCODE_TIMEOUT (-1)

/* A finished request: answered, or timed out. */
struct dns_done {
	uint64_t netns;
	uint8_t src[16], dst[16]; /* src: the local end (DataKit's frame of reference) */
	uint16_t sport, dport;
	uint16_t family;	  /* AF_INET, AF_INET6 */
	uint8_t proto;		  /* IPPROTO_UDP, IPPROTO_TCP */
	bool outgoing;		  /* the client side */
	int rcode;		  /* 0..15, or DNS_RCODE_TIMEOUT */
	uint64_t latency_ns;	  /* 0 when timed out */
	uint32_t pid;
	char comm[16];
	uint16_t qtype;
	char question[DNS_NAME_MAX];
};

typedef void (*dns_done_fn)(const struct dns_done *d, void *arg);

struct dns_pending;

struct dns_tracker_stats {
	uint64_t queries, answers;
	uint64_t malformed;	/* not parsed (dns_parse() error) */
	uint64_t unmatched;	/* answers with no query seen */
	uint64_t duplicates;	/* a query again while its first copy waits */
	uint64_t pending_full;	/* queries not tracked: the pending table was full */
	uint64_t timeouts;
};

struct dns_tracker {
	struct dns_pending *slots; /* cap entries; open addressing */
	uint32_t cap, used, max;
	uint64_t timeout_ns;
	struct dns_tracker_stats st;
};

/* @max: queries waiting at most (the table has twice as many slots, a power of two). */
int dns_tracker_init(struct dns_tracker *t, uint32_t max, uint64_t timeout_ns);
void dns_tracker_free(struct dns_tracker *t);
/*
 * One captured packet (@ev: its header and payload). Calls @fn for an
 * answer that completes a query. TCP payloads are split at their 2-byte
 * length prefixes.
 */
void dns_tracker_packet(struct dns_tracker *t, const struct dns_event *ev, dns_done_fn fn,
			void *arg);
/* Queries older than the timeout at @now_ns: reported with rcode -1. */
void dns_tracker_expire(struct dns_tracker *t, uint64_t now_ns, dns_done_fn fn, void *arg);

/* DataKit's dnsflow rows: one per key, for a window. */
struct dns_row {
	struct dns_done k; /* latency_ns unused in the key */
	uint64_t count;
	uint64_t latency_sum, latency_max; /* over answered requests only */
	uint32_t hash, next;		   /* chain in the row index */
};

struct dns_rows {
	struct dns_row *rows;
	uint32_t nr, max;
	uint32_t *index, nr_index; /* hash buckets: row number + 1, 0 empty */
	uint64_t overflow;	   /* requests not counted: max rows reached */
};

int dns_rows_init(struct dns_rows *r, uint32_t max);
void dns_rows_free(struct dns_rows *r);
void dns_rows_reset(struct dns_rows *r);
/* A dns_done_fn: @arg is the struct dns_rows. */
void dns_rows_add(const struct dns_done *d, void *arg);
struct blacklist;
/* Whether DataKit's netlog blacklist @b (NULL: none) drops request @d. */
bool dns_done_blacklisted(const struct dns_done *d, const struct blacklist *b);
/* Rows sorted by direction, question, rcode, addresses (stable output). */
void dns_rows_sort(struct dns_rows *r);

/*
 * DataKit's `dnsflow` measurement, InfluxDB line protocol, one line per row
 * of @r, at @ts_ns (unix nanoseconds), tagged host=@host (skipped when NULL).
 * Tags: direction, dst_ip, dst_ip_type, dst_port, family, host, pid,
 * process_name, qtype, question, source=dnsflow, src_ip, src_ip_type,
 * src_port, transport. Fields: count, latency (mean ns, answered only),
 * latency_max (ns), rcode (-1 for no answer). Returns the lines written,
 * or -1 on a write error.
 */
int dns_rows_influx(FILE *out, const struct dns_rows *r, const char *host, uint64_t ts_ns);
/* The rows as a JSON list. */
int dns_rows_json(FILE *out, const struct dns_rows *r);
/* The rows as a text table. */
int dns_rows_table(FILE *out, const struct dns_rows *r);

/* Text of an address of a row ("10.0.0.1", "fd00::1"). */
const char *dns_addr_str(uint16_t family, const uint8_t *a, char *buf, size_t len);
/* DataKit's ip type: "private", "multicast" or "other". */
const char *dns_ip_type(uint16_t family, const uint8_t *a);

#endif
