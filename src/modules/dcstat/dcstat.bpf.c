// SPDX-License-Identifier: GPL-2.0
/*
 * dcstat: directory-cache lookups, as Netdata counts them: references are
 * lookup_fast() calls, slow lookups d_lookup() calls, misses d_lookup()
 * returning NULL.
 *
 * No tracepoint sees these functions, so there are only two rungs, both
 * kernel-function hooks: fentry/fexit (cheaper, typed) > kprobe/kretprobe.
 * On kernels without either (ours: CONFIG_KPROBES off, fentry refused) the
 * module is unavailable; the programs still go through the verifier in the
 * bpf test tier.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/dcstat/dcstat.h"

char LICENSE[] SEC("license") = "GPL";

/* One slot per CPU: 24 bytes each, 3 KiB at 128 CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dcstat_counts);
} dc_counts SEC(".maps");

static __always_inline struct dcstat_counts *counts(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dc_counts, &zero);
}

static __always_inline void count_reference(void)
{
	struct dcstat_counts *c = counts();

	if (c)
		c->references++;
}

static __always_inline void count_slow(void)
{
	struct dcstat_counts *c = counts();

	if (c)
		c->slow++;
}

static __always_inline void count_result(const void *dentry)
{
	struct dcstat_counts *c = counts();

	if (c && !dentry)
		c->misses++;
}

/* Rung 1: fentry/fexit. */
SEC("fentry/lookup_fast")
int BPF_PROG(dc_lookup_fast_fentry)
{
	count_reference();
	return 0;
}

SEC("fentry/d_lookup")
int BPF_PROG(dc_d_lookup_fentry)
{
	count_slow();
	return 0;
}

SEC("fexit/d_lookup")
int BPF_PROG(dc_d_lookup_fexit, const struct dentry *parent, const struct qstr *name,
	     struct dentry *ret)
{
	count_result(ret);
	return 0;
}

/* Rung 2: kprobes. */
SEC("kprobe/lookup_fast")
int BPF_KPROBE(dc_lookup_fast_kprobe)
{
	count_reference();
	return 0;
}

SEC("kprobe/d_lookup")
int BPF_KPROBE(dc_d_lookup_kprobe)
{
	count_slow();
	return 0;
}

SEC("kretprobe/d_lookup")
int BPF_KRETPROBE(dc_d_lookup_kretprobe, struct dentry *ret)
{
	count_result(ret);
	return 0;
}
