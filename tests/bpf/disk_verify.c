// SPDX-License-Identifier: GPL-2.0
/*
 * bpf tier: every program of the disk and mdflush modules passes the
 * verifier on this kernel, every rung at once (tp_btf and classic
 * tracepoints of disk; the kprobe of mdflush, which loads where kprobes
 * cannot attach). mdflush's fentry rung loads only where the kernel has
 * fentry and md_flush_request in its BTF: it is loaded too when it can be.
 * Prints TAP-style lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/caps.h"
#include "disk.skel.h"
#include "mdflush.skel.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int count_progs(struct bpf_object *obj)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, obj)
		n += bpf_program__autoload(p);
	return n;
}

static int verify_disk(void)
{
	struct disk_bpf *skel = disk_bpf__open();
	int err, n;

	if (!skel) {
		printf("not ok - disk: open: %s\n", strerror(errno));
		return 1;
	}
	n = count_progs(skel->obj);
	err = disk_bpf__load(skel);
	if (err || n != 4)
		printf("not ok - disk: %d programs (want 4): %s\n", n, strerror(-err));
	else
		printf("ok - disk: all %d programs load (tp_btf and classic tracepoint rungs)\n", n);
	disk_bpf__destroy(skel);
	return err || n != 4;
}

static int verify_mdflush(const struct caps *caps)
{
	struct mdflush_bpf *skel = mdflush_bpf__open();
	bool fentry = caps->fentry && caps->vmlinux &&
		      btf__find_by_name_kind(caps->vmlinux, "md_flush_request", BTF_KIND_FUNC) >= 0;
	int err;

	if (!skel) {
		printf("not ok - mdflush: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(skel->progs.mdflush_fentry, fentry);
	err = mdflush_bpf__load(skel);
	if (err)
		printf("not ok - mdflush: kprobe/md_flush_request%s: %s\n", fentry ? " and fentry" : "",
		       strerror(-err));
	else
		printf("ok - mdflush: kprobe/md_flush_request%s passes the verifier\n",
		       fentry ? " and fentry/md_flush_request" : "");
	mdflush_bpf__destroy(skel);
	return err != 0;
}

int main(void)
{
	struct caps caps;
	int failed = 0;

	libbpf_set_print(silent);
	caps_probe(&caps);
	failed += verify_disk();
	failed += verify_mdflush(&caps);
	caps_free(&caps);
	return failed ? 1 : 0;
}
