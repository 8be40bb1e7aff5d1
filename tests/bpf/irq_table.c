// SPDX-License-Identifier: GPL-2.0
/*
 * hardirq's handler table when it is full (root; attaches for real): the
 * module is loaded as the agent loads it, its table is filled with made-up
 * (irq, name) keys, and disk interrupts caused here then find no room. The
 * collection must list every made-up row with its exact values (the read
 * grows its buffer well past its first size), and count the runs it could
 * not keep in table_full_total. Prints TAP-style lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/module.h"
#include "modules/hardirq/hardirq.h"

#define FAKE_IRQ 1000000u /* no real IRQ has a number this high */

extern const struct module hardirq_module;

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* The handler table's fd: the map of that name among our own descriptors. */
static int table_fd(void)
{
	for (int fd = 3; fd < 4096; fd++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "irq_counts") &&
		    info.key_size == sizeof(struct hardirq_key))
			return fd;
	}
	return -1;
}

/* Fill the table with made-up keys until the kernel refuses one; real keys out. */
static unsigned int fill(int fd)
{
	struct hardirq_val v = { .calls = 1, .ns = 1000 };
	struct hardirq_key k = {}, next;
	unsigned int fake = 0;

	for (int pass = 0; pass < 5; pass++) {
		/* Make room by deleting the real keys, then take it all. */
		memset(&k, 0, sizeof(k));
		while (!bpf_map_get_next_key(fd, pass || fake ? &k : NULL, &next)) {
			if (next.irq < FAKE_IRQ)
				bpf_map_delete_elem(fd, &next);
			k = next;
		}
		for (;;) {
			memset(&k, 0, sizeof(k));
			k.irq = FAKE_IRQ + fake;
			snprintf(k.name, sizeof(k.name), "fake-%u", fake);
			if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST))
				break;
			fake++;
		}
	}
	return fake;
}

/* Disk interrupts: direct writes, each waited for. */
static void disk_io(void)
{
	char path[] = "/var/tmp/ebpfmon-irq-table.XXXXXX";
	void *buf;
	int fd = mkstemp(path);

	if (fd < 0 || posix_memalign(&buf, 4096, 65536))
		return;
	close(fd);
	fd = open(path, O_WRONLY | O_DIRECT);
	memset(buf, 1, 65536);
	for (int i = 0; fd >= 0 && i < 200; i++)
		if (pwrite(fd, buf, 65536, (off_t)i * 65536) < 0 || fdatasync(fd))
			break;
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(buf);
}

int main(void)
{
	const struct module *m = &hardirq_module;
	struct module_inst mi = { .mod = m };
	struct module_cfg mc = {};
	struct config cfg = {};
	struct store store;
	struct caps caps;
	unsigned int fake, full = m->nr_defs, calls = 0, ns = 0, rows = 0, ok_vals = 0;
	int fd, failed = 0;

	libbpf_set_print(silent);
	caps_probe(&caps);
	store_init(&store);
	mi.stats = store_add_module(&store, m->name, m->defs, m->nr_defs, m->nr_counters);
	mc.cfg = &cfg;
	mc.caps = &caps;
	for (unsigned int i = 0; i < m->nr_defs; i++) {
		if (!strcmp(m->defs[i].name, "table_full_total"))
			full = i;
		if (!strcmp(m->defs[i].name, "calls_total"))
			calls = i;
		if (!strcmp(m->defs[i].name, "latency_seconds_total"))
			ns = i;
	}
	if (m->probe(m, &caps, &cfg, &mi.plan) || m->load(&mi, &mc)) {
		printf("not ok - hardirq loads and attaches: %s%s\n", mi.plan.reason, mi.stats->reason);
		return 1;
	}
	fd = table_fd();
	if (fd < 0) {
		printf("not ok - the handler table is found\n");
		m->unload(&mi);
		return 1;
	}
	fake = fill(fd);
	if (fake > HARDIRQ_MAX_ENTRIES - 8 && fake <= HARDIRQ_MAX_ENTRIES) {
		printf("ok - the table took %u made-up handlers (bound %u)\n", fake, HARDIRQ_MAX_ENTRIES);
	} else {
		printf("not ok - the table took %u made-up handlers (bound %u)\n", fake, HARDIRQ_MAX_ENTRIES);
		failed++;
	}
	disk_io();
	store_stats_init_like(&mi.next, mi.stats);
	if (m->collect(&mi, &mi.next)) {
		printf("not ok - collect: %s\n", strerror(errno));
		m->unload(&mi);
		return 1;
	}
	for (size_t r = 0; r < mi.next.nr_rows; r++) {
		const struct labeled_row *row = &mi.next.rows[r];
		unsigned int irq;

		if (sscanf(row->labels, "irq=\"%u\"", &irq) != 1 || irq < FAKE_IRQ)
			continue;
		rows++;
		ok_vals += row->v[calls] == 1 && row->v[ns] == 1000;
	}
	if (rows == fake && ok_vals == fake) {
		printf("ok - collect lists all %u made-up rows with their values (1 call, 1000 ns)\n", rows);
	} else {
		printf("not ok - collect lists %u made-up rows, %u with their values, of %u\n", rows, ok_vals, fake);
		failed++;
	}
	if (full < m->nr_defs && mi.next.host[full] > 0) {
		printf("ok - disk interrupts with no room counted in table_full_total: %llu\n",
		       (unsigned long long)mi.next.host[full]);
	} else {
		printf("not ok - table_full_total counts the handler runs with no room: %llu\n",
		       full < m->nr_defs ? (unsigned long long)mi.next.host[full] : 0ull);
		failed++;
	}
	m->unload(&mi);
	store_stats_free(&mi.next);
	store_free(&store);
	caps_free(&caps);
	return failed ? 1 : 0;
}
