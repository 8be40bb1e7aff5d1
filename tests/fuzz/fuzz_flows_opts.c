// SPDX-License-Identifier: GPL-2.0
/*
 * The options of `ebpfmon flows`: the input, split at NUL bytes, is the
 * argument list. Beyond "no crash":
 *  - the result is 0 (run), 1 (--help) or -1 with one printable line;
 *  - accepted options are within their documented bounds and never a
 *    combination the command refuses (--xdp with --process, --json with
 *    --tui);
 *  - parsing twice gives the same options (getopt's state is reset).
 */
#include "modules/flows/flows_int.h"
#include "fuzz/fuzz.h"

#define MAX_ARGS 32

static int parse(int argc, char **argv, struct flows_opts *o, char *err, size_t errlen)
{
	err[0] = '\0';
	return flows_parse_opts(argc, argv, o, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], err[256], err2[256];
	struct flows_opts o, o2;
	int argc = 1, rc, rc2;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "flows";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;

	rc = parse(argc, argv, &o, err, sizeof(err));
	must(rc >= -1 && rc <= 1, "flows_parse_opts returned %d", rc);
	if (rc < 0) {
		must(err[0] != '\0', "a refusal without a message");
		for (const char *p = err; *p; p++)
			must((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in '%s'", err);
	} else if (rc == 0) {
		must(o.refresh > 0 && o.refresh <= 576 * 3600.0, "refresh %g", o.refresh);
		must(o.timeout > 0 && o.timeout <= 576 * 3600.0, "timeout %g", o.timeout);
		must(o.max_entries >= 1 && o.max_entries <= 1u << 24, "max entries %u", o.max_entries);
		must(memchr(o.iface, 0, sizeof(o.iface)) != NULL, "interface not terminated");
		must(!o.iface_set || o.iface[0], "an empty interface name accepted");
		must(!(o.xdp && o.process), "--xdp with --process accepted");
		must(!(o.json && o.tui), "--json with --tui accepted");
		must(o.sort < FLOWS_NR_SORTS, "sort %d", o.sort);
		must(o.xdp_mode <= FLOWS_XDP_OFFLOAD && o.tc_hook <= FLOWS_TC_CLSACT,
		     "xdp mode %d, tc hook %d", o.xdp_mode, o.tc_hook);
		must(!o.cgroup || o.process, "--cgroup without process mode");
	}
	rc2 = parse(argc, argv, &o2, err2, sizeof(err2));
	must(rc == rc2 && !strcmp(err, err2), "parsing twice differs: %d '%s', %d '%s'", rc, err,
	     rc2, err2);
	if (rc == 0)
		must(!memcmp(&o, &o2, sizeof(o)), "parsing twice gives other options");
	free(buf);
	return 0;
}
