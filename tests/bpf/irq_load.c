// SPDX-License-Identifier: GPL-2.0
/*
 * bpf tier: every program of hardirq and softirq, both rungs of each ladder
 * (tp_btf and classic tracepoints), passes the verifier on this kernel.
 * Prints TAP-style lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "hardirq.skel.h"
#include "softirq.skel.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Load @obj with every program on; one TAP line. 1 on failure. */
static int load_all(const char *what, struct bpf_object *obj, int (*load)(void *), void *skel)
{
	struct bpf_program *p;
	unsigned int n = 0;
	int err;

	bpf_object__for_each_program(p, obj) {
		bpf_program__set_autoload(p, true);
		n++;
	}
	err = load(skel);
	if (err) {
		printf("not ok - %s: %u programs load: %s\n", what, n, strerror(-err));
		return 1;
	}
	printf("ok - %s: all %u programs (tp_btf and classic tracepoint rungs) load\n", what, n);
	return 0;
}

static int load_hardirq(void *s)
{
	return hardirq_bpf__load(s);
}

static int load_softirq(void *s)
{
	return softirq_bpf__load(s);
}

int main(void)
{
	struct hardirq_bpf *h;
	struct softirq_bpf *s;
	int failed = 0;

	libbpf_set_print(silent);
	h = hardirq_bpf__open();
	s = softirq_bpf__open();
	if (!h || !s) {
		printf("not ok - open the hardirq and softirq objects: %s\n", strerror(errno));
		return 1;
	}
	failed += load_all("hardirq", h->obj, load_hardirq, h);
	failed += load_all("softirq", s->obj, load_softirq, s);
	hardirq_bpf__destroy(h);
	softirq_bpf__destroy(s);
	return failed ? 1 : 0;
}
