/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hand-built store for the exporter tests: three modules up (one without
 * per-cgroup rows), one failed, one disabled; names that need escaping, bytes
 * that are not UTF-8, labels that collide and must be merged, a host-only
 * gauge whose rows must not show, and an error counter.
 */
#ifndef EBPFMON_TEST_FIXTURE_H
#define EBPFMON_TEST_FIXTURE_H

#include <string.h>

#include "core/store.h"
#include "export/prometheus.h"

static const struct counter_def fx_vfs_defs[] = {
	{ "read_bytes_total", "Bytes read by read(2) and friends.", COUNTER_TOTAL },
	{ "read_calls_total", "Calls of read(2) and friends.", COUNTER_TOTAL },
	{ "read_errors_total", "Calls of read(2) and friends that failed.", COUNTER_TOTAL,
	  .is_error = true },
};

static const struct counter_def fx_process_defs[] = {
	{ "tasks_created_total", "Tasks created.", COUNTER_TOTAL },
	{ "tasks_exited_total", "Tasks exited.", COUNTER_TOTAL },
	{ "zombies", "A host-only gauge; a \\ backslash\nand a newline.", GAUGE_HOST },
};

static const struct counter_def fx_fd_defs[] = {
	{ "open_calls_total", "Calls of open(2).", COUNTER_TOTAL },
};

/* Two families told apart by a fixed label (one of errors), between two plain defs. */
static const struct counter_def fx_sync_defs[] = {
	{ "before_total", "A plain def before the family.", COUNTER_TOTAL },
	{ "calls_total", "Flush calls, by call.", COUNTER_TOTAL, .fixed_label = "call",
	  .fixed_value = "sync" },
	{ "calls_total", "(help of the family's first def only)", COUNTER_TOTAL,
	  .fixed_label = "call", .fixed_value = "fsync" },
	{ "errors_total", "Flush calls that failed, by call.", COUNTER_TOTAL, .is_error = true,
	  .fixed_label = "call", .fixed_value = "sync" },
	{ "errors_total", "", COUNTER_TOTAL, .is_error = true, .fixed_label = "call",
	  .fixed_value = "fsync" },
	{ "after_total", "A plain def after the family.", COUNTER_TOTAL },
};

static void fx_app(struct module_stats *m, const char *name, uint64_t a, uint64_t b, uint64_t c)
{
	struct app_row *r = store_app(m, name);

	r->v[0] += a;
	r->v[1] += b;
	r->v[2] += c;
}

static void fx_cgroup(struct module_stats *m, uint64_t id, const char *path, uint64_t a,
		      uint64_t b, uint64_t c)
{
	struct cgroup_row *r = store_cgroup(m, id);

	strncpy(r->path, path, sizeof(r->path) - 1);
	r->v[0] = a;
	r->v[1] = b;
	r->v[2] = c;
}

static void fx_pid(struct module_stats *m, uint32_t pid, const char *comm, uint64_t a,
		   uint64_t b, uint64_t c)
{
	struct pid_row *r = store_pid_append(m);

	r->pid = pid;
	/* A comm may fill all 16 bytes without a NUL. */
	memcpy(r->comm, comm, strnlen(comm, sizeof(r->comm)));
	r->v[0] = a;
	r->v[1] = b;
	r->v[2] = c;
}

static void fx_vfs(struct store *s)
{
	struct module_stats *m = store_add_module(s, "vfs", fx_vfs_defs, 3, 3);

	m->state = MODULE_UP;
	m->host[0] = 18446744073709551615ull; /* UINT64_MAX: printed exactly, not as a double */
	m->host[1] = 1200;
	m->host[2] = 7;
	fx_app(m, "bash", 4096, 10, 1);
	fx_app(m, "quo\"te", 1, 2, 0);
	fx_app(m, "back\\slash", 3, 4, 0);
	fx_app(m, "new\nline", 5, 6, 0);
	fx_app(m, "\xc3\xbc" "ber", 7, 8, 0);		/* valid UTF-8: kept */
	fx_app(m, "x\xff", 100, 1, 0);			/* both become "x\uFFFD": merged */
	fx_app(m, "x\xfe", 200, 2, 1);
	fx_app(m, "\xe0\x80\xaf" "overlong", 9, 9, 9); /* overlong '/': 3 replacements */
	fx_cgroup(m, 11, "/system.slice/ssh.service", 10, 1, 0);
	fx_cgroup(m, 12, "/user.slice/user-1000.slice", 20, 2, 0);
	fx_cgroup(m, 13, "/system.slice/ssh.service", 5, 1, 1); /* recreated: merged */
	fx_cgroup(m, 14, "/a\"b", 1, 1, 1);
	fx_pid(m, 42, "bash", 4096, 10, 1);
	fx_pid(m, 7, "sixteen-bytes-co", 1, 1, 0);
	fx_pid(m, 1000, "tab\there\x80", 2, 2, 0);
	m->lost_pid_table_full = 3;
	m->lost_cgroup_table_full = 0;
}

static void fx_process(struct store *s)
{
	struct module_stats *m = store_add_module(s, "process", fx_process_defs, 3, 2);

	m->state = MODULE_UP;
	m->host[0] = 500;
	m->host[1] = 450;
	m->host[2] = 3; /* the gauge: a host value, no per-application or per-cgroup series */
	fx_app(m, "init", 1, 0, 7);
	fx_app(m, "bash", 3, 5, 9);
	fx_pid(m, 1, "systemd", 1, 0, 0);
}

static void fx_sync(struct store *s)
{
	struct module_stats *m = store_add_module(s, "sync", fx_sync_defs, 6, 6);
	struct app_row *a;
	struct cgroup_row *c;

	m->state = MODULE_UP;
	for (int i = 0; i < 6; i++)
		m->host[i] = 10 + i;
	a = store_app(m, "db");
	for (int i = 0; i < 6; i++)
		a->v[i] = 100 + i;
	c = store_cgroup(m, 21);
	strcpy(c->path, "/db.slice");
	for (int i = 0; i < 6; i++)
		c->v[i] = 200 + i;
}

static void fx_store(struct store *s, bool apps, bool cgroups, bool errors)
{
	struct module_stats *m;

	store_init(s);
	s->apps = apps;
	s->cgroups = cgroups;
	s->errors = errors;
	s->collections = 42;
	fx_vfs(s);
	fx_process(s);
	fx_sync(s);
	m = store_add_module(s, "fd", fx_fd_defs, 1, 1);
	m->state = MODULE_FAILED;
	snprintf(m->reason, sizeof(m->reason), "attach \"sys_enter_openat\": %s", "No such file");
	m->lost_pid_table_full = 9; /* reported even for a module that is down */
	m = store_add_module(s, "dc", fx_fd_defs, 1, 1);
	m->state = MODULE_DISABLED;
	snprintf(m->reason, sizeof(m->reason), "disabled in the configuration");
}

/*
 * The store as Prometheus text, in a malloc'd string (include after
 * <cmocka.h>). Not inlined: GCC's -Wdangling-pointer then takes the
 * memstream buffer for a local.
 */
static __attribute__((noinline, unused)) char *fx_render_prometheus(const struct store *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(prometheus_render(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

#endif
