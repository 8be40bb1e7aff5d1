// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "core/agent.h"
#include "core/mapfill.h"
#include "core/apps_groups.h"
#include "core/cgroup_names.h"
#include "core/container_names.h"
#include "core/services.h"

_Static_assert(CONFIG_MAX_MODULES <= STORE_MAX_MODULES, "the store holds every module");

const char *module_state_name(enum module_state s)
{
	switch (s) {
	case MODULE_DISABLED:
		return "disabled";
	case MODULE_UNAVAILABLE:
		return "unavailable";
	case MODULE_FAILED:
		return "failed";
	case MODULE_UP:
		return "up";
	}
	return "?";
}

const char *agent_fatal_reason(const struct caps *c)
{
	if (!c->root_caps)
		return "ebpfmon needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run it as root";
	if (!c->btf)
		return "this kernel has no BTF (/sys/kernel/btf/vmlinux): ebpfmon needs a kernel built with CONFIG_DEBUG_INFO_BTF=y";
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A module's own settings (Netdata's ebpf.d/<module>.conf) as the store applies them. */
static void module_settings(const struct config *cfg, struct module_stats *st)
{
	for (unsigned int i = 0; i < cfg->nr_modules; i++) {
		const struct config_module *cm = &cfg->modules[i];

		if (strcmp(cm->name, st->name))
			continue;
		st->apps_off = !config_module_apps(cfg, cm->name);
		st->cgroups_off = !config_module_cgroups(cfg, cm->name);
		st->errors_off = config_module_load_mode(cfg, cm->name) != LOAD_MODE_RETURN;
		st->hidden = cm->hidden;
		st->nr_hidden = cm->nr_hidden;
	}
}

int agent_plan(struct agent *a)
{
	struct store *s = &a->store;

	s->apps = a->cfg.apps;
	s->cgroups = a->cfg.cgroups;
	/* The kernel counts errors when any module wants them; the others hide theirs. */
	s->errors = config_any_errors(&a->cfg);
	s->light = a->cfg.load_mode == LOAD_MODE_LIGHT;
	for (unsigned int i = 0; i < nr_modules; i++) {
		const struct module *m = modules[i];
		struct module_inst *mi;

		if (a->nr_insts == STORE_MAX_MODULES)
			return -ENOSPC;
		mi = &a->insts[a->nr_insts];
		memset(mi, 0, sizeof(*mi));
		mi->mod = m;
		mi->stats = store_add_module(s, m->name, m->defs, m->nr_defs, m->nr_counters);
		if (!mi->stats)
			return -ENOSPC;
		a->nr_insts++;
		module_settings(&a->cfg, mi->stats);
		if (!config_module_enabled(&a->cfg, m->name)) {
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s",
				 a->modules_listed ? "not in --modules"
						   : "disabled in the configuration");
			if (a->probe_off) {
				mi->off_planned = true;
				mi->off_usable = !m->probe(m, &a->caps, &a->cfg, &mi->plan);
			}
			continue;
		}
		if (m->probe(m, &a->caps, &a->cfg, &mi->plan)) {
			mi->stats->state = MODULE_UNAVAILABLE;
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", mi->plan.reason);
			continue;
		}
		mi->stats->state = MODULE_FAILED; /* until it loads */
		mi->stats->reason[0] = 0;
		a->acct_wanted |= m->acct != NULL;
	}
	if (!a->acct_wanted)
		return 0;
	/* The modules on the accounting core need its own hooks too. */
	acct_plan_core(&a->caps, &a->cfg, &a->acct_plan);
	if (a->acct_plan.usable)
		return 0;
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];

		if (mi->mod->acct && mi->stats->state == MODULE_FAILED) {
			mi->stats->state = MODULE_UNAVAILABLE;
			snprintf(mi->stats->reason, sizeof(mi->stats->reason),
				 "the accounting core cannot run: %s", a->acct_plan.plan.reason);
		}
	}
	a->acct_wanted = false;
	return 0;
}

/*
 * EBPFMON_TEST_FAIL_LOAD=<module> makes that module's load fail, so tests can
 * show the others keep running and the failure is reported.
 */
static int load_module(struct module_inst *mi, const struct module_cfg *mc)
{
	const char *inject = getenv("EBPFMON_TEST_FAIL_LOAD");

	if (inject && !strcmp(inject, mi->mod->name)) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason),
			 "load failed: injected by EBPFMON_TEST_FAIL_LOAD");
		return -EIO;
	}
	return mi->mod->load(mi, mc);
}

/* What each hook of @mi runs on, for ebpfmon_hook_info (Netdata's load methods). */
static void record_hooks(struct module_inst *mi)
{
	struct module_stats *st = mi->stats;

	st->nr_hooks = 0;
	for (unsigned int h = 0; h < mi->mod->nr_hooks && st->nr_hooks < STORE_MAX_HOOKS; h++) {
		int chosen = mi->plan.chosen[h];

		if (chosen < 0)
			continue;
		st->hooks[st->nr_hooks].hook = mi->mod->hooks[h].name;
		st->hooks[st->nr_hooks].impl = mi->mod->hooks[h].impls[chosen].label;
		st->nr_hooks++;
	}
}

int agent_start(struct agent *a)
{
	struct module_cfg mc = {
		.cfg = &a->cfg,
		.caps = &a->caps,
		.apps = a->cfg.apps,
		.cgroups = a->cfg.cgroups,
		.errors = config_any_errors(&a->cfg),
		.light = a->cfg.load_mode == LOAD_MODE_LIGHT,
		.pids = a->want_pids,
	};
	double t0 = now();
	char err[256];
	int up = 0;

	if (a->cfg.cgroups && !a->cgnames)
		a->cgnames = cgroup_names_new(); /* NULL: ids are shown as "id:N" */
	mc.groups = a->groups;
	mc.cgnames = a->cgnames;
	if (a->acct_wanted) {
		a->acct = acct_start(&a->acct_plan, a->insts, a->nr_insts, &mc, err, sizeof(err));
		for (unsigned int i = 0; !a->acct && i < a->nr_insts; i++) {
			struct module_inst *mi = &a->insts[i];

			if (mi->mod->acct && mi->stats->state == MODULE_FAILED)
				snprintf(mi->stats->reason, sizeof(mi->stats->reason),
					 "accounting core: %s", err);
		}
	}
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];

		if (mi->stats->state != MODULE_FAILED || (mi->mod->acct && !a->acct))
			continue;
		mi->acct = a->acct;
		if (load_module(mi, &mc)) {
			if (!mi->stats->reason[0])
				snprintf(mi->stats->reason, sizeof(mi->stats->reason), "load failed");
			mi->mod->unload(mi);
			continue;
		}
		mi->stats->state = MODULE_UP;
		record_hooks(mi);
		store_stats_init_like(&mi->next, mi->stats);
		up++;
	}
	/* Privileged now, as loading needs; reading it later needs nothing. */
	if (up)
		a->mapfill = mapfill_open(err, sizeof(err));
	a->load_seconds = now() - t0;
	a->store.started = (double)time(NULL);
	return up;
}

/* Kernel memory of every map of ours, and the core's own numbers, for the store. */
static unsigned int gather_self(struct agent *a, struct map_mem *mem, struct store_acct *sa)
{
	/* The core's maps, cachestat's task storage and libbpf's internal ones. */
	struct acct_mem am[32];
	unsigned int n = 0;

	memset(sa, 0, sizeof(*sa));
	if (a->acct) {
		struct acct_stats st;
		size_t k = acct_kernel_memory(a->acct, am, 32, KMEM_PROJECT_CPUS);

		for (size_t j = 0; j < k && n < STORE_MAX_MAPS; j++, n++) {
			snprintf(mem[n].module, sizeof(mem[n].module), "core");
			snprintf(mem[n].map, sizeof(mem[n].map), "%s", am[j].map);
			mem[n].bytes = am[j].bytes;
			mem[n].bytes_at = am[j].bytes_at;
			mem[n].id = am[j].id;
			mem[n].max_entries = am[j].max_entries;
			mem[n].entries = -1;
		}
		acct_get_stats(a->acct, &st);
		sa->running = true;
		sa->records = st.records;
		sa->epochs = st.epochs;
		sa->retired = st.retired;
		sa->epoch_table_full = st.lost.epoch_table_full;
		sa->record_failed = st.lost.record_failed;
		sa->join_raced = st.lost.join_raced;
		sa->ringbuf_full = st.lost.ringbuf_full;
		sa->apps = st.apps;
		sa->apps_overflow = st.apps_overflow;
		sa->apps_retired = st.apps_retired;
	}
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];
		size_t k;

		if (mi->stats->state != MODULE_UP || !mi->mod->kernel_memory)
			continue;
		k = mi->mod->kernel_memory(mi, mem + n, STORE_MAX_MAPS - n, KMEM_PROJECT_CPUS);
		for (size_t j = 0; j < k; j++)
			snprintf(mem[n + j].module, sizeof(mem[n + j].module), "%s", mi->mod->name);
		n += (unsigned int)k;
	}
	if (a->mapfill)
		mapfill_read(a->mapfill, mem, n);
	return n;
}

/* The agent's own CPU time and resident memory. */
static void self_usage(struct store *s)
{
	struct rusage ru;
	unsigned long pages_total, pages_rss;
	FILE *f;

	if (!getrusage(RUSAGE_SELF, &ru)) {
		s->cpu_user_seconds = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
		s->cpu_system_seconds = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%lu %lu", &pages_total, &pages_rss) == 2)
			s->rss_bytes = (uint64_t)pages_rss * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
}

/* What comes from the cgroup rows: per-service sums of module @i, and the containers to name. */
static int cgroup_extras(struct agent *a, unsigned int i)
{
	struct module_inst *mi = &a->insts[i];

	if (!store_module_cgroups(&a->store, mi->stats))
		return 0;
	if (!a->services[i])
		a->services[i] = services_new();
	if (!a->services[i] || services_update(a->services[i], mi->stats, &mi->next))
		return -ENOMEM;
	for (size_t r = 0; a->ctr_names && r < mi->next.nr_cgroups; r++) {
		struct cgroup_meta meta;

		if (cgroup_meta_parse(mi->next.cgroups[r].path, &meta) && meta.container_id[0])
			container_names_want(a->ctr_names, meta.container_id, meta.runtime);
	}
	return 0;
}

void agent_collect(struct agent *a)
{
	struct store_container *ctrs = NULL;
	size_t nr_ctrs = 0;
	bool new_ctrs = false;

	/*
	 * The resolver's thread starts once privileges are down, not at attach:
	 * capabilities are per thread, dropped after attach while the agent has
	 * one thread (privs.h). NULL (no thread): ids only.
	 */
	if (a->cfg.cgroups && a->cfg.container_names && a->privs_dropped && !a->ctr_names_tried) {
		struct container_sockets socks = { a->cfg.docker_socket, a->cfg.containerd_socket,
						   a->cfg.crio_socket };

		a->ctr_names = container_names_new(&socks, 1000);
		a->ctr_names_tried = true;
	}
	double t0 = now();
	int acct_err = a->acct ? acct_collect(a->acct) : 0;
	int errs[STORE_MAX_MODULES] = { 0 };
	struct map_mem mem[STORE_MAX_MAPS];
	struct store_prog progs[STORE_MAX_PROGS];
	struct store_acct sa;
	unsigned int nr_mem;
	size_t nr_progs = a->acct ? acct_program_misses(a->acct, progs, STORE_MAX_PROGS) : 0;

	/* The kernel is read without the lock: scrapes go on meanwhile. */
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];

		if (mi->stats->state != MODULE_UP)
			continue;
		if (mi->mod->acct && acct_err)
			errs[i] = acct_err;
		else
			errs[i] = mi->mod->collect(mi, &mi->next);
		if (!errs[i])
			errs[i] = cgroup_extras(a, i);
	}
	/* What the resolver knows by now; never waits for a runtime. */
	if (a->ctr_names && !container_names_snapshot(a->ctr_names, &ctrs, &nr_ctrs))
		new_ctrs = true;
	nr_mem = gather_self(a, mem, &sa);
	pthread_mutex_lock(&a->store.lock);
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];

		if (mi->stats->state != MODULE_UP)
			continue;
		if (errs[i])
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "collect: %s",
				 strerror(-errs[i]));
		else
			store_swap(mi->stats, &mi->next);
	}
	memcpy(a->store.kmem, mem, nr_mem * sizeof(mem[0]));
	a->store.nr_kmem = nr_mem;
	memcpy(a->store.progs, progs, nr_progs * sizeof(progs[0]));
	a->store.nr_progs = (unsigned int)nr_progs;
	a->store.acct = sa;
	if (new_ctrs) {
		struct store_container *old = a->store.containers;

		a->store.containers = ctrs;
		a->store.nr_containers = nr_ctrs;
		ctrs = old; /* freed after the lock */
	}
	self_usage(&a->store);
	store_collection_observed(&a->store, now() - t0);
	a->store.collections++;
	/* Readers render here, once for every scrape until the next collection. */
	store_published(&a->store);
	pthread_mutex_unlock(&a->store.lock);
	free(ctrs);
}

void agent_stop(struct agent *a)
{
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];

		if (mi->stats && mi->stats->state == MODULE_UP) {
			mi->mod->unload(mi);
			mi->stats->state = MODULE_DISABLED;
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "stopped");
		}
		store_stats_free(&mi->next);
	}
	mapfill_close(a->mapfill);
	a->mapfill = NULL;
	acct_stop(a->acct);
	a->acct = NULL;
	cgroup_names_free(a->cgnames);
	a->cgnames = NULL;
	container_names_free(a->ctr_names);
	a->ctr_names = NULL;
	a->ctr_names_tried = false;
	for (unsigned int i = 0; i < STORE_MAX_MODULES; i++) {
		services_free(a->services[i]);
		a->services[i] = NULL;
	}
}
