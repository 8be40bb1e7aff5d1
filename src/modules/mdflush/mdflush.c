// SPDX-License-Identifier: GPL-2.0
/*
 * mdflush: flushes handed to MD (software RAID) arrays, per array
 * (ebpfmon_mdflush_total{device}, Netdata's mdstat.mdstat_flush). Its own
 * BPF object (mdflush.bpf.c); off by default, as in Netdata.
 *
 * No tracepoint sees an MD flush: the only hooks are fentry and kprobe on
 * md_flush_request(). Where the kernel has neither, or has no MD at all,
 * the module is unavailable and `ebpfmon check` says which of those is
 * missing. Kernel memory: one shared hash of 256 arrays (40 bytes each) and
 * a 16-byte per-CPU stats array, whatever the CPU count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/kmem.h"
#include "core/modobj.h"
#include "core/module.h"
#include "mdflush.skel.h"
#include "modules/mdflush/mdflush.h"

#define MD_FUNC "md_flush_request"

enum {
	MDFLUSH_FLUSHES,
	MDFLUSH_DEVICES_FULL,
	MDFLUSH_NR_DEFS,
};

static const struct counter_def mdflush_defs[] = {
	[MDFLUSH_FLUSHES] = { "total", "Flush requests handed to an MD (software RAID) array (md_flush_request), per array",
			      .labeled = true, .light = true, .netdata_chart = "mdstat.mdstat_flush", .netdata_app_chart = "" },
	[MDFLUSH_DEVICES_FULL] = { "device_table_full_total", "Flushes not counted because the array table (256) was full",
				   .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

static const struct hook_impl flush_impls[] = {
	{ "fentry", PROGS("mdflush_fentry") },
	{ "kprobe", PROGS("mdflush_kprobe") },
};

static const struct hook_def mdflush_hooks[] = {
	HOOK("md_flush_request", flush_impls),
};

struct mdflush_agent {
	struct mdflush_bpf *skel;
	struct bpf_link *link;
};

/* Whether md_flush_request exists: in vmlinux BTF, or in kallsyms (md built as a module). */
static bool md_func_exists(const struct caps *caps)
{
	char line[256], name[128];
	bool found = false;
	FILE *f;

	if (caps->vmlinux && btf__find_by_name_kind(caps->vmlinux, MD_FUNC, BTF_KIND_FUNC) >= 0)
		return true;
	f = fopen("/proc/kallsyms", "re");
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %127s", name) == 1 && !strcmp(name, MD_FUNC);
	if (f)
		fclose(f);
	return found;
}

static int mdflush_probe(const struct module *m, const struct caps *caps,
			 const struct config *cfg, struct module_plan *plan)
{
	bool func = md_func_exists(caps);
	const char *no_func = MD_FUNC " is not in this kernel (no MD software RAID: CONFIG_MD off, or the md module not loaded)";
	char *why = plan->why[0];

	(void)m;
	(void)cfg;
	memset(plan, 0, sizeof(*plan));
	plan->chosen[0] = -1;
	if (func && caps->fentry)
		plan->chosen[0] = 0;
	else if (func && caps->kprobes)
		plan->chosen[0] = 1;
	/* Say why each better rung is out, as the other modules' ladders do. */
	if (plan->chosen[0] != 0)
		snprintf(why, sizeof(plan->why[0]), "fentry: %s",
			 !caps->fentry ? caps->fentry_reason : no_func);
	if (plan->chosen[0] < 0) {
		size_t used = strlen(why);

		snprintf(why + used, sizeof(plan->why[0]) - used, "; kprobe: %s",
			 !caps->kprobes ? caps->kprobes_reason : no_func);
		if (!func)
			snprintf(plan->reason, sizeof(plan->reason),
				 "%s; and no tracepoint sees MD flushes, only fentry or kprobes (%s%s)",
				 no_func, caps->fentry ? "" : "no fentry",
				 caps->kprobes ? "" : caps->fentry ? "no kprobes" : ", no kprobes");
		else
			snprintf(plan->reason, sizeof(plan->reason),
				 "no tracepoint sees MD flushes and this kernel has neither fentry (%s) nor kprobes (%s)",
				 caps->fentry_reason, caps->kprobes_reason);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int mdflush_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct mdflush_agent *ma = calloc(1, sizeof(*ma));
	struct bpf_program *keep, *prog;
	int err;

	(void)mc;
	if (!ma)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = ma;
	ma->skel = mdflush_bpf__open();
	if (!ma->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	keep = mi->plan.chosen[0] == 0 ? ma->skel->progs.mdflush_fentry : ma->skel->progs.mdflush_kprobe;
	bpf_object__for_each_program(prog, ma->skel->obj)
		bpf_program__set_autoload(prog, prog == keep);
	err = mdflush_bpf__load(ma->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	ma->link = bpf_program__attach(keep);
	if (!ma->link)
		return modobj_fail(mi, -errno, "attach " MD_FUNC);
	return 0;
}

struct md_read {
	uint32_t dev;
	struct mdflush_val v;
	char name[40];
};

static int by_name(const void *a, const void *b)
{
	const struct md_read *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->dev > y->dev) - (x->dev < y->dev);
}

static int mdflush_collect(struct module_inst *mi, struct module_stats *next)
{
	struct mdflush_agent *ma = mi->priv;
	int mfd = bpf_map__fd(ma->skel->maps.flushes), sfd = bpf_map__fd(ma->skel->maps.stats);
	int ncpu = libbpf_num_possible_cpus();
	struct mdflush_stats *st = NULL;
	struct md_read *rd = NULL;
	uint32_t key, cur = 0;
	bool have = false;
	size_t n = 0;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	rd = calloc(MDFLUSH_DEVICES_MAX, sizeof(*rd));
	st = calloc((size_t)ncpu, sizeof(*st));
	if (!rd || !st) {
		err = -ENOMEM;
		goto out;
	}
	while (n < MDFLUSH_DEVICES_MAX && !bpf_map_get_next_key(mfd, have ? &cur : NULL, &key)) {
		cur = key;
		have = true;
		if (bpf_map_lookup_elem(mfd, &key, &rd[n].v))
			continue;
		rd[n].dev = key;
		if (rd[n].v.name[0])
			snprintf(rd[n].name, sizeof(rd[n].name), "%.31s", rd[n].v.name);
		else
			snprintf(rd[n].name, sizeof(rd[n].name), "%u:%u", key >> 20,
				 key & ((1u << 20) - 1));
		n++;
	}
	qsort(rd, n, sizeof(*rd), by_name);
	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	for (size_t i = 0; i < n; i++) {
		struct labeled_row *row = store_row_append(next);

		if (!row) {
			err = -ENOMEM;
			goto out;
		}
		store_row_label(row, "device", rd[i].name);
		row->v[MDFLUSH_FLUSHES] = rd[i].v.flushes;
		next->host[MDFLUSH_FLUSHES] += rd[i].v.flushes;
	}
	key = 0;
	if (!bpf_map_lookup_elem(sfd, &key, st))
		for (int c = 0; c < ncpu; c++)
			next->host[MDFLUSH_DEVICES_FULL] += st[c].devices_full;
out:
	free(rd);
	free(st);
	return err;
}

static size_t mdflush_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				    int cpus)
{
	struct mdflush_agent *ma = mi->priv;

	return modobj_memory(ma->skel->obj, out, max, cpus);
}

static void mdflush_unload(struct module_inst *mi)
{
	struct mdflush_agent *ma = mi->priv;

	if (!ma)
		return;
	bpf_link__destroy(ma->link);
	mdflush_bpf__destroy(ma->skel);
	free(ma);
	mi->priv = NULL;
}

const struct module mdflush_module = {
	.name = "mdflush",
	.summary = "Flushes of MD (software RAID) arrays, per array (needs fentry or kprobes)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = mdflush_defs,
	.nr_defs = MDFLUSH_NR_DEFS,
	.nr_counters = MDFLUSH_NR_DEFS,
	.hooks = mdflush_hooks,
	.nr_hooks = sizeof(mdflush_hooks) / sizeof(mdflush_hooks[0]),
	.row_labels = "device",
	.probe = mdflush_probe,
	.load = mdflush_load,
	.collect = mdflush_collect,
	.unload = mdflush_unload,
	.kernel_memory = mdflush_kernel_memory,
};
