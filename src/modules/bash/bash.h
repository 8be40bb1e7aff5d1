/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bash: commands typed into interactive bash shells (DataKit's `bash`
 * logging measurement). What the kernel half (bash.bpf.c) and the user half
 * share. Fixed-width fields, explicit padding.
 */
#ifndef EBPFMON_BASH_H
#define EBPFMON_BASH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * The longest command line kept, in bytes, without its NUL. A longer line
 * is cut here and its event says so (truncated = 1): never dropped. DataKit
 * keeps 128 bytes; 511 keeps most one-liners whole and an event in 544
 * bytes.
 */
#define BASH_LINE_MAX 511

/* Ring buffer between the kernel and user space (a power of 2 of pages). */
#define BASH_RINGBUF_BYTES (256 * 1024)

/* One line that readline() returned to bash. */
struct bash_event {
	__u64 ts_ns;	 /* bpf_ktime_get_ns() at readline's return (CLOCK_MONOTONIC) */
	__u32 pid;	 /* the shell's process id (tgid) */
	__u32 uid;	 /* its real uid */
	__u16 len;	 /* bytes in line (at most BASH_LINE_MAX) */
	__u8 truncated;	 /* 1: the line was longer than BASH_LINE_MAX and was cut */
	__u8 pad[5];
	char comm[16];
	char line[BASH_LINE_MAX + 1]; /* NUL-terminated */
};

/* Per-CPU counters. */
struct bash_stats {
	__u64 lost;	  /* lines not reported: the ring buffer was full */
	__u64 empty;	  /* readline returned "" (an empty line): not reported */
	__u64 eof;	  /* readline returned NULL (end of input): not reported */
	__u64 read_error; /* the line could not be read from the shell's memory */
};

_Static_assert(sizeof(struct bash_event) == 40 + BASH_LINE_MAX + 1, "bash_event layout");
_Static_assert(sizeof(struct bash_stats) == 32, "bash_stats layout");

#endif
