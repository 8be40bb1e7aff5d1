/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module interface. Every module (process, fd, vfs, ...) is one struct
 * module in the registry (core/registry.c), in a folder of its own with its
 * kernel half, user half and shared header.
 */
#ifndef EBPFMON_MODULE_H
#define EBPFMON_MODULE_H

#include <stdbool.h>

#include "core/caps.h"
#include "core/config.h"
#include "core/store.h"

struct module_inst;

/* Which `ebpf load mode` an implementation serves. */
enum impl_modes {
	IMPL_ANY,	 /* every mode */
	IMPL_SYSCALL,	 /* a syscall hook: return and entry modes, never light */
	IMPL_LIGHT_ONLY, /* light mode's replacement for a syscall hook */
};

/*
 * One implementation of a hook: the programs that implement it (NULL-ended).
 * An implementation is usable when at least one of its programs' attach
 * points exists (e.g. open(2) is absent on arm64, openat(2) is not).
 */
struct hook_impl {
	const char *label; /* "tp_btf", "tracepoint", "kprobe", ... */
	const char *const *progs;
	enum impl_modes modes;
};

/* Something a module must observe, with its implementations best first. */
struct hook_def {
	const char *name;
	const struct hook_impl *impls;
	unsigned int nr_impls;
	bool needs_result; /* only needed to count errors: skipped in entry mode */
};

#define MAX_HOOKS 16

/* Table-building shorthands for modules' hook lists. */
#define PROGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TRACEPOINTS(...) { "tracepoint", PROGS(__VA_ARGS__) }
#define SYSCALL_TRACEPOINTS(...) { "tracepoint", PROGS(__VA_ARGS__), IMPL_SYSCALL }
#define KRETSYSCALLS(...) { "kretsyscall", PROGS(__VA_ARGS__), IMPL_SYSCALL }
#define KSYSCALLS(...) { "ksyscall", PROGS(__VA_ARGS__), IMPL_SYSCALL }
#define HOOK(n, impls) { n, impls, sizeof(impls) / sizeof(impls[0]), false }
/* A hook that only serves error counting: skipped in entry mode. */
#define RESULT_HOOK(n, impls) { n, impls, sizeof(impls) / sizeof(impls[0]), true }

struct module_plan {
	int chosen[MAX_HOOKS];	     /* index in impls, or -1 */
	char why[MAX_HOOKS][160];    /* reason when chosen == -1 */
	char reason[256];	     /* whole-module reason when unavailable */
};

struct apps_groups;
struct cgroup_names;

struct module_cfg {
	const struct config *cfg;
	const struct caps *caps;
	bool apps, cgroups, errors;
	bool light; /* `ebpf load mode = light`: no syscall hooks */
	bool pids;  /* per-process rows wanted (JSON snapshots): not built otherwise */
	const struct apps_groups *groups;
	struct cgroup_names *cgnames;
};

struct acct;
struct acct_desc;

struct module {
	const char *name;    /* folder, file stem, skeleton prefix, config key, metric prefix */
	/* When the metrics' prefix is not the name (httpflow's are ebpfmon_http_*): else NULL. */
	const char *metric_prefix;
	const char *summary;
	/* The capabilities it needs to load, and what it keeps after attach (privs.h). */
	const char *privileges;
	bool default_on;
	const struct counter_def *defs;
	unsigned int nr_defs, nr_counters;
	const struct hook_def *hooks;
	unsigned int nr_hooks;
	/* Built on the accounting core (core/accounting.h): its slots and syscall rules. */
	const struct acct_desc *acct;
	/* Labels of its labeled series; a module with them has no app/cgroup breakdown. */
	const char *row_labels;

	/* Pick hooks: 0, or -EOPNOTSUPP with plan->reason when the kernel can't. */
	int (*probe)(const struct module *m, const struct caps *caps, const struct config *cfg,
		     struct module_plan *plan);
	/* Open, size maps, autoload the chosen programs, load, attach. -errno + mi->reason. */
	int (*load)(struct module_inst *mi, const struct module_cfg *cfg);
	/*
	 * Read the kernel into @next, a private copy of the module's part of
	 * the store (its arrays are the module's to reuse); the agent swaps it
	 * in under the store lock. Runs without that lock.
	 */
	int (*collect)(struct module_inst *mi, struct module_stats *next);
	void (*unload)(struct module_inst *mi); /* NULL-safe on a partly loaded module */
	/* Optional: the kernel memory of its own maps (@cpus: the projection). */
	size_t (*kernel_memory)(struct module_inst *mi, struct map_mem *out, size_t max, int cpus);
};

struct module_inst {
	const struct module *mod;
	struct module_stats *stats; /* its part of the store (read under the store lock) */
	struct module_stats next;   /* what collect() fills, swapped in after */
	struct module_plan plan;
	struct acct *acct;	    /* the accounting core, for modules built on it */
	bool net_admin_at_exit;	    /* attached through netlink: detaching needs CAP_NET_ADMIN */
	bool off_planned;	    /* off, but planned for `check` (plan holds the result) */
	bool off_usable;	    /* ... and this kernel could run it */
	void *priv;		    /* the implementation's own state (links, ...) */
};

extern const struct module *const modules[];
extern const unsigned int nr_modules;
const struct module *module_find(const char *name);

#endif
