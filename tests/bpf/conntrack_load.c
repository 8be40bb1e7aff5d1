// SPDX-License-Identifier: GPL-2.0
/*
 * bpf tier: every program of the conntrack module passes the verifier on
 * this kernel, every rung included: the kprobes on __nf_conntrack_hash_insert
 * and nf_ct_delete load here although they cannot attach. Prints TAP-style
 * lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "conntrack.skel.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(void)
{
	struct conntrack_bpf *skel;
	struct bpf_program *p;
	unsigned int n = 0;
	int err;

	libbpf_set_print(silent);
	skel = conntrack_bpf__open();
	if (!skel) {
		printf("not ok - open the conntrack object: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj) {
		bpf_program__set_autoload(p, true);
		n++;
	}
	err = conntrack_bpf__load(skel);
	if (err)
		printf("not ok - conntrack: %u programs load: %s\n", n, strerror(-err));
	else
		printf("ok - conntrack: all %u programs (kprobe, tp_btf and classic tracepoint rungs) load\n",
		       n);
	conntrack_bpf__destroy(skel);
	return err ? 1 : 0;
}
