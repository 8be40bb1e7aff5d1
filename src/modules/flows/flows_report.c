// SPDX-License-Identifier: GPL-2.0
/* flows: read the maps, sort, and render the report as text or JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/cgroup_names.h"
#include "export/json.h"
#include "modules/flows/flows_int.h"
#include "flows.skel.h"

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 256;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/*
 * Walk a per-CPU hash of struct flows_val, calling @fn with the summed value.
 * The walk restarts from the first key when the current one was evicted
 * meanwhile, so a live map can yield a key twice: flows_dedup() merges them.
 */
static int walk_percpu(int fd, size_t key_size, int (*fn)(void *ctx, const void *key,
							   const struct flows_val *v),
		       void *ctx)
{
	int nr_cpus = libbpf_num_possible_cpus();
	/* Zeroed: a table with a shorter key (FLOWS_KEY_NET_SIZE) leaves the rest 0. */
	unsigned char key[128] = { 0 }, next[128] = { 0 };
	struct flows_val *vals;
	void *prev = NULL;
	int err = 0;

	if (nr_cpus <= 0 || key_size > sizeof(key))
		return -EINVAL;
	vals = calloc(nr_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		struct flows_val sum = {};

		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue; /* evicted between the two calls */
		for (int c = 0; c < nr_cpus; c++) {
			sum.packets += vals[c].packets;
			sum.bytes += vals[c].bytes;
		}
		err = fn(ctx, key, &sum);
		if (err)
			break;
	}
	free(vals);
	return err;
}

static int add_flow(void *ctx, const void *key, const struct flows_val *v)
{
	struct flows_snapshot *s = ctx;
	struct flows_row *r;

	if (grow((void **)&s->rows, &s->cap, s->nr + 1, sizeof(*s->rows)))
		return -ENOMEM;
	r = &s->rows[s->nr++];
	memset(r, 0, sizeof(*r));
	memcpy(&r->key, key, sizeof(r->key));
	r->packets = v->packets;
	r->bytes = v->bytes;
	return 0;
}

static int add_total(void *ctx, const void *key, const struct flows_val *v)
{
	struct flows_snapshot *s = ctx;
	struct flows_total_row *t;

	if (grow((void **)&s->totals, &s->cap_totals, s->nr_totals + 1, sizeof(*s->totals)))
		return -ENOMEM;
	t = &s->totals[s->nr_totals++];
	memcpy(&t->key, key, sizeof(t->key));
	t->packets = v->packets;
	t->bytes = v->bytes;
	return 0;
}

static int read_stats(int fd, struct flows_stats *out)
{
	int nr_cpus = libbpf_num_possible_cpus();
	struct flows_stats *v;
	uint32_t zero = 0;

	memset(out, 0, sizeof(*out));
	v = calloc(nr_cpus > 0 ? nr_cpus : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < nr_cpus; c++) {
		out->inserted += v[c].inserted;
		out->flow_fail += v[c].flow_fail;
		out->total_fail_packets += v[c].total_fail_packets;
		out->total_fail_bytes += v[c].total_fail_bytes;
	}
	free(v);
	return 0;
}

/* The key size the table was created with (set at load, see FLOWS_KEY_NET_SIZE). */
static size_t map_key_size(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return sizeof(struct flows_key);
	return info.key_size;
}

/* The totals key of a flow_ip_totals slot (the inverse of the program's ip_total_slot()). */
static bool ip_total_key(uint32_t slot, uint32_t ifindex, struct flows_total_key *k)
{
	static const uint8_t protos[2][3] = { { 6, 17, 1 }, { 6, 17, 58 } };
	uint32_t cls = slot & 3, v6 = slot >> 2 & 1;

	if (cls > FLOW_IPT_ICMP)
		return false;
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->ethertype = v6 ? FLOW_ETH_IPV6 : FLOW_ETH_IPV4;
	k->proto = protos[v6][cls];
	k->dir_flags = slot >> 3 & FLOW_TOTAL_DIR_MASK;
	return true;
}

/*
 * Add the per-CPU array's totals to the rows from the hash. The program
 * sends a key to one or the other, never both, but merging costs nothing
 * here and keeps one row per key whatever changes.
 */
static int read_ip_totals(int fd, uint32_t ifindex, struct flows_snapshot *s)
{
	int nr_cpus = libbpf_num_possible_cpus();
	struct flows_val *vals;
	int err = 0;

	if (nr_cpus <= 0)
		return -EINVAL;
	vals = calloc(nr_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t slot = 0; slot < FLOWS_IP_TOTALS_SLOTS && !err; slot++) {
		struct flows_val sum = {};
		struct flows_total_key k;
		size_t i;

		if (!ip_total_key(slot, ifindex, &k))
			continue;
		if (bpf_map_lookup_elem(fd, &slot, vals)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < nr_cpus; c++) {
			sum.packets += vals[c].packets;
			sum.bytes += vals[c].bytes;
		}
		if (!sum.packets)
			continue;
		for (i = 0; i < s->nr_totals; i++)
			if (!memcmp(&s->totals[i].key, &k, sizeof(k)))
				break;
		if (i < s->nr_totals) {
			s->totals[i].packets += sum.packets;
			s->totals[i].bytes += sum.bytes;
		} else {
			err = add_total(s, &k, &sum);
		}
	}
	free(vals);
	return err;
}

static int cmp_key(const void *a, const void *b);

/*
 * Copy one cache slot of every CPU, again while a copy overlapped a change of
 * key there (gen_start != gen_end). Such a CPU's slot is left out of this
 * reading when it keeps changing: it is in a later one, and the final
 * report reads after detaching, when nothing changes.
 */
static int read_cache_slot(int fd, uint32_t slot, struct flows_cache_slot *v, int nr_cpus)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		bool torn = false;

		if (bpf_map_lookup_elem(fd, &slot, v))
			return -errno;
		for (int c = 0; c < nr_cpus; c++)
			torn |= v[c].gen_start != v[c].gen_end;
		if (!torn)
			break;
	}
	return 0;
}

/*
 * Add the flows waiting in the per-CPU caches to the rows the table gave
 * (sorted by key, one per key): summed into a flow's row, or as new rows
 * for flows that never reached the table. One flow can wait on several CPUs.
 */
static int read_cache(int fd, struct flows_snapshot *s)
{
	int nr_cpus = libbpf_num_possible_cpus();
	struct flows_snapshot c = {};
	struct flows_cache_slot *v;
	int err = 0;

	if (nr_cpus <= 0)
		return -EINVAL;
	v = calloc(nr_cpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t slot = 0; slot < FLOWS_CACHE_SLOTS && !err; slot++) {
		err = read_cache_slot(fd, slot, v, nr_cpus);
		for (int cpu = 0; cpu < nr_cpus && !err; cpu++) {
			struct flows_val val = { v[cpu].packets, v[cpu].bytes };
			struct flows_key k = {};

			if (!val.packets || v[cpu].gen_start != v[cpu].gen_end)
				continue;
			memcpy(&k, v[cpu].key, FLOWS_KEY_NET_SIZE);
			err = add_flow(&c, &k, &val);
		}
	}
	free(v);
	if (!err && c.nr > 1)
		qsort(c.rows, c.nr, sizeof(*c.rows), cmp_key);
	for (size_t i = 0, nr_table = s->nr; i < c.nr && !err; i++) {
		struct flows_row *r = &c.rows[i], *t;

		/* The same flow from the next CPU: sum into the row just made or found. */
		if (i && !cmp_key(r, &c.rows[i - 1])) {
			t = &s->rows[s->nr - 1];
			if (memcmp(&t->key, &r->key, sizeof(r->key)))
				t = bsearch(r, s->rows, nr_table, sizeof(*r), cmp_key);
		} else {
			t = nr_table ? bsearch(r, s->rows, nr_table, sizeof(*r), cmp_key) : NULL;
		}
		if (t) {
			t->packets += r->packets;
			t->bytes += r->bytes;
		} else {
			err = add_flow(s, &r->key, &(struct flows_val){ r->packets, r->bytes });
		}
	}
	flows_snapshot_free(&c);
	if (!err && s->nr > 1)
		qsort(s->rows, s->nr, sizeof(*s->rows), cmp_key);
	return err;
}

int flows_read(struct flows_bpf *skel, bool flows, struct flows_snapshot *s)
{
	int flows_fd = bpf_map__fd(skel->maps.flows);
	int err;

	s->nr = 0;
	s->nr_table = 0;
	s->nr_totals = 0;
	/* Stats first: a flow inserted after this read can't make evicted negative. */
	err = read_stats(bpf_map__fd(skel->maps.flow_stats), &s->stats);
	if (!err && flows) {
		err = walk_percpu(flows_fd, map_key_size(flows_fd), add_flow, s);
		if (!err) {
			flows_dedup(s);
			s->nr_table = s->nr;
			/* After the table: a flow moving there meanwhile is missed, not counted twice. */
			err = read_cache(bpf_map__fd(skel->maps.flow_cache), s);
		}
	}
	if (!err)
		err = walk_percpu(bpf_map__fd(skel->maps.flow_totals),
				  sizeof(struct flows_total_key), add_total, s);
	if (!err)
		err = read_ip_totals(bpf_map__fd(skel->maps.flow_ip_totals),
				     skel->rodata->totals_ifindex, s);
	return err;
}

void flows_snapshot_free(struct flows_snapshot *s)
{
	free(s->rows);
	free(s->totals);
	memset(s, 0, sizeof(*s));
}

uint64_t flows_evicted(const struct flows_snapshot *s)
{
	/*
	 * Each insert adds one live entry; each eviction removes one; nobody
	 * deletes. Flows only in a per-CPU cache were never inserted.
	 */
	return s->stats.inserted > s->nr_table ? s->stats.inserted - s->nr_table : 0;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct flows_row *)a)->key, &((const struct flows_row *)b)->key,
		      sizeof(struct flows_key));
}

void flows_dedup(struct flows_snapshot *s)
{
	size_t j = 0;

	/* No packet seen: rows is NULL, which qsort() must not be given. */
	if (s->nr < 2)
		return;
	qsort(s->rows, s->nr, sizeof(*s->rows), cmp_key);
	for (size_t i = 0; i < s->nr; i++) {
		if (j && !cmp_key(&s->rows[j - 1], &s->rows[i])) {
			/* Counters only grow: the larger reading is the later one. */
			if (s->rows[i].packets > s->rows[j - 1].packets)
				s->rows[j - 1] = s->rows[i];
			continue;
		}
		s->rows[j++] = s->rows[i];
	}
	s->nr = j;
}

void flows_set_bitrate(struct flows_snapshot *s, double seconds)
{
	for (size_t i = 0; i < s->nr; i++)
		s->rows[i].bitrate = seconds > 0 ? s->rows[i].bytes * 8.0 / seconds : 0;
}

void flows_set_bitrate_delta(struct flows_snapshot *s, const struct flows_snapshot *prev,
			     double seconds)
{
	for (size_t i = 0; i < s->nr; i++) {
		struct flows_row *r = &s->rows[i];
		const struct flows_row *p = NULL;
		uint64_t before = 0;

		if (prev && prev->nr)
			p = bsearch(r, prev->rows, prev->nr, sizeof(*r), cmp_key);
		/* An evicted and re-added flow starts again from zero. */
		if (p && p->bytes <= r->bytes)
			before = p->bytes;
		r->bitrate = seconds > 0 ? (r->bytes - before) * 8.0 / seconds : 0;
	}
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_addr(const struct flows_key *a, const struct flows_key *b, bool dst)
{
	int c;

	/* IPv4 before IPv6 before everything else, then by address, then port. */
	if (a->ethertype != b->ethertype)
		return a->ethertype < b->ethertype ? -1 : 1;
	c = memcmp(dst ? a->dst : a->src, dst ? b->dst : b->src, 16);
	if (c)
		return c;
	if ((dst ? a->dport : a->sport) != (dst ? b->dport : b->sport))
		return (dst ? a->dport : a->sport) < (dst ? b->dport : b->sport) ? -1 : 1;
	return 0;
}

static enum flows_sort sort_by;

static int cmp_rows(const void *pa, const void *pb)
{
	const struct flows_row *a = pa, *b = pb;
	int c = 0;

	switch (sort_by) {
	case FLOWS_SORT_BITRATE:
		c = a->bitrate < b->bitrate ? 1 : a->bitrate > b->bitrate ? -1 : 0;
		break;
	case FLOWS_SORT_PACKETS:
		c = cmp_u64_desc(a->packets, b->packets);
		break;
	case FLOWS_SORT_BYTES:
		c = cmp_u64_desc(a->bytes, b->bytes);
		break;
	case FLOWS_SORT_SRC:
		c = cmp_addr(&a->key, &b->key, false);
		break;
	case FLOWS_SORT_DST:
		c = cmp_addr(&a->key, &b->key, true);
		break;
	default:
		break;
	}
	/* Ties: more bytes, then more packets first, then a stable key order. */
	if (!c)
		c = cmp_u64_desc(a->bytes, b->bytes);
	if (!c)
		c = cmp_u64_desc(a->packets, b->packets);
	return c ? c : cmp_key(a, b);
}

void flows_sort_rows(struct flows_row *rows, size_t n, enum flows_sort by)
{
	sort_by = by;
	if (n > 1) /* rows is NULL when empty */
		qsort(rows, n, sizeof(*rows), cmp_rows);
}

static int cmp_totals(const void *pa, const void *pb)
{
	const struct flows_total_row *a = pa, *b = pb;

	if (a->key.ifindex != b->key.ifindex)
		return a->key.ifindex < b->key.ifindex ? -1 : 1;
	if ((a->key.dir_flags & 1) != (b->key.dir_flags & 1))
		return (a->key.dir_flags & 1) < (b->key.dir_flags & 1) ? -1 : 1;
	return cmp_u64_desc(a->bytes, b->bytes);
}

void flows_sort_totals(struct flows_total_row *t, size_t n)
{
	if (n > 1) /* t is NULL when empty */
		qsort(t, n, sizeof(*t), cmp_totals);
}

/* ---- formatting ------------------------------------------------------------ */

bool flows_is_icmp(const struct flows_key *k)
{
	return !(k->flags & (FLOW_F_UNPARSED | FLOW_F_FRAG | FLOW_F_TRUNC)) &&
	       ((k->ethertype == FLOW_ETH_IPV4 && k->proto == 1) ||
		(k->ethertype == FLOW_ETH_IPV6 && k->proto == 58));
}

bool flows_has_ports(const struct flows_key *k)
{
	if (k->flags & (FLOW_F_UNPARSED | FLOW_F_FRAG | FLOW_F_TRUNC))
		return false;
	if (k->ethertype != FLOW_ETH_IPV4 && k->ethertype != FLOW_ETH_IPV6)
		return false;
	return k->proto == 6 || k->proto == 17 || k->proto == 132 || k->proto == 136;
}

void flows_addr_str(const struct flows_key *k, bool dst, char *buf, size_t len)
{
	const uint8_t *a = dst ? k->dst : k->src;

	if (k->flags & FLOW_F_UNPARSED)
		snprintf(buf, len, "-");
	else if (k->ethertype == FLOW_ETH_IPV4)
		inet_ntop(AF_INET, a, buf, len);
	else if (k->ethertype == FLOW_ETH_IPV6)
		inet_ntop(AF_INET6, a, buf, len);
	else
		snprintf(buf, len, "-");
}

const char *flows_proto_str(uint16_t ethertype, uint8_t proto, bool unparsed, char *buf,
			    size_t len)
{
	static const struct {
		uint8_t nr;
		const char *name;
	} ip[] = { { 1, "ICMP" }, { 2, "IGMP" }, { 6, "TCP" }, { 17, "UDP" }, { 47, "GRE" },
		   { 50, "ESP" }, { 51, "AH" }, { 58, "ICMPv6" }, { 59, "NoNext" },
		   { 132, "SCTP" }, { 136, "UDPLite" } };
	bool v6 = ethertype == FLOW_ETH_IPV6;

	if (unparsed) {
		if (ethertype)
			snprintf(buf, len, "unparsed(0x%04x)", ethertype);
		else
			snprintf(buf, len, "unparsed");
		return buf;
	}
	if (ethertype != FLOW_ETH_IPV4 && !v6) {
		if (ethertype == FLOW_ETH_ARP)
			snprintf(buf, len, "ARP");
		else if (ethertype < 0x600)
			snprintf(buf, len, "802.3");
		else
			snprintf(buf, len, "0x%04x", ethertype);
		return buf;
	}
	for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++) {
		if (ip[i].nr == proto) {
			/* pktstat-bpf's names: ICMPv4 for IPv4's ICMP, same TCP/UDP for both. */
			snprintf(buf, len, "%s", proto == 1 ? "ICMPv4" : ip[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%s/%u", v6 ? "IPv6" : "IPv4", proto);
	return buf;
}

const char *flows_dir_str(uint8_t dir)
{
	return dir == FLOW_DIR_EGRESS ? "egress" : "ingress";
}

void flows_bitrate_str(double bps, char *buf, size_t len)
{
	static const char *const unit[] = { "bps", "kbps", "Mbps", "Gbps", "Tbps" };
	unsigned int u = 0;

	while (bps >= 1000 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		bps /= 1000;
		u++;
	}
	snprintf(buf, len, "%.1f %s", bps, unit[u]);
}

void flows_iface_name(uint32_t ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (ifindex && if_indextoname(ifindex, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "if%u", ifindex);
}

void flows_cgroup_name(const struct flows_report *r, uint64_t id, char *buf, size_t len)
{
	if (r->cgnames && id)
		cgroup_names_lookup(r->cgnames, id, buf, len);
	else
		snprintf(buf, len, "%" PRIu64, id);
	if (!buf[0])
		snprintf(buf, len, "%" PRIu64, id);
}

static void endpoint_str(const struct flows_key *k, bool dst, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port = dst ? k->dport : k->sport;

	flows_addr_str(k, dst, a, sizeof(a));
	if (flows_has_ports(k))
		snprintf(buf, len, k->ethertype == FLOW_ETH_IPV6 ? "[%s]:%u" : "%s:%u", a, port);
	else
		snprintf(buf, len, "%s", a);
}

static const char *flags_str(uint8_t flags)
{
	if (flags & FLOW_F_FRAG)
		return " (fragment)";
	if (flags & FLOW_F_TRUNC)
		return " (truncated)";
	return "";
}

int flows_print_text(FILE *f, const struct flows_report *r)
{
	const struct flows_snapshot *s = r->snap;
	bool proc = r->opts->process;
	char src[64], dst[64], proto[32], rate[32], ifn[IF_NAMESIZE + 8], cg[256];

	fprintf(f, "%s on %s, %s, %.1f s: %zu flows\n", r->hook,
		r->opts->iface_set || !proc ? r->opts->iface : "all interfaces",
		r->ingress_only ? "ingress only" : "ingress and egress", r->seconds, s->nr);
	fprintf(f, "%-12s %10s %12s %-8s %-16s %-8s %-46s %-46s%s\n", "bitrate", "packets", "bytes",
		"dir", "proto", "iface", "src", "dst", proc ? " pid     comm             cgroup" : "");
	for (size_t i = 0; i < s->nr; i++) {
		const struct flows_row *row = &s->rows[i];
		const struct flows_key *k = &row->key;

		flows_bitrate_str(row->bitrate, rate, sizeof(rate));
		flows_proto_str(k->ethertype, k->proto, k->flags & FLOW_F_UNPARSED, proto,
				sizeof(proto));
		flows_iface_name(k->ifindex, ifn, sizeof(ifn));
		endpoint_str(k, false, src, sizeof(src));
		endpoint_str(k, true, dst, sizeof(dst));
		if (flows_is_icmp(k))
			snprintf(dst + strlen(dst), sizeof(dst) - strlen(dst), " type %u code %u",
				 k->sport, k->dport);
		fprintf(f, "%-12s %10" PRIu64 " %12" PRIu64 " %-8s %-16s %-8s %-46s %-46s", rate,
			row->packets, row->bytes, flows_dir_str(k->dir), proto, ifn, src, dst);
		if (proc) {
			flows_cgroup_name(r, k->cgroup, cg, sizeof(cg));
			fprintf(f, " %-7u %-16s %s", k->pid, k->pid ? k->comm : "?", cg);
		}
		fprintf(f, "%s\n", flags_str(k->flags));
	}
	fprintf(f, "\ntotals (exact, kept apart from the flow table):\n");
	fprintf(f, "%-10s %-8s %-16s %12s %14s %12s\n", "iface", "dir", "proto", "packets",
		"bytes", "bitrate");
	for (size_t i = 0; i < s->nr_totals; i++) {
		const struct flows_total_row *t = &s->totals[i];

		flows_iface_name(t->key.ifindex, ifn, sizeof(ifn));
		flows_proto_str(t->key.ethertype, t->key.proto,
				t->key.dir_flags & FLOW_TOTAL_UNPARSED, proto, sizeof(proto));
		flows_bitrate_str(r->seconds > 0 ? t->bytes * 8.0 / r->seconds : 0, rate,
				  sizeof(rate));
		fprintf(f, "%-10s %-8s %-16s %12" PRIu64 " %14" PRIu64 " %12s\n", ifn,
			flows_dir_str(t->key.dir_flags & FLOW_TOTAL_DIR_MASK), proto, t->packets,
			t->bytes, rate);
	}
	if (s->stats.total_fail_packets)
		fprintf(f, "%-10s %-8s %-16s %12llu %14llu\n", "-", "-", "(totals table full)",
			(unsigned long long)s->stats.total_fail_packets,
			(unsigned long long)s->stats.total_fail_bytes);
	fprintf(f, "\nflows: %zu in table (max %u), %zu in per-CPU caches only, %" PRIu64
		   " evicted, %llu packets not in the flow table\n",
		s->nr_table, r->opts->max_entries, s->nr - s->nr_table, flows_evicted(s),
		(unsigned long long)s->stats.flow_fail);
	return ferror(f) ? -EIO : 0;
}

static void json_flow(FILE *f, const struct flows_report *r, const struct flows_row *row)
{
	const struct flows_key *k = &row->key;
	char a[INET6_ADDRSTRLEN], buf[256];
	char comm[sizeof(k->comm) + 1];

	flows_addr_str(k, false, a, sizeof(a));
	fprintf(f, "{\"srcIp\": ");
	json_put_string(f, a);
	flows_addr_str(k, true, a, sizeof(a));
	fprintf(f, ", \"srcPort\": %u, \"dstIp\": ", k->sport);
	json_put_string(f, a);
	fprintf(f, ", \"dstPort\": %u, \"proto\": ", k->dport);
	json_put_string(f, flows_proto_str(k->ethertype, k->proto, k->flags & FLOW_F_UNPARSED, buf,
				    sizeof(buf)));
	fprintf(f, ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"bitrate\": %.3f",
		row->packets, row->bytes, row->bitrate);
	fprintf(f, ", \"ethertype\": %u, \"ipProto\": %u, \"direction\": \"%s\", \"iface\": ",
		k->ethertype, k->proto, flows_dir_str(k->dir));
	flows_iface_name(k->ifindex, buf, sizeof(buf));
	json_put_string(f, buf);
	if (flows_is_icmp(k))
		fprintf(f, ", \"icmpType\": %u, \"icmpCode\": %u", k->sport, k->dport);
	fprintf(f, ", \"fragment\": %s, \"truncated\": %s, \"unparsed\": %s",
		k->flags & FLOW_F_FRAG ? "true" : "false", k->flags & FLOW_F_TRUNC ? "true" : "false",
		k->flags & FLOW_F_UNPARSED ? "true" : "false");
	if (r->opts->process) {
		memcpy(comm, k->comm, sizeof(k->comm));
		comm[sizeof(k->comm)] = 0;
		fprintf(f, ", \"pid\": %u, \"comm\": ", k->pid);
		json_put_string(f, comm);
		flows_cgroup_name(r, k->cgroup, buf, sizeof(buf));
		fprintf(f, ", \"cgroupId\": %" PRIu64 ", \"cgroup\": ", (uint64_t)k->cgroup);
		json_put_string(f, buf);
	}
	fputc('}', f);
}

int flows_print_json(FILE *f, const struct flows_report *r)
{
	const struct flows_snapshot *s = r->snap;
	char buf[256];

	fprintf(f, "{\"hook\": ");
	json_put_string(f, r->hook);
	fprintf(f, ", \"iface\": ");
	json_put_string(f, r->opts->iface_set || !r->opts->process ? r->opts->iface : "");
	fprintf(f, ", \"ingressOnly\": %s, \"process\": %s, \"seconds\": %.3f,\n \"flows\": [",
		r->ingress_only ? "true" : "false", r->opts->process ? "true" : "false",
		r->seconds);
	for (size_t i = 0; i < s->nr; i++) {
		fprintf(f, "%s\n  ", i ? "," : "");
		json_flow(f, r, &s->rows[i]);
	}
	fprintf(f, "],\n \"totals\": [");
	for (size_t i = 0; i < s->nr_totals; i++) {
		const struct flows_total_row *t = &s->totals[i];

		fprintf(f, "%s\n  {\"iface\": ", i ? "," : "");
		flows_iface_name(t->key.ifindex, buf, sizeof(buf));
		json_put_string(f, buf);
		fprintf(f, ", \"direction\": \"%s\", \"proto\": ",
			flows_dir_str(t->key.dir_flags & FLOW_TOTAL_DIR_MASK));
		json_put_string(f, flows_proto_str(t->key.ethertype, t->key.proto,
					    t->key.dir_flags & FLOW_TOTAL_UNPARSED, buf, sizeof(buf)));
		fprintf(f, ", \"ethertype\": %u, \"ipProto\": %u, \"packets\": %" PRIu64
			   ", \"bytes\": %" PRIu64 ", \"bitrate\": %.3f}",
			t->key.ethertype, t->key.proto, t->packets, t->bytes,
			r->seconds > 0 ? t->bytes * 8.0 / r->seconds : 0);
	}
	fprintf(f, "],\n \"totalsTableFullPackets\": %llu, \"totalsTableFullBytes\": %llu,",
		(unsigned long long)s->stats.total_fail_packets,
		(unsigned long long)s->stats.total_fail_bytes);
	fprintf(f, "\n \"maxEntries\": %u, \"flowsInserted\": %llu, \"evictedFlows\": %" PRIu64
		   ", \"notInFlowTablePackets\": %llu, \"flowsInTable\": %zu, \"flowsInCachesOnly\": %zu}\n",
		r->opts->max_entries, (unsigned long long)s->stats.inserted, flows_evicted(s),
		(unsigned long long)s->stats.flow_fail, s->nr_table, s->nr - s->nr_table);
	return ferror(f) ? -EIO : 0;
}
