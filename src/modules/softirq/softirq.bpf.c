// SPDX-License-Identifier: GPL-2.0
/*
 * softirq: calls and time per softirq vector, from softirq_entry/exit.
 *
 * The kernel increments /proc/softirqs right before softirq_entry, once per
 * handler run, so counting at softirq_exit gives the same number for every
 * handler run that the agent sees from start to end.
 *
 * Maps, reasoned at 128 CPUs: both are per-CPU arrays (no shared cache line,
 * no atomic): counts 16 slots x 16 bytes, 32 KiB at 128 CPUs; the start
 * slot 16 bytes per CPU, 2 KiB. Neither can fill up.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/softirq/softirq.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOFTIRQ_SLOTS);
	__type(key, __u32);
	__type(value, struct softirq_val);
} softirq_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct softirq_start);
} softirq_start SEC(".maps");

static __always_inline void on_entry(__u32 vec)
{
	__u32 zero = 0;
	struct softirq_start *s = bpf_map_lookup_elem(&softirq_start, &zero);

	if (!s)
		return;
	s->vec = vec;
	s->ts = bpf_ktime_get_ns();
}

static __always_inline void on_exit(__u32 vec)
{
	__u32 zero = 0, slot = vec < SOFTIRQ_SLOTS ? vec : SOFTIRQ_SLOT_OTHER;
	struct softirq_start *s = bpf_map_lookup_elem(&softirq_start, &zero);
	struct softirq_val *v = bpf_map_lookup_elem(&softirq_counts, &slot);

	if (!v || !s)
		return;
	v->calls++;
	/*
	 * No start: the entry came before we attached (exit programs attach
	 * first, so a start is never stale). Counted, but without a time.
	 */
	if (s->ts && s->vec == vec)
		v->ns += bpf_ktime_get_ns() - s->ts;
	s->ts = 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_btf, unsigned int vec)
{
	on_entry(vec);
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_btf, unsigned int vec)
{
	on_exit(vec);
	return 0;
}

SEC("tracepoint/irq/softirq_entry")
int softirq_entry_tp(struct trace_event_raw_softirq *ctx)
{
	on_entry(ctx->vec);
	return 0;
}

SEC("tracepoint/irq/softirq_exit")
int softirq_exit_tp(struct trace_event_raw_softirq *ctx)
{
	on_exit(ctx->vec);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
