// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "core/agent.h"
#include "core/apps_groups.h"
#include "core/cgroup_names.h"

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

int agent_plan(struct agent *a)
{
	struct store *s = &a->store;

	s->apps = a->cfg.apps;
	s->cgroups = a->cfg.cgroups;
	s->errors = a->cfg.load_mode == LOAD_MODE_RETURN;
	for (unsigned int i = 0; i < nr_modules && a->nr_insts < STORE_MAX_MODULES; i++) {
		const struct module *m = modules[i];
		struct module_inst *mi = &a->insts[a->nr_insts++];

		memset(mi, 0, sizeof(*mi));
		mi->mod = m;
		mi->stats = store_add_module(s, m->name, m->defs, m->nr_defs, m->nr_counters);
		if (!config_module_enabled(&a->cfg, m->name)) {
			snprintf(mi->stats->reason, sizeof(mi->stats->reason),
				 "disabled in the configuration");
			continue;
		}
		if (m->probe(m, &a->caps, &a->cfg, &mi->plan)) {
			mi->stats->state = MODULE_UNAVAILABLE;
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", mi->plan.reason);
			continue;
		}
		mi->stats->state = MODULE_FAILED; /* until it loads */
		mi->stats->reason[0] = 0;
	}
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

int agent_start(struct agent *a)
{
	struct module_cfg mc = {
		.cfg = &a->cfg,
		.caps = &a->caps,
		.apps = a->cfg.apps,
		.cgroups = a->cfg.cgroups,
		.errors = a->cfg.load_mode == LOAD_MODE_RETURN,
		.per_cpu = a->cfg.maps_per_core,
	};
	double t0 = now();
	int up = 0;

	if (a->cfg.cgroups && !a->cgnames)
		a->cgnames = cgroup_names_new(); /* NULL: ids are shown as "id:N" */
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];

		if (mi->stats->state != MODULE_FAILED)
			continue;
		mi->groups = a->groups;
		mi->cgnames = a->cgnames;
		mi->cgroups = a->cfg.cgroups;
		mi->per_cpu = a->cfg.maps_per_core;
		if (load_module(mi, &mc)) {
			if (!mi->stats->reason[0])
				snprintf(mi->stats->reason, sizeof(mi->stats->reason), "load failed");
			mi->mod->unload(mi);
			continue;
		}
		mi->stats->state = MODULE_UP;
		up++;
	}
	a->load_seconds = now() - t0;
	a->store.started = (double)time(NULL);
	return up;
}

void agent_collect(struct agent *a)
{
	pthread_mutex_lock(&a->store.lock);
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];
		int err;

		if (mi->stats->state != MODULE_UP)
			continue;
		err = mi->mod->collect(mi);
		if (err)
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "collect: %s",
				 strerror(-err));
	}
	a->store.collections++;
	pthread_mutex_unlock(&a->store.lock);
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
	}
	cgroup_names_free(a->cgnames);
	a->cgnames = NULL;
}
