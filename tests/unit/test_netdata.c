// SPDX-License-Identifier: GPL-2.0
/*
 * Netdata's plugins.d protocol (export/netdata.h): a hand-built store
 * against a golden file, every line read back by a checker written apart
 * (netdata_check.h), names cleaned as Netdata needs them, charts defined
 * once, and charts of a retired application, cgroup or service and of a
 * failed module sent again as obsolete.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export/netdata.h"
#include "golden.h"
#include "netdata_check.h"

static uint64_t ratio(const uint64_t *v)
{
	return v[0] ? v[1] * 1000000000ull / v[0] : 0;
}

static const struct counter_def nd_vfs_defs[] = {
    {"read_calls_total", "Calls of read(2) and friends", COUNTER_TOTAL,
     .netdata_chart = "filesystem.vfs_io", .netdata_app_chart = "app.ebpf_call_vfs_read"},
    {"write_calls_total", "Calls of write(2) and friends", COUNTER_TOTAL,
     .netdata_chart = "filesystem.vfs_io", .netdata_app_chart = "app.ebpf_call_vfs_write"},
    {"read_bytes_total", "Bytes read", COUNTER_TOTAL, .netdata_chart = "filesystem.vfs_io_bytes",
     .netdata_app_chart = "app.ebpf_call_vfs_read_bytes"},
    {"write_bytes_total", "Bytes 'written'", COUNTER_TOTAL,
     .netdata_chart = "filesystem.vfs_io_bytes",
     .netdata_app_chart = "app.ebpf_call_vfs_write_bytes"},
    {"read_errors_total", "Reads that failed", COUNTER_TOTAL, .is_error = true,
     .netdata_chart = "filesystem.vfs_io_error",
     .netdata_app_chart = "app.ebpf_call_vfs_read_error"},
    /* Free text is no chart id: not sent. */
    {"other_total", "Not charted", COUNTER_TOTAL, .netdata_chart = "filesystem.a, b; likewise c",
     .netdata_app_chart = ""},
    /* A derived gauge per row: absolute, percent of a 1e-9 ratio. */
    {"write_ratio", "Share of writes", GAUGE, .netdata_chart = "filesystem.vfs_ratio",
     .netdata_app_chart = "app.ebpf_vfs_ratio", .ns_as_seconds = true, .derive = ratio},
};

static const struct counter_def nd_proc_defs[] = {
    {"created_total", "Processes created", COUNTER_TOTAL, .netdata_chart = "system.process_thread",
     .netdata_app_chart = "app.ebpf_process_start"},
    {"zombies", "Zombies", GAUGE_HOST, .netdata_chart = "system.process_status",
     .netdata_app_chart = ""},
};

static const struct counter_def nd_fd_defs[] = {
    {"open_calls_total", "Opens", COUNTER_TOTAL, .netdata_chart = "filesystem.file_descriptor",
     .netdata_app_chart = "app.ebpf_file_open"},
};

static const struct counter_def nd_irq_defs[] = {
    {"calls_total", "IRQ runs", COUNTER_TOTAL, .labeled = true,
     .netdata_chart = "system.hardirq_latency", .netdata_app_chart = ""},
    {"latency_seconds_total", "IRQ time", COUNTER_TOTAL, .labeled = true, .ns_as_seconds = true,
     .netdata_chart = "system.hardirq_latency", .netdata_app_chart = ""},
};

static const uint64_t nd_le[] = {2000, 4000000};
static const struct counter_def nd_disk_defs[] = {
    {"latency_seconds", "Disk latency", HISTOGRAM, .labeled = true, .le_ns = nd_le, .nr_le = 2,
     .netdata_chart = "disk.latency_io", .netdata_app_chart = ""},
};

static void irq_row(struct module_stats *m, const char *irq, const char *name, uint64_t calls,
		    uint64_t ns)
{
	struct labeled_row *r = store_row_append(m);

	store_row_label(r, "irq", irq);
	store_row_label(r, "name", name);
	r->v[0] = calls;
	r->v[1] = ns;
}

static void set_row(uint64_t *v, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	v[0] = a;
	v[1] = b;
	v[2] = c;
	v[3] = d;
	v[4] = e;
	v[5] = 1;
}

static void build(struct store *s)
{
	struct module_stats *m;
	struct cgroup_row *c;
	struct service_row *sv;

	store_init(s);
	s->apps = s->cgroups = s->errors = true;
	m = store_add_module(s, "vfs", nd_vfs_defs, 7, 6);
	m->state = MODULE_UP;
	set_row(m->host, 100, 50, 4096, 2048, 3);
	set_row(store_app(m, "bash")->v, 10, 5, 400, 200, 1);
	set_row(store_app(m, "my app.v2")->v, 7, 7, 70, 70, 0);
	/* A quote and a newline cannot reach the label: '_'. */
	set_row(store_app(m, "quo'te\n")->v, 1, 1, 1, 1, 0);
	c = store_cgroup(m, 11);
	strcpy(c->path, "/system.slice/ssh.service");
	set_row(c->v, 2, 1, 20, 10, 0);
	sv = store_service_append(m);
	strcpy(sv->name, "ssh.service");
	set_row(sv->v, 2, 1, 20, 10, 0);

	m = store_add_module(s, "process", nd_proc_defs, 2, 1);
	m->state = MODULE_UP;
	m->host[0] = 500;
	m->host[1] = 3;
	store_app(m, "bash")->v[0] = 9;

	m = store_add_module(s, "fd", nd_fd_defs, 1, 1);
	m->state = MODULE_UP;
	m->host[0] = UINT64_MAX; /* more than Netdata's int64: capped */

	m = store_add_module(s, "swap", nd_fd_defs, 1, 1);
	m->state = MODULE_FAILED;

	/* Labeled: a dimension per row (the time, in ms), and a histogram chart per row. */
	m = store_add_module(s, "hardirq", nd_irq_defs, 2, 2);
	m->state = MODULE_UP;
	irq_row(m, "12", "eth0", 10, 3000000);
	irq_row(m, "LOC", "Local \"timer\"", 500, 7000000);
	m = store_add_module(s, "disk", nd_disk_defs, 1, 1);
	m->state = MODULE_UP;
	for (int d = 0; d < 2; d++) {
		struct labeled_row *r = store_row_append(m);
		struct hist_value *h = store_row_hist(m, m->nr_rows - 1, 0);

		store_row_label(r, "device", d ? "nvme0n1" : "sda");
		h->buckets[0] = 5 + (uint64_t)d;
		h->buckets[1] = 7;
		h->buckets[2] = 1;
	}
}

static char *render(struct netdata_writer *w, const struct store *s, uint64_t usec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(netdata_render(w, s, usec, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct ndc_chart charts[NDC_CHARTS];
static unsigned int nr_charts;

static void check(const char *text)
{
	const char *err = ndc_check(text, charts, &nr_charts);

	if (err)
		fail_msg("%s\n%s", err, text);
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing '%s' in:\n%s", want, text);
}

static void assert_lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted))
		fail_msg("unexpected '%s' in:\n%s", unwanted, text);
}

static void test_clean(void **state)
{
	char b[32];

	(void)state;
	netdata_clean_id(b, sizeof(b), "my app.v2/x y");
	assert_string_equal(b, "my_app_v2_x_y");
	netdata_clean_id(b, sizeof(b), "");
	assert_string_equal(b, "_");
	netdata_clean_id(b, sizeof(b),
			 "\xc3\xbc"
			 "ber-1");
	assert_string_equal(b, "__ber-1");
	netdata_clean_id(b, 4, "abcdef");
	assert_string_equal(b, "abc");
	netdata_clean_value(b, sizeof(b), "it's \"x\"\\\n\ty");
	assert_string_equal(b, "it_s _x____y");
	netdata_clean_value(b, sizeof(b),
			    "\xc3\xbc"
			    "ber a.b");
	assert_string_equal(b, "\xc3\xbc"
			       "ber a.b");
}

static void test_golden(void **state)
{
	struct store s;
	struct netdata_writer *w = netdata_writer_new(1);
	char *text;

	(void)state;
	build(&s);
	text = render(w, &s, 0);
	memset(charts, 0, sizeof(charts));
	nr_charts = 0;
	check(text);
	golden_check("netdata_basic.txt", text);
	free(text);
	netdata_writer_free(w);
	store_free(&s);
}

/* The second collection: values only; what went away becomes obsolete, once. */
static void test_retire(void **state)
{
	struct store s;
	struct netdata_writer *w = netdata_writer_new(2);
	struct module_stats *vfs;
	char *first, *text;

	(void)state;
	build(&s);
	memset(charts, 0, sizeof(charts));
	nr_charts = 0;
	first = render(w, &s, 0);
	check(first);
	assert_has(first, "CHART app.bash_ebpf_call_vfs_read '' 'Calls of read(2) and friends' "
			  "'calls/s' 'vfs' 'app.ebpf_call_vfs_read' stacked 20000 2 'store_first' "
			  "'ebpfmon.plugin' 'vfs'\nCLABEL 'app_group' 'bash' 1\nCLABEL_COMMIT\n"
			  "DIMENSION calls '' incremental 1 1\nBEGIN app.bash_ebpf_call_vfs_read\n"
			  "SET calls = 10\nEND\n");
	/* Writes below the axis on the host chart with both sides. */
	assert_has(first, "DIMENSION read_calls 'read' incremental 1 1\n"
			  "DIMENSION write_calls 'write' incremental -1 1\n");
	/* Above Netdata's signed 64 bits: capped. */
	assert_has(first,
		   "BEGIN filesystem.file_descriptor\nSET open_calls = 9223372036854775807\nEND\n");

	/* bash exits and retires; the cgroup and its service go; fd fails; values move. */
	vfs = &s.mods[0];
	vfs->nr_apps = 0;
	set_row(store_app(vfs, "my app.v2")->v, 8, 9, 80, 90, 0);
	set_row(store_app(vfs, "quo'te\n")->v, 1, 1, 1, 1, 0);
	vfs->nr_cgroups = 0;
	vfs->nr_services = 0;
	vfs->host[0] = 101;
	s.mods[2].state = MODULE_FAILED;
	text = render(w, &s, 2000000);
	check(text);
	/* Defined already: no CHART for what stays, values with the interval. */
	assert_lacks(text, "CHART filesystem.vfs_io ");
	assert_lacks(text, "CHART app.my_app_v2_ebpf_call_vfs_read ");
	assert_has(
	    text,
	    "BEGIN filesystem.vfs_io 2000000\nSET read_calls = 101\nSET write_calls = 50\nEND\n");
	assert_has(text, "BEGIN app.my_app_v2_ebpf_call_vfs_write 2000000\nSET calls = 9\nEND\n");
	/* Gone: obsolete, with the same definition. */
	assert_has(text, "CHART app.bash_ebpf_call_vfs_read '' 'Calls of read(2) and friends' "
			 "'calls/s' 'vfs' 'app.ebpf_call_vfs_read' stacked 20000 2 'obsolete' "
			 "'ebpfmon.plugin' 'vfs'\n");
	/* bash is still an application of process. */
	assert_has(text, "BEGIN app.bash_ebpf_process_start 2000000\nSET calls = 9\nEND\n");
	assert_has(text, "CHART cgroup_system_slice_ssh_service.vfs_read ");
	assert_has(text, "CHART systemd_ssh_service.vfs_write_bytes ");
	assert_has(text,
		   "CHART filesystem.file_descriptor '' 'Opens' 'calls/s' 'fd' "
		   "'filesystem.file_descriptor' line 21040 2 'obsolete' 'ebpfmon.plugin' 'fd'\n");
	assert_lacks(text, "BEGIN app.bash_ebpf_call");
	assert_lacks(text, "CHART app.bash_ebpf_process_start");
	assert_lacks(text, "BEGIN filesystem.file_descriptor");
	free(text);

	/* Obsolete once; then bash comes back and is defined again. */
	set_row(store_app(vfs, "bash")->v, 11, 5, 400, 200, 1);
	text = render(w, &s, 2000000);
	check(text);
	assert_lacks(text, "'obsolete'");
	assert_has(text, "CHART app.bash_ebpf_call_vfs_read '' 'Calls of read(2) and friends' "
			 "'calls/s' 'vfs' 'app.ebpf_call_vfs_read' stacked 20000 2 'store_first' ");
	assert_has(text, "BEGIN app.bash_ebpf_call_vfs_read 2000000\nSET calls = 11\nEND\n");
	free(text);
	free(first);
	netdata_writer_free(w);
	store_free(&s);
}

/* A labeled chart is defined again when a row comes, not when rows come in another order. */
static void test_labeled(void **state)
{
	struct store s;
	struct netdata_writer *w = netdata_writer_new(1);
	struct module_stats *irq;
	char *text;

	(void)state;
	build(&s);
	irq = &s.mods[4];
	memset(charts, 0, sizeof(charts));
	nr_charts = 0;
	text = render(w, &s, 0);
	check(text);
	assert_has(text, "DIMENSION 12_eth0 '' incremental 1 1000000\n"
			 "DIMENSION LOC_Local__timer_ '' incremental 1 1000000\n"
			 "BEGIN system.hardirq_latency\nSET 12_eth0 = 3000000\nSET "
			 "LOC_Local__timer_ = 7000000\nEND\n");
	assert_has(text, "CHART disk_latency_io.nvme0n1 '' 'Disk latency' 'calls/s' 'nvme0n1' "
			 "'disk.latency_io' stacked 21110 1 'store_first' 'ebpfmon.plugin' 'disk'\n"
			 "CLABEL 'device' 'nvme0n1' 1\nCLABEL_COMMIT\n"
			 "DIMENSION 2us '' incremental 1 1\nDIMENSION 4ms '' incremental 1 1\n"
			 "DIMENSION inf '' incremental 1 1\nBEGIN disk_latency_io.nvme0n1\n"
			 "SET 2us = 6\nSET 4ms = 7\nSET inf = 1\nEND\n");
	free(text);

	/* The same rows the other way round: values only. */
	irq->nr_rows = 0;
	irq_row(irq, "LOC", "Local \"timer\"", 501, 7000001);
	irq_row(irq, "12", "eth0", 11, 3000001);
	text = render(w, &s, 1000000);
	check(text);
	assert_lacks(text, "CHART");
	assert_has(text, "BEGIN system.hardirq_latency 1000000\nSET LOC_Local__timer_ = 7000001\n"
			 "SET 12_eth0 = 3000001\nEND\n");
	free(text);

	/* A new IRQ: the chart again, with every dimension. */
	irq_row(irq, "13", "eth1", 1, 5);
	text = render(w, &s, 1000000);
	check(text);
	assert_has(text, "CHART system.hardirq_latency ");
	assert_has(text, "DIMENSION LOC_Local__timer_ '' incremental 1 1000000\n"
			 "DIMENSION 12_eth0 '' incremental 1 1000000\n"
			 "DIMENSION 13_eth1 '' incremental 1 1000000\n");
	assert_lacks(text, "'obsolete'");
	free(text);
	netdata_writer_free(w);
	store_free(&s);
}

/* Two names that clean to one chart id: the first one's values, once (no SET twice). */
static void test_collision(void **state)
{
	struct store s;
	struct netdata_writer *w = netdata_writer_new(1);
	char *text;
	const char *p;
	int begins = 0;

	(void)state;
	build(&s);
	set_row(store_app(&s.mods[0], "my app v2")->v, 1, 1, 1, 1, 1);
	memset(charts, 0, sizeof(charts));
	nr_charts = 0;
	text = render(w, &s, 0);
	check(text);
	for (p = text; (p = strstr(p, "BEGIN app.my_app_v2_ebpf_call_vfs_read\n")); p++)
		begins++;
	assert_int_equal(begins, 1);
	free(text);
	netdata_writer_free(w);
	store_free(&s);
}

/* Errors off (entry mode) and apps off: no error charts, no app charts. */
static void test_settings(void **state)
{
	struct store s;
	struct netdata_writer *w = netdata_writer_new(1);
	char *text;

	(void)state;
	build(&s);
	s.errors = false;
	s.apps = false;
	text = render(w, &s, 0);
	memset(charts, 0, sizeof(charts));
	nr_charts = 0;
	check(text);
	assert_lacks(text, "vfs_io_error");
	assert_lacks(text, "CHART app.");
	assert_has(text, "CHART cgroup_system_slice_ssh_service.vfs_read ");
	assert_has(text, "CLABEL 'service_name' 'ssh.service' 1\n");
	free(text);
	netdata_writer_free(w);
	store_free(&s);
}

/* The checker itself rejects what Netdata would not take. */
static void test_checker(void **state)
{
	static const char *const bad[] = {
	    "BEGIN x.y\nEND\n",
	    "CHART x.y '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\nBEGIN x.y\nSET a = 1\nEND\n",
	    "CHART x '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\n",
	    "CHART x.y.z '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\n",
	    "CHART x.y '' 't'x 'u' 'f' 'c' line 1 1 '' 'p' 'm'\n",
	    "CHART x.y '' 't 'u' 'f' 'c' line 1 1 '' 'p' 'm'\n",
	    "CHART x.y '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\nCLABEL 'a' 'b' 1\nDIMENSION a '' "
	    "absolute 1 1\n",
	    "CHART x.y '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\nDIMENSION a '' absolute 1 0\n",
	    "CHART x.y '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\nDIMENSION a '' absolute 1 1\nBEGIN "
	    "x.y\nSET a = 1.5\nEND\n",
	    "CHART x.y '' 't' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\nDIMENSION a '' absolute 1 1\nBEGIN "
	    "x.y\nSET a = 1\n",
	};
	static const char good[] =
	    "CHART x.y '' 't t' 'u' 'f' 'c' line 1 1 '' 'p' 'm'\n"
	    "CLABEL 'a' 'b c' 1\nCLABEL_COMMIT\nDIMENSION a '' incremental -1 1\n"
	    "BEGIN x.y 1000000\nSET a = -3\nEND\n";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(charts, 0, sizeof(charts));
		nr_charts = 0;
		if (!ndc_check(bad[i], charts, &nr_charts))
			fail_msg("the checker took:\n%s", bad[i]);
	}
	memset(charts, 0, sizeof(charts));
	nr_charts = 0;
	assert_null(ndc_check(good, charts, &nr_charts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean),     cmocka_unit_test(test_checker),
	    cmocka_unit_test(test_golden),    cmocka_unit_test(test_retire),
	    cmocka_unit_test(test_collision), cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_labeled),
	};

	(void)have_command;
	(void)run_with_input;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
