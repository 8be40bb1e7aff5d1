/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network viewer's user-space half: pure functions over rows built from
 * the connection table (conn.h), no BPF. What Netdata's `[network
 * connections]` section of network.conf does (ports, ips and hostnames
 * filters, service names, maximum dimensions) and what DataKit's netflow
 * does with a connection (ephemeral-port collapse, ip types, its field
 * names in JSON).
 *
 * The pipeline, as conn_view_apply() runs it:
 *
 *   rows --filter--> shown rows --collapse--> merged rows --sort--> --limit--> text / JSON
 *
 * Filters (conn_filter_parse()): a list is patterns separated by blanks,
 * tried left to right; the first pattern that matches decides, shown or,
 * with a leading '!', hidden. What no pattern matches is hidden (Netdata's
 * simple_pattern: a list that should show the rest ends with '*'). An empty
 * list restricts nothing. A row is shown when all three lists show it:
 *
 *   ports      its service port: the remote port of an outgoing connection,
 *              the local port of an incoming one, and the lower of the two
 *              when the direction is unknown (servers listen on low ports,
 *              clients get ephemeral ones). Netdata checks the destination
 *              port; "the server's port" is what both mean for a client, and
 *              `ports = 22` then shows ssh sessions in both directions.
 *              Patterns: 22, 1000-2000 (or 1000:2000, as Netdata), *, or a
 *              service name (a [service name] override, else the services
 *              file, tcp then udp).
 *   ips        the remote address. Patterns: an address (10.0.0.1, ::1), a
 *              CIDR (10.0.0.0/8, fc00::/7; host bits are cleared: Netdata's
 *              default 127.0.0.1/8 is 127.0.0.0/8), a range
 *              (10.0.0.1-10.0.0.20, same family), or *. An IPv4-mapped IPv6
 *              address (::ffff:10.0.0.1) also matches IPv4 patterns.
 *   hostnames  the remote address's reverse-resolved name (its numeric form
 *              when it has none), against shell wildcards (fnmatch(3),
 *              case-insensitive: *.example.com). Resolved only when the
 *              list does not start with a plain '*', through a bounded
 *              cache (CONN_NAME_CACHE entries, oldest replaced first).
 *
 * Netdata's own network viewer (ebpf_socket.c) differs in one case: there
 * any matching exclusion hides a row wherever it stands in the list. Here
 * order matters, as in every other Netdata pattern list: write exclusions
 * before the inclusions they carve from ("!10.1.0.0/16 10.0.0.0/8"). Both
 * read Netdata's default ips line the same way.
 *
 * Not thread-safe: a filter's name cache changes while matching.
 */
#ifndef EBPFMON_CONN_VIEW_H
#define EBPFMON_CONN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modules/socket/conn.h"

/* Netdata's default `ips` line: private networks shown, loopback hidden. */
#define CONN_DEFAULT_IPS	    "!127.0.0.1/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 !::1/128"
#define CONN_DEFAULT_MAX_DIMENSIONS 50
#define CONN_DEFAULT_EPHEMERAL_PORT 32768 /* DataKit's ephemeral_port */
#define CONN_NAME_CACHE		    256	  /* reverse-resolved names kept */

/* One row of the viewer: a connection, or connections merged by collapse. */
struct conn_row {
	struct conn_tuple t; /* addresses in network order, ports host order, src = local */
	__u32 pid;
	char process_name[16]; /* a comm: NUL-terminated unless all 16 bytes are used */
	__u64 bytes_read, bytes_written, retransmits;
	__u32 rtt_us, rtt_var_us;
	__u32 tcp_established, tcp_closed; /* connections that reached ESTABLISHED / CLOSE */
	__u32 connections;		   /* rows merged into this one (1 without collapse) */
	bool open;			   /* still open at the end of the window */
	char dst_host[64];		   /* the remote address's name (resolve hostnames), or "" */
	/* Where DNAT sent it (the conntrack module): DataKit's dst_nat_ip, dst_nat_port. */
	bool dst_nat;
	__u8 dst_nat_addr[16]; /* network order; IPv4 in the first 4 bytes */
	__u16 dst_nat_port;
};

/* ---- service names ---------------------------------------------------------- */

struct conn_service {
	__u16 port;
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP; 0: both (an override) */
	char name[32];
};

/* Port -> name and back: [service name] overrides first, then the services file. */
struct conn_services {
	struct conn_service *v; /* overrides first, then the file's lines in order */
	size_t nr, cap, overrides;
};

/*
 * Read a services(5) file (NULL: /etc/services) after what is there. 0, or
 * -errno when it cannot be read (the table keeps what it had: names are an
 * embellishment, a missing file is no error for the viewer).
 */
int conn_services_load(struct conn_services *s, const char *path);
/*
 * One `PORT = NAME` line of [service name] (either protocol); it wins over the
 * file, and a later override of the same port wins over an earlier one.
 * 0, or -EINVAL with one line in @err.
 */
int conn_services_override(struct conn_services *s, const char *port, const char *name, char *err,
			   size_t errlen);
/* The name of @port for @protocol, or NULL. */
const char *conn_services_name(const struct conn_services *s, __u16 port, __u8 protocol);
/* The port of service @name (tcp first, then udp, as Netdata); 0 when unknown. */
__u16 conn_services_port(const struct conn_services *s, const char *name);
void conn_services_free(struct conn_services *s);

/* ---- filters ------------------------------------------------------------------ */

enum conn_list_kind { CONN_LIST_PORTS, CONN_LIST_IPS, CONN_LIST_HOSTNAMES };

/*
 * Reverse resolution: write @addr's name (family AF_INET or AF_INET6, the
 * address in network order) into @name; 0 when found, else nonzero.
 */
typedef int (*conn_resolver_fn)(void *ctx, __u16 family, const __u8 *addr, char *name, size_t size);

struct conn_pattern;

struct conn_list {
	struct conn_pattern *pat;
	size_t nr;
};

struct conn_name_entry {
	__u16 family;
	__u8 addr[16];
	char name[256]; /* "" when resolution failed: the numeric form is matched */
};

struct conn_filter {
	struct conn_list lists[3]; /* by enum conn_list_kind */
	conn_resolver_fn resolve;  /* getnameinfo(NI_NAMEREQD) unless set */
	void *resolve_ctx;
	struct conn_name_entry *cache; /* CONN_NAME_CACHE entries, allocated on first use */
	size_t cache_nr, cache_next;
	unsigned long resolutions; /* calls of the resolver (tests: the cache works) */
};

/* Every list empty (everything shown) and the system resolver. */
void conn_filter_init(struct conn_filter *f);
/*
 * Replace list @kind with @text (NULL or blank: no restriction). @services
 * names ports (NULL: numbers only). 0, or -EINVAL with one line in @err
 * naming the list, the bad token and what is accepted; -ENOMEM. On error
 * the list is unchanged.
 */
int conn_filter_parse(struct conn_filter *f, enum conn_list_kind kind, const char *text,
		      const struct conn_services *services, char *err, size_t errlen);
/* Resolve names with @fn instead of the system's (tests); the cache is emptied. */
void conn_filter_set_resolver(struct conn_filter *f, conn_resolver_fn fn, void *ctx);
/*
 * The reverse-resolved name of @t's remote address through @f's cache, or
 * NULL when it has none. Resolving blocks (the system resolver): names are
 * looked up only for rows shown, and kept.
 */
const char *conn_filter_remote_host(struct conn_filter *f, const struct conn_tuple *t);

/* Whether @r is shown: its ports, its remote IP and its remote host name. */
bool conn_filter_match(struct conn_filter *f, const struct conn_row *r);
void conn_filter_free(struct conn_filter *f);

/* The port the ports list and service names look at (see the top of this file). */
__u16 conn_service_port(const struct conn_tuple *t);

/* ---- ip types (DataKit's src_ip_type / dst_ip_type) ---------------------------- */

/*
 * DataKit's rule (netflow ConnIPv4Type/ConnIPv6Type, Go's net.IP methods,
 * in this order): "private" 10/8, 172.16/12, 192.168/16, fc00::/7;
 * "loopback" 127/8, ::1; "multicast" 224/4, ff00::/8; "other" for the rest
 * (link-local and 100.64/10 included). An IPv4-mapped IPv6 address is typed
 * as its IPv4 address.
 */
const char *conn_ip_type(__u16 family, const __u8 *addr);

/* ---- collapse, order, limit ---------------------------------------------------- */

/*
 * DataKit's ephemeral-port collapse: the client side's port, when it is at
 * least @ephemeral (0: no collapse), becomes 0 (printed "*"): the local port
 * of an outgoing connection, the remote port of an incoming one; when the
 * direction is unknown, the side that is ephemeral if only one is. Then rows
 * with the same family, transport, direction, pid, process name, addresses
 * and ports are merged: bytes, retransmits, established, closed and
 * connections summed, open if any is, and rtt and its deviation the mean
 * weighted by bytes moved (by connection when none moved a byte; DataKit
 * takes the plain mean per connection, which lets an idle connection's RTT
 * weigh as much as a busy one's). Rows keep their first-seen order. Returns
 * the new count.
 */
size_t conn_view_collapse(struct conn_row *rows, size_t nr, unsigned int ephemeral);
/* Bytes read + written, descending; ties in a fixed order (so output is stable). */
void conn_view_sort(struct conn_row *rows, size_t nr);
/*
 * Netdata's `maximum dimensions`: keep the first @max rows (0: all) and sum
 * the rest into @other (process_name "other", addresses zero; merged as
 * collapse merges). Returns the rows kept; @other->connections is 0 when
 * nothing was cut. Sort first.
 */
size_t conn_view_limit(struct conn_row *rows, size_t nr, size_t max, struct conn_row *other);

/* ---- the whole view --------------------------------------------------------- */

struct conn_view {
	struct conn_filter filter;
	struct conn_services services;
	bool resolve_services;	     /* Netdata's `resolve service names` */
	bool resolve_hostnames;	     /* Netdata's `resolve hostnames`: rows shown get dst_host */
	size_t max_dimensions;	     /* 0: no limit */
	unsigned int ephemeral_port; /* 0: no collapse */
	struct blacklist *blacklist; /* DataKit's netlog blacklist: rows it matches go; NULL: none */
};

struct bl_row;
/* What the netlog blacklist sees of row @r (IPv4-mapped pairs as IPv4). */
void conn_blacklist_row(const struct conn_row *r, struct bl_row *out);

/*
 * Netdata's defaults: ports *, Netdata's default ips, hostnames *, names
 * resolved (from /etc/services, read here), 50 rows, collapse from 32768.
 */
int conn_view_init(struct conn_view *v);
void conn_view_free(struct conn_view *v);
/*
 * Filter, collapse, sort and limit @rows in place; returns how many are
 * left, with the rest summed in @other (see conn_view_limit()).
 */
size_t conn_view_apply(struct conn_view *v, struct conn_row *rows, size_t nr,
		       struct conn_row *other);

/* ---- output -------------------------------------------------------------------- */

/*
 * A table, one line per row and @other last when it holds connections:
 * proto, direction, local, remote, pid, process, read, written, retrans,
 * rtt, state (open / closed) and conns. @services (NULL: numbers) names the
 * service port. 0, or -1 on a write error.
 */
int conn_view_print_text(FILE *out, const struct conn_row *rows, size_t nr,
			 const struct conn_row *other, const struct conn_services *services);
/*
 * A JSON array, one object per row with DataKit's netflow keys (src_ip,
 * src_port, dst_ip, dst_port, src_ip_type, dst_ip_type, family "IPv4" /
 * "IPv6", transport, direction, pid, process_name, bytes_read, bytes_written,
 * retransmits, rtt and rtt_var in microseconds, tcp_established, tcp_closed)
 * plus open and connections. Ports are numbers, "*" when collapsed. A
 * connection between two IPv4-mapped addresses is "IPv4" with dotted
 * addresses, as DataKit does. @other (when it holds connections) is a last
 * object with "other": true, "*" for addresses, ports, family, transport
 * and direction. Ends with a newline. 0, or -1 on a write error.
 */
int conn_view_print_json(FILE *out, const struct conn_row *rows, size_t nr,
			 const struct conn_row *other);
/*
 * InfluxDB line protocol as DataKit's netflow measurement: one line per row
 * (and @other), tags host (@host; left out when ""), source=netflow,
 * src_ip, src_port, dst_ip, dst_port ("*" when collapsed), dst_domain (with
 * resolve hostnames), src_ip_type, dst_ip_type, family, transport,
 * direction, pid and process_name; integer fields bytes_read,
 * bytes_written, retransmits, rtt and rtt_var (microseconds), tcp_closed and
 * tcp_established, as the JSON has them. Stamped @ts_ns. 0, or -1 on a write
 * error.
 */
int conn_view_print_influx(FILE *out, const struct conn_row *rows, size_t nr,
			   const struct conn_row *other, const char *host, uint64_t ts_ns);

#endif
