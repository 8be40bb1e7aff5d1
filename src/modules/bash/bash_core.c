// SPDX-License-Identifier: GPL-2.0
/*
 * bash: finding the bash binaries, attaching the uretprobes, turning the
 * kernel's events into rows. Shared by the module in `run` (bash.c) and the
 * `ebpfmon bash` command (bash_cmd.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bash.skel.h"
#include "modules/bash/bash_int.h"

bool bash_elf_has_readline(const char *path, char *why, size_t whylen)
{
	bool found = false, elf_ok = false;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(why, whylen, "libelf too old");
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return false;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	elf_ok = elf && elf_kind(elf) == ELF_K_ELF;
	while (elf_ok && !found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && !found && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			found = name && !strcmp(name, "readline");
		}
	}
	if (!elf_ok)
		snprintf(why, whylen, "not an ELF file");
	else if (!found)
		snprintf(why, whylen, "no readline function in its symbols (stripped, or readline in a shared library)");
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

static void note_skip(struct bash_binaries *b, const char *path, const char *why)
{
	size_t used = strlen(b->skipped);

	snprintf(b->skipped + used, sizeof(b->skipped) - used, "%s%s: %s", used ? "; " : "", path,
		 why);
}

/* 1 added, 0 not a candidate (absent, a duplicate), -1 with @why (unusable). */
static int add_binary(struct bash_binaries *b, const char *path, char *why, size_t whylen)
{
	char real[256];
	struct stat st;

	if (!realpath(path, real) || stat(real, &st)) {
		snprintf(why, whylen, "%s", strerror(errno));
		return errno == ENOENT ? 0 : -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -1;
	}
	for (unsigned int i = 0; i < b->nr; i++)
		if (b->dev[i] == st.st_dev && b->ino[i] == st.st_ino)
			return 0;
	if (b->nr == BASH_MAX_BINARIES) {
		snprintf(why, whylen, "more than %d bash binaries", BASH_MAX_BINARIES);
		return -1;
	}
	if (!bash_elf_has_readline(real, why, whylen))
		return -1;
	snprintf(b->path[b->nr], sizeof(b->path[0]), "%s", real);
	b->dev[b->nr] = st.st_dev;
	b->ino[b->nr] = st.st_ino;
	b->nr++;
	return 1;
}

int bash_find_binaries(struct bash_binaries *b, const char *extra, char *err, size_t errlen)
{
	static const char *const fixed[] = { "/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash" };
	const char *path_env = getenv("PATH");
	char why[256], buf[1024], *save = NULL, *tok;

	memset(b, 0, sizeof(*b));
	/* The user's paths first: one that cannot be used is an error. */
	snprintf(buf, sizeof(buf), "%s", extra ? extra : "");
	for (tok = strtok_r(buf, " \t,:", &save); tok; tok = strtok_r(NULL, " \t,:", &save)) {
		int r = add_binary(b, tok, why, sizeof(why));

		if (r == 0 && access(tok, F_OK))
			snprintf(why, sizeof(why), "%s", strerror(ENOENT));
		if (r < 0 || (r == 0 && access(tok, F_OK))) {
			snprintf(err, errlen, "bash binary %s: %s", tok, why);
			return -1;
		}
	}
	for (unsigned int i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (add_binary(b, fixed[i], why, sizeof(why)) < 0)
			note_skip(b, fixed[i], why);
	snprintf(buf, sizeof(buf), "%s", path_env ? path_env : "");
	for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char p[512];

		if (tok[0] != '/')
			continue; /* a relative $PATH entry depends on the cwd */
		snprintf(p, sizeof(p), "%s/bash", tok);
		if (add_binary(b, p, why, sizeof(why)) < 0)
			note_skip(b, p, why);
	}
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct bash_event *e = data;
	struct bash_kern *k = ctx;
	struct bash_row row = {};
	struct timespec rt, mono;
	uint64_t now_rt, now_mono;

	if (size < sizeof(*e))
		return 0;
	/* The event's time on the monotonic clock, moved to the wall clock. */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	now_rt = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
	now_mono = (uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec;
	row.time_ns = now_rt - (now_mono > e->ts_ns ? now_mono - e->ts_ns : 0);
	row.pid = e->pid;
	row.uid = e->uid;
	row.truncated = e->truncated;
	memcpy(row.comm, e->comm, sizeof(row.comm));
	row.comm[sizeof(row.comm) - 1] = 0;
	memcpy(row.cmd, e->line, sizeof(row.cmd));
	row.cmd[e->len < BASH_LINE_MAX ? e->len : BASH_LINE_MAX] = 0;
	bash_user_name(e->uid, row.user, sizeof(row.user));
	return k->cb(k->cb_ctx, &row);
}

/* Whether this kernel has bpf_copy_from_user_str (the sleepable program needs it). */
static bool have_copy_str(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool ok = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_copy_from_user_str", BTF_KIND_FUNC) >= 0;

	btf__free(vmlinux);
	return ok;
}

/* Open and load with the sleepable program (@sleepable) or the plain one. */
static int load_skel(struct bash_kern *k, bool sleepable)
{
	int ret;

	k->skel = bash_bpf__open();
	if (!k->skel)
		return -errno;
	bpf_program__set_autoload(k->skel->progs.bash_readline_ret_s, sleepable);
	bpf_program__set_autoload(k->skel->progs.bash_readline_ret, !sleepable);
	ret = bash_bpf__load(k->skel);
	if (ret) {
		bash_bpf__destroy(k->skel);
		k->skel = NULL;
		return ret;
	}
	k->prog = sleepable ? k->skel->progs.bash_readline_ret_s : k->skel->progs.bash_readline_ret;
	k->sleepable = sleepable;
	return 0;
}

int bash_kern_open(struct bash_kern *k, const struct bash_binaries *b, bash_row_cb cb, void *ctx,
		   char *err, size_t errlen)
{
	int ret = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (!b->nr) {
		snprintf(err, errlen, "no bash binary with a readline function found%s%s",
			 b->skipped[0] ? ": " : "", b->skipped);
		return -ENOENT;
	}
	/*
	 * The sleepable program where the kernel takes it, else the plain one
	 * (EBPFMON_TEST_BASH_PLAIN: the plain one here too, for the tests).
	 */
	if ((getenv("EBPFMON_TEST_BASH_PLAIN") && *getenv("EBPFMON_TEST_BASH_PLAIN")) || !have_copy_str() || (ret = load_skel(k, true)))
		ret = load_skel(k, false);
	if (ret) {
		snprintf(err, errlen, "load BPF program: %s", strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < b->nr; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = true, .func_name = "readline");

		/* Every process (-1) that runs this file, now or later. */
		k->links[i] = bpf_program__attach_uprobe_opts(k->prog, -1, b->path[i], 0, &uo);
		if (!k->links[i]) {
			ret = -errno;
			snprintf(err, errlen, "attach a uretprobe to readline in %s: %s", b->path[i],
				 strerror(-ret));
			bash_kern_close(k);
			return ret;
		}
		k->nr_links++;
	}
	k->cb = cb;
	k->cb_ctx = ctx;
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.bash_events), on_event, k, NULL);
	if (!k->rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(-ret));
		bash_kern_close(k);
		return ret;
	}
	return 0;
}

void bash_kern_close(struct bash_kern *k)
{
	ring_buffer__free(k->rb);
	k->rb = NULL;
	for (unsigned int i = 0; i < k->nr_links; i++)
		bpf_link__destroy(k->links[i]);
	k->nr_links = 0;
	bash_bpf__destroy(k->skel);
	k->skel = NULL;
}

int bash_kern_stats(struct bash_kern *k, struct bash_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bash_stats *st;
	uint32_t zero = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	st = calloc((size_t)ncpu, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.bash_stats), &zero, st))
		err = -errno;
	for (int c = 0; !err && c < ncpu; c++) {
		out->lost += st[c].lost;
		out->empty += st[c].empty;
		out->eof += st[c].eof;
		out->read_error += st[c].read_error;
	}
	free(st);
	return err;
}
