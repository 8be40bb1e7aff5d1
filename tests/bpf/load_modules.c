// SPDX-License-Identifier: GPL-2.0
/*
 * bpf tier: every program of the accounting core (which counts for process,
 * fd and vfs) passes the verifier on this kernel, every rung included
 * (kprobe programs load even where kprobes cannot attach): configured
 * exactly as `ebpfmon run` is by default, and in every other mode and
 * breakdown. Prints TAP-style lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "core/accounting.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* The configuration `ebpfmon run` starts with: the embedded default, nothing else. */
static int default_config(struct config *c)
{
	const char *names[STORE_MAX_MODULES];
	bool on[STORE_MAX_MODULES];
	char err[256];

	for (unsigned int i = 0; i < nr_modules; i++) {
		names[i] = modules[i]->name;
		on[i] = modules[i]->default_on;
	}
	if (config_init(c, names, on, nr_modules) ||
	    config_load_string(c, config_embedded_default, "default", err, sizeof(err))) {
		printf("not ok - the default configuration loads: %s\n", err);
		return -1;
	}
	return 0;
}

static int variant(const char *what, const struct module_cfg *mc)
{
	unsigned int n;
	char err[256];
	int e = acct_verify(mc, &n, err, sizeof(err));

	if (e)
		printf("not ok - accounting core, %s: %u programs: %s\n", what, n, err);
	else
		printf("ok - accounting core, %s: all %u programs load\n", what, n);
	return e ? 1 : 0;
}

int main(void)
{
	struct config cfg;
	struct module_cfg mc = { .cfg = &cfg };
	int failed = 0;

	libbpf_set_print(silent);
	if (default_config(&cfg))
		return 1;
	/* As `ebpfmon run` loads it by default. */
	mc.apps = cfg.apps;
	mc.cgroups = cfg.cgroups;
	mc.errors = cfg.load_mode == LOAD_MODE_RETURN;
	mc.light = cfg.load_mode == LOAD_MODE_LIGHT;
	failed += variant("the default configuration", &mc);
	mc = (struct module_cfg){ .cfg = &cfg, .apps = true, .cgroups = true, .errors = true };
	failed += variant("applications and cgroups", &mc);
	mc = (struct module_cfg){ .cfg = &cfg };
	failed += variant("no breakdown, entry mode", &mc);
	mc = (struct module_cfg){ .cfg = &cfg, .apps = true, .cgroups = true, .light = true };
	failed += variant("light mode with both breakdowns", &mc);
	mc = (struct module_cfg){ .cfg = &cfg, .light = true };
	failed += variant("light mode, no breakdown", &mc);
	return failed ? 1 : 0;
}
