// SPDX-License-Identifier: GPL-2.0
/*
 * hardirq: calls and time per hard IRQ handler and per x86 system vector
 * (Netdata's hardirq module, chart system.hardirq_latency), from the
 * irq:irq_handler_entry/exit and irq_vectors:*_entry/exit tracepoints, the
 * ones Netdata uses too. Ladder per hook: tp_btf (typed, no tracefs), then
 * the classic tracepoints.
 *
 * Labels: irq is the /proc/interrupts row (the number, or LOC, RES, CAL, ...
 * for a vector); name is the handler's action name (request_irq()'s
 * devname, the last column of /proc/interrupts, truncated to 31 bytes), or
 * for a vector the description /proc/interrupts gives it. A shared IRQ line
 * has one series per handler, each counting the line's interrupts.
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
#include "hardirq.skel.h"
#include "modules/hardirq/hardirq.h"

enum {
	HARDIRQ_CALLS,
	HARDIRQ_LATENCY,
	HARDIRQ_TABLE_FULL,
	HARDIRQ_MISSED,
	HARDIRQ_NR_DEFS,
};
_Static_assert(HARDIRQ_NR_DEFS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

static const struct counter_def hardirq_defs[] = {
	[HARDIRQ_CALLS] = { "calls_total", "Hard IRQ handler runs (irq_handler_exit) and x86 system vector interrupts (irq_vectors), by /proc/interrupts row and handler name",
			    .labeled = true, .light = true, .netdata_chart = "system.hardirq_latency",
			    .netdata_app_chart = "" },
	[HARDIRQ_LATENCY] = { "latency_seconds_total", "Time spent in hard IRQ handlers and system vectors (entry to exit tracepoint)",
			      .labeled = true, .light = true, .ns_as_seconds = true,
			      .netdata_chart = "system.hardirq_latency", .netdata_app_chart = "" },
	[HARDIRQ_TABLE_FULL] = { "table_full_total", "Handler runs not counted: their (irq, name) was new and the handler table (4096) was full",
				 .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[HARDIRQ_MISSED] = { "missed_total", "Tracepoint hits our programs did not run for, as the kernel counts them (another BPF program running on that CPU): missing from calls_total",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

/* Hooks: the handlers, then one per vector (index HOOK_VEC0 + enum hardirq_vector). */
#define PAIR(tp) PROGS(tp "_entry_btf", tp "_exit_btf"), PROGS(tp "_entry_tp", tp "_exit_tp")
#define IMPLS(name, btf, tp)                                     \
	static const struct hook_impl name[] = {                 \
		{ "tp_btf", btf },                               \
		{ "tracepoint", tp },                            \
	}

IMPLS(handler_impls, PROGS("handler_entry_btf", "handler_exit_btf"),
      PROGS("handler_entry_tp", "handler_exit_tp"));
#define VEC_IMPLS(name, tp) IMPLS(name, PROGS(tp "_entry_btf", tp "_exit_btf"), \
				  PROGS(tp "_entry_tp", tp "_exit_tp"))
VEC_IMPLS(loc_impls, "local_timer");
VEC_IMPLS(spu_impls, "spurious_apic");
VEC_IMPLS(iwi_impls, "irq_work");
VEC_IMPLS(res_impls, "reschedule");
IMPLS(cal_impls,
      PROGS("call_function_entry_btf", "call_function_exit_btf",
	    "call_function_single_entry_btf", "call_function_single_exit_btf"),
      PROGS("call_function_entry_tp", "call_function_exit_tp", "call_function_single_entry_tp",
	    "call_function_single_exit_tp"));
VEC_IMPLS(trm_impls, "thermal_apic");
VEC_IMPLS(err_impls, "error_apic");
VEC_IMPLS(plt_impls, "x86_platform_ipi");

#define HOOK_VEC0 1
static const struct hook_def hardirq_hooks[] = {
	HOOK("irq handlers", handler_impls),
	[HOOK_VEC0 + HV_LOC] = HOOK("LOC (local_timer)", loc_impls),
	[HOOK_VEC0 + HV_SPU] = HOOK("SPU (spurious_apic)", spu_impls),
	[HOOK_VEC0 + HV_IWI] = HOOK("IWI (irq_work)", iwi_impls),
	[HOOK_VEC0 + HV_RES] = HOOK("RES (reschedule)", res_impls),
	[HOOK_VEC0 + HV_CAL] = HOOK("CAL (call_function*)", cal_impls),
	[HOOK_VEC0 + HV_TRM] = HOOK("TRM (thermal_apic)", trm_impls),
	[HOOK_VEC0 + HV_ERR] = HOOK("ERR (error_apic)", err_impls),
	[HOOK_VEC0 + HV_PLT] = HOOK("PLT (x86_platform_ipi)", plt_impls),
};
#define NR_HOOKS (sizeof(hardirq_hooks) / sizeof(hardirq_hooks[0]))
_Static_assert(NR_HOOKS == HOOK_VEC0 + HV_NR && NR_HOOKS <= MAX_HOOKS, "one hook per vector");

/* The /proc/interrupts row of each vector: its name and its description. */
static const char *const vec_rows[HV_NR][2] = {
	[HV_LOC] = { "LOC", "Local timer interrupts" },
	[HV_SPU] = { "SPU", "Spurious interrupts" },
	[HV_IWI] = { "IWI", "IRQ work interrupts" },
	[HV_RES] = { "RES", "Rescheduling interrupts" },
	[HV_CAL] = { "CAL", "Function call interrupts" },
	[HV_TRM] = { "TRM", "Thermal event interrupts" },
	[HV_ERR] = { "ERR", "APIC error interrupts" },
	[HV_PLT] = { "PLT", "Platform interrupts" },
};

#define MAX_LINKS 40

struct irq_row {
	struct hardirq_key key;
	struct hardirq_val val;
};

struct hardirq_agent {
	struct hardirq_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	unsigned int nr_links;
	int ncpus;
	void *percpu; /* one per-CPU lookup's values */
	struct irq_row *rows;
	size_t cap_rows;
	bool in_proc[HV_NR]; /* the vector has a /proc/interrupts row */
};

static int hardirq_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
			 struct module_plan *plan)
{
	struct hardirq_bpf *skel = hardirq_bpf__open();
	int err;

	(void)m;
	(void)cfg;
	err = modobj_probe(skel ? skel->obj : NULL, hardirq_hooks, NR_HOOKS, caps, MODOBJ_ALL_PROGS,
			   false, plan);
	hardirq_bpf__destroy(skel);
	return err;
}

/* Whether program @name is one of the chosen implementations'. */
static bool chosen(const struct module_plan *plan, const char *name)
{
	for (unsigned int h = 0; h < NR_HOOKS; h++) {
		if (plan->chosen[h] < 0)
			continue;
		for (const char *const *p = hardirq_hooks[h].impls[plan->chosen[h]].progs; *p; p++)
			if (!strcmp(*p, name))
				return true;
	}
	return false;
}

/*
 * Which vectors /proc/interrupts shows: the kernel leaves out some (PLT
 * without a platform IPI callback, TRM without the thermal vector), and a
 * series for a row it does not have would only confuse.
 */
static void read_proc_rows(struct hardirq_agent *ha)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[8192], row[16];

	if (!f) { /* no /proc: show them all */
		for (int v = 0; v < HV_NR; v++)
			ha->in_proc[v] = true;
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %15[^: ]:", row) == 1)
			for (int v = 0; v < HV_NR; v++)
				ha->in_proc[v] |= !strcmp(row, vec_rows[v][0]);
	fclose(f);
}

static int hardirq_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct hardirq_agent *ha = calloc(1, sizeof(*ha));
	struct bpf_program *prog;
	int err;

	(void)mc;
	if (!ha)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = ha;
	ha->ncpus = libbpf_num_possible_cpus();
	if (ha->ncpus <= 0)
		return modobj_fail(mi, ha->ncpus ? ha->ncpus : -EINVAL, "count possible CPUs");
	ha->percpu = calloc(ha->ncpus, sizeof(struct hardirq_val));
	if (!ha->percpu)
		return modobj_fail(mi, -ENOMEM, "allocate");
	read_proc_rows(ha);
	ha->skel = hardirq_bpf__open();
	if (!ha->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	bpf_object__for_each_program(prog, ha->skel->obj)
		bpf_program__set_autoload(prog, chosen(&mi->plan, bpf_program__name(prog)));
	err = hardirq_bpf__load(ha->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	/*
	 * Exits before entries: an exit without its entry is ignored or
	 * untimed, an entry without its exit would leave a stale start.
	 */
	for (int pass = 0; pass < 2; pass++) {
		bpf_object__for_each_program(prog, ha->skel->obj) {
			const char *name = bpf_program__name(prog);
			bool is_exit = strstr(name, "_exit_") != NULL;
			struct bpf_link *link;

			if (!bpf_program__autoload(prog) || is_exit != (pass == 0))
				continue;
			if (ha->nr_links == MAX_LINKS)
				return modobj_fail(mi, -E2BIG, "too many programs");
			link = bpf_program__attach(prog);
			if (!link)
				return modobj_fail(mi, -errno, name);
			ha->links[ha->nr_links++] = link;
		}
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct irq_row *x = a, *y = b;

	if (x->key.irq != y->key.irq)
		return x->key.irq < y->key.irq ? -1 : 1;
	return strncmp(x->key.name, y->key.name, sizeof(x->key.name));
}

/* Every (irq, name) of the handler table into ha->rows, sorted; their number or -errno. */
static long read_handlers(struct hardirq_agent *ha)
{
	int fd = bpf_map__fd(ha->skel->maps.irq_counts);
	struct hardirq_key key, last; /* a copy: rows may move when they grow */
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, n ? &last : NULL, &key)) {
		if (n == ha->cap_rows) {
			size_t cap = ha->cap_rows ? 2 * ha->cap_rows : 64;
			struct irq_row *r = realloc(ha->rows, cap * sizeof(*r));

			if (!r)
				return -ENOMEM;
			ha->rows = r;
			ha->cap_rows = cap;
		}
		ha->rows[n].key = key;
		/* Entries are never deleted, so a key just listed is there. */
		if (bpf_map_lookup_elem(fd, &key, &ha->rows[n].val))
			return -errno;
		last = key;
		n++;
	}
	if (errno != ENOENT)
		return -errno;
	if (n) /* qsort() wants an array, even of nothing */
		qsort(ha->rows, n, sizeof(*ha->rows), row_cmp);
	return (long)n;
}

static struct labeled_row *add_row(struct module_stats *next, const char *irq, const char *name,
				   uint64_t calls, uint64_t ns)
{
	struct labeled_row *row = store_row_append(next);

	if (!row)
		return NULL;
	store_row_label(row, "irq", irq);
	store_row_label(row, "name", name);
	row->v[HARDIRQ_CALLS] = calls;
	row->v[HARDIRQ_LATENCY] = ns;
	next->host[HARDIRQ_CALLS] += calls;
	next->host[HARDIRQ_LATENCY] += ns;
	return row;
}

static int hardirq_collect(struct module_inst *mi, struct module_stats *next)
{
	struct hardirq_agent *ha = mi->priv;
	struct hardirq_val *pc = ha->percpu;
	struct hardirq_stats *st = ha->percpu;
	int fd = bpf_map__fd(ha->skel->maps.vec_counts);
	__u32 zero = 0;
	long n;

	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	n = read_handlers(ha);
	if (n < 0)
		return (int)n;
	for (long i = 0; i < n; i++) {
		char irq[16], name[HARDIRQ_NAME_LEN];

		snprintf(irq, sizeof(irq), "%u", ha->rows[i].key.irq);
		snprintf(name, sizeof(name), "%.*s", HARDIRQ_NAME_LEN - 1, ha->rows[i].key.name);
		if (!add_row(next, irq, name, ha->rows[i].val.calls, ha->rows[i].val.ns))
			return -ENOMEM;
	}
	/*
	 * The vectors whose hook is attached and that /proc/interrupts shows,
	 * zero or not (or that counted anyway), after the numbered rows.
	 */
	for (__u32 v = 0; v < HV_NR; v++) {
		uint64_t calls = 0, ns = 0;

		if (mi->plan.chosen[HOOK_VEC0 + v] < 0)
			continue;
		if (bpf_map_lookup_elem(fd, &v, pc))
			return -errno;
		for (int c = 0; c < ha->ncpus; c++) {
			calls += pc[c].calls;
			ns += pc[c].ns;
		}
		if (!ha->in_proc[v] && !calls)
			continue;
		if (!add_row(next, vec_rows[v][0], vec_rows[v][1], calls, ns))
			return -ENOMEM;
	}
	_Static_assert(sizeof(struct hardirq_stats) <= sizeof(struct hardirq_val), "room");
	if (bpf_map_lookup_elem(bpf_map__fd(ha->skel->maps.hardirq_stats), &zero, st))
		return -errno;
	for (int c = 0; c < ha->ncpus; c++)
		next->host[HARDIRQ_TABLE_FULL] += st[c].table_full;
	next->host[HARDIRQ_MISSED] = modobj_prog_misses(ha->skel->obj);
	return 0;
}

static size_t hardirq_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				    int cpus)
{
	struct hardirq_agent *ha = mi->priv;

	return modobj_memory(ha->skel->obj, out, max, cpus);
}

static void hardirq_unload(struct module_inst *mi)
{
	struct hardirq_agent *ha = mi->priv;

	if (!ha)
		return;
	/* Entries first: the reverse of attach. */
	while (ha->nr_links)
		bpf_link__destroy(ha->links[--ha->nr_links]);
	hardirq_bpf__destroy(ha->skel);
	free(ha->percpu);
	free(ha->rows);
	free(ha);
	mi->priv = NULL;
}

const struct module hardirq_module = {
	.name = "hardirq",
	.summary = "Hard IRQ handler runs and time per IRQ and handler, and per x86 system vector (LOC, RES, CAL, ...)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	.defs = hardirq_defs,
	.nr_defs = HARDIRQ_NR_DEFS,
	.nr_counters = HARDIRQ_NR_DEFS,
	.hooks = hardirq_hooks,
	.nr_hooks = NR_HOOKS,
	.row_labels = "irq, name",
	.probe = hardirq_probe,
	.load = hardirq_load,
	.collect = hardirq_collect,
	.unload = hardirq_unload,
	.kernel_memory = hardirq_kernel_memory,
};
