/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel half of the counting scheme described in core/counters.h.
 *
 * A module defines COUNTERS_NR (the size of its counter array) and includes
 * this file after vmlinux.h. Host totals go to a per-CPU array and are exact
 * whatever happens to the hash tables; per-process and per-cgroup counters are
 * bumped with atomic adds, since one process's threads run on several CPUs.
 */
#ifndef EBPFMON_COUNTING_BPF_H
#define EBPFMON_COUNTING_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "core/counters.h"

#ifndef COUNTERS_NR
#error "define COUNTERS_NR before including counting.bpf.h"
#endif

#define NO_COUNTER COUNTERS_NR

#ifndef EEXIST
#define EEXIST 17 /* errno values are not in vmlinux.h */
#endif

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; the verifier drops the disabled branches. */
const volatile bool track_apps = true;
const volatile bool track_cgroups = false;
const volatile bool count_errors = true;
/*
 * `maps per core`: user space makes pid_counters and cgroup_counters per-CPU
 * hashes, so each CPU adds to its own copy without a locked instruction.
 * Otherwise one copy is shared and adds must be atomic.
 */
const volatile bool per_cpu_maps = true;

struct counters {
	__u64 c[COUNTERS_NR];
};

struct pid_value {
	struct pid_hdr hdr;
	__u64 c[COUNTERS_NR];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} host_counters SEC(".maps");

/* max_entries is the configured `pid table size`, set before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct pid_value);
} pid_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct counters);
} cgroup_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lost_events);
} lost_events SEC(".maps");

static __always_inline void leader_comm(struct task_struct *task, struct pid_hdr *hdr)
{
	BPF_CORE_READ_STR_INTO(&hdr->comm, task, group_leader, comm);
	hdr->name_ns = bpf_ktime_get_ns();
}

/* Add to a per-process or per-cgroup counter (see per_cpu_maps). */
static __always_inline void add(__u64 *counter, __u64 v)
{
	if (per_cpu_maps)
		*counter += v; /* programs here run with preemption off: no one interleaves */
	else
		__sync_fetch_and_add(counter, v);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

static __always_inline void count_lost(bool pid_table)
{
	__u32 zero = 0;
	struct lost_events *l = bpf_map_lookup_elem(&lost_events, &zero);

	if (!l)
		return;
	if (pid_table)
		l->pid_table_full++;
	else
		l->cgroup_table_full++;
}

/*
 * The entry of @tgid, created on first use (named after @task, or the current
 * task when NULL); NULL, and counted as lost, when the table is full.
 */
static __always_inline struct pid_value *pid_entry(__u32 tgid, struct task_struct *task)
{
	struct pid_value *v = bpf_map_lookup_elem(&pid_counters, &tgid);
	struct pid_value init = {};
	long err;

	if (v)
		return v;
	/* Only a new entry needs the task: fetching it is kept off the hot path. */
	leader_comm(task ? task : (struct task_struct *)bpf_get_current_task(), &init.hdr);
	err = bpf_map_update_elem(&pid_counters, &tgid, &init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost(true);
		return NULL;
	}
	return bpf_map_lookup_elem(&pid_counters, &tgid);
}

static __always_inline struct counters *cgroup_entry(__u64 cgid)
{
	struct counters *v = bpf_map_lookup_elem(&cgroup_counters, &cgid);
	struct counters init = {};
	long err;

	if (v)
		return v;
	err = bpf_map_update_elem(&cgroup_counters, &cgid, &init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost(false);
		return NULL;
	}
	return bpf_map_lookup_elem(&cgroup_counters, &cgid);
}

/*
 * Add @va to counter @a and @vb to counter @b (NO_COUNTER to skip) for the
 * host, process @tgid (whose task is @task; NULL for the current one) and
 * cgroup @cgid.
 */
static __always_inline void count_for(struct task_struct *task, __u32 tgid, __u64 cgid,
				      __u32 a, __u64 va, __u32 b, __u64 vb)
{
	__u32 zero = 0;
	struct counters *h = bpf_map_lookup_elem(&host_counters, &zero);

	if (h) {
		h->c[a] += va;
		if (b < COUNTERS_NR)
			h->c[b] += vb;
	}
	if (track_apps) {
		struct pid_value *p = pid_entry(tgid, task);

		if (p) {
			add(&p->c[a], va);
			if (b < COUNTERS_NR)
				add(&p->c[b], vb);
		}
	}
	if (track_cgroups) {
		struct counters *g = cgroup_entry(cgid);

		if (g) {
			add(&g->c[a], va);
			if (b < COUNTERS_NR)
				add(&g->c[b], vb);
		}
	}
}

/* The same, for the current task. */
static __always_inline void count2(__u32 a, __u64 va, __u32 b, __u64 vb)
{
	__u64 cgid = track_cgroups ? bpf_get_current_cgroup_id() : 0;

	count_for(NULL, bpf_get_current_pid_tgid() >> 32, cgid, a, va, b, vb);
}

static __always_inline void count1(__u32 a)
{
	count2(a, 1, NO_COUNTER, 0);
}

/*
 * A syscall's result: one call, and either @bytes_idx += ret on success or
 * @err_idx += 1 on failure (when errors are counted).
 */
static __always_inline void count_result(long ret, __u32 calls_idx, __u32 bytes_idx, __u32 err_idx)
{
	if (ret < 0) {
		if (count_errors)
			count2(calls_idx, 1, err_idx, 1);
		else
			count1(calls_idx);
	} else if (bytes_idx < COUNTERS_NR && ret > 0) {
		count2(calls_idx, 1, bytes_idx, ret);
	} else {
		count1(calls_idx);
	}
}

/* Refresh the name of the current process's entry (exec changed it). */
static __always_inline void pid_refresh_comm(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pid_value *p;

	if (!track_apps)
		return;
	p = bpf_map_lookup_elem(&pid_counters, &tgid);
	if (p)
		leader_comm((struct task_struct *)bpf_get_current_task(), &p->hdr);
}

/* The last thread of @tgid exits: keep its final name, let user space retire it. */
static __always_inline void pid_retire(__u32 tgid, struct task_struct *task)
{
	struct pid_value *p;

	if (!track_apps)
		return;
	p = bpf_map_lookup_elem(&pid_counters, &tgid);
	if (p) {
		leader_comm(task, &p->hdr);
		p->hdr.flags |= PID_F_DEAD; /* only ever set: a plain store is enough */
	}
}

static __always_inline bool current_group_dead(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/*
 * The raw sys_exit tracepoint (tp_btf) sees every syscall's exit: one BPF
 * program per module, dispatching on the syscall number through this table,
 * which user space fills with the module's actions. Measured here it costs a
 * traced read(2) about a third of a classic syscalls:sys_exit_read
 * tracepoint, and untraced syscalls about half (see make bench).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EBPFMON_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u8);
} syscall_actions SEC(".maps");

/* The syscall number and arguments, still in the registers saved at entry. */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#define SYSCALL_ARG1(regs) ((regs)->si)
#define SYSCALL_ARG2(regs) ((regs)->dx)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#define SYSCALL_ARG1(regs) ((regs)->regs[1])
#define SYSCALL_ARG2(regs) ((regs)->regs[2])
#else
#error "add this architecture's syscall registers"
#endif

/* The action for the syscall whose exit this is, or 0. */
static __always_inline __u8 syscall_action(struct pt_regs *regs)
{
	__u32 nr = SYSCALL_NR(regs);
	__u8 *act = bpf_map_lookup_elem(&syscall_actions, &nr);

	return act ? *act : 0;
}

/* A classic syscall exit tracepoint program that hands `ret` to @fn. */
#define SYS_EXIT(name, fn)                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #name)                         \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		fn(ctx->ret);                                              \
		return 0;                                                  \
	}

/* Keep the per-process entry named after exec (tp_btf first, classic fallback). */
#define DEFINE_PID_EXEC()                                                              \
	SEC("tp_btf/sched_process_exec")                                               \
	int BPF_PROG(lifecycle_exec_btf)                                               \
	{                                                                              \
		pid_refresh_comm();                                                    \
		return 0;                                                              \
	}                                                                              \
	SEC("tracepoint/sched/sched_process_exec")                                     \
	int lifecycle_exec_tp(void *ctx)                                               \
	{                                                                              \
		pid_refresh_comm();                                                    \
		return 0;                                                              \
	}

/*
 * For modules whose events all happen inside the process itself (fd, vfs):
 * once its last thread exits nothing more can be counted for it, so the
 * entry is retired then.
 */
#define DEFINE_PID_EXIT_RETIRE()                                                       \
	static __always_inline void lifecycle_exit(void)                               \
	{                                                                              \
		if (track_apps && current_group_dead())                                \
			pid_retire(bpf_get_current_pid_tgid() >> 32,                   \
				   (struct task_struct *)bpf_get_current_task());      \
	}                                                                              \
	SEC("tp_btf/sched_process_exit")                                               \
	int BPF_PROG(lifecycle_exit_btf)                                               \
	{                                                                              \
		lifecycle_exit();                                                      \
		return 0;                                                              \
	}                                                                              \
	SEC("tracepoint/sched/sched_process_exit")                                     \
	int lifecycle_exit_tp(void *ctx)                                               \
	{                                                                              \
		lifecycle_exit();                                                      \
		return 0;                                                              \
	}

#endif
