// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting core, reading side: one collection turns the kernel's
 * tables and per-thread records into host, per-application, per-cgroup and
 * per-process totals (layout and kernel design: core/acct.h).
 *
 * Order of a collection, against the direction counts move in the kernel
 * (record -> table -> ring buffer):
 *   1. retired epochs (ring buffer), 2. host totals and the epochs and
 *   cgroups tables, 3. folded records (ring buffer): their copies are
 *   dropped, 4. the dirty set: records that counted since they were last
 *   copied, 5. now and then a walk of every task, which copies every record
 *   again (and counts zombies).
 * Read in that order, a count that moves while a collection runs can be
 * missed by it, never seen twice. Totals are recomputed at every collection
 * and shown as the largest value seen so far: what one reading missed, the
 * next one has, and nothing shown goes down.
 *
 * User space keeps a copy of every live record and, per application, cgroup
 * and the host, the sum of those copies, updated as copies change: an idle
 * thread costs nothing at a collection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/accounting_int.h"
#include "core/apps_groups.h"
#include "core/cgroup_names.h"

/* Rows of removed cgroups stay this long (seconds), then go from the output. */
#define APP_OTHER "other"
/* A walk of every task may take this share of one CPU at most (it runs less often). */
#define WALK_DUTY 0.002
#define ITER_BUF (256 * 1024)

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* ---- an index over array positions --------------------------------------- */

typedef uint64_t (*hash_item_fn)(void *ctx, uint32_t i);
typedef bool (*eq_fn)(void *ctx, uint32_t i, const void *key);

/* Room for @want items at half load, re-inserting what is there; -ENOMEM. */
static int index_reserve(struct index *ix, size_t want, void *ctx, hash_item_fn hash_item)
{
	uint32_t cap = ix->cap ? ix->cap : 64, *slot;

	if (want * 2 < ix->cap)
		return 0;
	while (cap < want * 2)
		cap *= 2;
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (uint32_t s = 0; s < ix->cap; s++) {
		uint32_t item = ix->slot[s], j;

		if (!item)
			continue;
		j = (uint32_t)hash_item(ctx, item - 1) & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = item;
	}
	free(ix->slot);
	ix->slot = slot;
	ix->cap = cap;
	return 0;
}

/* The slot of the item matching @key (per @eq), or the empty one to put it in. */
static uint32_t *index_probe(struct index *ix, uint64_t h, void *ctx, eq_fn eq, const void *key)
{
	uint32_t j = (uint32_t)h & (ix->cap - 1);

	while (ix->slot[j] && !eq(ctx, ix->slot[j] - 1, key))
		j = (j + 1) & (ix->cap - 1);
	return &ix->slot[j];
}

/* Empty @slot, shifting back what follows so that probes still find it (no tombstones). */
static void index_remove(struct index *ix, uint32_t *slot, void *ctx, hash_item_fn hash_item)
{
	uint32_t mask = ix->cap - 1, i = (uint32_t)(slot - ix->slot), j = i;

	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (!ix->slot[j])
			break;
		home = (uint32_t)hash_item(ctx, ix->slot[j] - 1) & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			ix->slot[i] = ix->slot[j];
			i = j;
		}
	}
	ix->slot[i] = 0;
}

static void index_clear(struct index *ix)
{
	if (ix->slot)
		memset(ix->slot, 0, ix->cap * sizeof(*ix->slot));
}

/* Room for one more element in *arr; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * size);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

static void add_counts(__u64 *dst, const __u64 *src, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dst[i] += src[i];
}

/* Unsigned arithmetic: taking away exactly what was added is exact. */
static void take_counts(__u64 *dst, const __u64 *src, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dst[i] -= src[i];
}

static void show_max(__u64 *shown, const __u64 *truth)
{
	for (int i = 0; i < ACCT_ALL_SLOTS; i++)
		if (truth[i] > shown[i])
			shown[i] = truth[i];
}

/* ---- applications, by name ----------------------------------------------- */

static uint64_t app_hash(void *ctx, uint32_t i)
{
	struct acct *a = ctx;

	return hash_bytes(a->apps_v[i].name, strlen(a->apps_v[i].name));
}

static bool app_eq(void *ctx, uint32_t i, const void *key)
{
	return !strcmp(((struct acct *)ctx)->apps_v[i].name, key);
}

static void app_reindex(struct acct *a)
{
	index_clear(&a->app_ix);
	for (size_t i = 0; i < a->nr_apps; i++)
		*index_probe(&a->app_ix, app_hash(a, (uint32_t)i), a, app_eq, a->apps_v[i].name) =
			(uint32_t)i + 1;
}

/*
 * The application called @name, made on first use; -1 when out of memory.
 * With apps_max rows made, a new name goes to "other" (*@overflow set).
 */
static long app_get(struct acct *a, const char *name, bool *overflow)
{
	struct app_acc *app;
	uint32_t *s;

	if (index_reserve(&a->app_ix, a->nr_apps + 1, a, app_hash))
		return -1;
	s = index_probe(&a->app_ix, hash_bytes(name, strlen(name)), a, app_eq, name);
	if (*s)
		return *s - 1;
	if (a->nr_apps >= a->apps_max + (a->other_app >= 0) && strcmp(name, APP_OTHER)) {
		*overflow = true;
		return app_get(a, APP_OTHER, overflow);
	}
	if (!grow((void **)&a->apps_v, &a->cap_apps, a->nr_apps, sizeof(*a->apps_v)))
		return -1;
	app = &a->apps_v[a->nr_apps];
	memset(app, 0, sizeof(*app));
	snprintf(app->name, sizeof(app->name), "%s", name);
	app->active_at = a->now;
	if (!strcmp(name, APP_OTHER))
		a->other_app = (long)a->nr_apps;
	*s = (uint32_t)++a->nr_apps;
	return (long)a->nr_apps - 1;
}

static uint64_t comm_hash(void *ctx, uint32_t i)
{
	return hash_bytes(((struct acct *)ctx)->comms[i].comm, ACCT_COMM_LEN);
}

static bool comm_eq(void *ctx, uint32_t i, const void *key)
{
	return !memcmp(((struct acct *)ctx)->comms[i].comm, key, ACCT_COMM_LEN);
}

static void comm_reindex(struct acct *a)
{
	index_clear(&a->comm_ix);
	for (size_t i = 0; i < a->nr_comms; i++)
		*index_probe(&a->comm_ix, comm_hash(a, (uint32_t)i), a, comm_eq, a->comms[i].comm) =
			(uint32_t)i + 1;
}

/* The application of process name @comm (apps groups matched once per name); -1 on ENOMEM. */
static long app_of(struct acct *a, const char comm[ACCT_COMM_LEN])
{
	char name[ACCT_COMM_LEN + 1];
	bool overflow = false;
	struct comm_app *ca;
	uint32_t *s;
	long app;

	if (index_reserve(&a->comm_ix, a->nr_comms + 1, a, comm_hash))
		return -1;
	s = index_probe(&a->comm_ix, hash_bytes(comm, ACCT_COMM_LEN), a, comm_eq, comm);
	if (*s) {
		ca = &a->comms[*s - 1];
		ca->used_at = a->now;
		a->apps_v[ca->app].active_at = a->now;
		return ca->app;
	}
	memcpy(name, comm, ACCT_COMM_LEN);
	name[ACCT_COMM_LEN] = 0;
	app = app_get(a, name[0] ? apps_groups_match(a->groups, name) : "unknown", &overflow);
	if (app < 0 || !grow((void **)&a->comms, &a->cap_comms, a->nr_comms, sizeof(*a->comms)))
		return -1;
	a->apps_overflow += overflow;
	ca = &a->comms[a->nr_comms];
	memcpy(ca->comm, comm, ACCT_COMM_LEN);
	ca->app = (uint32_t)app;
	ca->used_at = a->now;
	a->apps_v[app].active_at = a->now;
	*s = (uint32_t)++a->nr_comms;
	return app;
}

/*
 * Drop the rows of applications with no process left and nothing counted for
 * a->retention, and the remembered names not used for as long, so that rows
 * and names follow what runs, not everything that ever ran. Rows move: live
 * copies and names are pointed at the new places.
 */
static void retire_apps(struct acct *a, double now)
{
	bool apps_go = false, names_go = false;
	int32_t *moved_to;
	size_t kept = 0;

	for (size_t i = 0; i < a->nr_apps; i++) {
		struct app_acc *app = &a->apps_v[i];

		if (app->nlive || app->in_table || app->in_sock)
			app->active_at = now;
		else if (now - app->active_at > a->retention)
			apps_go = true;
	}
	for (size_t i = 0; i < a->nr_comms && !names_go; i++)
		names_go = now - a->comms[i].used_at > a->retention;
	if (!apps_go && !names_go)
		return;
	/* Out of memory: try again at the next collection. */
	moved_to = malloc((a->nr_apps ? a->nr_apps : 1) * sizeof(*moved_to));
	if (!moved_to)
		return;
	a->other_app = -1;
	for (size_t i = 0; i < a->nr_apps; i++) {
		struct app_acc *app = &a->apps_v[i];

		if (!app->nlive && !app->in_table && !app->in_sock &&
		    now - app->active_at > a->retention) {
			moved_to[i] = -1;
			a->apps_retired++;
			continue;
		}
		if (!strcmp(app->name, APP_OTHER))
			a->other_app = (long)kept;
		moved_to[i] = (int32_t)kept;
		a->apps_v[kept++] = *app;
	}
	a->nr_apps = kept;
	app_reindex(a);
	/* A live copy's application has a live record: it stayed. */
	for (size_t i = 0; i < a->nr_live; i++)
		if (a->live[i].id.tid && a->live[i].app >= 0)
			a->live[i].app = moved_to[a->live[i].app];
	kept = 0;
	for (size_t i = 0; i < a->nr_comms; i++) {
		struct comm_app *ca = &a->comms[i];

		if (moved_to[ca->app] < 0 || now - ca->used_at > a->retention)
			continue;
		ca->app = (uint32_t)moved_to[ca->app];
		a->comms[kept++] = *ca;
	}
	a->nr_comms = kept;
	comm_reindex(a);
	free(moved_to);
}

/* ---- cgroups, by id -------------------------------------------------------- */

static uint64_t cg_hash(void *ctx, uint32_t i)
{
	return hash_bytes(&((struct acct *)ctx)->cgs[i].id, sizeof(uint64_t));
}

static bool cg_eq(void *ctx, uint32_t i, const void *key)
{
	return ((struct acct *)ctx)->cgs[i].id == *(const uint64_t *)key;
}

static void cg_reindex(struct acct *a)
{
	index_clear(&a->cg_ix);
	for (size_t i = 0; i < a->nr_cgs; i++)
		*index_probe(&a->cg_ix, cg_hash(a, (uint32_t)i), a, cg_eq, &a->cgs[i].id) =
			(uint32_t)i + 1;
}

/* The path of a cgroup removed lately, from the kernel's event, or NULL. */
static const char *gone_path(const struct acct *a, uint64_t id)
{
	unsigned int n = a->nr_gone < 64 ? a->nr_gone : 64;

	for (unsigned int i = 0; i < n; i++)
		if (a->gone[i].id == id)
			return a->gone[i].path;
	return NULL;
}

static struct cg_acc *cg_get(struct acct *a, uint64_t id)
{
	const char *gone;
	struct cg_acc *c;
	uint32_t *s;

	if (index_reserve(&a->cg_ix, a->nr_cgs + 1, a, cg_hash))
		return NULL;
	s = index_probe(&a->cg_ix, hash_bytes(&id, sizeof(id)), a, cg_eq, &id);
	if (*s)
		return &a->cgs[*s - 1];
	if (!grow((void **)&a->cgs, &a->cap_cgs, a->nr_cgs, sizeof(*a->cgs)))
		return NULL;
	c = &a->cgs[a->nr_cgs];
	memset(c, 0, sizeof(*c));
	c->id = id;
	gone = gone_path(a, id);
	if (gone)
		snprintf(c->path, sizeof(c->path), "%s", gone);
	else
		cgroup_names_lookup(a->cgnames, id, c->path, sizeof(c->path));
	*s = (uint32_t)++a->nr_cgs;
	return c;
}

/* A cgroup was removed: name its row (or remember the name for a row to come). */
static int on_cgroup_gone(void *ctx, void *data, size_t size)
{
	struct acct *a = ctx;
	const struct acct_cgroup_gone *g = data;
	struct acct_cgroup_gone *slot;
	uint32_t *s;

	if (size < sizeof(*g))
		return 0;
	if (a->cg_ix.cap) {
		s = index_probe(&a->cg_ix, hash_bytes(&g->id, sizeof(g->id)), a, cg_eq, &g->id);
		if (*s) {
			struct cg_acc *c = &a->cgs[*s - 1];

			if (!strncmp(c->path, "id:", 3))
				snprintf(c->path, sizeof(c->path), "%.*s", ACCT_CGROUP_PATH_LEN,
					 g->path);
			if (!c->gone_at)
				c->gone_at = now_mono();
		}
	}
	slot = &a->gone[a->nr_gone++ % 64];
	*slot = *g;
	slot->path[ACCT_CGROUP_PATH_LEN - 1] = 0;
	return 0;
}

/* ---- copies of the live records ------------------------------------------- */

static uint64_t live_hash(void *ctx, uint32_t i)
{
	return hash_bytes(&((struct acct *)ctx)->live[i].id, sizeof(struct acct_tid));
}

static bool live_eq(void *ctx, uint32_t i, const void *key)
{
	return !memcmp(&((struct acct *)ctx)->live[i].id, key, sizeof(struct acct_tid));
}

/* Add (or take away) copy @e in the sums it counts in. */
static void live_apply(struct acct *a, const struct live_entry *e, bool add)
{
	void (*op)(__u64 *, const __u64 *, unsigned int) = add ? add_counts : take_counts;
	struct cg_acc *c;

	op(a->host_live, e->c, ACCT_REC_SLOTS);
	op(a->host_live + ACCT_SLOTS, e->sc, SOCK_REC_SLOTS);
	if (a->apps && e->app >= 0) {
		op(a->apps_v[e->app].live, e->c, ACCT_REC_SLOTS);
		op(a->apps_v[e->app].live + ACCT_SLOTS, e->sc, SOCK_REC_SLOTS);
		a->apps_v[e->app].nlive += add ? 1 : -1;
	} else if (a->apps) {
		op(a->unattr_live, e->c, ACCT_REC_SLOTS);
		op(a->unattr_live + ACCT_SLOTS, e->sc, SOCK_REC_SLOTS);
	}
	if (a->cgroups && e->cgid && (c = cg_get(a, e->cgid))) {
		op(c->live, e->c, ACCT_REC_SLOTS);
		op(c->live + ACCT_SLOTS, e->sc, SOCK_REC_SLOTS);
		c->nlive += add ? 1 : -1;
	}
}

/* A record as the kernel has it now: replace our copy. */
static void live_upsert(struct acct *a, const struct acct_live *l)
{
	struct live_entry *e;
	uint32_t *s, i;

	if (index_reserve(&a->live_ix, a->nr_live + 1, a, live_hash))
		return;
	s = index_probe(&a->live_ix, hash_bytes(&l->id, sizeof(l->id)), a, live_eq, &l->id);
	if (*s) {
		e = &a->live[*s - 1];
		if (l->seq < e->seq)
			return; /* older than our copy */
		live_apply(a, e, false);
	} else {
		if (a->nr_free) {
			i = a->free_live[--a->nr_free];
		} else {
			if (!grow((void **)&a->live, &a->cap_live, a->nr_live, sizeof(*a->live)))
				return;
			i = (uint32_t)a->nr_live++;
		}
		*s = i + 1;
		e = &a->live[i];
	}
	e->id = l->id;
	e->seq = l->seq;
	e->key = l->key;
	e->cgid = l->cgid;
	memcpy(e->c, l->c, sizeof(e->c));
	memcpy(e->sc, l->sc, sizeof(e->sc));
	e->app = a->apps && l->key.tgid ? (int32_t)app_of(a, l->key.comm) : -1;
	live_apply(a, e, true);
}

/* The record folded (seq @f->seq): its counts are in the tables now, drop a copy made before. */
static int on_fold(void *ctx, void *data, size_t size)
{
	const struct acct_fold *f = data;
	struct acct *a = ctx;
	struct live_entry *e;
	uint32_t *s, i;

	if (size < sizeof(*f) || !a->live_ix.cap)
		return 0;
	s = index_probe(&a->live_ix, hash_bytes(&f->id, sizeof(f->id)), a, live_eq, &f->id);
	if (!*s)
		return 0;
	i = *s - 1;
	e = &a->live[i];
	if (e->seq >= f->seq)
		return 0; /* copied after that fold (a rename): still live */
	live_apply(a, e, false);
	index_remove(&a->live_ix, s, a, live_hash);
	memset(e, 0, sizeof(*e));
	/* Out of memory for the free list: the slot stays unused, no harm done. */
	if (grow((void **)&a->free_live, &a->cap_free, a->nr_free, sizeof(*a->free_live)))
		a->free_live[a->nr_free++] = i;
	return 0;
}

/* Forget every copy (a full walk makes them again). */
static void live_clear(struct acct *a)
{
	memset(a->host_live, 0, sizeof(a->host_live));
	memset(a->unattr_live, 0, sizeof(a->unattr_live));
	for (size_t i = 0; i < a->nr_apps; i++) {
		memset(a->apps_v[i].live, 0, sizeof(a->apps_v[i].live));
		a->apps_v[i].nlive = 0;
	}
	for (size_t i = 0; i < a->nr_cgs; i++) {
		memset(a->cgs[i].live, 0, sizeof(a->cgs[i].live));
		a->cgs[i].nlive = 0;
	}
	index_clear(&a->live_ix);
	a->nr_live = a->nr_free = 0;
}

/* ---- kernel reads ------------------------------------------------------- */

int acct_drain_iter(struct acct *a, struct bpf_link *link,
		    void (*each)(struct acct *a, const struct acct_live *l))
{
	int fd = bpf_iter_create(bpf_link__fd(link));
	size_t have = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, a->iter_buf + have, ITER_BUF - have)) > 0) {
		size_t whole;

		have += (size_t)n;
		whole = have / sizeof(struct acct_live) * sizeof(struct acct_live);
		for (size_t off = 0; each && off < whole; off += sizeof(struct acct_live)) {
			struct acct_live l;

			memcpy(&l, a->iter_buf + off, sizeof(l));
			each(a, &l);
		}
		memmove(a->iter_buf, a->iter_buf + whole, have - whole);
		have -= whole;
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Sum a one-slot per-CPU array of @size-byte values (u64s) into @sum. */
static int read_percpu(struct acct *a, const struct bpf_map *map, __u64 *sum, size_t size)
{
	uint32_t zero = 0;
	size_t n = size / sizeof(__u64);

	if (bpf_map_lookup_elem(bpf_map__fd(map), &zero, a->percpu_buf))
		return -errno;
	memset(sum, 0, size);
	for (int cpu = 0; cpu < a->nr_cpus; cpu++)
		add_counts(sum, (const __u64 *)a->percpu_buf + (size_t)cpu * n, (unsigned int)n);
	return 0;
}

struct kv_ref {
	const char *key;
	size_t i;
};

static int cmp_kv(const void *x, const void *y, void *ksize)
{
	const struct kv_ref *p = x, *q = y;
	int c = memcmp(p->key, q->key, *(size_t *)ksize);

	return c ? c : (p->i > q->i) - (p->i < q->i);
}

/* Keep the first of each key (and its value) in @keys/@vals; returns the new count. */
static size_t drop_repeated_keys(void *keys, size_t ksize, void *vals, size_t vsize, size_t n)
{
	struct kv_ref *r = malloc((n ? n : 1) * sizeof(*r));
	char *keep = calloc(n ? n : 1, 1);
	size_t out = 0;

	if (!r || !keep) {
		free(r);
		free(keep);
		return n;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (struct kv_ref){ (const char *)keys + i * ksize, i };
	qsort_r(r, n, sizeof(*r), cmp_kv, &ksize);
	for (size_t i = 0; i < n; i++)
		keep[r[i].i] = !i || memcmp(r[i].key, r[i - 1].key, ksize);
	for (size_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		memmove((char *)keys + out * ksize, (char *)keys + i * ksize, ksize);
		memmove((char *)vals + out * vsize, (char *)vals + i * vsize, vsize);
		out++;
	}
	free(keep);
	free(r);
	return out;
}

/*
 * Every entry of hash map @fd into @keys/@vals (room for @cap), deleting
 * them with @take: in batches, or key by key where the kernel has no batch
 * operations. Returns the count or -errno; the end of the map is not an
 * error, any other failure is.
 */
static long read_table(int fd, void *keys, size_t ksize, void *vals, size_t vsize, size_t cap,
		       bool take)
{
	uint32_t in = 0, out = 0;
	size_t n = 0;
	bool first = true;
	char prev[64], key[64];
	int err;

	/* EBPFMON_TEST_NO_BATCH: read key by key, as on kernels without batch operations. */
	if (getenv("EBPFMON_TEST_NO_BATCH"))
		goto key_by_key;
	while (n < cap) {
		uint32_t count = (uint32_t)(cap - n);
		void *k = (char *)keys + n * ksize, *v = (char *)vals + n * vsize;

		err = take ? bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, k, v,
							      &count, NULL)
			   : bpf_map_lookup_batch(fd, first ? NULL : &in, &out, k, v, &count, NULL);
		n += count;
		if (err == -ENOENT)
			return (long)n;
		if (err && first && (err == -EINVAL || err == -EOPNOTSUPP || err == -524))
			goto key_by_key;
		if (err)
			return err;
		in = out;
		first = false;
	}
	return (long)n;

key_by_key:
	n = 0;
	for (void *p = NULL; n < cap; p = take ? NULL : prev) {
		err = bpf_map_get_next_key(fd, p, key);
		if (err == -ENOENT)
			break;
		if (err)
			return err;
		memcpy(prev, key, ksize);
		err = take ? bpf_map_lookup_and_delete_elem(fd, key, (char *)vals + n * vsize)
			   : bpf_map_lookup_elem(fd, key, (char *)vals + n * vsize);
		if (err == -ENOENT)
			continue; /* deleted since */
		if (err)
			return err;
		memcpy((char *)keys + n * ksize, key, ksize);
		n++;
	}
	/* A key deleted under the walk restarts it from the first bucket: drop repeats. */
	return (long)drop_repeated_keys(keys, ksize, vals, vsize, n);
}

static int on_retired(void *ctx, void *data, size_t size)
{
	struct acct *a = ctx;
	const struct acct_retired *r = data;
	long app;

	if (size < sizeof(*r))
		return 0;
	a->retired_epochs++;
	app = a->apps ? app_of(a, r->key.comm) : -1;
	if (app >= 0)
		add_counts(a->apps_v[app].retired, r->c, ACCT_SLOTS);
	return 0;
}

/* A count made after its epoch retired (a release): it joins the retired totals. */
static int on_late(void *ctx, void *data, size_t size)
{
	struct acct *a = ctx;
	const struct acct_late *l = data;
	long app;

	if (size < sizeof(*l) || l->slot >= ACCT_SLOTS)
		return 0;
	app = a->apps ? app_of(a, l->key.comm) : -1;
	if (app >= 0)
		a->apps_v[app].retired[l->slot] += l->v;
	return 0;
}

static struct ep_row *ep_get(struct acct *a, const struct acct_key *k);

static int read_epochs(struct acct *a)
{
	int fd = bpf_map__fd(a->skel->maps.epochs);
	long n = read_table(fd, a->tkeys, sizeof(*a->tkeys), a->tvals, sizeof(*a->tvals), a->tcap,
			    false);

	if (n < 0)
		return (int)n;
	a->epochs_in_table = (uint64_t)n;
	for (long i = 0; i < n; i++) {
		const struct acct_key *k = &a->tkeys[i];
		const struct acct_epoch *v = &a->tvals[i];
		long app = app_of(a, k->comm);
		struct ep_row *e;

		if (v->refs < 0) {
			struct acct_epoch final;

			/*
			 * Retired with the ring buffer full: ours to take (else it is on
			 * its way). Taken again with the deletion: the batch copy may
			 * have read the flag before the last counts (a memcpy is not
			 * ordered), a copy made after seeing the flag is complete.
			 */
			if (!(v->flags & ACCT_EPOCH_RETIRE_BY_USER) ||
			    bpf_map_lookup_and_delete_elem(fd, k, &final))
				continue;
			a->retired_epochs++;
			if (app >= 0)
				add_counts(a->apps_v[app].retired, final.c, ACCT_SLOTS);
			continue;
		}
		if (app >= 0) {
			add_counts(a->apps_v[app].table, v->c, ACCT_SLOTS);
			a->apps_v[app].in_table = true;
		}
		if (a->pids && (e = ep_get(a, k)))
			add_counts(e->c, v->c, ACCT_SLOTS);
	}
	return 0;
}

static int read_cgroups(struct acct *a)
{
	long n = read_table(bpf_map__fd(a->skel->maps.cgroups), a->cg_keys, sizeof(*a->cg_keys),
			    a->cg_vals, sizeof(*a->cg_vals), a->cg_cap, false);

	if (n < 0)
		return (int)n;
	for (long i = 0; i < n; i++) {
		struct cg_acc *c = cg_get(a, a->cg_keys[i]);

		if (c) {
			memcpy(c->table, a->cg_vals[i].c, sizeof(a->cg_vals[i].c));
			c->in_table = true;
		}
	}
	return 0;
}

/*
 * The socket module's tables: per process (by epoch), unattributed and per
 * cgroup, in the slots after the core's; the host is their sum. A process entry whose epoch has
 * left the epochs table belongs to a process that is gone: its counts join
 * the application's retired totals and the entry goes (taken and deleted
 * in one step, so nothing counted in between is lost; a count that comes
 * later, a retransmit of a dead process's connection, makes a new entry).
 */
static int read_sockets(struct acct *a)
{
	__u64 *host = a->host_table + ACCT_SLOTS, *unattr = a->unattr_table + ACCT_SLOTS;
	int efd = bpf_map__fd(a->skel->maps.epochs), fd;
	struct acct_epoch ev;
	long n;
	int err;

	err = read_percpu(a, a->skel->maps.sock_unattr, unattr, sizeof(struct sock_counts));
	if (!err)
		err = read_percpu(a, a->skel->maps.sock_lost, (__u64 *)&a->sock_lost,
				  sizeof(a->sock_lost));
	if (err)
		return err;
	memset(host, 0, SOCK_SLOTS * sizeof(__u64));
	for (size_t i = 0; i < a->nr_apps; i++) {
		memset(a->apps_v[i].table + ACCT_SLOTS, 0, SOCK_SLOTS * sizeof(__u64));
		a->apps_v[i].in_sock = false;
	}
	if (a->apps) {
		fd = bpf_map__fd(a->skel->maps.sock_procs);
		n = read_table(fd, a->sk_keys, sizeof(*a->sk_keys), a->sk_vals, sizeof(*a->sk_vals),
			       a->sk_cap, false);
		if (n < 0)
			return (int)n;
		for (long i = 0; i < n; i++) {
			const struct acct_key *k = &a->sk_keys[i];
			long app = app_of(a, k->comm);
			struct sock_counts final;
			struct ep_row *e;

			if (bpf_map_lookup_elem(efd, k, &ev) && errno == ENOENT &&
			    !bpf_map_lookup_and_delete_elem(fd, k, &final)) {
				add_counts(a->sock_retired_total, final.c, SOCK_SLOTS);
				if (app >= 0)
					add_counts(a->apps_v[app].retired + ACCT_SLOTS, final.c,
						   SOCK_SLOTS);
				continue;
			}
			add_counts(host, a->sk_vals[i].c, SOCK_SLOTS);
			if (app >= 0) {
				add_counts(a->apps_v[app].table + ACCT_SLOTS, a->sk_vals[i].c, SOCK_SLOTS);
				a->apps_v[app].in_sock = true;
			}
			if (a->pids && (e = ep_get(a, k)))
				add_counts(e->c + ACCT_SLOTS, a->sk_vals[i].c, SOCK_SLOTS);
		}
	}
	/* The host: what live processes have (above), gone ones had, and no process took. */
	add_counts(host, a->sock_retired_total, SOCK_SLOTS);
	add_counts(host, unattr, SOCK_SLOTS);
	if (a->cgroups) {
		n = read_table(bpf_map__fd(a->skel->maps.sock_cgroups), a->skcg_keys,
			       sizeof(*a->skcg_keys), a->skcg_vals, sizeof(*a->skcg_vals), a->cg_cap,
			       false);
		if (n < 0)
			return (int)n;
		for (long i = 0; i < n; i++) {
			struct cg_acc *c = cg_get(a, a->skcg_keys[i]);

			if (c) {
				memcpy(c->table + ACCT_SLOTS, a->skcg_vals[i].c, sizeof(a->skcg_vals[i].c));
				c->in_table = true;
			}
		}
	}
	return 0;
}

/*
 * Copy the records that counted since the last round, then empty the dirty
 * set but for the entries of the last two rounds (a record is copied at two
 * collections after it counts: the second makes sure no store of the first
 * round was still on its way).
 */
static int dirty_pass(struct acct *a)
{
	int fd = bpf_map__fd(a->skel->maps.dirty);
	long n;
	int err;

	a->round++;
	__atomic_store_n(&a->skel->bss->cur_round, a->round, __ATOMIC_SEQ_CST);
	err = acct_drain_iter(a, a->dirty_link, live_upsert);
	if (err)
		return err;
	n = read_table(fd, a->dkeys, sizeof(*a->dkeys), a->dvals, sizeof(*a->dvals), a->dcap, true);
	if (n < 0)
		return (int)n;
	a->dirty_kept = 0;
	for (long i = 0; i < n; i++) {
		if (a->dvals[i] + 1 < a->round)
			continue;
		a->dirty_kept++;
		/* Not over one whose thread put it back meanwhile: that one is newer. */
		if (bpf_map_update_elem(fd, &a->dkeys[i], &a->dvals[i], BPF_NOEXIST) &&
		    errno != EEXIST)
			__atomic_store_n(&a->skel->bss->resync, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* Copy every record again, count the zombies; keep such walks under WALK_DUTY of a CPU. */
static int full_walk(struct acct *a)
{
	double t0 = now_mono();
	int err;

	live_clear(a);
	a->skel->bss->iter_zombies = 0;
	a->skel->bss->iter_records = 0;
	err = acct_drain_iter(a, a->live_link, live_upsert);
	if (err)
		return err;
	a->zombies = a->skel->bss->iter_zombies;
	a->walk_seconds = now_mono() - t0;
	a->next_walk = t0 + a->walk_seconds / WALK_DUTY;
	a->walks++;
	return 0;
}

static int by_gone_at(const void *x, const void *y)
{
	double a = ((const struct cg_acc *)x)->gone_at, b = ((const struct cg_acc *)y)->gone_at;

	/* Rows still there (0) last; of the gone ones, the longest gone first. */
	if (!a || !b)
		return !a - !b;
	return (a > b) - (a < b);
}

/*
 * A cgroup that is gone and that no live record counts in: take its entry
 * out of the kernel table (its counts stay in the row), and drop the row
 * once it has been gone for the retention, or sooner, the longest gone
 * first, when there are more rows than `cgroup table size`.
 */
static void prune_cgroups(struct acct *a, double now)
{
	int fd = bpf_map__fd(a->skel->maps.cgroups);
	bool reordered = false;
	size_t kept = 0;

	for (size_t i = 0; i < a->nr_cgs; i++) {
		struct cg_acc *c = &a->cgs[i];
		struct acct_counts v;

		/* Only a kernel entry nothing live counts in can be a removed cgroup's. */
		if (c->in_table && !c->nlive && !c->gone_at &&
		    cgroup_names_alive(a->cgnames, c->id, c->path) == 0)
			c->gone_at = now;
		if (c->gone_at && c->in_table && !c->nlive &&
		    bpf_map_lookup_and_delete_elem(fd, &c->id, &v) == 0) {
			add_counts(c->retired, v.c, ACCT_SLOTS);
			memset(c->table, 0, ACCT_SLOTS * sizeof(__u64));
		}
		if (c->gone_at && c->in_table && !c->nlive && a->sockets) {
			struct sock_counts sv;

			if (!bpf_map_lookup_and_delete_elem(bpf_map__fd(a->skel->maps.sock_cgroups),
							    &c->id, &sv)) {
				add_counts(c->retired + ACCT_SLOTS, sv.c, SOCK_SLOTS);
				memset(c->table + ACCT_SLOTS, 0, sizeof(sv.c));
			}
		}
		if (c->gone_at && !c->nlive && now - c->gone_at > a->retention)
			continue;
		if (c->nlive)
			c->gone_at = 0; /* an id is never reused: it was only unreadable */
		a->cgs[kept++] = *c;
	}
	if (kept > a->cgroup_table_size) {
		size_t first = 0;

		qsort(a->cgs, kept, sizeof(*a->cgs), by_gone_at);
		while (kept - first > a->cgroup_table_size && a->cgs[first].gone_at)
			first++;
		memmove(a->cgs, a->cgs + first, (kept - first) * sizeof(*a->cgs));
		kept -= first;
		reordered = true;
	}
	if (kept != a->nr_cgs || reordered) {
		a->nr_cgs = kept;
		cg_reindex(a);
	}
}

/* -- per-process rows (only when a JSON snapshot wants them) -- */

static uint64_t ep_hash(void *ctx, uint32_t i)
{
	return hash_bytes(&((struct acct *)ctx)->eps[i].key, sizeof(struct acct_key));
}

static bool ep_eq(void *ctx, uint32_t i, const void *key)
{
	return !memcmp(&((struct acct *)ctx)->eps[i].key, key, sizeof(struct acct_key));
}

static struct ep_row *ep_get(struct acct *a, const struct acct_key *key)
{
	struct acct_key one = *key, *k = &one;
	struct ep_row *e;
	uint32_t *s;

	one.zero = 0; /* the generations of an epoch are one process */

	if (index_reserve(&a->ep_ix, a->nr_eps + 1, a, ep_hash))
		return NULL;
	s = index_probe(&a->ep_ix, hash_bytes(k, sizeof(*k)), a, ep_eq, k);
	if (*s)
		return &a->eps[*s - 1];
	if (!grow((void **)&a->eps, &a->cap_eps, a->nr_eps, sizeof(*a->eps)))
		return NULL;
	e = &a->eps[a->nr_eps];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	*s = (uint32_t)++a->nr_eps;
	return e;
}

static void pid_rows_from_live(struct acct *a)
{
	for (size_t i = 0; i < a->nr_live; i++) {
		const struct live_entry *l = &a->live[i];
		struct ep_row *e;

		if (l->id.tid && l->key.tgid && (e = ep_get(a, &l->key))) {
			add_counts(e->c, l->c, ACCT_REC_SLOTS);
			add_counts(e->c + ACCT_SLOTS, l->sc, SOCK_REC_SLOTS);
		}
	}
}

int acct_collect(struct acct *a)
{
	double t0 = a->now = now_mono();
	__u64 truth[ACCT_ALL_SLOTS];
	struct acct_gens gens;
	bool resync, epochs_moved, dirty_moved;
	int err;

	/* 1. Retired epochs. */
	if (ring_buffer__consume(a->rb) < 0)
		return -EIO;
	/* 2. Host totals and tables. */
	err = read_percpu(a, a->skel->maps.host, a->host_table, sizeof(struct acct_counts));
	if (!err)
		err = read_percpu(a, a->skel->maps.unattributed, a->unattr_table,
				  sizeof(struct acct_counts));
	if (!err)
		err = read_percpu(a, a->skel->maps.lost, (__u64 *)&a->lost, sizeof(a->lost));
	if (!err)
		err = read_percpu(a, a->skel->maps.gens, (__u64 *)&gens, sizeof(gens));
	if (err)
		return err;
	/* An idle machine changes neither table: then the last readings stand. */
	epochs_moved = !a->read_once || a->pids || gens.epochs != a->gens.epochs;
	dirty_moved = gens.dirty != a->gens.dirty || a->dirty_kept;
	a->gens = gens;
	if (epochs_moved) {
		for (size_t i = 0; i < a->nr_apps; i++) {
			memset(a->apps_v[i].table, 0, sizeof(a->apps_v[i].table));
			a->apps_v[i].in_table = false;
		}
		a->nr_eps = 0;
		index_clear(&a->ep_ix);
		if (a->apps && (err = read_epochs(a)))
			return err;
		a->read_once = true;
	}
	for (size_t i = 0; i < a->nr_cgs; i++) {
		memset(a->cgs[i].table, 0, sizeof(a->cgs[i].table));
		a->cgs[i].in_table = false;
	}
	if (a->cgroups && (err = read_cgroups(a)))
		return err;
	if (a->sockets && (err = read_sockets(a)))
		return err;

	/* 3.-5. The live records. */
	resync = __atomic_exchange_n(&a->skel->bss->resync, 0, __ATOMIC_SEQ_CST);
	if (ring_buffer__consume(a->rb_folds) < 0)
		return -EIO;
	if (!a->light && dirty_moved && (err = dirty_pass(a)))
		return err;
	if (a->light || resync || t0 >= a->next_walk)
		err = full_walk(a);
	if (err)
		return err;
	if (a->pids)
		pid_rows_from_live(a);

	/* Totals, never below what was shown. */
	memcpy(truth, a->host_table, sizeof(truth));
	add_counts(truth, a->host_live, ACCT_ALL_SLOTS);
	show_max(a->host_shown, truth);
	memcpy(truth, a->unattr_table, sizeof(truth));
	add_counts(truth, a->unattr_live, ACCT_ALL_SLOTS);
	show_max(a->unattr_shown, truth);
	for (size_t i = 0; i < a->nr_apps; i++) {
		struct app_acc *app = &a->apps_v[i];

		memcpy(truth, app->retired, sizeof(truth));
		add_counts(truth, app->table, ACCT_ALL_SLOTS);
		add_counts(truth, app->live, ACCT_ALL_SLOTS);
		show_max(app->shown, truth);
	}
	for (size_t i = 0; i < a->nr_cgs; i++) {
		struct cg_acc *c = &a->cgs[i];

		memcpy(truth, c->retired, sizeof(truth));
		add_counts(truth, c->table, ACCT_ALL_SLOTS);
		add_counts(truth, c->live, ACCT_ALL_SLOTS);
		show_max(c->shown, truth);
	}
	if (a->apps)
		retire_apps(a, t0);
	if (a->cgroups)
		prune_cgroups(a, t0);
	a->collect_seconds = now_mono() - t0;
	return 0;
}

/* ---- what the modules take ------------------------------------------------- */

/* Whether any of module @d's @nr slots is non-zero in @c. */
static bool any_slot(const struct acct_desc *d, unsigned int nr, const __u64 *c)
{
	for (unsigned int i = 0; i < nr; i++)
		if (c[d->slot_of[i]])
			return true;
	return false;
}

static void copy_slots(const struct acct_desc *d, unsigned int nr, const __u64 *c, uint64_t *v)
{
	for (unsigned int i = 0; i < nr; i++)
		v[i] = c[d->slot_of[i]];
}

int acct_module_collect(struct module_inst *mi, struct module_stats *next)
{
	const struct acct *a = mi->acct;
	const struct acct_desc *d = mi->mod->acct;
	unsigned int nr = mi->mod->nr_counters;
	uint64_t lost = 0;

	memset(next->host, 0, sizeof(next->host));
	copy_slots(d, nr, a->host_shown, next->host);
	if (d->zombies_def)
		next->host[d->zombies_def] = a->zombies;
	next->nr_apps = next->nr_cgroups = next->nr_pids = 0;
	for (size_t i = 0; i < a->nr_apps; i++) {
		const struct app_acc *app = &a->apps_v[i];
		struct app_row *row;

		if (!any_slot(d, nr, app->shown))
			continue;
		row = store_app_append(next);
		if (!row)
			return -ENOMEM;
		snprintf(row->name, sizeof(row->name), "%s", app->name);
		copy_slots(d, nr, app->shown, row->v);
	}
	for (size_t i = 0; i < a->nr_cgs; i++) {
		const struct cg_acc *c = &a->cgs[i];
		struct cgroup_row *row;

		if (!any_slot(d, nr, c->shown))
			continue;
		row = store_cgroup_append(next);
		if (!row)
			return -ENOMEM;
		row->id = c->id;
		snprintf(row->path, sizeof(row->path), "%s", c->path);
		copy_slots(d, nr, c->shown, row->v);
	}
	for (size_t i = 0; i < a->nr_eps; i++) {
		const struct ep_row *e = &a->eps[i];
		struct pid_row *row;

		if (!any_slot(d, nr, e->c))
			continue;
		row = store_pid_append(next);
		if (!row)
			return -ENOMEM;
		row->pid = e->key.tgid;
		memcpy(row->comm, e->key.comm, sizeof(row->comm));
		row->comm[sizeof(row->comm) - 1] = 0;
		copy_slots(d, nr, e->c, row->v);
	}
	/*
	 * Events no process got: the module's counts of events (not of bytes).
	 * A gauge (zombies) has no slot: its slot_of entry is a placeholder.
	 */
	for (unsigned int i = 0; i < nr; i++)
		if (mi->mod->defs[i].kind == COUNTER_TOTAL && !strstr(mi->mod->defs[i].name, "bytes"))
			lost += a->unattr_shown[d->slot_of[i]];
	next->lost_pid_table_full = a->apps ? lost : 0;
	next->lost_cgroup_table_full = a->lost.cgroup_table_full;
	return 0;
}

int acct_run_iter(struct acct *a, const char *prog)
{
	struct bpf_program *p = bpf_object__find_program_by_name(a->skel->obj, prog);
	struct bpf_link *link;
	int err;

	if (!p || !bpf_program__autoload(p))
		return -ENOENT;
	link = bpf_program__attach_iter(p, NULL);
	if (!link)
		return -errno;
	err = acct_drain_iter(a, link, NULL);
	bpf_link__destroy(link);
	return err;
}

int acct_map_fd(const struct acct *a, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->skel->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

__s64 *acct_conn_used(struct acct *a)
{
	return a->skel->bss->conn_used;
}

void acct_get_sock_lost(const struct acct *a, struct sock_lost *out)
{
	*out = a->sock_lost;
}

void acct_get_stats(const struct acct *a, struct acct_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->records = a->nr_live - a->nr_free;
	st->epochs = a->epochs_in_table;
	st->retired = a->retired_epochs;
	st->walks = a->walks;
	st->walk_seconds = a->walk_seconds;
	st->lost = a->lost;
	st->collect_seconds = a->collect_seconds;
	st->apps = a->nr_apps;
	st->apps_overflow = a->apps_overflow;
	st->apps_retired = a->apps_retired;
}

/* ---- set-up ------------------------------------------------------------------ */

int acct_read_init(struct acct *a, const struct config *cfg)
{
	a->tcap = a->apps ? cfg->pid_table_size : 0;
	a->cg_cap = a->cgroups ? cfg->cgroup_table_size : 0;
	a->dcap = cfg->pid_table_size;
	a->cgroup_table_size = cfg->cgroup_table_size;
	a->apps_max = cfg->apps_max;
	a->retention = cfg->series_retention;
	a->other_app = -1;
	a->now = now_mono();
	a->tkeys = malloc((a->tcap ? a->tcap : 1) * sizeof(*a->tkeys));
	a->tvals = malloc((a->tcap ? a->tcap : 1) * sizeof(*a->tvals));
	a->cg_keys = malloc((a->cg_cap ? a->cg_cap : 1) * sizeof(*a->cg_keys));
	a->cg_vals = malloc((a->cg_cap ? a->cg_cap : 1) * sizeof(*a->cg_vals));
	a->dkeys = malloc(a->dcap * sizeof(*a->dkeys));
	a->dvals = malloc(a->dcap * sizeof(*a->dvals));
	a->percpu_buf = calloc((size_t)(a->nr_cpus > 0 ? a->nr_cpus : 1), sizeof(struct acct_counts));
	if (a->sockets) {
		a->sk_cap = a->apps ? cfg->bandwidth_table_size : 0;
		a->sk_keys = malloc((a->sk_cap ? a->sk_cap : 1) * sizeof(*a->sk_keys));
		a->sk_vals = malloc((a->sk_cap ? a->sk_cap : 1) * sizeof(*a->sk_vals));
		a->skcg_keys = malloc((a->cg_cap ? a->cg_cap : 1) * sizeof(*a->skcg_keys));
		a->skcg_vals = malloc((a->cg_cap ? a->cg_cap : 1) * sizeof(*a->skcg_vals));
		if (!a->sk_keys || !a->sk_vals || !a->skcg_keys || !a->skcg_vals)
			return -ENOMEM;
	}
	a->iter_buf = malloc(ITER_BUF);
	if (!a->tkeys || !a->tvals || !a->cg_keys || !a->cg_vals || !a->dkeys || !a->dvals ||
	    !a->percpu_buf || !a->iter_buf || a->nr_cpus <= 0)
		return -ENOMEM;
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.retired), on_retired, a, NULL);
	if (!a->rb || ring_buffer__add(a->rb, bpf_map__fd(a->skel->maps.late), on_late, a) ||
	    ring_buffer__add(a->rb, bpf_map__fd(a->skel->maps.cgroups_gone), on_cgroup_gone, a))
		return -errno ? -errno : -ENOMEM;
	a->rb_folds = ring_buffer__new(bpf_map__fd(a->skel->maps.folds), on_fold, a, NULL);
	if (!a->rb_folds)
		return -errno ? -errno : -ENOMEM;
	/* Round 1: records that count from now on put themselves in the dirty set. */
	a->round = 1;
	a->skel->bss->cur_round = 1;
	return 0;
}

void acct_read_free(struct acct *a)
{
	ring_buffer__free(a->rb);
	ring_buffer__free(a->rb_folds);
	free(a->apps_v);
	free(a->app_ix.slot);
	free(a->comms);
	free(a->comm_ix.slot);
	free(a->cgs);
	free(a->cg_ix.slot);
	free(a->live);
	free(a->free_live);
	free(a->live_ix.slot);
	free(a->eps);
	free(a->ep_ix.slot);
	free(a->tkeys);
	free(a->tvals);
	free(a->cg_keys);
	free(a->cg_vals);
	free(a->dkeys);
	free(a->dvals);
	free(a->percpu_buf);
	free(a->iter_buf);
	free(a->sk_keys);
	free(a->sk_vals);
	free(a->skcg_keys);
	free(a->skcg_vals);
}
