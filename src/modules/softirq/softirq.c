// SPDX-License-Identifier: GPL-2.0
/*
 * softirq: calls and time per softirq vector (Netdata's softirq module,
 * chart system.softirq_latency), from the softirq_entry/exit tracepoints,
 * the ones Netdata uses too. Ladder: tp_btf (typed, no tracefs), then the
 * classic irq:softirq_* tracepoints.
 *
 * Vector names are the kernel's own: the first column of /proc/softirqs, in
 * vector order (HI, TIMER, NET_TX, ...), read at load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/kmem.h"
#include "core/modobj.h"
#include "core/module.h"
#include "modules/softirq/softirq.h"
#include "softirq.skel.h"

enum {
	SOFTIRQ_CALLS,
	SOFTIRQ_LATENCY,
	SOFTIRQ_MISSED,
	SOFTIRQ_NR_DEFS,
};
_Static_assert(SOFTIRQ_NR_DEFS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

static const struct counter_def softirq_defs[] = {
	[SOFTIRQ_CALLS] = { "calls_total", "Softirq handler runs, by vector as in /proc/softirqs (softirq_exit)",
			    .labeled = true, .light = true, .netdata_chart = "system.softirq_latency",
			    .netdata_app_chart = "" },
	[SOFTIRQ_LATENCY] = { "latency_seconds_total", "Time spent in softirq handlers, by vector (softirq_entry to softirq_exit)",
			      .labeled = true, .light = true, .ns_as_seconds = true,
			      .netdata_chart = "system.softirq_latency", .netdata_app_chart = "" },
	[SOFTIRQ_MISSED] = { "missed_total", "Tracepoint hits our programs did not run for, as the kernel counts them (another BPF program running on that CPU): missing from calls_total",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

static const struct hook_impl softirq_impls[] = {
	{ "tp_btf", PROGS("softirq_entry_btf", "softirq_exit_btf") },
	TRACEPOINTS("softirq_entry_tp", "softirq_exit_tp"),
};

static const struct hook_def softirq_hooks[] = {
	HOOK("softirq entry+exit", softirq_impls),
};
#define NR_HOOKS (sizeof(softirq_hooks) / sizeof(softirq_hooks[0]))

#define SOFTIRQ_NAME_LEN 16

struct softirq_agent {
	struct softirq_bpf *skel;
	struct bpf_link *links[2];
	char names[SOFTIRQ_SLOTS][SOFTIRQ_NAME_LEN]; /* from /proc/softirqs */
	unsigned int nr_names;
	int ncpus;
	struct softirq_val *percpu; /* one lookup's values, ncpus of them */
};

static int softirq_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
			 struct module_plan *plan)
{
	struct softirq_bpf *skel = softirq_bpf__open();
	int err;

	(void)m;
	(void)cfg;
	err = modobj_probe(skel ? skel->obj : NULL, softirq_hooks, NR_HOOKS, caps, MODOBJ_ALL_PROGS,
			   false, plan);
	softirq_bpf__destroy(skel);
	return err;
}

/* The vector names, in vector order: the first column of /proc/softirqs. */
static void read_names(struct softirq_agent *sa)
{
	FILE *f = fopen("/proc/softirqs", "re");
	char line[4096], name[SOFTIRQ_NAME_LEN];

	sa->nr_names = 0;
	if (f) {
		if (fgets(line, sizeof(line), f)) /* the CPU header */
			while (sa->nr_names < SOFTIRQ_SLOT_OTHER && fgets(line, sizeof(line), f))
				if (sscanf(line, " %15[^: ]:", name) == 1)
					snprintf(sa->names[sa->nr_names++], SOFTIRQ_NAME_LEN, "%s",
						 name);
		fclose(f);
	}
	if (sa->nr_names)
		return;
	/* No /proc/softirqs (a hidepid-like /proc?): the vector numbers. */
	for (; sa->nr_names < 10; sa->nr_names++)
		snprintf(sa->names[sa->nr_names], SOFTIRQ_NAME_LEN, "%u", sa->nr_names);
}

static int softirq_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct softirq_agent *sa = calloc(1, sizeof(*sa));
	const struct hook_impl *impl;
	struct bpf_program *prog;
	int err;

	(void)mc;
	if (!sa)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = sa;
	sa->ncpus = libbpf_num_possible_cpus();
	if (sa->ncpus <= 0)
		return modobj_fail(mi, sa->ncpus ? sa->ncpus : -EINVAL, "count possible CPUs");
	sa->percpu = calloc(sa->ncpus, sizeof(*sa->percpu));
	if (!sa->percpu)
		return modobj_fail(mi, -ENOMEM, "allocate");
	read_names(sa);
	sa->skel = softirq_bpf__open();
	if (!sa->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	impl = &softirq_impls[mi->plan.chosen[0]];
	bpf_object__for_each_program(prog, sa->skel->obj) {
		bool want = false;

		for (const char *const *p = impl->progs; *p; p++)
			want |= !strcmp(*p, bpf_program__name(prog));
		bpf_program__set_autoload(prog, want);
	}
	err = softirq_bpf__load(sa->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	/*
	 * Exit before entry: an exit without its entry only lacks a time, an
	 * entry without its exit would leave a start for the wrong run.
	 */
	for (int i = 1; i >= 0; i--) {
		prog = bpf_object__find_program_by_name(sa->skel->obj, impl->progs[i]);
		sa->links[i] = bpf_program__attach(prog);
		if (!sa->links[i]) {
			err = -errno;
			sa->links[i] = NULL;
			return modobj_fail(mi, err, impl->progs[i]);
		}
	}
	return 0;
}

static int softirq_collect(struct module_inst *mi, struct module_stats *next)
{
	struct softirq_agent *sa = mi->priv;
	int fd = bpf_map__fd(sa->skel->maps.softirq_counts);

	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	for (__u32 slot = 0; slot < SOFTIRQ_SLOTS; slot++) {
		struct labeled_row *row;
		uint64_t calls = 0, ns = 0;
		char num[16];

		if (bpf_map_lookup_elem(fd, &slot, sa->percpu))
			return -errno;
		for (int c = 0; c < sa->ncpus; c++) {
			calls += sa->percpu[c].calls;
			ns += sa->percpu[c].ns;
		}
		/* Every vector the kernel lists, zero or not; others only once seen. */
		if (slot >= sa->nr_names && !calls)
			continue;
		row = store_row_append(next);
		if (!row)
			return -ENOMEM;
		snprintf(num, sizeof(num), slot == SOFTIRQ_SLOT_OTHER ? "other" : "%u", slot);
		store_row_label(row, "vector", slot < sa->nr_names ? sa->names[slot] : num);
		row->v[SOFTIRQ_CALLS] = calls;
		row->v[SOFTIRQ_LATENCY] = ns;
		next->host[SOFTIRQ_CALLS] += calls;
		next->host[SOFTIRQ_LATENCY] += ns;
	}
	next->host[SOFTIRQ_MISSED] = modobj_prog_misses(sa->skel->obj);
	return 0;
}

static size_t softirq_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				    int cpus)
{
	struct softirq_agent *sa = mi->priv;

	return modobj_memory(sa->skel->obj, out, max, cpus);
}

static void softirq_unload(struct module_inst *mi)
{
	struct softirq_agent *sa = mi->priv;

	if (!sa)
		return;
	/* Entry first: the reverse of attach. */
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(sa->links[i]);
	softirq_bpf__destroy(sa->skel);
	free(sa->percpu);
	free(sa);
	mi->priv = NULL;
}

const struct module softirq_module = {
	.name = "softirq",
	.summary = "Softirq handler runs and time per vector (HI, TIMER, NET_RX, ...)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	.defs = softirq_defs,
	.nr_defs = SOFTIRQ_NR_DEFS,
	.nr_counters = SOFTIRQ_NR_DEFS,
	.hooks = softirq_hooks,
	.nr_hooks = NR_HOOKS,
	.row_labels = "vector",
	.probe = softirq_probe,
	.load = softirq_load,
	.collect = softirq_collect,
	.unload = softirq_unload,
	.kernel_memory = softirq_kernel_memory,
};
