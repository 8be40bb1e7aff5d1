// SPDX-License-Identifier: GPL-2.0
/*
 * swap: calls that write pages to swap and read them back, per application
 * and per cgroup (Netdata's swap thread: mem.swapcalls, app.ebpf_call_swap_*).
 * Off by default, as in Netdata. Kernel half: swap.bpf.h, part of the
 * accounting core's object.
 *
 * Swap-out has a tracepoint rung (vmscan:mm_vmscan_write_folio, swap-backed
 * folios), measured equal to /proc/vmstat pswpout; swap-in has none, only
 * kprobes (swap_read_folio, or swap_readpage on kernels before folios). On a
 * kernel without kprobes the module runs with swap-out alone and its
 * call="read" series is absent, not 0; `ebpfmon check` says why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/accounting.h"
#include "modules/swap/swap.h"

_Static_assert(SWAP_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

#define SWAP_DEF(value, help, app_chart) \
	{ "calls_total", help, .light = true, .netdata_chart = "mem.swapcalls", .netdata_app_chart = app_chart, \
	  .fixed_label = "call", .fixed_value = value }

static const struct counter_def swap_defs[] = {
	[SWAP_WRITE] = SWAP_DEF("write", "Calls that write a folio to swap (swap-out), and read one back (swap-in)",
				"app.ebpf_call_swap_writepage"),
	[SWAP_READ] = SWAP_DEF("read", "", "app.ebpf_call_swap_readpage"),
};
_Static_assert(sizeof(swap_defs) / sizeof(swap_defs[0]) == SWAP_NR_COUNTERS, "one def per counter");

static const unsigned char swap_slots[SWAP_NR_COUNTERS] = {
	[SWAP_WRITE] = SL_SWAP_WRITE,
	[SWAP_READ] = SL_SWAP_READ,
};

static const struct hook_impl write_impls[] = {
	{ "tp_btf", PROGS("swap_write_btf") },
	TRACEPOINTS("swap_write_tp"),
	{ "kprobe swap_writeout", PROGS("swap_kp_writeout") },
	{ "kprobe swap_writepage", PROGS("swap_kp_writepage") },
};
/* No tracepoint covers swap-in. The two functions are one renamed (6.9): never both. */
static const struct hook_impl read_impls[] = {
	{ "kprobe (swap-in has no tracepoint)", PROGS("swap_kp_read_folio", "swap_kp_readpage") },
};

enum { H_WRITE, H_READ };

static const struct hook_def swap_hooks[] = {
	[H_WRITE] = HOOK("swap-out", write_impls),
	[H_READ] = HOOK("swap-in", read_impls),
};

static const struct acct_desc swap_acct = {
	.slot_of = swap_slots,
};

static int swap_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		      struct module_plan *plan)
{
	int err = acct_module_probe(m, caps, cfg, plan);

	if (err == -EOPNOTSUPP)
		snprintf(plan->reason, sizeof(plan->reason),
			 "no hook for swap-out (%.90s) nor swap-in (%.90s)", plan->why[H_WRITE],
			 plan->why[H_READ]);
	return err;
}

/* Without a swap-in hook, its series is left out (absent, not a false 0): write is def 0. */
static int swap_load(struct module_inst *mi, const struct module_cfg *mc)
{
	int err = acct_module_load(mi, mc);

	if (!err && mi->plan.chosen[H_READ] < 0)
		mi->stats->nr_defs = SWAP_READ;
	return err;
}

const struct module swap_module = {
	.name = "swap",
	.summary = "Swap calls: folios written to swap (swap-out) and read back (swap-in)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = swap_defs,
	.nr_defs = SWAP_NR_COUNTERS,
	.nr_counters = SWAP_NR_COUNTERS,
	.hooks = swap_hooks,
	.nr_hooks = sizeof(swap_hooks) / sizeof(swap_hooks[0]),
	.acct = &swap_acct,
	.probe = swap_probe,
	.load = swap_load,
	.collect = acct_module_collect,
	.unload = acct_module_unload,
};
