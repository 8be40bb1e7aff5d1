/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared implementation of counting modules (process, fd, vfs): their
 * kernel half includes core/bpf/counting.bpf.h, their user half fills a
 * struct module with these functions and its own skeleton glue.
 */
#ifndef EBPFMON_COUNTING_H
#define EBPFMON_COUNTING_H

#include "core/module.h"

int counting_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		   struct module_plan *plan);
int counting_load(struct module_inst *mi, const struct module_cfg *cfg);
int counting_collect(struct module_inst *mi);
void counting_unload(struct module_inst *mi);

/* The hooks of DEFINE_PID_EXEC() and DEFINE_PID_EXIT_RETIRE() in counting.bpf.h. */
extern const struct hook_impl pid_exec_impls[2], pid_exit_retire_impls[2];
#define PID_EXEC_HOOK { "exec", pid_exec_impls, 2, false }
#define PID_EXIT_RETIRE_HOOK { "exit", pid_exit_retire_impls, 2, false }

/* For the bpf test tier: enable every program of @obj (fallbacks too), to load them all. */
void counting_autoload_all(struct bpf_object *obj);

/* Skeleton glue for a module whose skeleton is struct <name>_bpf with rodata flags. */
#define COUNTING_SKEL_GLUE(name)                                                        \
	static struct bpf_object *name##_skel_open(void **skel)                         \
	{                                                                               \
		struct name##_bpf *s = name##_bpf__open();                              \
		*skel = s;                                                              \
		return s ? s->obj : NULL;                                               \
	}                                                                               \
	static int name##_skel_configure(void *skel, const struct module_cfg *cfg)      \
	{                                                                               \
		struct name##_bpf *s = skel;                                            \
		s->rodata->track_apps = cfg->apps;                                      \
		s->rodata->track_cgroups = cfg->cgroups;                                \
		s->rodata->count_errors = cfg->errors;                                  \
		s->rodata->per_cpu_maps = cfg->per_cpu;                                 \
		return 0;                                                               \
	}                                                                               \
	static void name##_skel_destroy(void *skel)                                     \
	{                                                                               \
		name##_bpf__destroy(skel);                                              \
	}

#define COUNTING_MODULE_OPS(name)                                                       \
	.probe = counting_probe, .load = counting_load, .collect = counting_collect,   \
	.unload = counting_unload, .skel_open = name##_skel_open,                       \
	.skel_configure = name##_skel_configure, .skel_destroy = name##_skel_destroy

#endif
