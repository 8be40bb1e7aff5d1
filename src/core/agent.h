/* SPDX-License-Identifier: GPL-2.0 */
/* The agent: modules started from a configuration, collected into a store. */
#ifndef EBPFMON_AGENT_H
#define EBPFMON_AGENT_H

#include "core/accounting.h"
#include "core/caps.h"
#include "core/config.h"
#include "core/kmem.h"
#include "core/module.h"
#include "core/privs.h"
#include "core/store.h"

struct apps_groups;
struct cgroup_names;
struct container_names;
struct services;

struct agent {
	struct config cfg;
	struct caps caps;
	struct store store;
	struct apps_groups *groups;
	struct cgroup_names *cgnames;
	struct module_inst insts[STORE_MAX_MODULES];
	unsigned int nr_insts;
	struct acct_plan acct_plan; /* the accounting core's own hooks */
	bool acct_wanted;	    /* a module built on the core is planned */
	struct acct *acct;
	struct mapfill *mapfill; /* table fill of our hash maps; NULL where the kernel cannot */
	bool modules_listed; /* --modules chose the modules, not the configuration */
	bool probe_off;	     /* check: plan the modules that are off too (could this kernel run them?) */
	bool want_pids;	     /* build per-process rows (only JSON snapshots show them) */
	double load_seconds; /* time to load and attach every module */
	struct privs_plan privs; /* what to keep after attach, and who to become */
	struct services *services[STORE_MAX_MODULES]; /* per-service sums, by insts[] index */
	struct container_names *ctr_names; /* the runtimes' names; NULL when off */
	bool ctr_names_tried;		   /* made (or failed) once privileges were down */
	bool privs_dropped; /* privs_drop() done: threads started now hold nothing */
};

/*
 * Fill the store with every registered module and plan the enabled ones
 * against the kernel (no loading). Returns 0, or -ENOSPC when the store
 * cannot hold the registry.
 */
int agent_plan(struct agent *a);
/* Load and attach the planned modules; a failing one is marked failed, the others run. Returns the number up. */
int agent_start(struct agent *a);
/*
 * One collection: every module reads the kernel into its private copy
 * without the store lock; then, under the lock, the copies are swapped in
 * and the store's publish hook renders the result for the HTTP server.
 */
void agent_collect(struct agent *a);
void agent_stop(struct agent *a);

/* The one-line reason ebpfmon cannot run here at all (not root, no BTF), or NULL. */
const char *agent_fatal_reason(const struct caps *c);
const char *module_state_name(enum module_state s);

#endif
