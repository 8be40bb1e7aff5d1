// SPDX-License-Identifier: GPL-2.0
/*
 * dcstat: directory-cache references, slow lookups and misses (Netdata's
 * dcstat module), host-wide. Off by default.
 *
 * Only kernel-function hooks see these lookups (no tracepoint exists), so on
 * a kernel without kprobes and fentry the module is unavailable and says
 * why; tests/bpf/fs_dcstat_load checks its programs with the verifier.
 * Netdata also breaks dcstat down per application and cgroup; here the
 * host totals are enough for a module that cannot run on our kernels.
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
#include "dcstat.skel.h"
#include "modules/dcstat/dcstat.h"

enum {
	DC_REFERENCES,
	DC_SLOW,
	DC_MISSES,
	DC_NR_COUNTERS,
	DC_HIT_RATIO = DC_NR_COUNTERS,
	DC_NR_DEFS,
};

/*
 * The hit ratio is a gauge over the last collection interval, as Netdata
 * draws it; the store holds integers, so it is kept in billionths.
 */
#define DC_RATIO_ONE 1000000000ULL

static const struct counter_def dcstat_defs[] = {
	[DC_REFERENCES] = { "references_total",
			    "Path components looked up in the directory cache (lookup_fast calls)",
			    .netdata_chart = "filesystem.dc_reference", .netdata_app_chart = "" },
	[DC_SLOW] = { "slow_total", "Directory-cache lookups that took the slow path (d_lookup calls)",
		      .netdata_chart = "filesystem.dc_reference", .netdata_app_chart = "" },
	[DC_MISSES] = { "misses_total", "Slow lookups that found no dentry (d_lookup returned NULL)",
			.netdata_chart = "filesystem.dc_reference", .netdata_app_chart = "" },
	[DC_HIT_RATIO] = { "hit_ratio",
			   "(references - misses) / references over the last collection interval, in billionths",
			   GAUGE_HOST, .netdata_chart = "filesystem.dc_hit_ratio",
			   .netdata_app_chart = "" },
};
_Static_assert(DC_NR_DEFS <= EBPFMON_MAX_COUNTERS, "dcstat defs fit a row");

static const struct hook_impl lookup_fast_impls[] = {
	{ "fentry", PROGS("dc_lookup_fast_fentry") },
	{ "kprobe", PROGS("dc_lookup_fast_kprobe") },
};

static const struct hook_impl d_lookup_impls[] = {
	{ "fentry", PROGS("dc_d_lookup_fentry", "dc_d_lookup_fexit") },
	{ "kprobe", PROGS("dc_d_lookup_kprobe", "dc_d_lookup_kretprobe") },
};

enum { DC_HOOK_FAST, DC_HOOK_SLOW, DC_NR_HOOKS };

static const struct hook_def dcstat_hooks[] = {
	[DC_HOOK_FAST] = HOOK("lookup_fast (references)", lookup_fast_impls),
	[DC_HOOK_SLOW] = HOOK("d_lookup (slow, misses)", d_lookup_impls),
};

struct dcstat_agent {
	struct dcstat_bpf *skel;
	struct dcstat_counts prev; /* at the last collection: the ratio's interval */
	uint64_t ratio;
	int ncpus;
	struct dcstat_counts *percpu;
};

static int dcstat_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
			struct module_plan *plan)
{
	struct dcstat_bpf *skel = dcstat_bpf__open();
	int ret = 0;

	(void)cfg;
	memset(plan, 0, sizeof(*plan));
	if (!skel) {
		snprintf(plan->reason, sizeof(plan->reason), "cannot open BPF object: %s",
			 strerror(errno));
		return -EINVAL;
	}
	modobj_plan(m->hooks, m->nr_hooks, skel->obj, caps, MODOBJ_ALL_PROGS, false, plan);
	/* Both hooks or nothing: a ratio needs references and misses. */
	for (unsigned int h = 0; h < m->nr_hooks && !ret; h++) {
		if (plan->chosen[h] < 0) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "no tracepoint sees %s and this kernel attaches neither fentry "
				 "nor kprobes (%s)",
				 m->hooks[h].name, plan->why[h]);
			ret = -EOPNOTSUPP;
		}
	}
	dcstat_bpf__destroy(skel);
	return ret;
}

static int dcstat_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct dcstat_agent *da = calloc(1, sizeof(*da));
	struct bpf_program *prog;
	int err;

	(void)mc;
	if (!da)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = da;
	da->ncpus = libbpf_num_possible_cpus();
	if (da->ncpus <= 0)
		return modobj_fail(mi, da->ncpus ? da->ncpus : -EINVAL, "count CPUs");
	da->percpu = calloc((size_t)da->ncpus, sizeof(*da->percpu));
	if (!da->percpu)
		return modobj_fail(mi, -ENOMEM, "allocate");
	da->skel = dcstat_bpf__open();
	if (!da->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	/* Only the chosen rung of each hook is loaded (and so attached). */
	bpf_object__for_each_program(prog, da->skel->obj) bpf_program__set_autoload(prog, false);
	for (unsigned int h = 0; h < DC_NR_HOOKS; h++) {
		const struct hook_impl *impl = &dcstat_hooks[h].impls[mi->plan.chosen[h]];

		for (const char *const *p = impl->progs; *p; p++)
			bpf_program__set_autoload(
			    bpf_object__find_program_by_name(da->skel->obj, *p), true);
	}
	err = dcstat_bpf__load(da->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	err = dcstat_bpf__attach(da->skel); /* links: nothing stays attached after exit */
	if (err)
		return modobj_fail(mi, err, "attach");
	return 0;
}

/* The ratio over one interval, in billionths; @last when nothing was looked up. */
uint64_t dcstat_hit_ratio(uint64_t references, uint64_t misses, uint64_t last)
{
	if (!references)
		return last;
	if (misses >= references)
		return 0;
	return (uint64_t)((unsigned __int128)(references - misses) * DC_RATIO_ONE / references);
}

static int dcstat_collect(struct module_inst *mi, struct module_stats *next)
{
	struct dcstat_agent *da = mi->priv;
	struct dcstat_counts sum = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(da->skel->maps.dc_counts), &zero, da->percpu))
		return -errno;
	for (int c = 0; c < da->ncpus; c++) {
		sum.references += da->percpu[c].references;
		sum.slow += da->percpu[c].slow;
		sum.misses += da->percpu[c].misses;
	}
	da->ratio = dcstat_hit_ratio(sum.references - da->prev.references,
				     sum.misses - da->prev.misses, da->ratio);
	da->prev = sum;
	memset(next->host, 0, sizeof(next->host));
	next->host[DC_REFERENCES] = sum.references;
	next->host[DC_SLOW] = sum.slow;
	next->host[DC_MISSES] = sum.misses;
	next->host[DC_HIT_RATIO] = da->ratio;
	return 0;
}

static size_t dcstat_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				   int cpus)
{
	struct dcstat_agent *da = mi->priv;

	return modobj_memory(da->skel->obj, out, max, cpus);
}

static void dcstat_unload(struct module_inst *mi)
{
	struct dcstat_agent *da = mi->priv;

	if (!da)
		return;
	dcstat_bpf__destroy(da->skel); /* links first, then the programs */
	free(da->percpu);
	free(da);
	mi->priv = NULL;
}

const struct module dcstat_module = {
	.name = "dcstat",
	.summary = "Directory-cache references, slow lookups and misses (lookup_fast, d_lookup: fentry or kprobes only)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = dcstat_defs,
	.nr_defs = DC_NR_DEFS,
	.nr_counters = DC_NR_COUNTERS,
	.hooks = dcstat_hooks,
	.nr_hooks = DC_NR_HOOKS,
	/* Host series only: no labels of its own, no per-application rows. */
	.row_labels = "",
	.probe = dcstat_probe,
	.load = dcstat_load,
	.collect = dcstat_collect,
	.unload = dcstat_unload,
	.kernel_memory = dcstat_kernel_memory,
};
