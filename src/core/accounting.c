// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting core, loading side (core/accounting.h; the kernel half and
 * the whole design are described in core/acct.h): its hooks and their plan,
 * loading the object configured for the modules that run on it, their
 * syscall rules, and what its maps cost. Reading is core/acct_read.c.
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

#include "core/accounting_int.h"
#include "modules/socket/conn.h"
#include "core/kmem.h"

/* ---- the core's own hooks ------------------------------------------------ */

static const struct hook_impl exit_impls[] = {
	{ "tp_btf", PROGS("exit_btf") },
	TRACEPOINTS("exit_tp"),
};
/* Every task now and then (and the zombies); the threads whose record changed, each collection. */
static const struct hook_impl live_impls[] = {
	{ "iter", PROGS("iter_live", "iter_dirty") },
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

enum { CORE_EXIT, CORE_LIVE, CORE_RENAME, CORE_SEED, CORE_RMDIR, CORE_NR_HOOKS };

const struct hook_def acct_core_hooks[] = {
	[CORE_EXIT] = HOOK("thread exit", exit_impls),
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
	usable = plan_hooks(m->hooks, m->nr_hooks, skel->obj, caps,
			    config_module_load_mode(cfg, m->name), plan);
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

/* Switches and table sizes, before load. 0 or -errno. */
static int configure(struct acct_bpf *skel, const struct module_cfg *mc, bool lifecycle,
		     bool sockets)
{
	const struct config *cfg = mc->cfg;
	int e;

	skel->rodata->track_apps = mc->apps;
	skel->rodata->track_cgroups = mc->cgroups;
	skel->rodata->count_errors = mc->errors;
	skel->rodata->count_process = lifecycle;
	skel->rodata->light_mode = mc->light;
	/* A breakdown that is off keeps a one-entry table: no kernel memory for nothing. */
	e = bpf_map__set_max_entries(skel->maps.epochs, mc->apps ? mc->cfg->pid_table_size : 1);
	if (!e)
		e = bpf_map__set_max_entries(skel->maps.cgroups,
					     mc->cgroups ? mc->cfg->cgroup_table_size : 1);
	/* Light mode rereads every record each collection: no dirty set, no fold events. */
	if (!e)
		e = bpf_map__set_max_entries(skel->maps.dirty,
					     mc->light ? 1 : mc->cfg->pid_table_size);
	if (!e && mc->light)
		e = bpf_map__set_max_entries(skel->maps.folds, (uint32_t)sysconf(_SC_PAGESIZE));
	/* The socket module's tables: Netdata's network.conf sizes, or one entry when it is off. */
	skel->rodata->sock_on = sockets;
	skel->rodata->sock_conns = sockets && cfg->net.enabled;
	skel->rodata->conn_limit[0] = cfg->ipv4_conn_table_size;
	skel->rodata->conn_limit[1] = cfg->ipv6_conn_table_size;
	skel->rodata->conn_limit[2] = cfg->udp_conn_table_size;
	if (!e)
		e = bpf_map__set_max_entries(skel->maps.sock_procs,
					     sockets && mc->apps ? cfg->bandwidth_table_size : 1);
	if (!e)
		e = bpf_map__set_max_entries(skel->maps.sock_cgroups,
					     sockets && mc->cgroups ? cfg->cgroup_table_size : 1);
	if (!e)
		e = bpf_map__set_max_entries(skel->maps.conns,
					     skel->rodata->sock_conns
						     ? cfg->ipv4_conn_table_size +
							       cfg->ipv6_conn_table_size +
							       cfg->udp_conn_table_size
						     : 1);
	if (!e && !skel->rodata->sock_conns)
		e = bpf_map__set_max_entries(skel->maps.conns_closed,
					     (uint32_t)sysconf(_SC_PAGESIZE));
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
	e = configure(skel, mc, true, true);
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
	for (unsigned int i = 0; i < nr_insts; i++) {
		if (!planned_on_core(&insts[i]))
			continue;
		lifecycle |= insts[i].mod->acct->lifecycle;
		a->sockets |= insts[i].mod->acct->sockets;
	}
	e = configure(a->skel, mc, lifecycle, a->sockets);
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

	e = acct_read_init(a, cfg);
	if (e) {
		fail(err, errlen, e, "allocate the reading buffers");
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
	if (!mc->light) {
		union bpf_iter_link_info info = { .map.map_fd = bpf_map__fd(a->skel->maps.dirty) };
		LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
			    .link_info_len = sizeof(info));

		a->dirty_link = bpf_program__attach_iter(a->skel->progs.iter_dirty, &opts);
		if (!a->dirty_link) {
			fail(err, errlen, -errno, "attach the dirty-set iterator");
			goto out;
		}
	}
	if (mc->light) {
		struct bpf_link *seed = bpf_program__attach_iter(a->skel->progs.iter_seed, NULL);

		e = seed ? acct_drain_iter(a, seed, NULL) : -errno;
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
	bpf_link__destroy(a->dirty_link);
	acct_read_free(a);
	acct_bpf__destroy(a->skel);
	free(a->links);
	free(a->link_names);
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
	static const struct acct_rule no_rule = { ACCT_NO_SLOT, ACCT_NO_SLOT, ACCT_NO_SLOT,
						  ACCT_NO_SLOT };
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
			if (def->action)
				sc->action = def->action;
			if (same_rule(&def->rule, &no_rule))
				continue;
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

/* ---- self-knowledge ------------------------------------------------------ */

/* Bytes the kernel allocates per record: storage element plus, once per task, its header. */
static uint64_t record_bytes(const struct caps *caps)
{
	int id = caps && caps->vmlinux ? btf__find_by_name_kind(caps->vmlinux, "bpf_local_storage",
								 BTF_KIND_STRUCT)
				       : -1;
	long long hdr = id > 0 ? btf__resolve_size(caps->vmlinux, id) : 192;

	return kmem_slab_size(72 + sizeof(struct acct_rec)) + kmem_slab_size((uint64_t)hdr);
}

size_t acct_program_misses(struct acct *a, struct store_prog *out, size_t max)
{
	struct bpf_program *p;
	size_t n = 0;

	bpf_object__for_each_program(p, a->skel->obj) {
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);

		if (n == max || bpf_program__fd(p) < 0)
			continue;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		snprintf(out[n].module, sizeof(out[n].module), "core");
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(p));
		out[n++].misses = info.recursion_misses;
	}
	return n;
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
		/*
		 * Task storage is charged per task, outside the map: count the live
		 * records. (cachestat's per-thread state is not counted: nothing
		 * here knows how many threads hold one.)
		 */
		if (map == a->skel->maps.records)
			memlock += (a->nr_live - a->nr_free) * record_bytes(a->caps);
		kmem_project(map, memlock, cpus, &mm);
		snprintf(out[n].map, sizeof(out[n].map), "%s", mm.map);
		out[n].bytes = mm.bytes;
		out[n].bytes_at = mm.bytes_at;
		out[n].id = mm.id;
		out[n].max_entries = mm.max_entries;
		n++;
	}
	return n;
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * What map @map allocates at load on a machine with @cpus CPUs: the same
 * arithmetic as the kernel's, to the page (hashes allocated per entry count
 * their bucket array only).
 */
static uint64_t map_bytes_at_load(const struct bpf_map *map, int cpus)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), entries = bpf_map__max_entries(map);
	uint64_t v = (bpf_map__value_size(map) + 7) / 8 * 8, k = (bpf_map__key_size(map) + 7) / 8 * 8;

	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return entries * v * (uint64_t)cpus;
	case BPF_MAP_TYPE_ARRAY:
		return (entries * v + page - 1) / page * page;
	case BPF_MAP_TYPE_RINGBUF:
		return entries + page;
	case BPF_MAP_TYPE_HASH:
		return pow2_at_least(entries) * 16 +
		       (bpf_map__map_flags(map) & BPF_F_NO_PREALLOC ? 0 : entries * (48 + k + v));
	case BPF_MAP_TYPE_TASK_STORAGE:
		return pow2_at_least((uint64_t)cpus) * 16;
	default:
		return 0;
	}
}

int acct_estimate_memory(const struct config *cfg, int cpus, struct acct_mem_estimate *e)
{
	struct acct_bpf *skel = acct_bpf__open();
	struct module_cfg mc = {
		.cfg = cfg,
		.apps = cfg->apps,
		.cgroups = cfg->cgroups,
		.errors = config_any_errors(cfg),
		.light = cfg->load_mode == LOAD_MODE_LIGHT,
	};
	int here = libbpf_num_possible_cpus(), err;
	struct bpf_map *map;

	memset(e, 0, sizeof(*e));
	if (!skel)
		return -errno;
	bool sockets = config_module_enabled(cfg, "socket");

	/* Sized as acct_start() sizes them. */
	err = configure(skel, &mc, true, sockets);
	bpf_object__for_each_map(map, skel->obj) {
		e->fixed_here += map_bytes_at_load(map, here);
		e->fixed_at += map_bytes_at_load(map, cpus);
	}
	acct_bpf__destroy(skel);
	e->per_thread = record_bytes(NULL);
	/* A hash element: 48-byte header, key and value, in its slab class. */
	e->per_process = cfg->apps ? kmem_slab_size(48 + sizeof(struct acct_key) +
						    sizeof(struct acct_epoch))
				   : 0;
	if (sockets) {
		/* Its socket record: one more element in the thread's storage. */
		e->per_socket_thread = kmem_slab_size(72 + sizeof(struct sock_rec));
		e->per_socket_process = cfg->apps ? kmem_slab_size(48 + sizeof(struct acct_key) +
								   sizeof(struct sock_counts))
						  : 0;
		e->max_socket_processes = cfg->apps ? cfg->bandwidth_table_size : 0;
		e->per_connection = cfg->net.enabled ? kmem_slab_size(48 + sizeof(__u64) +
								      sizeof(struct conn_entry))
						     : 0;
		e->max_connections = cfg->net.enabled ? (uint64_t)cfg->ipv4_conn_table_size +
								cfg->ipv6_conn_table_size +
								cfg->udp_conn_table_size
						      : 0;
	}
	return err;
}
