// SPDX-License-Identifier: GPL-2.0
/*
 * bpf tier: every program of every counting module passes the verifier on
 * this kernel, fallbacks included (kprobe programs load even where kprobes
 * cannot attach), with every breakdown switched on and with all off.
 * Prints TAP-style lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "core/counting.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int load_variant(const struct module *m, bool on)
{
	struct module_cfg mc = { .apps = on, .cgroups = on, .errors = on };
	struct bpf_program *p;
	struct bpf_object *obj;
	void *skel = NULL;
	int err, n = 0, kprobes = 0;

	obj = m->skel_open(&skel);
	if (!obj) {
		printf("not ok - %s: open skeleton: %s\n", m->name, strerror(errno));
		return 1;
	}
	m->skel_configure(skel, &mc);
	counting_autoload_all(obj);
	bpf_object__for_each_program(p, obj) {
		n++;
		kprobes += bpf_program__type(p) == BPF_PROG_TYPE_KPROBE;
	}
	err = bpf_object__load(obj);
	if (err)
		printf("not ok - %s (breakdowns %s): %d programs load: %s\n", m->name,
		       on ? "on" : "off", n, strerror(-err));
	else
		printf("ok - %s (breakdowns %s): all %d programs load, %d of them kprobe fallbacks\n",
		       m->name, on ? "on" : "off", n, kprobes);
	m->skel_destroy(skel);
	return err ? 1 : 0;
}

int main(void)
{
	int failed = 0;

	libbpf_set_print(silent);
	for (unsigned int i = 0; i < nr_modules; i++) {
		const struct module *m = modules[i];

		if (!m->skel_open) /* modules with their own loader test themselves */
			continue;
		failed += load_variant(m, true);
		failed += load_variant(m, false);
	}
	return failed ? 1 : 0;
}
