// SPDX-License-Identifier: GPL-2.0
/*
 * bash, kernel half: a uretprobe on readline() in each bash binary. When
 * readline returns, its return value is the line the user typed (malloc'ed
 * by readline, without the newline), still in the shell's memory: read it,
 * with the shell's pid and uid, into a ring buffer event.
 *
 * A line longer than BASH_LINE_MAX is cut and marked truncated: after the
 * bounded read, the byte of the line where our copy put its NUL is read
 * again; not a NUL there means the line went on. Empty lines and end of
 * input (NULL) are counted, not reported. A full ring buffer is counted.
 *
 * Two programs, one loaded (bash_core.c picks): a sleepable one where the
 * kernel has bpf_copy_from_user_str (6.12), which can fault the line's
 * page in, and a plain one, which cannot (the page is nearly always
 * there: readline has just written the line).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/bash/bash.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BASH_RINGBUF_BYTES);
} bash_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bash_stats);
} bash_stats SEC(".maps");

/* Linux 6.12+: a string copy that may fault the shell's page in (sleepable only). */
extern int bpf_copy_from_user_str(void *dst, __u32 dst__sz, const void *unsafe_ptr__ign,
				  __u64 flags) __ksym __weak;

/*
 * The common part: @line is the shell's pointer, @n what the copy of it
 * into e->line returned (bytes with the NUL, or < 0), @after the byte of
 * the shell's line where our copy ended (valid when n == sizeof(e->line)).
 */
static __always_inline void finish(struct bash_stats *st, struct bash_event *e, long n,
				   char after)
{
	__u64 uid_gid;

	if (n <= 1) {
		/* Not readable: say so rather than report nothing. */
		bpf_ringbuf_discard(e, 0);
		__sync_fetch_and_add(&st->read_error, 1);
		return;
	}
	e->len = (__u16)(n - 1);
	e->truncated = n == sizeof(e->line) && after;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	uid_gid = bpf_get_current_uid_gid();
	e->uid = (__u32)uid_gid;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* NULL (end of input) and "" are counted, not reported; NULL e: no room. */
static __always_inline struct bash_event *start(struct bash_stats *st, const char *line, char first,
						long first_err)
{
	struct bash_event *e;

	if (!line) {
		__sync_fetch_and_add(&st->eof, 1);
		return NULL;
	}
	/* An empty line is the common case of a user pressing Enter: no event. */
	if (!first_err && !first) {
		__sync_fetch_and_add(&st->empty, 1);
		return NULL;
	}
	e = bpf_ringbuf_reserve(&bash_events, sizeof(*e), 0);
	if (!e)
		__sync_fetch_and_add(&st->lost, 1);
	return e;
}

/*
 * Where bpf_copy_from_user_str exists: sleepable, so a line on a page the
 * shell has not touched yet (or one swapped out) is read all the same.
 */
SEC("uretprobe.s")
int bash_readline_ret_s(struct pt_regs *ctx)
{
	const char *line = (const char *)PT_REGS_RC(ctx);
	__u32 zero = 0;
	struct bash_stats *st = bpf_map_lookup_elem(&bash_stats, &zero);
	struct bash_event *e;
	char first = 0, after = 0;
	long n, ferr;

	if (!st)
		return 0;
	ferr = line ? bpf_copy_from_user(&first, 1, line) : 0;
	e = start(st, line, first, ferr);
	if (!e)
		return 0;
	n = bpf_copy_from_user_str(e->line, sizeof(e->line), line, 0);
	if (n == sizeof(e->line) && bpf_copy_from_user(&after, 1, line + (sizeof(e->line) - 1)))
		after = 0;
	finish(st, e, n, after);
	return 0;
}

/*
 * Elsewhere: not sleepable, so only what is in memory can be read (a line
 * on an untouched page counts as unreadable).
 */
SEC("uretprobe")
int bash_readline_ret(struct pt_regs *ctx)
{
	const char *line = (const char *)PT_REGS_RC(ctx);
	__u32 zero = 0;
	struct bash_stats *st = bpf_map_lookup_elem(&bash_stats, &zero);
	struct bash_event *e;
	char first = 0, after = 0;
	long n, ferr;

	if (!st)
		return 0;
	ferr = line ? bpf_probe_read_user(&first, 1, line) : 0;
	e = start(st, line, first, ferr);
	if (!e)
		return 0;
	n = bpf_probe_read_user_str(e->line, sizeof(e->line), line);
	if (n == sizeof(e->line) && bpf_probe_read_user(&after, 1, line + (sizeof(e->line) - 1)))
		after = 0;
	finish(st, e, n, after);
	return 0;
}
