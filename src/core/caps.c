// SPDX-License-Identifier: GPL-2.0
/* Capability probe: what this kernel lets us attach. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/caps.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static bool probe_root_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return has_cap(data, CAP_SYS_ADMIN) || (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON));
}

/*
 * libbpf resolves classic tracepoints through tracefs; a fresh machine often
 * has it unmounted, so mount it where the kernel expects it.
 */
static void probe_tracefs(struct caps *c)
{
	static const char *const paths[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char events[96];

	for (unsigned int i = 0; i < 2; i++) {
		snprintf(events, sizeof(events), "%s/events", paths[i]);
		if (access(events, R_OK) == 0) {
			c->tracefs = true;
			snprintf(c->tracefs_path, sizeof(c->tracefs_path), "%s", paths[i]);
			return;
		}
	}
	if (mount("tracefs", paths[0], "tracefs", 0, NULL) == 0) {
		c->tracefs = true;
		c->tracefs_mounted_by_us = true;
		snprintf(c->tracefs_path, sizeof(c->tracefs_path), "%s", paths[0]);
		return;
	}
	snprintf(c->tracefs_reason, sizeof(c->tracefs_reason),
		 "tracefs is not mounted and mounting it at %s failed: %s", paths[0],
		 strerror(errno));
}

/* Load "r0 = 0; exit" as a BTF-typed tracing program aimed at @btf_id. */
static int try_tracing_prog(enum bpf_attach_type type, int btf_id)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* BPF_MOV64_IMM(R0, 0) */
		{ .code = 0x95 },			  /* BPF_EXIT_INSN() */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void probe_tracing(struct caps *c)
{
	int id, err;

	if (!c->vmlinux) {
		snprintf(c->tp_btf_reason, sizeof(c->tp_btf_reason), "no kernel BTF");
		snprintf(c->fentry_reason, sizeof(c->fentry_reason), "no kernel BTF");
		return;
	}
	id = btf__find_by_name_kind(c->vmlinux, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	err = id < 0 ? id : try_tracing_prog(BPF_TRACE_RAW_TP, id);
	c->tp_btf = err == 0;
	if (err)
		snprintf(c->tp_btf_reason, sizeof(c->tp_btf_reason),
			 "tp_btf programs do not load: %s", strerror(-err));

	id = btf__find_by_name_kind(c->vmlinux, "do_exit", BTF_KIND_FUNC);
	err = id < 0 ? id : try_tracing_prog(BPF_TRACE_FENTRY, id);
	c->fentry = err == 0;
	if (err)
		snprintf(c->fentry_reason, sizeof(c->fentry_reason),
			 "fentry programs are refused by this kernel (%s)", strerror(-err));
}

static void probe_kprobes(struct caps *c)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/kprobe_events", c->tracefs_path);
	c->kprobes = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0 ||
		     (c->tracefs && access(path, R_OK) == 0);
	if (!c->kprobes)
		snprintf(c->kprobes_reason, sizeof(c->kprobes_reason),
			 "kernel built without kprobes (no kprobe PMU, no kprobe_events)");
}

/*
 * EBPFMON_DISABLE=tp_btf,fentry,kprobes,tcx: treat those kinds as missing.
 * Tests use it to run the fallbacks on a kernel that has the better hooks; an
 * operator can use it to step around a kernel bug in one of them.
 */
bool caps_kind_disabled(const char *kind)
{
	const char *list = getenv("EBPFMON_DISABLE");
	size_t len = strlen(kind);

	for (const char *p = list; p && *p;) {
		if (!strncmp(p, kind, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

static void apply_disable(bool *have, char *reason, size_t len, const char *kind)
{
	if (*have && caps_kind_disabled(kind)) {
		*have = false;
		snprintf(reason, len, "disabled by EBPFMON_DISABLE");
	}
}

void caps_probe(struct caps *c)
{
	struct utsname u;

	memset(c, 0, sizeof(*c));
	if (uname(&u) == 0)
		snprintf(c->kernel, sizeof(c->kernel), "%s", u.release);
	c->root_caps = probe_root_caps();
	c->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	if (c->btf) {
		c->vmlinux = btf__load_vmlinux_btf();
		if (!c->vmlinux)
			c->btf = false;
	}
	if (c->root_caps)
		probe_tracefs(c);
	else
		snprintf(c->tracefs_reason, sizeof(c->tracefs_reason), "not probed: not root");
	c->raw_tp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 1;
	probe_tracing(c);
	probe_kprobes(c);
	apply_disable(&c->tp_btf, c->tp_btf_reason, sizeof(c->tp_btf_reason), "tp_btf");
	apply_disable(&c->fentry, c->fentry_reason, sizeof(c->fentry_reason), "fentry");
	apply_disable(&c->kprobes, c->kprobes_reason, sizeof(c->kprobes_reason), "kprobes");
}

void caps_free(struct caps *c)
{
	btf__free(c->vmlinux);
	c->vmlinux = NULL;
}

#if defined(__x86_64__)
#define SYSCALL_WRAPPER_PREFIX "__x64_sys_"
#elif defined(__aarch64__)
#define SYSCALL_WRAPPER_PREFIX "__arm64_sys_"
#else
#define SYSCALL_WRAPPER_PREFIX "sys_"
#endif

static bool btf_has(const struct caps *c, const char *name, int kind)
{
	return c->vmlinux && btf__find_by_name_kind(c->vmlinux, name, kind) >= 0;
}

bool caps_attach_point_ok(const struct caps *c, const char *section, char *why, size_t whylen)
{
	const char *slash = strchr(section, '/');
	const char *target = slash ? slash + 1 : "";
	size_t kind_len = slash ? (size_t)(slash - section) : strlen(section);
	char name[160];

#define IS(k) (kind_len == strlen(k) && !strncmp(section, k, kind_len))
	if (IS("tp_btf") || IS("raw_tp") || IS("raw_tracepoint")) {
		bool typed = IS("tp_btf");

		if (typed ? !c->tp_btf : !c->raw_tp) {
			snprintf(why, whylen, "%s", typed ? c->tp_btf_reason : "raw tracepoints do not load");
			return false;
		}
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		if (c->vmlinux && !btf_has(c, name, BTF_KIND_TYPEDEF)) {
			snprintf(why, whylen, "no tracepoint %s in this kernel", target);
			return false;
		}
		return true;
	}
	if (IS("tracepoint") || IS("tp")) {
		if (!c->tracefs) {
			snprintf(why, whylen, "%s", c->tracefs_reason);
			return false;
		}
		snprintf(name, sizeof(name), "%s/events/%s/id", c->tracefs_path, target);
		if (access(name, R_OK)) {
			snprintf(why, whylen, "no tracepoint %s in this kernel", target);
			return false;
		}
		return true;
	}
	if (IS("kprobe") || IS("kretprobe") || IS("fentry") || IS("fexit") || IS("ksyscall") ||
	    IS("kretsyscall")) {
		bool kp = !IS("fentry") && !IS("fexit");

		if (kp ? !c->kprobes : !c->fentry) {
			snprintf(why, whylen, "%s", kp ? c->kprobes_reason : c->fentry_reason);
			return false;
		}
		/* A syscall's kprobe goes on its arch wrapper, as libbpf resolves it. */
		if (IS("ksyscall") || IS("kretsyscall"))
			snprintf(name, sizeof(name), "%s%s", SYSCALL_WRAPPER_PREFIX, target);
		else
			snprintf(name, sizeof(name), "%s", target);
		if (c->vmlinux && !btf_has(c, name, BTF_KIND_FUNC)) {
			snprintf(why, whylen, "no kernel function %s", name);
			return false;
		}
		return true;
	}
	if (IS("iter")) {
		snprintf(name, sizeof(name), "bpf_iter__%s", target);
		if (!c->vmlinux || !btf_has(c, name, BTF_KIND_STRUCT)) {
			snprintf(why, whylen, "no BPF %s iterator in this kernel", target);
			return false;
		}
		return true;
	}
#undef IS
	snprintf(why, whylen, "unknown program kind '%.*s'", (int)kind_len, section);
	return false;
}
