// SPDX-License-Identifier: GPL-2.0
/*
 * process: processes and threads created, task exits, task releases, failed
 * task creation.
 *
 * Ladder per hook: tp_btf (typed, no tracefs), classic tracepoint, kprobe.
 * Creation is counted on the creating process, at task:task_newtask, whose
 * clone_flags tell a thread (CLONE_THREAD) from a process. Exits count on the
 * exiting process; releases on the released one, and the release of a
 * thread-group leader retires that process's entry (nothing can be counted
 * for it afterwards).
 */
#include "vmlinux.h"
#include "modules/process/process.h"

#define COUNTERS_NR PROC_NR_COUNTERS
#include "core/bpf/counting.bpf.h"

#define CLONE_THREAD_FLAG 0x00010000

static __always_inline void count_newtask(__u64 clone_flags)
{
	count1(clone_flags & CLONE_THREAD_FLAG ? PROC_THREADS_CREATED : PROC_CREATED);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(newtask_btf, struct task_struct *task, __u64 clone_flags)
{
	count_newtask(clone_flags);
	return 0;
}

/* Classic layout of task:task_newtask (see its format file). */
struct newtask_args {
	__u64 common;
	int pid;
	char comm[16];
	__u64 clone_flags;
};

SEC("tracepoint/task/task_newtask")
int newtask_tp(struct newtask_args *ctx)
{
	count_newtask(ctx->clone_flags);
	return 0;
}

static __always_inline void count_exit(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pid_value *p;

	count1(PROC_EXITS);
	/* The name may have changed since the entry was made (prctl). */
	if (track_apps && (p = bpf_map_lookup_elem(&pid_counters, &tgid)))
		leader_comm(task, &p->hdr);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf)
{
	count_exit();
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	count_exit();
	return 0;
}

static __always_inline void count_release(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 cgid = track_cgroups ? task_cgroup_id(task) : 0;

	count_for(task, tgid, cgid, PROC_RELEASED, 1, NO_COUNTER, 0);
	if (BPF_CORE_READ(task, pid) == tgid)
		pid_retire(tgid, task);
}

/* sched_process_free: the task struct is freed, after release_task and an RCU grace period. */
SEC("tp_btf/sched_process_free")
int BPF_PROG(release_btf, struct task_struct *task)
{
	count_release(task);
	return 0;
}

struct process_free_args {
	__u64 common;
	__u32 comm_loc;
	int pid;
};

/*
 * The classic tracepoint gives only the thread id: a leader (pid == tgid) is
 * found in the per-process table by that id; a thread's release is counted
 * for the host only.
 */
SEC("tracepoint/sched/sched_process_free")
int release_tp(struct process_free_args *ctx)
{
	__u32 pid = ctx->pid, zero = 0;
	struct counters *h = bpf_map_lookup_elem(&host_counters, &zero);
	struct pid_value *p;

	if (h)
		h->c[PROC_RELEASED]++;
	if (!track_apps)
		return 0;
	p = bpf_map_lookup_elem(&pid_counters, &pid);
	if (p) {
		add(&p->c[PROC_RELEASED], 1);
		p->hdr.flags |= PID_F_DEAD; /* only ever set: a plain store is enough */
	}
	return 0;
}

SEC("kprobe/release_task")
int BPF_KPROBE(release_kprobe, struct task_struct *task)
{
	count_release(task);
	return 0;
}

static __always_inline void count_clone_result(long ret)
{
	if (ret < 0 && count_errors)
		count1(PROC_ERRORS);
}

SYS_EXIT(clone, count_clone_result)
SYS_EXIT(clone3, count_clone_result)
SYS_EXIT(fork, count_clone_result)
SYS_EXIT(vfork, count_clone_result)

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	if (ret < 0 && syscall_action(regs) == PROC_ACT_CLONE)
		count_clone_result(ret);
	return 0;
}

/* Fallback for task-creation errors where syscall tracepoints are missing. */
SEC("kretprobe/kernel_clone")
int BPF_KRETPROBE(kernel_clone_kretprobe, long ret)
{
	count_clone_result(ret);
	return 0;
}

DEFINE_PID_EXEC()
