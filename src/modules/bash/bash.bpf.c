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

/* Attached by user space to each binary (bpf_program__attach_uprobe_opts). */
SEC("uretprobe")
int bash_readline_ret(struct pt_regs *ctx)
{
	const char *line = (const char *)PT_REGS_RC(ctx);
	__u32 zero = 0;
	struct bash_stats *st = bpf_map_lookup_elem(&bash_stats, &zero);
	struct bash_event *e;
	__u64 uid_gid;
	char first = 0, after = 0;
	long n;

	if (!st)
		return 0;
	if (!line) {
		st->eof++;
		return 0;
	}
	/* An empty line is the common case of a user pressing Enter: no event. */
	if (bpf_probe_read_user(&first, 1, line) == 0 && !first) {
		st->empty++;
		return 0;
	}
	e = bpf_ringbuf_reserve(&bash_events, sizeof(*e), 0);
	if (!e) {
		st->lost++;
		return 0;
	}
	n = bpf_probe_read_user_str(e->line, sizeof(e->line), line);
	if (n <= 1) {
		/* Not readable (paged out?): say so rather than report nothing. */
		bpf_ringbuf_discard(e, 0);
		st->read_error++;
		return 0;
	}
	e->len = (__u16)(n - 1);
	e->truncated = 0;
	if (n == sizeof(e->line) &&
	    !bpf_probe_read_user(&after, 1, line + (sizeof(e->line) - 1)) && after)
		e->truncated = 1;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	uid_gid = bpf_get_current_uid_gid();
	e->uid = (__u32)uid_gid;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
