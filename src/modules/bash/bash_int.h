/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the bash module: shared by the module (bash.c) and the command (bash_cmd.c). */
#ifndef EBPFMON_BASH_INT_H
#define EBPFMON_BASH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "modules/bash/bash_api.h"

/* Bash binaries attached at most (distinct files). */
#define BASH_MAX_BINARIES 16

struct bash_binaries {
	char path[BASH_MAX_BINARIES][256];
	dev_t dev[BASH_MAX_BINARIES];
	ino_t ino[BASH_MAX_BINARIES];
	unsigned int nr;
	/* What was looked at and left out (no readline symbol, not ELF...): for messages. */
	char skipped[512];
};

/*
 * The bash binaries to attach to: /bin/bash, /usr/bin/bash,
 * /usr/local/bin/bash, bash in each directory of $PATH, and @extra (paths
 * separated by blanks, commas or colons: `bash paths` in [global], or the
 * command's --binary), each file once (a path that is a link to another, or
 * the same inode: /bin is /usr/bin on merged-/usr systems). Only ELF files
 * whose symbols have a readline function are kept. -1 with @err when an
 * @extra path cannot be used (the user asked for it); 0 otherwise, with
 * b->nr possibly 0.
 */
int bash_find_binaries(struct bash_binaries *b, const char *extra, char *err, size_t errlen);
/* Whether ELF file @path defines a function named readline (.dynsym or .symtab). */
bool bash_elf_has_readline(const char *path, char *why, size_t whylen);

struct bash_bpf;
struct bpf_link;
struct bpf_program;
struct ring_buffer;

typedef int (*bash_row_cb)(void *ctx, struct bash_row *row);

/* Must not move while open: the ring buffer holds its address. */
struct bash_kern {
	struct bash_bpf *skel;
	struct bpf_program *prog; /* the one loaded */
	bool sleepable;		  /* it is bash_readline_ret_s (can fault pages in) */
	struct bpf_link *links[BASH_MAX_BINARIES];
	unsigned int nr_links;
	struct ring_buffer *rb;
	bash_row_cb cb;
	void *cb_ctx;
};

/*
 * Open, load and attach a uretprobe on readline of each of @b's binaries;
 * events go to @cb(@ctx, row) (a row with seq 0, user resolved). 0, or
 * -errno with @err.
 */
int bash_kern_open(struct bash_kern *k, const struct bash_binaries *b, bash_row_cb cb, void *ctx,
		   char *err, size_t errlen);
void bash_kern_close(struct bash_kern *k);
/* Kernel counters summed over CPUs. */
int bash_kern_stats(struct bash_kern *k, struct bash_stats *out);

#endif
