/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomkill, kernel half: part of the accounting core's object (included at
 * the end of src/core/bpf/acct.bpf.c), so a victim counts under the same
 * application and cgroup as everything else its process did.
 *
 * oom:mark_victim fires once per process the OOM killer chooses, in the
 * killer's context (the task whose allocation failed), which need not be
 * the victim.
 */

/* Rung 1: the victim's task_struct comes with the event. */
SEC("tp_btf/mark_victim")
int BPF_PROG(oomkill_victim_btf, struct task_struct *victim)
{
	acct_count_task(victim, SL_OOMKILL, 1);
	return 0;
}

/*
 * Rung 2: the classic event has only the victim's pid. When the killer is
 * the victim itself (the usual case in a memory cgroup: the task that
 * hits the limit is the one chosen), it counts under its process; else for
 * the host only (unattributed).
 */
SEC("tracepoint/oom/mark_victim")
int oomkill_victim_tp(struct trace_event_raw_mark_victim *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->tgid == ctx->pid)
		acct_count_current(SL_OOMKILL, 1);
	else
		count_direct_n(NULL, SL_OOMKILL, 1);
	return 0;
}
