// SPDX-License-Identifier: GPL-2.0
/*
 * hardirq: calls and time per hard IRQ handler (irq_handler_entry/exit) and
 * per x86 system vector (irq_vectors:*_entry/exit).
 *
 * Counted at the exit, with the time since the entry on the same CPU. A
 * handler is counted only when its entry was seen (the name comes from the
 * entry: the classic exit event has none), so the handler running while we
 * attach is not counted; a vector is counted at every exit, and timed when
 * its entry was seen.
 *
 * Maps, reasoned at 128 CPUs:
 * - irq_counts: (irq, action name) -> calls, ns. IRQ numbers are sparse and
 *   run to thousands on large machines (one per NIC/NVMe queue and CPU), so
 *   a per-CPU array indexed by irq would cost nr_irqs x 16 bytes x CPUs
 *   (4096 x 16 x 128 = 8 MiB), and a per-CPU hash the same. One shared hash
 *   of HARDIRQ_MAX_ENTRIES, updated with atomic adds, costs about
 *   4096 x (40 + 16 + ~48 bytes of element header) = ~0.4 MiB whatever the
 *   CPU count. The adds rarely contend: an IRQ line is delivered to one CPU
 *   at a time (its affinity), so its entry's cache line stays there. When
 *   the table is full a new handler is counted in hardirq_stats.table_full,
 *   which is exported.
 * - vec_counts: per-CPU array of HV_NR (8) x 16 bytes: 16 KiB at 128 CPUs.
 * - irq_start: per-CPU, one 64-byte slot: 8 KiB at 128 CPUs.
 * - hardirq_stats: per-CPU, one 8-byte slot: 1 KiB at 128 CPUs.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/hardirq/hardirq.h"

#define EEXIST 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HARDIRQ_MAX_ENTRIES);
	__type(key, struct hardirq_key);
	__type(value, struct hardirq_val);
} irq_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HV_NR);
	__type(key, __u32);
	__type(value, struct hardirq_val);
} vec_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hardirq_start);
} irq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hardirq_stats);
} hardirq_stats SEC(".maps");

static __always_inline struct hardirq_start *start_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&irq_start, &zero);
}

/* @name: a kernel pointer to the action's name (irqaction or event record). */
static __always_inline void handler_entry(int irq, const char *name)
{
	struct hardirq_start *s = start_slot();

	if (!s)
		return;
	s->key.irq = irq;
	s->key.pad = 0;
	/* The key is hashed whole: the bytes after the name must be zero. */
	__builtin_memset(s->key.name, 0, sizeof(s->key.name));
	bpf_probe_read_kernel_str(s->key.name, sizeof(s->key.name), name);
	s->irq_ts = bpf_ktime_get_ns();
}

static __always_inline void handler_exit(int irq)
{
	struct hardirq_start *s = start_slot();
	struct hardirq_val *v, first;
	__u32 zero = 0;
	__u64 ns;
	long err;

	if (!s || !s->irq_ts || s->key.irq != (__u32)irq)
		return;
	ns = bpf_ktime_get_ns() - s->irq_ts;
	s->irq_ts = 0;
	v = bpf_map_lookup_elem(&irq_counts, &s->key);
	if (!v) {
		first.calls = 1;
		first.ns = ns;
		err = bpf_map_update_elem(&irq_counts, &s->key, &first, BPF_NOEXIST);
		if (!err)
			return;
		/* Another CPU added it first: add to theirs. */
		v = err == -EEXIST ? bpf_map_lookup_elem(&irq_counts, &s->key) : NULL;
		if (!v) {
			struct hardirq_stats *st = bpf_map_lookup_elem(&hardirq_stats, &zero);

			if (st)
				st->table_full++;
			return;
		}
	}
	__sync_fetch_and_add(&v->calls, 1);
	__sync_fetch_and_add(&v->ns, ns);
}

static __always_inline void vector_entry(__u32 vec)
{
	struct hardirq_start *s = start_slot();

	if (!s)
		return;
	s->vec = vec;
	s->vec_ts = bpf_ktime_get_ns();
}

static __always_inline void vector_exit(__u32 vec)
{
	struct hardirq_start *s = start_slot();
	struct hardirq_val *v = bpf_map_lookup_elem(&vec_counts, &vec);

	if (!s || !v)
		return;
	v->calls++;
	if (s->vec_ts && s->vec == vec)
		v->ns += bpf_ktime_get_ns() - s->vec_ts;
	s->vec_ts = 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(handler_entry_btf, int irq, struct irqaction *action)
{
	handler_entry(irq, BPF_CORE_READ(action, name));
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(handler_exit_btf, int irq)
{
	handler_exit(irq);
	return 0;
}

SEC("tracepoint/irq/irq_handler_entry")
int handler_entry_tp(struct trace_event_raw_irq_handler_entry *ctx)
{
	/* __data_loc: offset of the string in the record in the low 16 bits. */
	handler_entry(ctx->irq, (const char *)ctx + (ctx->__data_loc_name & 0xffff));
	return 0;
}

SEC("tracepoint/irq/irq_handler_exit")
int handler_exit_tp(struct trace_event_raw_irq_handler_exit *ctx)
{
	handler_exit(ctx->irq);
	return 0;
}

/* Four programs per vector tracepoint pair: tp_btf and classic, entry and exit. */
#define VECTOR(tp, id)                                          \
	SEC("tp_btf/" #tp "_entry")                             \
	int tp##_entry_btf(void *ctx)                           \
	{                                                       \
		vector_entry(id);                               \
		return 0;                                       \
	}                                                       \
	SEC("tp_btf/" #tp "_exit")                              \
	int tp##_exit_btf(void *ctx)                            \
	{                                                       \
		vector_exit(id);                                \
		return 0;                                       \
	}                                                       \
	SEC("tracepoint/irq_vectors/" #tp "_entry")             \
	int tp##_entry_tp(void *ctx)                            \
	{                                                       \
		vector_entry(id);                               \
		return 0;                                       \
	}                                                       \
	SEC("tracepoint/irq_vectors/" #tp "_exit")              \
	int tp##_exit_tp(void *ctx)                             \
	{                                                       \
		vector_exit(id);                                \
		return 0;                                       \
	}

VECTOR(local_timer, HV_LOC)
VECTOR(spurious_apic, HV_SPU)
VECTOR(irq_work, HV_IWI)
VECTOR(reschedule, HV_RES)
VECTOR(call_function, HV_CAL)
VECTOR(call_function_single, HV_CAL)
VECTOR(thermal_apic, HV_TRM)
VECTOR(error_apic, HV_ERR)
VECTOR(x86_platform_ipi, HV_PLT)

char LICENSE[] SEC("license") = "GPL";
