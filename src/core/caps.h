/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this kernel lets us attach, probed once at start-up. Nothing here
 * branches on kernel versions: every answer comes from BTF, tracefs or a
 * tiny program the kernel is asked to load.
 */
#ifndef EBPFMON_CAPS_H
#define EBPFMON_CAPS_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

struct caps {
	bool root_caps;	    /* CAP_BPF+CAP_PERFMON, or CAP_SYS_ADMIN */
	bool btf;	    /* /sys/kernel/btf/vmlinux */
	bool tracefs;	    /* events/ readable (mounted by us when missing) */
	bool tracefs_mounted_by_us;
	bool tp_btf;	    /* BPF_TRACE_RAW_TP programs load */
	bool raw_tp;
	bool fentry;	    /* BPF_TRACE_FENTRY programs load */
	bool kprobes;	    /* the kernel has a kprobe PMU or kprobe_events */
	char tracefs_path[64];
	char kernel[128];   /* uname -r */
	char tp_btf_reason[128], fentry_reason[128], kprobes_reason[128], tracefs_reason[160];
	struct btf *vmlinux;
};

/* Whether EBPFMON_DISABLE lists @kind (tp_btf, fentry, kprobes, tcx). */
bool caps_kind_disabled(const char *kind);

/* Probe everything. Never fails: what is missing is recorded with its reason. */
void caps_probe(struct caps *c);
void caps_free(struct caps *c);

/*
 * Whether the attach point of a program's section ("tp_btf/x",
 * "tracepoint/g/n", "kprobe/f", "kretprobe/f", "fentry/f", "raw_tp/x") exists
 * and its kind works here. On false, @why says what is missing.
 */
bool caps_attach_point_ok(const struct caps *c, const char *section, char *why, size_t whylen);

#endif
