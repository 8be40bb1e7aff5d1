// SPDX-License-Identifier: GPL-2.0
/*
 * bpf tier: every program of the filesystem and dcstat modules passes the
 * verifier on this kernel, every rung included: tracepoints and kprobes
 * load here even where kprobes cannot attach. fentry/fexit programs are
 * refused by some kernels before any verification (ours: EPERM, which
 * `ebpfmon check` reports as fentry missing); there the test requires that
 * refusal to be the kernel's general one, and verifies them elsewhere.
 * Prints TAP-style lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "core/caps.h"
#include "dcstat.skel.h"
#include "filesystem.skel.h"

static struct caps caps;

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static bool is_fentry(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return !strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6);
}

/* Autoload the programs @fentry selects (or only @only); returns how many. */
static int select_progs(struct bpf_object *obj, bool fentry, const char *only)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, obj)
	{
		bool on = only ? !strcmp(bpf_program__name(p), only) : is_fentry(p) == fentry;

		bpf_program__set_autoload(p, on);
		n += on;
	}
	return n;
}

static int filesystem_variant(bool ext4_sync_hooked)
{
	struct filesystem_bpf *s = filesystem_bpf__open();
	int n, err;

	if (!s) {
		printf("not ok - filesystem: open the object: %s\n", strerror(errno));
		return 1;
	}
	n = select_progs(s->obj, false, NULL);
	s->rodata->ext4_sync_hooked = ext4_sync_hooked;
	err = filesystem_bpf__load(s);
	if (err)
		printf("not ok - filesystem (ext4 sync hooked: %d): %d programs: %s\n",
		       ext4_sync_hooked, n, strerror(-err));
	else
		printf("ok - filesystem (ext4 sync hooked: %d): all %d programs (tp_btf, "
		       "tracepoint, kprobe) load\n",
		       ext4_sync_hooked, n);
	filesystem_bpf__destroy(s);
	return err ? 1 : 0;
}

static int dcstat_kprobes(void)
{
	struct dcstat_bpf *s = dcstat_bpf__open();
	int n, err;

	if (!s) {
		printf("not ok - dcstat: open the object: %s\n", strerror(errno));
		return 1;
	}
	n = select_progs(s->obj, false, NULL);
	err = dcstat_bpf__load(s);
	if (err || n != 3)
		printf("not ok - dcstat kprobe rung: %d programs: %s\n", n, strerror(-err));
	else
		printf("ok - dcstat kprobe rung: all %d programs load\n", n);
	dcstat_bpf__destroy(s);
	return err || n != 3 ? 1 : 0;
}

/* Each fentry/fexit program on its own: verified, or refused as the kernel refuses any. */
static int dcstat_fentry(void)
{
	struct dcstat_bpf *s = dcstat_bpf__open();
	char names[8][64];
	struct bpf_program *p;
	int n = 0, failed = 0;

	if (!s) {
		printf("not ok - dcstat: open the object: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, s->obj) if (is_fentry(p) && n < 8)
	    snprintf(names[n++], sizeof(names[0]), "%s", bpf_program__name(p));
	dcstat_bpf__destroy(s);
	if (n != 3) {
		printf("not ok - dcstat fentry rung: %d programs, want 3\n", n);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int err;

		s = dcstat_bpf__open();
		if (!s)
			return 1;
		if (select_progs(s->obj, true, names[i]) != 1) {
			printf("not ok - dcstat %s: not found\n", names[i]);
			dcstat_bpf__destroy(s);
			return failed + 1;
		}
		err = dcstat_bpf__load(s);
		dcstat_bpf__destroy(s);
		if (!err)
			printf("ok - dcstat %s passes the verifier\n", names[i]);
		else if (!caps.fentry && err == -EPERM)
			printf("ok - dcstat %s: refused before verification, as every fentry "
			       "program is here (%s)\n",
			       names[i], caps.fentry_reason);
		else {
			printf("not ok - dcstat %s: %s (fentry %s here)\n", names[i],
			       strerror(-err), caps.fentry ? "works" : "is refused");
			failed++;
		}
	}
	return failed;
}

int main(void)
{
	int failed = 0;

	libbpf_set_print(silent);
	caps_probe(&caps);
	failed += filesystem_variant(true);
	failed += filesystem_variant(false);
	failed += dcstat_kprobes();
	failed += dcstat_fentry();
	caps_free(&caps);
	return failed ? 1 : 0;
}
