/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the modules with a BPF object of their own (flows, hardirq, softirq,
 * disk, mdflush, dcstat, filesystem) share: planning their hooks against
 * the object, their maps' kernel memory, the runs the kernel skipped, and a
 * failure's one-line reason. The modules on the accounting core have these
 * in core/accounting.c.
 */
#ifndef EBPFMON_MODOBJ_H
#define EBPFMON_MODOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/module.h"

struct bpf_object;

/* When an implementation is usable. */
enum modobj_rule {
	MODOBJ_ALL_PROGS, /* every program attaches here (an entry and exit pair) */
	MODOBJ_ANY_PROG,  /* at least one does (one program per filesystem or syscall) */
};

/* Whether program @name of @obj attaches here (its section says where); @why if not. */
bool modobj_prog_ok(struct bpf_object *obj, const struct caps *caps, const char *name, char *why,
		    size_t len);

/*
 * The first usable implementation of each of @hooks, by the attach points
 * of @obj's programs (not loaded); plan->why[] says what the better ones
 * lacked. With @light, syscall implementations are not used. Returns how
 * many hooks have one; plan->reason is the caller's.
 */
unsigned int modobj_plan(const struct hook_def *hooks, unsigned int n, struct bpf_object *obj,
			 const struct caps *caps, enum modobj_rule rule, bool light,
			 struct module_plan *plan);

/*
 * A module's probe when any one of its hooks is enough: @obj is its object,
 * opened (NULL when opening failed, with errno set), planned by
 * modobj_plan(). 0, or -EOPNOTSUPP (-EINVAL without @obj) with
 * plan->reason; the caller destroys the object.
 */
int modobj_probe(struct bpf_object *obj, const struct hook_def *hooks, unsigned int n,
		 const struct caps *caps, enum modobj_rule rule, bool light,
		 struct module_plan *plan);

/* Kernel memory of every created map of @obj, here and projected to @cpus CPUs. */
size_t modobj_memory(struct bpf_object *obj, struct map_mem *out, size_t max, int cpus);

/*
 * Runs of @obj's loaded programs the kernel skipped (bpf_prog_info's
 * recursion_misses), summed: a classic tracepoint's program does not run
 * while any other tracing BPF program runs on that CPU (bpf_prog_active),
 * a tp_btf one while itself does.
 */
uint64_t modobj_prog_misses(struct bpf_object *obj);

/* "@what: strerror(-@err)" as @mi's reason; returns @err. */
int modobj_fail(struct module_inst *mi, int err, const char *what);

#endif
