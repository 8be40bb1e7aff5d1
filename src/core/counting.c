// SPDX-License-Identifier: GPL-2.0
/* Probe, load, collect and unload for the counting modules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/apps_groups.h"
#include "core/cgroup_names.h"
#include "core/counting.h"
#include "core/pid_tracker.h"

const struct hook_impl pid_exec_impls[2] = {
	{ "tp_btf", PROGS("lifecycle_exec_btf") },
	TRACEPOINTS("lifecycle_exec_tp"),
};

const struct hook_impl pid_exit_retire_impls[2] = {
	{ "tp_btf", PROGS("lifecycle_exit_btf") },
	TRACEPOINTS("lifecycle_exit_tp"),
};

struct links {
	struct bpf_link **v;
	unsigned int n;
};

/* Kept beside the instance: the attach links of every program. */
struct counting_private {
	struct links links;
};

static bool hook_wanted(const struct hook_def *h, const struct config *cfg)
{
	return !(h->needs_result && cfg->load_mode == LOAD_MODE_ENTRY);
}

/* Whether program @name of @obj attaches here; its section says where. */
static bool prog_ok(struct bpf_object *obj, const struct caps *caps, const char *name, char *why,
		    size_t len)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p) {
		snprintf(why, len, "program %s missing from the object", name);
		return false;
	}
	return caps_attach_point_ok(caps, bpf_program__section_name(p), why, len);
}

static int plan_hooks(const struct module *m, struct bpf_object *obj, const struct caps *caps,
		      const struct config *cfg, struct module_plan *plan)
{
	unsigned int usable = 0;

	memset(plan, 0, sizeof(*plan));
	for (unsigned int h = 0; h < m->nr_hooks; h++) {
		const struct hook_def *hook = &m->hooks[h];

		plan->chosen[h] = -1;
		if (!hook_wanted(hook, cfg)) {
			snprintf(plan->why[h], sizeof(plan->why[h]),
				 "not needed in ebpf load mode = entry");
			continue;
		}
		for (unsigned int i = 0; i < hook->nr_impls && plan->chosen[h] < 0; i++) {
			const struct hook_impl *impl = &hook->impls[i];
			char why[160] = "";

			for (const char *const *p = impl->progs; *p; p++) {
				if (prog_ok(obj, caps, *p, why, sizeof(why))) {
					plan->chosen[h] = (int)i;
					break;
				}
			}
			if (plan->chosen[h] < 0 && i == 0)
				snprintf(plan->why[h], sizeof(plan->why[h]), "%s: %s", impl->label, why);
			else if (plan->chosen[h] < 0)
				snprintf(plan->why[h] + strlen(plan->why[h]),
					 sizeof(plan->why[h]) - strlen(plan->why[h]), "; %s: %s",
					 impl->label, why);
		}
		if (plan->chosen[h] >= 0)
			usable++;
	}
	if (!usable) {
		snprintf(plan->reason, sizeof(plan->reason), "no hook can be attached on this kernel%s%s",
			 m->nr_hooks ? ": " : "", m->nr_hooks ? plan->why[0] : "");
		return -EOPNOTSUPP;
	}
	return 0;
}

int counting_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		   struct module_plan *plan)
{
	void *skel = NULL;
	struct bpf_object *obj = m->skel_open(&skel);
	int err;

	if (!obj) {
		snprintf(plan->reason, sizeof(plan->reason), "cannot open BPF object: %s",
			 strerror(errno));
		return -EINVAL;
	}
	err = plan_hooks(m, obj, caps, cfg, plan);
	m->skel_destroy(skel);
	return err;
}

/* Autoload exactly the chosen implementations' programs whose attach point exists. */
static void select_programs(struct module_inst *mi, const struct caps *caps)
{
	const struct module *m = mi->mod;
	struct bpf_program *p;
	char why[160];

	bpf_object__for_each_program(p, mi->obj)
		bpf_program__set_autoload(p, false);
	for (unsigned int h = 0; h < m->nr_hooks; h++) {
		if (mi->plan.chosen[h] < 0)
			continue;
		for (const char *const *n = m->hooks[h].impls[mi->plan.chosen[h]].progs; *n; n++)
			if (prog_ok(mi->obj, caps, *n, why, sizeof(why)))
				bpf_program__set_autoload(
					bpf_object__find_program_by_name(mi->obj, *n), true);
	}
}

void counting_autoload_all(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, true);
}

static int fail(struct module_inst *mi, int err, const char *what)
{
	snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s: %s", what, strerror(-err));
	return err;
}

static int attach_all(struct module_inst *mi, struct links *l)
{
	struct bpf_program *p;
	unsigned int n = 0;

	bpf_object__for_each_program(p, mi->obj)
		n++;
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	bpf_object__for_each_program(p, mi->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(p))
			continue;
		link = bpf_program__attach(p);
		if (!link) {
			int err = -errno;

			snprintf(mi->stats->reason, sizeof(mi->stats->reason), "attach %s (%s): %s",
				 bpf_program__name(p), bpf_program__section_name(p), strerror(-err));
			return err;
		}
		l->v[l->n++] = link;
	}
	return 0;
}

/* Tell the raw sys_exit program, if it runs, which syscalls are the module's. */
static int fill_syscall_actions(struct module_inst *mi)
{
	struct bpf_program *p = bpf_object__find_program_by_name(mi->obj, "sys_exit_btf");
	int fd = bpf_object__find_map_fd_by_name(mi->obj, "syscall_actions");

	if (!p || !bpf_program__autoload(p))
		return 0;
	if (fd < 0)
		return -ENOENT;
	for (unsigned int i = 0; i < mi->mod->nr_syscalls; i++) {
		uint32_t nr = (uint32_t)mi->mod->syscalls[i].nr;
		uint8_t act = mi->mod->syscalls[i].action;

		if (nr >= EBPFMON_MAX_SYSCALLS)
			return -ERANGE;
		if (bpf_map_update_elem(fd, &nr, &act, BPF_ANY))
			return -errno;
	}
	return 0;
}

int counting_load(struct module_inst *mi, const struct module_cfg *cfg)
{
	const struct module *m = mi->mod;
	struct counting_private *priv;
	struct bpf_map *map;
	int err;

	mi->host_fd = mi->pid_fd = mi->cgroup_fd = mi->lost_fd = -1;
	mi->obj = m->skel_open(&mi->skel);
	if (!mi->obj)
		return fail(mi, -errno ? -errno : -EINVAL, "open BPF object");
	err = m->skel_configure(mi->skel, cfg);
	if (err)
		return fail(mi, err, "configure");
	/* A disabled breakdown keeps a one-entry table: no kernel memory for nothing. */
	map = bpf_object__find_map_by_name(mi->obj, "pid_counters");
	if (map) {
		bpf_map__set_max_entries(map, cfg->apps ? cfg->cfg->pid_table_size : 1);
		if (cfg->per_cpu)
			bpf_map__set_type(map, BPF_MAP_TYPE_PERCPU_HASH);
	}
	map = bpf_object__find_map_by_name(mi->obj, "cgroup_counters");
	if (map) {
		bpf_map__set_max_entries(map, cfg->cgroups ? cfg->cfg->cgroup_table_size : 1);
		if (cfg->per_cpu)
			bpf_map__set_type(map, BPF_MAP_TYPE_PERCPU_HASH);
	}
	select_programs(mi, cfg->caps);
	err = bpf_object__load(mi->obj);
	if (err)
		return fail(mi, err, "load BPF programs (verifier)");
	err = fill_syscall_actions(mi);
	if (err)
		return fail(mi, err, "fill syscall_actions");
	mi->host_fd = bpf_object__find_map_fd_by_name(mi->obj, "host_counters");
	mi->pid_fd = bpf_object__find_map_fd_by_name(mi->obj, "pid_counters");
	mi->cgroup_fd = bpf_object__find_map_fd_by_name(mi->obj, "cgroup_counters");
	mi->lost_fd = bpf_object__find_map_fd_by_name(mi->obj, "lost_events");
	mi->nr_cpus = libbpf_num_possible_cpus();
	if (mi->host_fd < 0 || mi->lost_fd < 0 || mi->nr_cpus <= 0)
		return fail(mi, -ENOENT, "find counter maps");
	/* Room for one entry of every CPU: header plus counters, per copy. */
	mi->read_buf = calloc((size_t)mi->nr_cpus,
			      sizeof(struct pid_hdr) + m->nr_counters * sizeof(uint64_t));
	if (!mi->read_buf)
		return fail(mi, -ENOMEM, "allocate");
	if (cfg->apps) {
		mi->tracker = pid_tracker_new(cfg->cfg->pid_table_size);
		if (!mi->tracker)
			return fail(mi, -ENOMEM, "pid tracker");
	}
	priv = calloc(1, sizeof(*priv));
	if (!priv)
		return fail(mi, -ENOMEM, "allocate");
	mi->priv = priv;
	return attach_all(mi, &priv->links);
}

void counting_unload(struct module_inst *mi)
{
	struct counting_private *priv = mi->priv;

	if (priv) {
		/* Links first: programs come off the hooks before the object goes. */
		for (unsigned int i = 0; i < priv->links.n; i++)
			bpf_link__destroy(priv->links.v[i]);
		free(priv->links.v);
		free(priv);
		mi->priv = NULL;
	}
	if (mi->skel)
		mi->mod->skel_destroy(mi->skel);
	mi->skel = NULL;
	mi->obj = NULL;
	pid_tracker_free(mi->tracker);
	mi->tracker = NULL;
	free(mi->read_buf);
	mi->read_buf = NULL;
}

/* Sum a per-CPU array slot of @n u64 into @sum. */
static int read_percpu(int fd, int nr_cpus, unsigned int n, uint64_t *sum)
{
	uint32_t zero = 0;
	uint64_t *buf = calloc((size_t)nr_cpus * n, sizeof(uint64_t));

	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, buf)) {
		free(buf);
		return -errno;
	}
	memset(sum, 0, n * sizeof(*sum));
	for (int c = 0; c < nr_cpus; c++)
		for (unsigned int i = 0; i < n; i++)
			sum[i] += buf[(size_t)c * n + i];
	free(buf);
	return 0;
}

/* Every key of hash map @fd (keys of @ksize bytes) into a malloc'd array. */
static void *all_keys(int fd, size_t ksize, size_t *count)
{
	size_t cap = 256, n = 0;
	char *keys = malloc(cap * ksize), *k;
	char prev[8], next[8];
	void *prevp = NULL;

	while (keys && bpf_map_get_next_key(fd, prevp, next) == 0) {
		if (n == cap) {
			k = realloc(keys, cap * 2 * ksize);
			if (!k)
				break;
			keys = k;
			cap *= 2;
		}
		memcpy(keys + n * ksize, next, ksize);
		n++;
		memcpy(prev, next, ksize);
		prevp = prev;
	}
	*count = n;
	return keys;
}

struct pid_reading {
	struct pid_hdr hdr;
	uint64_t c[EBPFMON_MAX_COUNTERS];
};

/*
 * Read (and with @take, delete in the same step) the entry of @key from a
 * table of @nr counters after a @hdr_size header, folding per-CPU copies:
 * counters add up, flags OR, the most recently written name wins.
 */
static int read_entry(struct module_inst *mi, int fd, const void *key, size_t hdr_size,
		      unsigned int nr, bool take, struct pid_reading *out)
{
	size_t size = hdr_size + nr * sizeof(uint64_t);
	int copies = mi->per_cpu ? mi->nr_cpus : 1;
	char *buf = mi->read_buf;

	if (take ? bpf_map_lookup_and_delete_elem(fd, key, buf) : bpf_map_lookup_elem(fd, key, buf))
		return -errno;
	memset(out, 0, sizeof(*out));
	for (int cpu = 0; cpu < copies; cpu++) {
		const char *copy = buf + (size_t)cpu * size;
		const uint64_t *c = (const uint64_t *)(copy + hdr_size);

		if (hdr_size) {
			const struct pid_hdr *h = (const struct pid_hdr *)copy;

			out->hdr.flags |= h->flags;
			if (h->name_ns >= out->hdr.name_ns && h->comm[0]) {
				memcpy(out->hdr.comm, h->comm, sizeof(h->comm));
				out->hdr.name_ns = h->name_ns;
			}
		}
		for (unsigned int i = 0; i < nr; i++)
			out->c[i] += c[i];
	}
	return 0;
}

static void collect_pids(struct module_inst *mi)
{
	struct module_stats *m = mi->stats;
	unsigned int nr = mi->mod->nr_counters;
	size_t n;
	uint32_t *keys = all_keys(mi->pid_fd, sizeof(uint32_t), &n);

	m->nr_pids = 0;
	for (size_t i = 0; keys && i < n; i++) {
		struct pid_reading r;
		bool gone;

		if (read_entry(mi, mi->pid_fd, &keys[i], sizeof(r.hdr), nr, false, &r))
			continue;
		gone = r.hdr.flags & PID_F_DEAD;
		/*
		 * The process is gone: take the final reading and the entry in
		 * one step, so nothing counted in between is lost.
		 */
		if (gone && read_entry(mi, mi->pid_fd, &keys[i], sizeof(r.hdr), nr, true, &r))
			gone = false;
		pid_account(mi->tracker, m, mi->groups, keys[i], &r.hdr, r.c, nr, gone);
		if (!gone) {
			struct pid_row *row = store_pid_append(m);

			if (row) {
				row->pid = keys[i];
				memcpy(row->comm, r.hdr.comm, sizeof(row->comm));
				row->comm[sizeof(row->comm) - 1] = 0;
				memcpy(row->v, r.c, nr * sizeof(uint64_t));
			}
		}
	}
	free(keys);
}

static void collect_cgroups(struct module_inst *mi)
{
	struct module_stats *m = mi->stats;
	unsigned int nr = mi->mod->nr_counters;
	size_t n;
	uint64_t *keys = all_keys(mi->cgroup_fd, sizeof(uint64_t), &n);

	for (size_t i = 0; keys && i < n; i++) {
		struct pid_reading r;
		struct cgroup_row *row;

		if (read_entry(mi, mi->cgroup_fd, &keys[i], 0, nr, false, &r))
			continue;
		row = store_cgroup(m, keys[i]);
		if (!row)
			break;
		if (!row->path[0])
			cgroup_names_lookup(mi->cgnames, keys[i], row->path, sizeof(row->path));
		/* Entries are never deleted: the kernel's value is already cumulative. */
		memcpy(row->v, r.c, nr * sizeof(uint64_t));
	}
	free(keys);
}

int counting_collect(struct module_inst *mi)
{
	struct module_stats *m = mi->stats;
	uint64_t lost[2];
	int err;

	err = read_percpu(mi->host_fd, mi->nr_cpus, mi->mod->nr_counters, m->host);
	if (err)
		return err;
	if (read_percpu(mi->lost_fd, mi->nr_cpus, 2, lost) == 0) {
		m->lost_pid_table_full = lost[0];
		m->lost_cgroup_table_full = lost[1];
	}
	if (mi->tracker)
		collect_pids(mi);
	if (mi->cgroups)
		collect_cgroups(mi);
	return 0;
}
