// SPDX-License-Identifier: GPL-2.0
/*
 * filesystem: latency histograms of read, write, open and sync per
 * filesystem (ext4, xfs, btrfs, nfs, zfs), Netdata's filesystem module.
 * Off by default: its syscall hooks put every syscall of every task on the
 * kernel's slow syscall path (see docs/metrics.md).
 *
 * Host series only, labeled {fs, op}, as Netdata charts them
 * (filesystem.ext4_read_latency, ...). A filesystem's rows are exported when
 * the kernel knows it (/proc/filesystems at load) or once it counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/kmem.h"
#include "core/modobj.h"
#include "core/module.h"
#include "filesystem.skel.h"
#include "modules/filesystem/filesystem.h"

enum {
	FSM_LATENCY,
	FSM_UNTIMED,
	FSM_NR_DEFS,
};

#define US(k) (1000ULL << (k))
/* Netdata's log2 microsecond bins: at most 1 us, 2 us, ... 2^22 us; then +Inf. */
static const uint64_t fs_le_ns[FS_HIST_FINITE] = {
	US(0),	US(1),	US(2),	US(3),	US(4),	US(5),	US(6),	US(7),	US(8),	US(9),	US(10), US(11),
	US(12), US(13), US(14), US(15), US(16), US(17), US(18), US(19), US(20), US(21), US(22),
};

static const struct counter_def filesystem_defs[] = {
	[FSM_LATENCY] = { "latency_seconds",
			  "Time of read, write, open and sync calls on regular files of the filesystem (docs/metrics.md says what each op includes)",
			  HISTOGRAM, .light = true, .labeled = true, .le_ns = fs_le_ns,
			  .nr_le = FS_HIST_FINITE,
			  .netdata_chart = "filesystem.ext4_read_latency, ..._write_, ..._open_, ..._sync_latency; likewise xfs, btrfs, nfs, zfs",
			  .netdata_app_chart = "" },
	[FSM_UNTIMED] = { "untimed_total",
			  "Calls not timed because no per-thread record could be allocated",
			  .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};
_Static_assert(FSM_NR_DEFS <= EBPFMON_MAX_COUNTERS, "filesystem defs fit a row");

static const char *const kind_names[FS_NR_KINDS] = {
	[FS_EXT4] = "ext4", [FS_XFS] = "xfs", [FS_BTRFS] = "btrfs", [FS_NFS] = "nfs", [FS_ZFS] = "zfs",
};
static const char *const op_names[FS_NR_OPS] = {
	[FS_OP_READ] = "read", [FS_OP_WRITE] = "write", [FS_OP_OPEN] = "open", [FS_OP_SYNC] = "sync",
};

#define KPROBE_PAIR(fn) "fs_kp_" #fn, "fs_krp_" #fn

static const struct hook_impl syscall_impls[] = {
	{ "tp_btf", PROGS("fs_sys_enter", "fs_sys_exit"), IMPL_SYSCALL },
	{ "kprobe", PROGS(KPROBE_PAIR(ext4_file_read_iter), KPROBE_PAIR(ext4_file_write_iter),
			  KPROBE_PAIR(ext4_file_open), KPROBE_PAIR(xfs_file_read_iter),
			  KPROBE_PAIR(xfs_file_write_iter), KPROBE_PAIR(xfs_file_open),
			  KPROBE_PAIR(xfs_file_fsync), KPROBE_PAIR(btrfs_file_read_iter),
			  KPROBE_PAIR(btrfs_file_write_iter), KPROBE_PAIR(btrfs_file_open),
			  KPROBE_PAIR(btrfs_sync_file), KPROBE_PAIR(nfs_file_read),
			  KPROBE_PAIR(nfs_file_write), KPROBE_PAIR(nfs_file_open),
			  KPROBE_PAIR(nfs4_file_open), KPROBE_PAIR(nfs_file_fsync),
			  KPROBE_PAIR(zpl_iter_read), KPROBE_PAIR(zpl_iter_write), KPROBE_PAIR(zpl_open),
			  KPROBE_PAIR(zpl_fsync)) },
};

static const struct hook_impl ext4_sync_impls[] = {
	{ "tp_btf", PROGS("fs_ext4_sync_enter_btf", "fs_ext4_sync_exit_btf") },
	{ "tracepoint", PROGS("fs_ext4_sync_enter_tp", "fs_ext4_sync_exit_tp") },
	{ "kprobe", PROGS("fs_ext4_sync_kprobe", "fs_ext4_sync_kretprobe") },
};

enum { FSH_CALLS, FSH_EXT4_SYNC, FSH_NR_HOOKS };

static const struct hook_def filesystem_hooks[] = {
	[FSH_CALLS] = HOOK("read/write/open/sync", syscall_impls),
	[FSH_EXT4_SYNC] = HOOK("ext4 sync", ext4_sync_impls),
};

struct fs_agent {
	struct filesystem_bpf *skel;
	uint64_t records; /* threads holding a start record, at the last collection */
	int ncpus;
	struct fs_hist *percpu;
	struct fs_stats *stats;
	bool known[FS_NR_KINDS]; /* in /proc/filesystems at load */
};

/*
 * The first usable rung of each hook: one whose attach points exist (for
 * the kprobe rung, those of at least one filesystem). A syscall rung is
 * not used in light mode.
 */
static int filesystem_probe(const struct module *m, const struct caps *caps,
			    const struct config *cfg, struct module_plan *plan)
{
	struct filesystem_bpf *skel = filesystem_bpf__open();
	int err;

	err = modobj_probe(skel ? skel->obj : NULL, m->hooks, m->nr_hooks, caps, MODOBJ_ANY_PROG,
			   cfg->load_mode == LOAD_MODE_LIGHT, plan);
	filesystem_bpf__destroy(skel);
	return err;
}

/* The filesystems this kernel knows, from /proc/filesystems ("nodev\tnfs4", "\text4"). */
static void known_kinds(bool *known)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[128], *name;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		name = strchr(line, '\t');
		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = 0;
		for (int k = 0; k < FS_NR_KINDS; k++)
			if (!strcmp(name, kind_names[k]) || (k == FS_NFS && !strcmp(name, "nfs4")))
				known[k] = true;
	}
	fclose(f);
}

static int filesystem_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct fs_agent *fa = calloc(1, sizeof(*fa));
	struct bpf_program *prog;
	char why[160];
	int err;

	if (!fa)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = fa;
	fa->ncpus = libbpf_num_possible_cpus();
	if (fa->ncpus <= 0)
		return modobj_fail(mi, fa->ncpus ? fa->ncpus : -EINVAL, "count CPUs");
	fa->percpu = calloc((size_t)fa->ncpus, sizeof(*fa->percpu));
	fa->stats = calloc((size_t)fa->ncpus, sizeof(*fa->stats));
	if (!fa->percpu || !fa->stats)
		return modobj_fail(mi, -ENOMEM, "allocate");
	known_kinds(fa->known);
	fa->skel = filesystem_bpf__open();
	if (!fa->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	/* Only the chosen rungs load (and attach), and of those only what exists here. */
	bpf_object__for_each_program(prog, fa->skel->obj) bpf_program__set_autoload(prog, false);
	for (unsigned int h = 0; h < FSH_NR_HOOKS; h++) {
		const struct hook_impl *impl;

		if (mi->plan.chosen[h] < 0)
			continue;
		impl = &filesystem_hooks[h].impls[mi->plan.chosen[h]];
		for (const char *const *p = impl->progs; *p; p++)
			if (modobj_prog_ok(fa->skel->obj, mc->caps, *p, why, sizeof(why)))
				bpf_program__set_autoload(
				    bpf_object__find_program_by_name(fa->skel->obj, *p), true);
	}
	/* Where task iterators exist, one counts the per-thread records for kernel_memory. */
	if (modobj_prog_ok(fa->skel->obj, mc->caps, "fs_iter_records", why, sizeof(why)))
		bpf_program__set_autoload(fa->skel->progs.fs_iter_records, true);
	fa->skel->rodata->ext4_sync_hooked = mi->plan.chosen[FSH_EXT4_SYNC] >= 0;
	err = filesystem_bpf__load(fa->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	err = filesystem_bpf__attach(fa->skel); /* links: nothing stays attached after exit */
	if (err)
		return modobj_fail(mi, err, "attach");
	return 0;
}

void filesystem_hist_fold(const struct fs_hist *percpu, int ncpus, struct fs_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpus; c++) {
		for (int s = 0; s < FS_HIST_SLOTS; s++)
			out->slots[s] += percpu[c].slots[s];
		out->sum_ns += percpu[c].sum_ns;
	}
}

/* Threads holding a start record, counted by the task iterator (0 without one). */
static uint64_t count_records(struct fs_agent *fa)
{
	struct bpf_link *link = fa->skel->links.fs_iter_records;
	char buf[64];
	int fd;

	if (!link)
		return 0;
	fa->skel->bss->iter_records = 0;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return fa->records;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return fa->skel->bss->iter_records;
}


/* Netdata's filesystem.conf: [filesystem] ext4dist = no turns that filesystem's charts off. */
static bool fs_turned_off(const struct module_stats *st, const char *fs)
{
	for (unsigned int i = 0; i < st->nr_hidden; i++)
		if (!strcmp(st->hidden[i], fs))
			return true;
	return false;
}

static int filesystem_collect(struct module_inst *mi, struct module_stats *next)
{
	struct fs_agent *fa = mi->priv;
	int hfd = bpf_map__fd(fa->skel->maps.fs_hists);
	struct fs_hist sums[FS_HIST_ENTRIES];
	bool any[FS_NR_KINDS] = { false };
	__u32 zero = 0;

	for (__u32 key = 0; key < FS_HIST_ENTRIES; key++) {
		if (bpf_map_lookup_elem(hfd, &key, fa->percpu))
			return -errno;
		filesystem_hist_fold(fa->percpu, fa->ncpus, &sums[key]);
		for (int s = 0; s < FS_HIST_SLOTS; s++)
			any[key / FS_NR_OPS] |= sums[key].slots[s] != 0;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(fa->skel->maps.fs_stats), &zero, fa->stats))
		return -errno;
	fa->records = count_records(fa);
	memset(next->host, 0, sizeof(next->host));
	for (int c = 0; c < fa->ncpus; c++)
		next->host[FSM_UNTIMED] += fa->stats[c].no_storage;
	next->nr_rows = 0;
	for (int k = 0; k < FS_NR_KINDS; k++) {
		if ((!fa->known[k] && !any[k]) || fs_turned_off(mi->stats, kind_names[k]))
			continue;
		for (int op = 0; op < FS_NR_OPS; op++) {
			const struct fs_hist *h = &sums[k * FS_NR_OPS + op];
			struct labeled_row *row = store_row_append(next);
			struct hist_value *hv;

			if (!row)
				return -ENOMEM;
			store_row_label(row, "fs", kind_names[k]);
			store_row_label(row, "op", op_names[op]);
			hv = store_row_hist(next, next->nr_rows - 1, FSM_LATENCY);
			if (!hv)
				return -EINVAL;
			/* Slot k is the bucket of bound k; the last slot is +Inf. */
			memcpy(hv->buckets, h->slots, sizeof(h->slots));
			hv->sum_ns = h->sum_ns;
		}
	}
	return 0;
}

static size_t filesystem_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				       int cpus)
{
	struct fs_agent *fa = mi->priv;
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, fa->skel->obj) {
		uint64_t memlock;

		if (n == max)
			break;
		if (bpf_map__fd(map) < 0)
			continue;
		memlock = kmem_memlock(bpf_map__fd(map));
		/*
		 * Task storage is charged per task, outside the map: each record is a
		 * storage element (72 bytes of header, then the value) in its slab.
		 */
		if (bpf_map__type(map) == BPF_MAP_TYPE_TASK_STORAGE)
			memlock += fa->records * kmem_slab_size(72 + sizeof(struct fs_start));
		kmem_project(map, memlock, cpus, &out[n++]);
	}
	return n;
}

static void filesystem_unload(struct module_inst *mi)
{
	struct fs_agent *fa = mi->priv;

	if (!fa)
		return;
	filesystem_bpf__destroy(fa->skel); /* links first, then the programs */
	free(fa->percpu);
	free(fa->stats);
	free(fa);
	mi->priv = NULL;
}

const struct module filesystem_module = {
	.name = "filesystem",
	.summary = "Latency histograms of read, write, open and sync per filesystem (ext4, xfs, btrfs, nfs, zfs)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = filesystem_defs,
	.nr_defs = FSM_NR_DEFS,
	.nr_counters = FSM_NR_DEFS,
	.hooks = filesystem_hooks,
	.nr_hooks = FSH_NR_HOOKS,
	.row_labels = "fs, op",
	.probe = filesystem_probe,
	.load = filesystem_load,
	.collect = filesystem_collect,
	.unload = filesystem_unload,
	.kernel_memory = filesystem_kernel_memory,
};
