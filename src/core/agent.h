/* SPDX-License-Identifier: GPL-2.0 */
/* The agent: modules started from a configuration, collected into a store. */
#ifndef EBPFMON_AGENT_H
#define EBPFMON_AGENT_H

#include "core/caps.h"
#include "core/config.h"
#include "core/module.h"
#include "core/store.h"

struct apps_groups;
struct cgroup_names;

struct agent {
	struct config cfg;
	struct caps caps;
	struct store store;
	struct apps_groups *groups;
	struct cgroup_names *cgnames;
	struct module_inst insts[STORE_MAX_MODULES];
	unsigned int nr_insts;
	double load_seconds; /* time to load and attach every module */
};

/*
 * Fill the store with every registered module and plan the enabled ones
 * against the kernel (no loading). Returns 0.
 */
int agent_plan(struct agent *a);
/* Load and attach the planned modules; a failing one is marked failed, the others run. Returns the number up. */
int agent_start(struct agent *a);
void agent_collect(struct agent *a);
void agent_stop(struct agent *a);

/* The one-line reason ebpfmon cannot run here at all (not root, no BTF), or NULL. */
const char *agent_fatal_reason(const struct caps *c);
const char *module_state_name(enum module_state s);

#endif
