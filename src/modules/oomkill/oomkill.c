// SPDX-License-Identifier: GPL-2.0
/*
 * oomkill: processes the OOM killer chose, per application and per cgroup
 * (Netdata's oomkill thread: app.oomkill, cgroup.oomkills), from
 * oom:mark_victim. Kernel half: oomkill.bpf.h, part of the accounting
 * core's object so a victim counts under the application and cgroup of
 * everything else its process did.
 */
#include "core/accounting.h"

enum { OOMKILL_KILLS, OOMKILL_NR_COUNTERS };

static const struct counter_def oomkill_defs[] = {
	[OOMKILL_KILLS] = { "total", "Processes killed by the OOM killer (oom:mark_victim)", .light = true,
			    .netdata_chart = "", .netdata_app_chart = "app.oomkill" },
};

static const unsigned char oomkill_slots[OOMKILL_NR_COUNTERS] = {
	[OOMKILL_KILLS] = SL_OOMKILL,
};

static const struct hook_impl victim_impls[] = {
	{ "tp_btf", PROGS("oomkill_victim_btf") },
	TRACEPOINTS("oomkill_victim_tp"),
};

static const struct hook_def oomkill_hooks[] = {
	HOOK("mark_victim", victim_impls),
};

static const struct acct_desc oomkill_acct = {
	.slot_of = oomkill_slots,
};

const struct module oomkill_module = {
	.name = "oomkill",
	.summary = "Processes killed by the OOM killer, per application and cgroup",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	ACCT_MODULE_TABLES(oomkill_defs, oomkill_hooks, oomkill_acct),
};
