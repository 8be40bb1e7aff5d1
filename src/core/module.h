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

struct bpf_object;
struct module_inst;

/*
 * One implementation of a hook: the programs that implement it (NULL-ended).
 * An implementation is usable when at least one of its programs' attach
 * points exists (e.g. open(2) is absent on arm64, openat(2) is not).
 */
struct hook_impl {
	const char *label; /* "tp_btf", "tracepoint", "kprobe", ... */
	const char *const *progs;
};

/* Something a module must observe, with its implementations best first. */
struct hook_def {
	const char *name;
	const struct hook_impl *impls;
	unsigned int nr_impls;
	bool needs_result; /* only needed to count errors: skipped in entry mode */
};

#define MAX_HOOKS 16

/* A syscall a module's raw sys_exit program acts on, and the action (its own enum). */
struct syscall_action_def {
	int nr;
	unsigned char action;
};
#define SYSCALL_ACTIONS_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* The tp_btf implementation of a syscall hook: the one sys_exit program. */
#define SYS_EXIT_BTF { "tp_btf", PROGS("sys_exit_btf") }

/* Table-building shorthands for modules' hook lists. */
#define PROGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TRACEPOINTS(...) { "tracepoint", PROGS(__VA_ARGS__) }
#define HOOK(n, impls) { n, impls, sizeof(impls) / sizeof(impls[0]), false }
/* A hook that only serves error counting: skipped in entry mode. */
#define RESULT_HOOK(n, impls) { n, impls, sizeof(impls) / sizeof(impls[0]), true }

struct module_plan {
	int chosen[MAX_HOOKS];	     /* index in impls, or -1 */
	char why[MAX_HOOKS][160];    /* reason when chosen == -1 */
	char reason[256];	     /* whole-module reason when unavailable */
};

struct module_cfg {
	const struct config *cfg;
	const struct caps *caps;
	bool apps, cgroups, errors;
	bool per_cpu; /* `maps per core`: per-CPU pid and cgroup tables */
};

struct module {
	const char *name;    /* folder, file stem, skeleton prefix, config key, metric prefix */
	const char *summary;
	bool default_on;
	const struct counter_def *defs;
	unsigned int nr_defs, nr_counters;
	const struct hook_def *hooks;
	unsigned int nr_hooks;
	/* Syscalls for the tp_btf/sys_exit program: filled into syscall_actions. */
	const struct syscall_action_def *syscalls;
	unsigned int nr_syscalls;
	/* Labels of its labeled series; a module with them has no app/cgroup breakdown. */
	const char *row_labels;

	/* Pick hooks: 0, or -EOPNOTSUPP with plan->reason when the kernel can't. */
	int (*probe)(const struct module *m, const struct caps *caps, const struct config *cfg,
		     struct module_plan *plan);
	/* Open, size maps, autoload the chosen programs, load, attach. -errno + mi->reason. */
	int (*load)(struct module_inst *mi, const struct module_cfg *cfg);
	/* Read the maps into mi->stats (caller holds the store lock). */
	int (*collect)(struct module_inst *mi);
	void (*unload)(struct module_inst *mi); /* NULL-safe on a partly loaded module */

	/* Skeleton glue used by the shared counting implementation (core/counting.c). */
	struct bpf_object *(*skel_open)(void **skel);
	int (*skel_configure)(void *skel, const struct module_cfg *cfg);
	void (*skel_destroy)(void *skel);
};

struct pid_tracker;
struct apps_groups;
struct cgroup_names;

struct module_inst {
	const struct module *mod;
	struct module_stats *stats; /* its part of the store */
	struct module_plan plan;
	void *skel;
	struct bpf_object *obj;
	int host_fd, pid_fd, cgroup_fd, lost_fd;
	struct pid_tracker *tracker;
	const struct apps_groups *groups;
	struct cgroup_names *cgnames;
	bool cgroups; /* per-cgroup counting on */
	bool per_cpu; /* pid_counters and cgroup_counters are per-CPU hashes */
	void *read_buf; /* one table entry, every CPU's copy */
	void *priv; /* the implementation's own state (links, ...) */
	int nr_cpus;
};

extern const struct module *const modules[];
extern const unsigned int nr_modules;
const struct module *module_find(const char *name);

#endif
