// SPDX-License-Identifier: GPL-2.0
/*
 * fd: open and close calls and their errors.
 *
 * Ladder: tp_btf/sys_exit dispatching on the syscall number, classic syscall
 * exit tracepoints, then kretprobes on do_sys_openat2 / close_fd where
 * syscall tracepoints are missing.
 */
#include "vmlinux.h"
#include "modules/fd/fd.h"

#define COUNTERS_NR FD_NR_COUNTERS
#include "core/bpf/counting.bpf.h"

static __always_inline void count_open(long ret)
{
	count_result(ret, FD_OPEN_CALLS, NO_COUNTER, FD_OPEN_ERRORS);
}

static __always_inline void count_close(long ret)
{
	count_result(ret, FD_CLOSE_CALLS, NO_COUNTER, FD_CLOSE_ERRORS);
}

SYS_EXIT(open, count_open)
SYS_EXIT(openat, count_open)
SYS_EXIT(openat2, count_open)
SYS_EXIT(creat, count_open)
SYS_EXIT(close, count_close)

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	switch (syscall_action(regs)) {
	case FD_ACT_OPEN:
		count_open(ret);
		break;
	case FD_ACT_CLOSE:
		count_close(ret);
		break;
	}
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(kp_do_sys_openat2, long ret)
{
	count_open(ret);
	return 0;
}

SEC("kretprobe/close_fd")
int BPF_KRETPROBE(kp_close_fd, int ret)
{
	count_close(ret);
	return 0;
}

DEFINE_PID_EXEC()
DEFINE_PID_EXIT_RETIRE()
