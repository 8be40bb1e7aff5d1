// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting core, user half (core/accounting.h; the kernel side and the
 * whole design are described in core/acct.h).
 *
 * A collection reads, in this order: the ring buffer of retired epochs, the
 * per-CPU host totals, the epochs and cgroups tables, then every live record
 * through a task iterator. Counts only ever move from records to tables to
 * the ring buffer, so a reading made in that order can miss what moved while
 * it ran but never see it twice. Each total is recomputed from scratch every
 * collection and shown as the largest value seen so far: a count missed once
 * is in the next reading, and nothing shown ever goes down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/accounting.h" /* before the skeleton: its .rodata has our types */
#include "acct.skel.h"
#include "core/apps_groups.h"
#include "core/cgroup_names.h"
#include "core/kmem.h"

/* Rows of removed cgroups stay this long (seconds), then go from the output. */
#define CGROUP_RETENTION 300.0

/* ---- the core's own hooks ------------------------------------------------ */

static const struct hook_impl exit_impls[] = {
	{ "tp_btf", PROGS("exit_btf") },
	TRACEPOINTS("exit_tp"),
};
/* The classic rung has no task pointer: releases count for the host only. */
static const struct hook_impl free_impls[] = {
	{ "tp_btf", PROGS("free_btf") },
	TRACEPOINTS("free_tp"),
};
static const struct hook_impl live_impls[] = {
	{ "iter", PROGS("iter_live") },
};
static const struct hook_impl rename_impls[] = {
	{ "tp_btf", PROGS("rename_btf"), IMPL_LIGHT_ONLY },
};
static const struct hook_impl seed_impls[] = {
	{ "iter", PROGS("iter_seed"), IMPL_LIGHT_ONLY },
};
/* Without it, a cgroup removed within a collection keeps its id as its name. */
static const struct hook_impl rmdir_impls[] = {
	{ "tp_btf", PROGS("cgroup_rmdir_btf") },
};

enum { CORE_EXIT, CORE_FREE, CORE_LIVE, CORE_RENAME, CORE_SEED, CORE_RMDIR, CORE_NR_HOOKS };

const struct hook_def acct_core_hooks[] = {
	[CORE_EXIT] = HOOK("thread exit", exit_impls),
	[CORE_FREE] = HOOK("task freed", free_impls),
	[CORE_LIVE] = HOOK("live records", live_impls),
	[CORE_RENAME] = HOOK("rename (light)", rename_impls),
	[CORE_SEED] = HOOK("I/O baseline (light)", seed_impls),
	[CORE_RMDIR] = HOOK("cgroup removal", rmdir_impls),
};
const unsigned int acct_nr_core_hooks = CORE_NR_HOOKS;
_Static_assert(CORE_NR_HOOKS <= MAX_HOOKS, "core hooks fit a plan");

/* ---- planning ---------------------------------------------------------- */

/* Whether program @name of @obj attaches here; its section says where. */
static bool prog_ok(struct bpf_object *obj, const struct caps *caps, const char *name, char *why,
		    size_t len)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p) {
		snprintf(why, len, "program %s missing from the object", name);
		return false;
	}
	return caps_attach_point_ok(caps, bpf_program__section_name(p), why, len);
}

static bool impl_in_mode(const struct hook_impl *impl, enum load_mode mode)
{
	if (mode == LOAD_MODE_LIGHT)
		return impl->modes != IMPL_SYSCALL;
	return impl->modes != IMPL_LIGHT_ONLY;
}

/* Why a hook is not wanted in this mode, or NULL. */
static const char *hook_not_wanted(const struct hook_def *h, enum load_mode mode)
{
	bool any = false;

	if (h->needs_result && mode == LOAD_MODE_ENTRY)
		return "not needed in ebpf load mode = entry";
	if (h->needs_result && mode == LOAD_MODE_LIGHT)
		return "not counted in ebpf load mode = light (needs the syscall's result)";
	for (unsigned int i = 0; i < h->nr_impls; i++)
		any |= impl_in_mode(&h->impls[i], mode);
	if (any)
		return NULL;
	return mode == LOAD_MODE_LIGHT
		       ? "not counted in ebpf load mode = light (needs a syscall hook)"
		       : "only used in ebpf load mode = light";
}

/* Pick the first usable implementation of each hook. Returns how many hooks have one. */
static unsigned int plan_hooks(const struct hook_def *hooks, unsigned int n, struct bpf_object *obj,
			       const struct caps *caps, enum load_mode mode,
			       struct module_plan *plan)
{
	unsigned int usable = 0;

	memset(plan, 0, sizeof(*plan));
	for (unsigned int h = 0; h < n; h++) {
		const struct hook_def *hook = &hooks[h];
		const char *skip = hook_not_wanted(hook, mode);
		char *why = plan->why[h];

		plan->chosen[h] = -1;
		if (skip) {
			snprintf(why, sizeof(plan->why[h]), "%s", skip);
			continue;
		}
		for (unsigned int i = 0; i < hook->nr_impls && plan->chosen[h] < 0; i++) {
			const struct hook_impl *impl = &hook->impls[i];
			char reason[160] = "";
			size_t used = strlen(why);

			if (!impl_in_mode(impl, mode))
				continue;
			for (const char *const *p = impl->progs; *p; p++) {
				if (prog_ok(obj, caps, *p, reason, sizeof(reason))) {
					plan->chosen[h] = (int)i;
					break;
				}
			}
			if (plan->chosen[h] < 0)
				snprintf(why + used, sizeof(plan->why[h]) - used, "%s%s: %s",
					 used ? "; " : "", impl->label, reason);
		}
		if (plan->chosen[h] >= 0)
			usable++;
	}
	return usable;
}

int acct_module_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		      struct module_plan *plan)
{
	struct acct_bpf *skel = acct_bpf__open();
	unsigned int usable;

	if (!skel) {
		snprintf(plan->reason, sizeof(plan->reason), "cannot open BPF object: %s",
			 strerror(errno));
		return -EINVAL;
	}
	usable = plan_hooks(m->hooks, m->nr_hooks, skel->obj, caps, cfg->load_mode, plan);
	acct_bpf__destroy(skel);
	if (usable)
		return 0;
	if (cfg->load_mode == LOAD_MODE_LIGHT)
		snprintf(plan->reason, sizeof(plan->reason),
			 "ebpf load mode = light uses no syscall hook, and every hook of %s is one",
			 m->name);
	else
		snprintf(plan->reason, sizeof(plan->reason),
			 "no hook can be attached on this kernel: %s", plan->why[0]);
	return -EOPNOTSUPP;
}

void acct_plan_core(const struct caps *caps, const struct config *cfg, struct acct_plan *p)
{
	struct acct_bpf *skel = acct_bpf__open();
	struct module_plan *plan = &p->plan;
	bool light = cfg->load_mode == LOAD_MODE_LIGHT;

	p->usable = false;
	if (!skel) {
		snprintf(plan->reason, sizeof(plan->reason), "cannot open BPF object: %s",
			 strerror(errno));
		return;
	}
	plan_hooks(acct_core_hooks, CORE_NR_HOOKS, skel->obj, caps, cfg->load_mode, plan);
	acct_bpf__destroy(skel);
	if (!cfg->cgroups) {
		plan->chosen[CORE_RMDIR] = -1;
		snprintf(plan->why[CORE_RMDIR], sizeof(plan->why[CORE_RMDIR]),
			 "not needed with cgroups = no");
	}
	for (int h = 0; h < CORE_NR_HOOKS; h++) {
		bool needed = h == CORE_EXIT || h == CORE_LIVE ||
			      (light && (h == CORE_RENAME || h == CORE_SEED));

		if (needed && plan->chosen[h] < 0) {
			snprintf(plan->reason, sizeof(plan->reason), "%s: %s",
				 acct_core_hooks[h].name, plan->why[h]);
			return;
		}
	}
	p->usable = true;
}

/* ---- the running core ---------------------------------------------------- */

struct app_acc {
	char name[64];
	__u64 retired[ACCT_SLOTS]; /* totals of its retired epochs */
	__u64 truth[ACCT_SLOTS];   /* this collection's reading */
	__u64 shown[ACCT_SLOTS];   /* the largest reading so far */
};

struct cg_acc {
	uint64_t id;
	char path[256];
	__u64 retired[ACCT_SLOTS], truth[ACCT_SLOTS], shown[ACCT_SLOTS];
	bool in_table, live; /* seen in the kernel table / in a live record this collection */
	double gone_at;	     /* when the cgroup was found removed (0: not) */
};

/* An epoch this collection: table and live counts, for the per-process rows. */
struct ep_row {
	struct acct_key key;
	__u64 c[ACCT_SLOTS];
};

/* Open addressing over array indexes (+1; 0 is empty). */
struct index {
	uint32_t *slot;
	uint32_t cap; /* power of two */
	uint32_t n;
};

struct comm_app {
	char comm[ACCT_COMM_LEN];
	uint32_t app;
};

struct acct {
	struct acct_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	const char **link_names;
	unsigned int nr_links, cap_links;
	struct bpf_link *live_link;
	struct module_inst *up[STORE_MAX_MODULES];
	unsigned int nr_up;
	struct acct_syscall table[ACCT_MAX_SYSCALLS];

	bool apps, cgroups, light, pids;
	int nr_cpus;
	const struct apps_groups *groups;
	struct cgroup_names *cgnames;
	const struct caps *caps;

	/* persistent */
	struct app_acc *apps_v;
	size_t nr_apps, cap_apps;
	struct index app_ix;
	struct comm_app *comms;
	size_t nr_comms, cap_comms;
	struct index comm_ix;
	struct cg_acc *cgs;
	size_t nr_cgs, cap_cgs;
	struct index cg_ix;
	__u64 host_shown[ACCT_SLOTS], unattr_shown[ACCT_SLOTS];
	struct acct_cgroup_gone gone[64]; /* paths of recently removed cgroups, a ring */
	unsigned int nr_gone;
	uint64_t retired_epochs;
	uint64_t zombies;

	/* this collection */
	__u64 host_truth[ACCT_SLOTS], unattr_truth[ACCT_SLOTS];
	struct acct_lost lost;
	struct ep_row *eps;
	size_t nr_eps, cap_eps;
	struct index ep_ix;
	struct acct_key *tkeys; /* table read buffers */
	struct acct_epoch *tvals;
	size_t tcap;
	uint64_t *cg_keys;
	struct acct_counts *cg_vals;
	size_t cg_cap;
	void *percpu_buf;
	char *iter_buf;
	uint64_t records, epochs_in_table;
	double collect_seconds;
};

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

/* Grow @ix to hold @want items at half load; -ENOMEM. Items are re-inserted by @rehash. */
static int index_reserve(struct index *ix, size_t want, void *ctx,
			 uint64_t (*hash_item)(void *ctx, uint32_t i))
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
		uint32_t item = ix->slot[s];
		uint32_t j;

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

/* The slot for hash @h: the matching item's (per @eq), or the empty one to insert at. */
static uint32_t *index_probe(struct index *ix, uint64_t h, void *ctx,
			     bool (*eq)(void *ctx, uint32_t i, const void *key), const void *key)
{
	uint32_t j = (uint32_t)h & (ix->cap - 1);

	while (ix->slot[j] && !eq(ctx, ix->slot[j] - 1, key))
		j = (j + 1) & (ix->cap - 1);
	return &ix->slot[j];
}

static void index_clear(struct index *ix)
{
	if (ix->slot)
		memset(ix->slot, 0, ix->cap * sizeof(*ix->slot));
	ix->n = 0;
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

/* -- applications, by name -- */

static uint64_t app_hash(void *ctx, uint32_t i)
{
	struct acct *a = ctx;

	return hash_bytes(a->apps_v[i].name, strlen(a->apps_v[i].name));
}

static bool app_eq(void *ctx, uint32_t i, const void *key)
{
	return !strcmp(((struct acct *)ctx)->apps_v[i].name, key);
}

/* The application called @name, made on first use; -1 when out of memory. */
static long app_get(struct acct *a, const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name));
	uint32_t *s;

	if (index_reserve(&a->app_ix, a->nr_apps + 1, a, app_hash))
		return -1;
	s = index_probe(&a->app_ix, h, a, app_eq, name);
	if (*s)
		return *s - 1;
	if (!grow((void **)&a->apps_v, &a->cap_apps, a->nr_apps, sizeof(*a->apps_v)))
		return -1;
	memset(&a->apps_v[a->nr_apps], 0, sizeof(a->apps_v[0]));
	snprintf(a->apps_v[a->nr_apps].name, sizeof(a->apps_v[0].name), "%s", name);
	*s = (uint32_t)++a->nr_apps;
	return (long)a->nr_apps - 1;
}

/* -- process name -> application (apps groups are matched once per name) -- */

static uint64_t comm_hash(void *ctx, uint32_t i)
{
	return hash_bytes(((struct acct *)ctx)->comms[i].comm, ACCT_COMM_LEN);
}

static bool comm_eq(void *ctx, uint32_t i, const void *key)
{
	return !memcmp(((struct acct *)ctx)->comms[i].comm, key, ACCT_COMM_LEN);
}

static struct app_acc *app_of(struct acct *a, const char comm[ACCT_COMM_LEN])
{
	char name[ACCT_COMM_LEN + 1];
	uint32_t *s;
	long app;

	if (index_reserve(&a->comm_ix, a->nr_comms + 1, a, comm_hash))
		return NULL;
	s = index_probe(&a->comm_ix, hash_bytes(comm, ACCT_COMM_LEN), a, comm_eq, comm);
	if (*s)
		return &a->apps_v[a->comms[*s - 1].app];
	memcpy(name, comm, ACCT_COMM_LEN);
	name[ACCT_COMM_LEN] = 0;
	app = app_get(a, name[0] ? apps_groups_match(a->groups, name) : "unknown");
	if (app < 0 || !grow((void **)&a->comms, &a->cap_comms, a->nr_comms, sizeof(*a->comms)))
		return NULL;
	memcpy(a->comms[a->nr_comms].comm, comm, ACCT_COMM_LEN);
	a->comms[a->nr_comms].app = (uint32_t)app;
	/* app_get() may have moved nothing of ours, but the probe slot is still valid. */
	*s = (uint32_t)++a->nr_comms;
	return &a->apps_v[app];
}

/* -- cgroups, by id -- */

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
	uint32_t *s;
	struct cg_acc *c;
	const char *gone;

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

/* -- epochs of this collection, by key -- */

static uint64_t ep_hash(void *ctx, uint32_t i)
{
	return hash_bytes(&((struct acct *)ctx)->eps[i].key, sizeof(struct acct_key));
}

static bool ep_eq(void *ctx, uint32_t i, const void *key)
{
	return !memcmp(&((struct acct *)ctx)->eps[i].key, key, sizeof(struct acct_key));
}

static struct ep_row *ep_get(struct acct *a, const struct acct_key *k, bool *made)
{
	uint32_t *s;
	struct ep_row *e;

	*made = false;
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
	*made = true;
	return e;
}

static void add_counts(__u64 *dst, const __u64 *src, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dst[i] += src[i];
}

static void show_max(__u64 *shown, const __u64 *truth)
{
	for (int i = 0; i < ACCT_SLOTS; i++)
		if (truth[i] > shown[i])
			shown[i] = truth[i];
}

/* ---- loading ------------------------------------------------------------- */

static int fail(char *err, size_t len, int e, const char *what)
{
	snprintf(err, len, "%s: %s", what, strerror(e < 0 ? -e : e));
	return e < 0 ? e : -e;
}

/* Attach program @name once, however many modules use it. */
static int attach_prog(struct acct *a, const char *name, char *err, size_t len)
{
	struct bpf_program *p = bpf_object__find_program_by_name(a->skel->obj, name);
	struct bpf_link *link;

	for (unsigned int i = 0; i < a->nr_links; i++)
		if (!strcmp(a->link_names[i], name))
			return 0;
	if (!p || !bpf_program__autoload(p))
		return 0; /* not loaded: its attach point does not exist here */
	if (bpf_program__expected_attach_type(p) == BPF_TRACE_ITER)
		return 0; /* iterators are run by the core, not attached to a hook */
	if (a->nr_links == a->cap_links) {
		unsigned int ncap = a->cap_links ? a->cap_links * 2 : 32;
		struct bpf_link **l = realloc(a->links, ncap * sizeof(*l));
		const char **n;

		if (!l)
			return fail(err, len, -ENOMEM, "allocate");
		a->links = l;
		n = realloc(a->link_names, ncap * sizeof(*n));
		if (!n)
			return fail(err, len, -ENOMEM, "allocate");
		a->link_names = n;
		a->cap_links = ncap;
	}
	link = bpf_program__attach(p);
	if (!link) {
		int e = -errno;

		snprintf(err, len, "attach %s (%s): %s", name, bpf_program__section_name(p),
			 strerror(-e));
		return e;
	}
	a->links[a->nr_links] = link;
	a->link_names[a->nr_links++] = bpf_program__name(p);
	return 0;
}

/* The programs of the chosen implementations of @hooks that attach here. */
static void select_hooks(struct acct *a, const struct hook_def *hooks, unsigned int n,
			 const struct module_plan *plan)
{
	char why[160];

	for (unsigned int h = 0; h < n; h++) {
		if (plan->chosen[h] < 0)
			continue;
		for (const char *const *p = hooks[h].impls[plan->chosen[h]].progs; *p; p++)
			if (prog_ok(a->skel->obj, a->caps, *p, why, sizeof(why)))
				bpf_program__set_autoload(
					bpf_object__find_program_by_name(a->skel->obj, *p), true);
	}
}

static int attach_hooks(struct acct *a, const struct hook_def *hooks, unsigned int n,
			const struct module_plan *plan, char *err, size_t len)
{
	for (unsigned int h = 0; h < n; h++) {
		if (plan->chosen[h] < 0)
			continue;
		for (const char *const *p = hooks[h].impls[plan->chosen[h]].progs; *p; p++) {
			int e = attach_prog(a, *p, err, len);

			if (e)
				return e;
		}
	}
	return 0;
}

static bool planned_on_core(const struct module_inst *mi)
{
	return mi->mod->acct && mi->stats && mi->stats->state == MODULE_FAILED;
}

static int on_retired(void *ctx, void *data, size_t size)
{
	struct acct *a = ctx;
	const struct acct_retired *r = data;
	struct app_acc *app;

	if (size < sizeof(*r))
		return 0;
	a->retired_epochs++;
	app = a->apps ? app_of(a, r->key.comm) : NULL;
	if (app)
		add_counts(app->retired, r->c, ACCT_SLOTS);
	return 0;
}

/* A cgroup was removed: name its row (or remember the name for a row to come). */
static int on_cgroup_gone(void *ctx, void *data, size_t size)
{
	struct acct *a = ctx;
	const struct acct_cgroup_gone *g = data;
	struct acct_cgroup_gone *slot;
	uint32_t *s;

	if (size < sizeof(*g) || !a->cg_ix.cap)
		goto remember;
	s = index_probe(&a->cg_ix, hash_bytes(&g->id, sizeof(g->id)), a, cg_eq, &g->id);
	if (*s) {
		struct cg_acc *c = &a->cgs[*s - 1];

		if (!strncmp(c->path, "id:", 3))
			snprintf(c->path, sizeof(c->path), "%.*s", ACCT_CGROUP_PATH_LEN, g->path);
		if (!c->gone_at)
			c->gone_at = now_mono();
	}
remember:
	if (size < sizeof(*g))
		return 0;
	slot = &a->gone[a->nr_gone++ % 64];
	*slot = *g;
	slot->path[ACCT_CGROUP_PATH_LEN - 1] = 0;
	return 0;
}

/* Run an iterator link to its end; the seed's output is empty. */
static int drain_iter(struct bpf_link *link, char *buf, size_t len,
		      void (*each)(struct acct *a, const struct acct_live *l), struct acct *a)
{
	int fd = bpf_iter_create(bpf_link__fd(link));
	size_t have = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + have, len - have)) > 0) {
		size_t whole;

		have += (size_t)n;
		whole = have / sizeof(struct acct_live) * sizeof(struct acct_live);
		for (size_t off = 0; each && off < whole; off += sizeof(struct acct_live)) {
			struct acct_live l;

			memcpy(&l, buf + off, sizeof(l));
			each(a, &l);
		}
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

#define ITER_BUF (256 * 1024)

/* Switches and table sizes, before load. 0 or -errno. */
static int configure(struct acct_bpf *skel, const struct module_cfg *mc, bool lifecycle,
		     bool unref_at_exit)
{
	int e;

	skel->rodata->track_apps = mc->apps;
	skel->rodata->track_cgroups = mc->cgroups;
	skel->rodata->count_errors = mc->errors;
	skel->rodata->count_process = lifecycle;
	skel->rodata->light_mode = mc->light;
	skel->rodata->unref_at_exit = unref_at_exit;
	/* A breakdown that is off keeps a one-entry table: no kernel memory for nothing. */
	e = bpf_map__set_max_entries(skel->maps.epochs, mc->apps ? mc->cfg->pid_table_size : 1);
	if (!e)
		e = bpf_map__set_max_entries(skel->maps.cgroups,
					     mc->cgroups ? mc->cfg->cgroup_table_size : 1);
	return e;
}

int acct_verify(const struct module_cfg *mc, unsigned int *nr_progs, char *err, size_t errlen)
{
	struct acct_bpf *skel = acct_bpf__open();
	struct bpf_program *p;
	int e;

	*nr_progs = 0;
	if (!skel)
		return fail(err, errlen, -errno, "open BPF object");
	e = configure(skel, mc, true, false);
	if (e) {
		fail(err, errlen, e, "size the tables");
		goto out;
	}
	bpf_object__for_each_program(p, skel->obj) {
		bpf_program__set_autoload(p, true);
		(*nr_progs)++;
	}
	e = acct_bpf__load(skel);
	if (e)
		fail(err, errlen, e, "load (verifier)");
out:
	acct_bpf__destroy(skel);
	return e;
}

struct acct *acct_start(const struct acct_plan *core, struct module_inst *insts,
			unsigned int nr_insts, const struct module_cfg *mc, char *err,
			size_t errlen)
{
	const struct config *cfg = mc->cfg;
	struct acct *a = calloc(1, sizeof(*a));
	struct bpf_program *p;
	bool lifecycle = false;
	struct timespec ts;
	int e;

	if (!a) {
		fail(err, errlen, -ENOMEM, "allocate");
		return NULL;
	}
	a->apps = mc->apps;
	a->cgroups = mc->cgroups;
	a->pids = mc->pids && mc->apps;
	a->groups = mc->groups;
	a->cgnames = mc->cgnames;
	a->light = mc->light;
	a->caps = mc->caps;
	a->nr_cpus = libbpf_num_possible_cpus();
	a->skel = acct_bpf__open();
	if (!a->skel) {
		fail(err, errlen, -errno, "open BPF object");
		goto out;
	}
	for (unsigned int i = 0; i < nr_insts; i++)
		if (planned_on_core(&insts[i]))
			lifecycle |= insts[i].mod->acct->lifecycle;
	e = configure(a->skel, mc, lifecycle, core->plan.chosen[CORE_FREE] != 0);
	if (e) {
		fail(err, errlen, e, "size the tables");
		goto out;
	}
	bpf_object__for_each_program(p, a->skel->obj)
		bpf_program__set_autoload(p, false);
	select_hooks(a, acct_core_hooks, CORE_NR_HOOKS, &core->plan);
	for (unsigned int i = 0; i < nr_insts; i++)
		if (planned_on_core(&insts[i]))
			select_hooks(a, insts[i].mod->hooks, insts[i].mod->nr_hooks, &insts[i].plan);
	e = acct_bpf__load(a->skel);
	if (e) {
		fail(err, errlen, e, "load BPF programs (verifier)");
		goto out;
	}

	a->tcap = mc->apps ? cfg->pid_table_size : 0;
	a->cg_cap = mc->cgroups ? cfg->cgroup_table_size : 0;
	a->tkeys = malloc((a->tcap ? a->tcap : 1) * sizeof(*a->tkeys));
	a->tvals = malloc((a->tcap ? a->tcap : 1) * sizeof(*a->tvals));
	a->cg_keys = malloc((a->cg_cap ? a->cg_cap : 1) * sizeof(*a->cg_keys));
	a->cg_vals = malloc((a->cg_cap ? a->cg_cap : 1) * sizeof(*a->cg_vals));
	a->percpu_buf = calloc((size_t)(a->nr_cpus > 0 ? a->nr_cpus : 1), sizeof(struct acct_counts));
	a->iter_buf = malloc(ITER_BUF);
	if (!a->tkeys || !a->tvals || !a->cg_keys || !a->cg_vals || !a->percpu_buf ||
	    !a->iter_buf || a->nr_cpus <= 0) {
		fail(err, errlen, -ENOMEM, "allocate");
		goto out;
	}
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.retired), on_retired, a, NULL);
	if (!a->rb ||
	    ring_buffer__add(a->rb, bpf_map__fd(a->skel->maps.cgroups_gone), on_cgroup_gone, a)) {
		fail(err, errlen, -errno, "ring buffer");
		goto out;
	}

	/* Light mode: a task started from now on has its whole I/O accounting to count. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	a->skel->bss->attach_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* Exit and free first: no record is made that nothing folds or releases. */
	for (int h = 0; h < CORE_NR_HOOKS; h++) {
		if (h == CORE_LIVE || h == CORE_SEED || core->plan.chosen[h] < 0)
			continue;
		if (attach_prog(a, acct_core_hooks[h].impls[core->plan.chosen[h]].progs[0], err,
				errlen))
			goto out;
	}
	a->live_link = bpf_program__attach_iter(a->skel->progs.iter_live, NULL);
	if (!a->live_link) {
		fail(err, errlen, -errno, "attach the task iterator");
		goto out;
	}
	if (mc->light) {
		struct bpf_link *seed = bpf_program__attach_iter(a->skel->progs.iter_seed, NULL);

		e = seed ? drain_iter(seed, a->iter_buf, ITER_BUF, NULL, a) : -errno;
		bpf_link__destroy(seed);
		if (e) {
			fail(err, errlen, e, "take the I/O baseline of running tasks");
			goto out;
		}
	}
	return a;
out:
	acct_stop(a);
	return NULL;
}

void acct_stop(struct acct *a)
{
	if (!a)
		return;
	/* Links first: programs come off the hooks before the object goes. */
	for (unsigned int i = 0; i < a->nr_links; i++)
		bpf_link__destroy(a->links[i]);
	bpf_link__destroy(a->live_link);
	ring_buffer__free(a->rb);
	acct_bpf__destroy(a->skel);
	free(a->links);
	free(a->link_names);
	free(a->apps_v);
	free(a->app_ix.slot);
	free(a->comms);
	free(a->comm_ix.slot);
	free(a->cgs);
	free(a->cg_ix.slot);
	free(a->eps);
	free(a->ep_ix.slot);
	free(a->tkeys);
	free(a->tvals);
	free(a->cg_keys);
	free(a->cg_vals);
	free(a->percpu_buf);
	free(a->iter_buf);
	free(a);
}

/* ---- the modules on the core -------------------------------------------- */

static enum acct_rung rung_of(const char *label)
{
	if (!strcmp(label, "tp_btf"))
		return ACCT_RUNG_BTF;
	if (!strcmp(label, "tracepoint"))
		return ACCT_RUNG_CLASSIC;
	if (!strcmp(label, "kretsyscall") || !strcmp(label, "ksyscall"))
		return ACCT_RUNG_KPROBE;
	return ACCT_RUNG_NONE;
}

static bool same_rule(const struct acct_rule *x, const struct acct_rule *y)
{
	return x->calls == y->calls && x->bytes == y->bytes && x->errors == y->errors &&
	       x->create == y->create;
}

/* Rebuild the syscall table from the modules that are up; write what changed. */
static int fill_syscalls(struct acct *a)
{
	static struct acct_syscall next[ACCT_MAX_SYSCALLS];
	int fd = bpf_map__fd(a->skel->maps.syscalls);

	memset(next, 0, sizeof(next));
	for (unsigned int m = 0; m < a->nr_up; m++) {
		const struct module_inst *mi = a->up[m];
		const struct acct_desc *d = mi->mod->acct;

		for (unsigned int i = 0; i < d->nr_syscalls; i++) {
			const struct acct_syscall_def *def = &d->syscalls[i];
			int chosen = mi->plan.chosen[def->hook];
			struct acct_syscall *sc;
			bool dup = false;

			if (chosen < 0 || def->nr < 0 || def->nr >= ACCT_MAX_SYSCALLS ||
			    !rung_of(mi->mod->hooks[def->hook].impls[chosen].label))
				continue;
			sc = &next[def->nr];
			if (!sc->rung)
				sc->rung = rung_of(mi->mod->hooks[def->hook].impls[chosen].label);
			if (def->flags_arg)
				sc->flags_arg = def->flags_arg;
			for (unsigned int r = 0; r < sc->nr_rules; r++)
				dup |= same_rule(&sc->rule[r], &def->rule);
			if (dup)
				continue;
			if (sc->nr_rules == ACCT_MAX_RULES)
				return -E2BIG;
			sc->rule[sc->nr_rules++] = def->rule;
		}
	}
	for (uint32_t nr = 0; nr < ACCT_MAX_SYSCALLS; nr++) {
		if (!memcmp(&next[nr], &a->table[nr], sizeof(next[nr])))
			continue;
		if (bpf_map_update_elem(fd, &nr, &next[nr], BPF_ANY))
			return -errno;
		a->table[nr] = next[nr];
	}
	return 0;
}

int acct_module_load(struct module_inst *mi, const struct module_cfg *cfg)
{
	struct acct *a = mi->acct;
	int err;

	if (!a) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "the accounting core is not running");
		return -ENODEV;
	}
	(void)cfg;
	err = attach_hooks(a, mi->mod->hooks, mi->mod->nr_hooks, &mi->plan, mi->stats->reason,
			   sizeof(mi->stats->reason));
	if (err)
		return err;
	if (a->nr_up == STORE_MAX_MODULES)
		return -E2BIG;
	a->up[a->nr_up++] = mi;
	err = fill_syscalls(a);
	if (err) {
		a->nr_up--;
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "fill the syscall table: %s",
			 strerror(-err));
	}
	return err;
}

void acct_module_unload(struct module_inst *mi)
{
	struct acct *a = mi->acct;

	if (!a)
		return;
	for (unsigned int i = 0; i < a->nr_up; i++) {
		if (a->up[i] != mi)
			continue;
		a->up[i] = a->up[--a->nr_up];
		fill_syscalls(a);
		break;
	}
}

/* ---- collection ---------------------------------------------------------- */

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
	int c = memcmp(((const struct kv_ref *)x)->key, ((const struct kv_ref *)y)->key,
		       *(size_t *)ksize);

	return c ? c : (((const struct kv_ref *)x)->i > ((const struct kv_ref *)y)->i) -
			       (((const struct kv_ref *)x)->i < ((const struct kv_ref *)y)->i);
}

/* Keep the first of each key (and its value) in @keys/@vals; returns the new count. */
static size_t drop_repeated_keys(void *keys, size_t ksize, void *vals, size_t vsize, size_t n)
{
	struct kv_ref *r = malloc((n ? n : 1) * sizeof(*r));
	char *keep;
	size_t out = 0;

	if (!r)
		return n;
	keep = calloc(n ? n : 1, 1);
	if (!keep) {
		free(r);
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
 * Every entry of hash map @fd into @keys/@vals (room for @cap): in batches,
 * or key by key where the kernel has no batch operations. Returns the count
 * or -errno; the end of the map is not an error, any other failure is.
 */
static long read_table(int fd, void *keys, size_t ksize, void *vals, size_t vsize, size_t cap)
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

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, (char *)keys + n * ksize,
					   (char *)vals + n * vsize, &count, NULL);
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
	for (void *p = NULL; n < cap; p = prev) {
		err = bpf_map_get_next_key(fd, p, key);
		if (err == -ENOENT)
			break;
		if (err)
			return err;
		memcpy(prev, key, ksize);
		err = bpf_map_lookup_elem(fd, key, (char *)vals + n * vsize);
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

static void on_live(struct acct *a, const struct acct_live *l)
{
	add_counts(a->host_truth, l->c, ACCT_REC_SLOTS);
	if (a->apps && l->key.tgid) {
		struct app_acc *app = app_of(a, l->key.comm);
		struct ep_row *e;
		bool made;

		if (app)
			add_counts(app->truth, l->c, ACCT_REC_SLOTS);
		e = a->pids ? ep_get(a, &l->key, &made) : NULL;
		if (e)
			add_counts(e->c, l->c, ACCT_REC_SLOTS);
	} else if (a->apps) {
		add_counts(a->unattr_truth, l->c, ACCT_REC_SLOTS);
	}
	if (a->cgroups && l->cgid) {
		struct cg_acc *c = cg_get(a, l->cgid);

		if (c) {
			add_counts(c->truth, l->c, ACCT_REC_SLOTS);
			c->live = true;
		}
	}
}

static int read_epochs(struct acct *a)
{
	int fd = bpf_map__fd(a->skel->maps.epochs);
	long n = read_table(fd, a->tkeys, sizeof(*a->tkeys), a->tvals, sizeof(*a->tvals), a->tcap);

	if (n < 0)
		return (int)n;
	a->epochs_in_table = (uint64_t)n;
	for (long i = 0; i < n; i++) {
		const struct acct_key *k = &a->tkeys[i];
		const struct acct_epoch *v = &a->tvals[i];
		struct app_acc *app = app_of(a, k->comm);
		struct ep_row *e;
		bool made;

		if (v->refs < 0) {
			/* Retired with the ring buffer full: ours to take. Else it is on its way. */
			if (!(v->flags & ACCT_EPOCH_RETIRE_BY_USER))
				continue;
			if (bpf_map_delete_elem(fd, k))
				continue;
			a->retired_epochs++;
			if (app) {
				add_counts(app->retired, v->c, ACCT_SLOTS);
				add_counts(app->truth, v->c, ACCT_SLOTS);
			}
			continue;
		}
		if (app)
			add_counts(app->truth, v->c, ACCT_SLOTS);
		e = a->pids ? ep_get(a, k, &made) : NULL;
		if (e && made)
			add_counts(e->c, v->c, ACCT_SLOTS);
	}
	return 0;
}

static int read_cgroups(struct acct *a)
{
	long n = read_table(bpf_map__fd(a->skel->maps.cgroups), a->cg_keys, sizeof(*a->cg_keys),
			    a->cg_vals, sizeof(*a->cg_vals), a->cg_cap);

	if (n < 0)
		return (int)n;
	for (long i = 0; i < n; i++) {
		struct cg_acc *c = cg_get(a, a->cg_keys[i]);

		if (c && !c->in_table) {
			add_counts(c->truth, a->cg_vals[i].c, ACCT_SLOTS);
			c->in_table = true;
		}
	}
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
 * once it has been gone for CGROUP_RETENTION, or sooner, the longest gone
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
		if (c->in_table && !c->live && !c->gone_at &&
		    cgroup_names_alive(a->cgnames, c->id) == 0)
			c->gone_at = now;
		if (c->gone_at && c->in_table && !c->live &&
		    bpf_map_lookup_and_delete_elem(fd, &c->id, &v) == 0)
			add_counts(c->retired, v.c, ACCT_SLOTS);
		if (c->gone_at && !c->live && now - c->gone_at > CGROUP_RETENTION)
			continue;
		if (c->live)
			c->gone_at = 0; /* an id is never reused: it was only unreadable */
		a->cgs[kept++] = *c;
	}
	if (kept > a->cg_cap) {
		size_t first = 0;

		qsort(a->cgs, kept, sizeof(*a->cgs), by_gone_at);
		while (kept - first > a->cg_cap && a->cgs[first].gone_at)
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

int acct_collect(struct acct *a)
{
	double t0 = now_mono();
	int err;

	/* 1. Retired epochs, then every table, then the live records: see the top of this file. */
	if (ring_buffer__consume(a->rb) < 0)
		return -EIO;
	for (size_t i = 0; i < a->nr_apps; i++)
		memcpy(a->apps_v[i].truth, a->apps_v[i].retired, sizeof(a->apps_v[i].truth));
	for (size_t i = 0; i < a->nr_cgs; i++) {
		memcpy(a->cgs[i].truth, a->cgs[i].retired, sizeof(a->cgs[i].truth));
		a->cgs[i].in_table = a->cgs[i].live = false;
	}
	err = read_percpu(a, a->skel->maps.host, a->host_truth, sizeof(a->host_truth));
	if (!err)
		err = read_percpu(a, a->skel->maps.unattributed, a->unattr_truth,
				  sizeof(a->unattr_truth));
	if (!err)
		err = read_percpu(a, a->skel->maps.lost, (__u64 *)&a->lost, sizeof(a->lost));
	if (err)
		return err;
	a->nr_eps = 0;
	index_clear(&a->ep_ix);
	if (a->apps && (err = read_epochs(a)))
		return err;
	if (a->cgroups && (err = read_cgroups(a)))
		return err;

	/* 2. Live records. */
	a->skel->bss->iter_zombies = 0;
	a->skel->bss->iter_records = 0;
	err = drain_iter(a->live_link, a->iter_buf, ITER_BUF, on_live, a);
	if (err)
		return err;
	a->zombies = a->skel->bss->iter_zombies;
	a->records = a->skel->bss->iter_records;

	/* 3. Never below what was shown. */
	show_max(a->host_shown, a->host_truth);
	show_max(a->unattr_shown, a->unattr_truth);
	for (size_t i = 0; i < a->nr_apps; i++)
		show_max(a->apps_v[i].shown, a->apps_v[i].truth);
	for (size_t i = 0; i < a->nr_cgs; i++)
		show_max(a->cgs[i].shown, a->cgs[i].truth);
	if (a->cgroups)
		prune_cgroups(a, t0);
	a->collect_seconds = now_mono() - t0;
	return 0;
}

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
	/* Events no process got: the module's counts of events (not of bytes). */
	for (unsigned int i = 0; i < nr; i++)
		if (!strstr(mi->mod->defs[i].name, "bytes"))
			lost += a->unattr_shown[d->slot_of[i]];
	next->lost_pid_table_full = a->apps ? lost : 0;
	next->lost_cgroup_table_full = a->lost.cgroup_table_full;
	return 0;
}

/* ---- self-knowledge ------------------------------------------------------ */

void acct_get_stats(const struct acct *a, struct acct_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->records = a->records;
	st->epochs = a->epochs_in_table;
	st->retired = a->retired_epochs;
	st->lost = a->lost;
	st->collect_seconds = a->collect_seconds;
}

/* Bytes the kernel allocates per record: storage element plus, once per task, its header. */
static uint64_t record_bytes(const struct caps *caps)
{
	int id = caps && caps->vmlinux ? btf__find_by_name_kind(caps->vmlinux, "bpf_local_storage",
								 BTF_KIND_STRUCT)
				       : -1;
	long long hdr = id > 0 ? btf__resolve_size(caps->vmlinux, id) : 192;

	return kmem_slab_size(72 + sizeof(struct acct_rec)) + kmem_slab_size((uint64_t)hdr);
}

size_t acct_kernel_memory(struct acct *a, struct acct_mem *out, size_t max, int cpus)
{
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, a->skel->obj) {
		struct map_mem mm;
		uint64_t memlock;

		if (n == max)
			break;
		if (bpf_map__fd(map) < 0)
			continue;
		memlock = kmem_memlock(bpf_map__fd(map));
		/* Task storage is charged per task, outside the map: count the live records. */
		if (bpf_map__type(map) == BPF_MAP_TYPE_TASK_STORAGE)
			memlock += a->records * record_bytes(a->caps);
		kmem_project(map, memlock, cpus, &mm);
		snprintf(out[n].map, sizeof(out[n].map), "%s", mm.map);
		out[n].bytes = mm.bytes;
		out[n].bytes_at = mm.bytes_at;
		n++;
	}
	return n;
}

int acct_estimate_memory(const struct config *cfg, int cpus, struct acct_mem_estimate *e)
{
	struct acct_bpf *skel = acct_bpf__open();
	int here = libbpf_num_possible_cpus();
	struct bpf_map *map;

	memset(e, 0, sizeof(*e));
	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj) {
		uint64_t v = (bpf_map__value_size(map) + 7) / 8 * 8;
		uint64_t entries = bpf_map__max_entries(map);

		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			e->fixed_here += entries * v * (uint64_t)here;
			e->fixed_at += entries * v * (uint64_t)cpus;
			break;
		case BPF_MAP_TYPE_ARRAY:
		case BPF_MAP_TYPE_RINGBUF:
			e->fixed_here += entries * (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF ? 1 : v);
			e->fixed_at += entries * (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF ? 1 : v);
			break;
		default: /* allocated per thread (records) or per live entry (hashes) */
			break;
		}
	}
	acct_bpf__destroy(skel);
	e->per_thread = record_bytes(NULL);
	/* A hash element: 48-byte header, key and value, in its slab class. */
	e->per_process = cfg->apps ? kmem_slab_size(48 + sizeof(struct acct_key) +
						    sizeof(struct acct_epoch))
				   : 0;
	return 0;
}
