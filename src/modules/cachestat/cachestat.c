// SPDX-License-Identifier: GPL-2.0
/*
 * cachestat: page-cache accesses, misses, hits and dirtied pages, per
 * application and per cgroup (Netdata's cachestat: mem.cachestat_*,
 * app.ebpf_cachestat_*). Off by default, as in Netdata.
 *
 * Built on the accounting core: the kernel half (cachestat.bpf.h, part of
 * the core's object) counts pages into the core's process slots. What is
 * counted, and how it differs from Netdata's kprobe arithmetic, is in
 * cachestat.bpf.h and docs/metrics.md. Hooks, each with its ladder:
 *   insertions  tp_btf > filemap:mm_filemap_add_to_page_cache > kprobe
 *               filemap_add_folio > kprobe add_to_page_cache_lru
 *   reads       tp_btf > filemap:mm_filemap_get_pages > kprobe
 *               folio_mark_accessed > kprobe mark_page_accessed
 *   dirtying    tp_btf > writeback:writeback_dirty_folio > kprobe
 *               folio_account_dirtied > account_page_dirtied > __folio_mark_dirty
 */
#include "core/accounting.h"
#include "modules/cachestat/cachestat.h"

_Static_assert(CS_NR_DEFS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every def");

uint64_t cachestat_hits(const uint64_t *v)
{
	return v[CS_ACCESSED] > v[CS_MISSES] ? v[CS_ACCESSED] - v[CS_MISSES] : 0;
}

uint64_t cachestat_ratio(const uint64_t *v)
{
	uint64_t hits = cachestat_hits(v);

	if (!v[CS_ACCESSED])
		return 0;
	return (uint64_t)((unsigned __int128)hits * 1000000000u / v[CS_ACCESSED]);
}

static const struct counter_def cachestat_defs[] = {
	[CS_ACCESSED] = { "accessed_total",
			  "Page-cache pages read calls asked for (each page once per call); Netdata's total",
			  .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[CS_MISSES] = { "misses_total",
			"Pages read calls asked for that the reading thread itself had just brought into the page cache",
			.light = true, .netdata_chart = "mem.cachestat_misses", .netdata_app_chart = "app.ebpf_cachestat_misses" },
	[CS_DIRTIES] = { "dirties_total", "Page-cache pages that went from clean to dirty",
			 .light = true, .netdata_chart = "mem.cachestat_dirties", .netdata_app_chart = "app.ebpf_cachestat_dirties" },
	[CS_HITS] = { "hits_total", "Pages read calls asked for that were in the page cache (accessed - misses)",
		      .light = true, .netdata_chart = "mem.cachestat_hits", .netdata_app_chart = "app.ebpf_cachestat_hits",
		      .derive = cachestat_hits },
	/* Billionths, rendered with nine decimals like nanoseconds as seconds. */
	[CS_RATIO] = { "ratio", "Hits per page accessed since the series began, 0 to 1 (0 while none was accessed)",
		       .kind = GAUGE, .light = true, .netdata_chart = "mem.cachestat_ratio",
		       .netdata_app_chart = "app.ebpf_cachestat_hit_ratio", .ns_as_seconds = true,
		       .derive = cachestat_ratio },
};
_Static_assert(sizeof(cachestat_defs) / sizeof(cachestat_defs[0]) == CS_NR_DEFS, "one def per metric");

static const unsigned char cachestat_slots[CS_NR_COUNTERS] = {
	[CS_ACCESSED] = SL_CACHE_ACCESSED,
	[CS_MISSES] = SL_CACHE_MISSES,
	[CS_DIRTIES] = SL_CACHE_DIRTIED,
};

static const struct hook_impl insert_impls[] = {
	{ "tp_btf", PROGS("cachestat_add_btf") },
	TRACEPOINTS("cachestat_add_tp"),
	{ "kprobe filemap_add_folio", PROGS("cachestat_kp_add_folio") },
	{ "kprobe add_to_page_cache_lru", PROGS("cachestat_kp_add_lru") },
};
static const struct hook_impl read_impls[] = {
	{ "tp_btf", PROGS("cachestat_read_btf") },
	TRACEPOINTS("cachestat_read_tp"),
	{ "kprobe folio_mark_accessed", PROGS("cachestat_kp_accessed_folio") },
	{ "kprobe mark_page_accessed", PROGS("cachestat_kp_accessed_page") },
};
/* One rung at a time: where several of these functions exist, each would count the same folio. */
static const struct hook_impl dirty_impls[] = {
	{ "tp_btf", PROGS("cachestat_dirty_btf") },
	TRACEPOINTS("cachestat_dirty_tp"),
	{ "kprobe folio_account_dirtied", PROGS("cachestat_kp_account_folio") },
	{ "kprobe account_page_dirtied", PROGS("cachestat_kp_account_page") },
	{ "kprobe __folio_mark_dirty", PROGS("cachestat_kp_mark_dirty") },
};

static const struct hook_def cachestat_hooks[] = {
	HOOK("page-cache insertion", insert_impls),
	HOOK("read request", read_impls),
	HOOK("dirtying", dirty_impls),
};

static const struct acct_desc cachestat_acct = {
	.slot_of = cachestat_slots,
};

const struct module cachestat_module = {
	.name = "cachestat",
	.summary = "Page cache: pages accessed by reads, misses, hits, hit ratio, pages dirtied",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = cachestat_defs,
	.nr_defs = CS_NR_DEFS,
	.nr_counters = CS_NR_COUNTERS,
	.hooks = cachestat_hooks,
	.nr_hooks = sizeof(cachestat_hooks) / sizeof(cachestat_hooks[0]),
	.acct = &cachestat_acct,
	ACCT_MODULE_OPS,
};
