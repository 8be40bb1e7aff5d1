// SPDX-License-Identifier: GPL-2.0
/*
 * flows as an agent module (`ebpfmon run`, `snapshot`): the TC programs of
 * `ebpfmon flows` on one interface, exporting only the per-direction,
 * per-protocol totals (per-flow series would be unbounded cardinality for
 * Prometheus; `ebpfmon flows` shows them). Off by default.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "core/kmem.h"
#include "core/modobj.h"
#include "core/module.h"
#include "flows.skel.h"
#include "modules/flows/flows_int.h"

/*
 * The agent never lists flows: the BPF programs skip the flow table (one
 * hash update per packet, not two) and a collection reads only the
 * per-direction, per-protocol totals, a few dozen entries whatever the
 * traffic.
 */
#define AGENT_FLOW_TABLE 1

enum {
	FLOWS_PACKETS,
	FLOWS_BYTES,
	FLOWS_TOTALS_FAILED,
	FLOWS_NR_DEFS,
};

static const struct counter_def flows_defs[] = {
	[FLOWS_PACKETS] = { "packets_total", "Packets through the interface, by direction and protocol (TC)",
			    .labeled = true, .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[FLOWS_BYTES] = { "bytes_total", "Bytes (L2 frame length) through the interface, by direction and protocol (TC)",
			  .labeled = true, .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[FLOWS_TOTALS_FAILED] = { "totals_failures_total", "Packets the totals table could not take (missing from packets_total)",
				  .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

static const struct hook_impl tc_impls[] = {
	{ "tcx", PROGS("ebpfmon_tc_in", "ebpfmon_tc_eg") },
	{ "clsact", PROGS("ebpfmon_tc_in", "ebpfmon_tc_eg") },
};

static const struct hook_def flows_hooks[] = {
	HOOK("tc ingress+egress", tc_impls),
};

struct flows_agent {
	struct flows_bpf *skel;
	struct flows_attach att;
	struct flows_opts o;
	struct flows_snapshot snap;
	int ifindex;
};

/* The interface from the configuration, or the first up non-loopback one. */
static int pick_iface(const struct config *cfg, char *name, size_t len, char *why, size_t wlen)
{
	int ifindex;

	if (cfg->flows_interface[0]) {
		snprintf(name, len, "%s", cfg->flows_interface);
		ifindex = (int)if_nametoindex(name);
		if (!ifindex)
			snprintf(why, wlen, "no interface '%s' ('flows interface')", name);
		return ifindex;
	}
	ifindex = flows_default_iface(name, len);
	if (!ifindex)
		snprintf(why, wlen, "no interface is up besides loopback; set 'flows interface'");
	return ifindex;
}

static int flows_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		       struct module_plan *plan)
{
	char iface[IF_NAMESIZE];
	int in, eg;

	(void)m;
	(void)caps;
	memset(plan, 0, sizeof(*plan));
	if (!pick_iface(cfg, iface, sizeof(iface), plan->reason, sizeof(plan->reason))) {
		plan->chosen[0] = -1;
		snprintf(plan->why[0], sizeof(plan->why[0]), "%s", plan->reason);
		return -EOPNOTSUPP;
	}
	/* TCX links die with the agent; clsact filters need removing. */
	plan->chosen[0] = !caps_kind_disabled("tcx") && flows_tcx_types(&in, &eg) ? 0 : 1;
	if (plan->chosen[0])
		snprintf(plan->why[0], sizeof(plan->why[0]), "tcx: %s",
			 caps_kind_disabled("tcx") ? "disabled by EBPFMON_DISABLE"
						   : "not in this kernel's BTF");
	return 0;
}

static int flows_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct flows_agent *fa = calloc(1, sizeof(*fa));
	char why[256];
	int err;

	if (!fa)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = fa;
	flows_attach_init(&fa->att, "ebpfmon: module flows");
	fa->ifindex = pick_iface(mc->cfg, fa->o.iface, sizeof(fa->o.iface), why, sizeof(why));
	if (!fa->ifindex) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", why);
		return -ENODEV;
	}
	fa->o.iface_set = true;
	fa->o.tc_hook = mi->plan.chosen[0] == 1 ? FLOWS_TC_CLSACT : FLOWS_TC_AUTO;
	fa->o.max_entries = AGENT_FLOW_TABLE;
	fa->skel = flows_bpf__open();
	if (!fa->skel)
		return modobj_fail(mi, -errno, "open BPF object");
	err = bpf_map__set_max_entries(fa->skel->maps.flows, AGENT_FLOW_TABLE);
	if (err)
		return modobj_fail(mi, err, "size the flow table");
	fa->skel->rodata->track_flows = false;
	flows_prepare_load(fa->skel, &fa->o, fa->ifindex);
	err = flows_bpf__load(fa->skel);
	if (err)
		return modobj_fail(mi, err, "load BPF programs (verifier)");
	if (flows_attach(fa->skel, &fa->o, fa->ifindex, NULL, &fa->att, why, sizeof(why))) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s: %s", fa->o.iface, why);
		return -EIO;
	}
	mi->net_admin_at_exit = fa->att.clsact_attached[0] || fa->att.clsact_attached[1];
	return 0;
}

static int flows_collect(struct module_inst *mi, struct module_stats *next)
{
	struct flows_agent *fa = mi->priv;
	struct flows_snapshot *s = &fa->snap;
	int err;

	err = flows_read(fa->skel, false, s);
	if (err)
		return err;
	flows_sort_totals(s->totals, s->nr_totals);
	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	for (size_t i = 0; i < s->nr_totals; i++) {
		const struct flows_total_row *t = &s->totals[i];
		struct labeled_row *row = store_row_append(next);
		char iface[IF_NAMESIZE + 16], proto[32];

		if (!row)
			return -ENOMEM;
		flows_iface_name(t->key.ifindex, iface, sizeof(iface));
		store_row_label(row, "iface", iface);
		store_row_label(row, "direction",
				flows_dir_str(t->key.dir_flags & FLOW_TOTAL_DIR_MASK));
		store_row_label(row, "proto",
				flows_proto_str(t->key.ethertype, t->key.proto,
						t->key.dir_flags & FLOW_TOTAL_UNPARSED, proto,
						sizeof(proto)));
		row->v[FLOWS_PACKETS] = t->packets;
		row->v[FLOWS_BYTES] = t->bytes;
		next->host[FLOWS_PACKETS] += t->packets;
		next->host[FLOWS_BYTES] += t->bytes;
	}
	next->host[FLOWS_TOTALS_FAILED] = s->stats.total_fail_packets;
	return 0;
}

static size_t flows_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max,
				  int cpus)
{
	struct flows_agent *fa = mi->priv;

	return modobj_memory(fa->skel->obj, out, max, cpus);
}

static void flows_unload(struct module_inst *mi)
{
	struct flows_agent *fa = mi->priv;

	if (!fa)
		return;
	flows_detach(&fa->att); /* filters and links off before the programs go */
	flows_bpf__destroy(fa->skel);
	flows_snapshot_free(&fa->snap);
	free(fa);
	mi->priv = NULL;
}

const struct module flows_module = {
	.name = "flows",
	.summary = "Packets and bytes per interface, direction and protocol (TC); per flow in 'ebpfmon flows'",
	.privileges = "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN to load and attach; after attach CAP_NET_ADMIN only when attached through clsact (to remove its filters at exit), none with TCX",
	.default_on = false,
	.defs = flows_defs,
	.nr_defs = FLOWS_NR_DEFS,
	.nr_counters = FLOWS_NR_DEFS,
	.hooks = flows_hooks,
	.nr_hooks = sizeof(flows_hooks) / sizeof(flows_hooks[0]),
	.row_labels = "iface, direction, proto",
	.probe = flows_probe,
	.load = flows_load,
	.collect = flows_collect,
	.unload = flows_unload,
	.kernel_memory = flows_kernel_memory,
};
