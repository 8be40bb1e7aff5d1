// SPDX-License-Identifier: GPL-2.0
/*
 * bash: commands typed into interactive bash shells (DataKit's `bash`
 * logging input). A uretprobe on readline() in each bash binary
 * (bash_core.c); off by default, as in DataKit.
 *
 * In `run`, each collection drains the ring buffer: every line counts in
 * ebpfmon_bash_commands_total{user} and joins the recent log (the last
 * BASH_LOG_ROWS lines), which the pusher renders as DataKit's `bash`
 * measurement (bash_api.h). Lines lost to a full ring buffer, unreadable
 * lines and lines cut at BASH_LINE_MAX bytes are counted. The ring buffer
 * (256 KiB, 552 bytes a line with its header) holds about 470 lines between two
 * collections: far more than people type, less than a script pasted into
 * a shell at once, whose excess is counted in lost_total (no thread of
 * our own drains it sooner: `run` drops its capabilities in every thread
 * after attach, and one more thread is one more to drop them in).
 *
 * Bash inside a container runs another file (its image's): it is hooked
 * only when that file is named in `bash paths` (through /proc/PID/root or
 * the runtime's mount of the image).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bash.skel.h"
#include "core/modobj.h"
#include "core/module.h"
#include "modules/bash/bash_int.h"

enum {
	BASH_COMMANDS,
	BASH_TRUNCATED,
	BASH_LOST,
	BASH_UNREADABLE,
	BASH_NR_DEFS,
};

static const struct counter_def bash_defs[] = {
	[BASH_COMMANDS] = { "commands_total",
			    "Command lines read by interactive bash shells (readline returned a non-empty line), per user of the shell",
			    .labeled = true, .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[BASH_TRUNCATED] = { "truncated_total",
			     "Command lines longer than 511 bytes, reported cut at 511 (truncated=true)",
			     .light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[BASH_LOST] = { "lost_total", "Command lines not reported because the ring buffer (256 KiB) was full",
			.light = true, .netdata_chart = "", .netdata_app_chart = "" },
	[BASH_UNREADABLE] = { "unreadable_total",
			      "Command lines not reported because the shell's memory could not be read at readline's return",
			      .light = true, .netdata_chart = "", .netdata_app_chart = "" },
};

static const struct hook_impl readline_impls[] = {
	{ "uretprobe", PROGS("bash_readline_ret") },
};

static const struct hook_def bash_hooks[] = {
	HOOK("readline", readline_impls),
};

/* Users counted apart at most; the others together as user "other". */
#define BASH_MAX_USERS 256

struct bash_user {
	char name[64];
	uint64_t n;
};

struct bash_agent {
	struct bash_kern k;
	struct bash_user users[BASH_MAX_USERS + 1];
	unsigned int nr_users;
	uint64_t truncated;
};

/* The recent log, for bash_rows_influx(): a ring of BASH_LOG_ROWS. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bash_row *log_rows;
static uint64_t log_seq; /* seq of the newest row; rows log_seq-BASH_LOG_ROWS+1 .. log_seq */
static uint64_t log_start = 1; /* the first seq of this load (seqs go on across reloads) */

static bool uprobes_supported(char *why, size_t len)
{
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		snprintf(why, len, "no uprobes in this kernel (CONFIG_UPROBE_EVENTS off)");
		return false;
	}
	return true;
}

static int bash_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		      struct module_plan *plan)
{
	struct bash_binaries b;
	char err[256];

	(void)m;
	(void)caps;
	memset(plan, 0, sizeof(*plan));
	plan->chosen[0] = -1;
	if (!uprobes_supported(plan->why[0], sizeof(plan->why[0]))) {
		snprintf(plan->reason, sizeof(plan->reason), "%s", plan->why[0]);
		return -EOPNOTSUPP;
	}
	if (bash_find_binaries(&b, cfg ? cfg->bash_paths : NULL, err, sizeof(err))) {
		snprintf(plan->reason, sizeof(plan->reason), "%s ([global] bash paths)", err);
		return -EOPNOTSUPP;
	}
	if (!b.nr) {
		snprintf(plan->reason, sizeof(plan->reason),
			 "no bash binary with a readline function found%s%.200s",
			 b.skipped[0] ? ": " : "", b.skipped);
		return -EOPNOTSUPP;
	}
	plan->chosen[0] = 0;
	return 0;
}

static int on_row(void *ctx, struct bash_row *row)
{
	struct bash_agent *ba = ctx;
	struct bash_user *u = NULL;

	for (unsigned int i = 0; i < ba->nr_users && !u; i++)
		if (!strcmp(ba->users[i].name, row->user))
			u = &ba->users[i];
	if (!u && ba->nr_users < BASH_MAX_USERS) {
		u = &ba->users[ba->nr_users++];
		snprintf(u->name, sizeof(u->name), "%s", row->user);
	}
	if (!u) {
		u = &ba->users[BASH_MAX_USERS];
		snprintf(u->name, sizeof(u->name), "other");
	}
	u->n++;
	ba->truncated += row->truncated;
	pthread_mutex_lock(&log_lock);
	if (log_rows) {
		row->seq = ++log_seq;
		log_rows[row->seq % BASH_LOG_ROWS] = *row;
	}
	pthread_mutex_unlock(&log_lock);
	return 0;
}

static int bash_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct bash_agent *ba = calloc(1, sizeof(*ba));
	struct bash_binaries b;
	char err[256];
	int ret;

	if (!ba)
		return modobj_fail(mi, -ENOMEM, "allocate");
	mi->priv = ba;
	if (bash_find_binaries(&b, mc->cfg->bash_paths, err, sizeof(err))) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s ([global] bash paths)", err);
		return -EINVAL;
	}
	pthread_mutex_lock(&log_lock);
	if (!log_rows) {
		log_rows = calloc(BASH_LOG_ROWS, sizeof(*log_rows));
		log_start = log_seq + 1;
	}
	ret = log_rows ? 0 : -ENOMEM;
	pthread_mutex_unlock(&log_lock);
	if (ret)
		return modobj_fail(mi, ret, "allocate the recent log");
	ret = bash_kern_open(&ba->k, &b, on_row, ba, err, sizeof(err));
	if (ret) {
		snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s", err);
		return ret;
	}
	return 0;
}

static int bash_collect(struct module_inst *mi, struct module_stats *next)
{
	struct bash_agent *ba = mi->priv;
	struct bash_stats st;
	int ret;

	ret = ring_buffer__consume(ba->k.rb);
	if (ret < 0)
		return ret;
	next->nr_rows = 0;
	memset(next->host, 0, sizeof(next->host));
	for (unsigned int i = 0; i <= BASH_MAX_USERS; i++) {
		struct labeled_row *row;

		if (i == ba->nr_users && i < BASH_MAX_USERS)
			i = BASH_MAX_USERS; /* then "other", when anybody was */
		if (!ba->users[i].n)
			continue;
		row = store_row_append(next);
		if (!row)
			return -ENOMEM;
		store_row_label(row, "user", ba->users[i].name);
		row->v[BASH_COMMANDS] = ba->users[i].n;
		next->host[BASH_COMMANDS] += ba->users[i].n;
	}
	next->host[BASH_TRUNCATED] = ba->truncated;
	if (!bash_kern_stats(&ba->k, &st)) {
		next->host[BASH_LOST] = st.lost;
		next->host[BASH_UNREADABLE] = st.read_error;
	}
	return 0;
}

static size_t bash_kernel_memory(struct module_inst *mi, struct map_mem *out, size_t max, int cpus)
{
	struct bash_agent *ba = mi->priv;

	return modobj_memory(ba->k.skel->obj, out, max, cpus);
}

static void bash_unload(struct module_inst *mi)
{
	struct bash_agent *ba = mi->priv;

	if (!ba)
		return;
	bash_kern_close(&ba->k);
	free(ba);
	mi->priv = NULL;
	pthread_mutex_lock(&log_lock);
	free(log_rows);
	log_rows = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Rows with seq in (@after_seq, log_seq] still in the ring; log_lock held. */
static uint64_t first_kept(uint64_t after_seq)
{
	uint64_t oldest = log_seq > BASH_LOG_ROWS ? log_seq - BASH_LOG_ROWS + 1 : 1;

	if (oldest < log_start)
		oldest = log_start;

	return after_seq + 1 > oldest ? after_seq + 1 : oldest;
}

size_t bash_rows_influx(FILE *out, const char *host, uint64_t after_seq, uint64_t *last_seq)
{
	size_t n = 0;

	pthread_mutex_lock(&log_lock);
	if (last_seq)
		*last_seq = after_seq;
	for (uint64_t s = first_kept(after_seq); log_rows && s <= log_seq; s++, n++) {
		bash_row_influx(out, &log_rows[s % BASH_LOG_ROWS], host);
		if (last_seq)
			*last_seq = s;
	}
	pthread_mutex_unlock(&log_lock);
	return n;
}

long bash_rows_json(FILE *out, uint64_t after_seq)
{
	long n = 0;

	pthread_mutex_lock(&log_lock);
	if (!log_rows) {
		pthread_mutex_unlock(&log_lock);
		return -ENODEV;
	}
	fputc('[', out);
	for (uint64_t s = first_kept(after_seq); log_rows && s <= log_seq; s++, n++) {
		if (n)
			fputc(',', out);
		bash_row_json(out, &log_rows[s % BASH_LOG_ROWS]);
	}
	fputs("]\n", out);
	pthread_mutex_unlock(&log_lock);
	return n;
}

const struct module bash_module = {
	.name = "bash",
	.summary = "Commands typed into interactive bash shells (uretprobe on readline; DataKit's bash log)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	.defs = bash_defs,
	.nr_defs = BASH_NR_DEFS,
	.nr_counters = BASH_NR_DEFS,
	.hooks = bash_hooks,
	.nr_hooks = sizeof(bash_hooks) / sizeof(bash_hooks[0]),
	.row_labels = "user",
	.probe = bash_probe,
	.load = bash_load,
	.collect = bash_collect,
	.unload = bash_unload,
	.kernel_memory = bash_kernel_memory,
};
