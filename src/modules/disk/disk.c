// SPDX-License-Identifier: GPL-2.0
/*
 * disk: block request latency per disk, as a Prometheus histogram
 * (ebpfmon_disk_latency_seconds{device}), Netdata's disk.latency_io.
 * Its own BPF object (disk.bpf.c); off by default, as in Netdata.
 *
 * Kernel memory, reasoned for 128 CPUs: the in-flight table (8192 requests)
 * and the device table (256 disks of 232 bytes) are shared hashes whose size
 * does not depend on the CPU count (a preallocated hash keeps one spare
 * element per CPU: 128 more at most); only the stats array (32 bytes) is
 * per CPU. `ebpfmon_kernel_map_bytes` shows the figures measured here.
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
#include "disk.skel.h"
#include "modules/disk/disk.h"

enum {
	DISK_LATENCY,
	DISK_INFLIGHT_FULL,
	DISK_DEVICES_FULL,
	DISK_UNMATCHED,
	DISK_MISSED,
	DISK_NR_DEFS,
};

/* Finite bounds of slots 0..22: 2^(k+1) us; slot 23 is +Inf (disk.h). */
#define US(n) ((n) * 1000ULL)
static const uint64_t disk_le_ns[DISK_SLOTS - 1] = {
	US(1ULL << 1),	US(1ULL << 2),	US(1ULL << 3),	US(1ULL << 4),	US(1ULL << 5),
	US(1ULL << 6),	US(1ULL << 7),	US(1ULL << 8),	US(1ULL << 9),	US(1ULL << 10),
	US(1ULL << 11), US(1ULL << 12), US(1ULL << 13), US(1ULL << 14), US(1ULL << 15),
	US(1ULL << 16), US(1ULL << 17), US(1ULL << 18), US(1ULL << 19), US(1ULL << 20),
	US(1ULL << 21), US(1ULL << 22), US(1ULL << 23),
};
_Static_assert(DISK_SLOTS <= EBPFMON_MAX_BUCKETS, "the store holds every slot");

static const struct counter_def disk_defs[] = {
	[DISK_LATENCY] = { "latency_seconds", "Block request latency per disk, from issue to the driver (block_rq_issue) to completion (block_rq_complete), in Netdata's log2 microsecond bins",
			   .kind = HISTOGRAM, .labeled = true, .light = true, .le_ns = disk_le_ns,
			   .nr_le = DISK_SLOTS - 1, .netdata_chart = "disk.latency_io", .netdata_app_chart = "" },
	[DISK_INFLIGHT_FULL] = { "inflight_table_full_total", "Requests not timed because the in-flight table (8192) was full",
				 .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DISK_DEVICES_FULL] = { "device_table_full_total", "Completions not counted because the device table (256 disks) was full",
				.light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DISK_UNMATCHED] = { "unmatched_completions_total", "Completions with no issue seen: requests issued before attach or refused by a full in-flight table, later parts of a request completed in parts, and requests the flush machinery completes without issuing them (about one per fsync on a disk with a write cache; the flush it issues instead is timed)",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[DISK_MISSED] = { "missed_total", "Block events the kernel did not run our programs for (classic tracepoints: while any BPF program or map access from user space is under way on that CPU; tp_btf: only while the same program runs there): requests missing from latency_seconds",
			  .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

/* Both programs of a rung go together: they share its key. */
static const struct hook_impl rq_impls[] = {
	{ "tp_btf", PROGS("disk_issue_btf", "disk_complete_btf") },
	TRACEPOINTS("disk_issue_tp", "disk_complete_tp"),
};

static const struct hook_def disk_hooks[] = {
	HOOK("block requests", rq_impls),
};
#define DISK_NR_HOOKS (sizeof(disk_hooks) / sizeof(disk_hooks[0]))

struct disk_agent {
	struct disk_bpf *skel;
	struct bpf_link *links[4];
	struct bpf_program *progs[4]; /* of each link */
	unsigned int nr_links;
	/* dev_t -> name seen last, for a disk gone from sysfs before a collection. */
	struct {
		uint32_t dev;
		char name[32];
	} names[DISK_DEVICES_MAX];
	unsigned int nr_names;
};

static int disk_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		      struct module_plan *plan)
{
	struct disk_bpf *skel = disk_bpf__open();

	(void)cfg;
	memset(plan, 0, sizeof(*plan));
	if (!skel) {
		snprintf(plan->reason, sizeof(plan->reason), "cannot open BPF object: %s",
			 strerror(errno));
		return -EINVAL;
	}
	/* Every hook or nothing: a latency needs the issue and the completion. */
	modobj_plan(m->hooks, m->nr_hooks, skel->obj, caps, MODOBJ_ALL_PROGS, false, plan);
	for (unsigned int h = 0; h < m->nr_hooks; h++) {
		if (plan->chosen[h] < 0) {
			snprintf(plan->reason, sizeof(plan->reason), "%s: %s", m->hooks[h].name,
				 plan->why[h]);
			disk_bpf__destroy(skel);
			return -EOPNOTSUPP;
		}
	}
	disk_bpf__destroy(skel);
	return 0;
}

static int disk_load(struct module_inst *mi, const struct module_cfg *mc)
{
	const struct hook_impl *impl = &disk_hooks[0].impls[mi->plan.chosen[0]];
	struct disk_agent *da = calloc(1, sizeof(*da));
	struct bpf_program *prog;
	int err;

	(void)mc;
	if (!da)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = da;
	da->skel = disk_bpf__open();
	if (!da->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	/* Only the chosen rung loads: the other's attach point may not exist. */
	bpf_object__for_each_program(prog, da->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (const char *const *p = impl->progs; *p; p++)
		bpf_program__set_autoload(bpf_object__find_program_by_name(da->skel->obj, *p), true);
	err = disk_bpf__load(da->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	for (const char *const *p = impl->progs; *p; p++) {
		struct bpf_link *link;

		prog = bpf_object__find_program_by_name(da->skel->obj, *p);
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "attach %s (%s): %s",
				 *p, bpf_program__section_name(prog), strerror(-err));
			return err;
		}
		da->progs[da->nr_links] = prog;
		da->links[da->nr_links++] = link;
	}
	return 0;
}

/* The name of disk @dev: the kernel's (tp_btf), sysfs's DEVNAME, the last known, or MAJ:MIN. */
static void disk_name(struct disk_agent *da, uint32_t dev, const char *kname, char *out,
		      size_t len)
{
	unsigned int maj = dev >> 20, min = dev & ((1u << 20) - 1), i;
	char path[64], line[128];
	FILE *f;

	out[0] = 0;
	if (kname[0]) {
		snprintf(out, len, "%.*s", 31, kname);
	} else {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", maj, min);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "DEVNAME=", 8)) {
				line[strcspn(line, "\n")] = 0;
				snprintf(out, len, "%.31s", line + 8);
				break;
			}
		}
		if (f)
			fclose(f);
	}
	for (i = 0; i < da->nr_names && da->names[i].dev != dev; i++)
		;
	if (out[0]) {
		if (i == da->nr_names && i < DISK_DEVICES_MAX)
			da->names[da->nr_names++].dev = dev;
		if (i < da->nr_names)
			snprintf(da->names[i].name, sizeof(da->names[i].name), "%s", out);
		return;
	}
	if (i < da->nr_names)
		snprintf(out, len, "%s", da->names[i].name);
	else
		snprintf(out, len, "%u:%u", maj, min);
}

struct disk_read {
	uint32_t dev;
	char name[32];
	struct dlat_hist h;
};

static int by_name(const void *a, const void *b)
{
	const struct disk_read *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->dev > y->dev) - (x->dev < y->dev);
}

static int disk_collect(struct module_inst *mi, struct module_stats *next)
{
	struct disk_agent *da = mi->priv;
	int hfd = bpf_map__fd(da->skel->maps.hists), sfd = bpf_map__fd(da->skel->maps.stats);
	int ncpu = libbpf_num_possible_cpus();
	struct disk_read *rd = NULL;
	struct dlat_stats *st = NULL;
	uint32_t key, cur = 0;
	bool have = false;
	size_t n = 0;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	rd = calloc(DISK_DEVICES_MAX, sizeof(*rd));
	st = calloc((size_t)ncpu, sizeof(*st));
	if (!rd || !st) {
		err = -ENOMEM;
		goto out;
	}
	/* At most 256 disks: a plain walk is cheap; a disk is never deleted, so none is skipped. */
	while (n < DISK_DEVICES_MAX && !bpf_map_get_next_key(hfd, have ? &cur : NULL, &key)) {
		cur = key;
		have = true;
		if (bpf_map_lookup_elem(hfd, &key, &rd[n].h))
			continue;
		rd[n].dev = key;
		disk_name(da, key, rd[n].h.name, rd[n].name, sizeof(rd[n].name));
		n++;
	}
	qsort(rd, n, sizeof(*rd), by_name);
	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	for (size_t i = 0; i < n; i++) {
		struct labeled_row *row = store_row_append(next);
		struct hist_value *h;

		if (!row) {
			err = -ENOMEM;
			goto out;
		}
		store_row_label(row, "device", rd[i].name);
		h = store_row_hist(next, next->nr_rows - 1, DISK_LATENCY);
		memcpy(h->buckets, rd[i].h.slots, sizeof(rd[i].h.slots));
		h->sum_ns = rd[i].h.sum_ns;
	}
	next->host[DISK_MISSED] = modobj_prog_misses(da->skel->obj);
	key = 0;
	if (!bpf_map_lookup_elem(sfd, &key, st)) {
		for (int c = 0; c < ncpu; c++) {
			next->host[DISK_INFLIGHT_FULL] += st[c].inflight_full;
			next->host[DISK_DEVICES_FULL] += st[c].devices_full;
			next->host[DISK_UNMATCHED] += st[c].unmatched;
		}
	}
out:
	free(rd);
	free(st);
	return err;
}

static size_t disk_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max, int cpus)
{
	struct disk_agent *da = mi->priv;

	return modobj_memory(da->skel->obj, out, max, cpus);
}

static void disk_unload(struct module_inst *mi)
{
	struct disk_agent *da = mi->priv;

	if (!da)
		return;
	for (unsigned int i = 0; i < da->nr_links; i++)
		bpf_link__destroy(da->links[i]);
	disk_bpf__destroy(da->skel);
	free(da);
	mi->priv = NULL;
}

const struct module disk_module = {
	.name = "disk",
	.summary = "Block request latency per disk (issue to completion), Netdata's disk.latency_io",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = disk_defs,
	.nr_defs = DISK_NR_DEFS,
	.nr_counters = DISK_NR_DEFS,
	.hooks = disk_hooks,
	.nr_hooks = DISK_NR_HOOKS,
	.row_labels = "device",
	.probe = disk_probe,
	.load = disk_load,
	.collect = disk_collect,
	.unload = disk_unload,
	.kernel_memory = disk_kernel_memory,
};
