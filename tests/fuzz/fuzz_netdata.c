// SPDX-License-Identifier: GPL-2.0
/*
 * The Netdata plugin writer (export/netdata.h) on any application, cgroup
 * and service names and any values. The input is lines: a line's first
 * byte picks what it is (application, cgroup path or service), the next
 * eight are its value, the rest its name. Two collections are written:
 * every row, then the even-numbered rows only with new values. Both must
 * read back by the plugins.d checker of the unit test (words, ids, labels,
 * BEGIN/SET/END of defined charts and dimensions only), and the second
 * must make obsolete exactly the charts the first updated and it does not.
 */
#include "export/netdata.h"
#include "fuzz/fuzz.h"
#include "unit/netdata_check.h"

#define MAX_ROWS 64

static const struct counter_def defs[] = {
    {"read_calls_total", "Reads", COUNTER_TOTAL, .netdata_chart = "filesystem.vfs_io",
     .netdata_app_chart = "app.ebpf_call_vfs_read"},
    {"write_bytes_total", "Bytes written", COUNTER_TOTAL,
     .netdata_chart = "filesystem.vfs_io_bytes",
     .netdata_app_chart = "app.ebpf_call_vfs_write_bytes"},
    {"open_errors_total", "Failed opens", COUNTER_TOTAL, .is_error = true,
     .netdata_chart = "filesystem.vfs_open_error",
     .netdata_app_chart = "app.ebpf_call_vfs_open_error"},
};

static const struct counter_def irq_defs[] = {
    {"latency_seconds_total", "IRQ time", COUNTER_TOTAL, .labeled = true, .ns_as_seconds = true,
     .netdata_chart = "system.hardirq_latency", .netdata_app_chart = ""},
};

struct row {
	unsigned char kind;
	uint64_t value;
	char name[256];
};

static void fill(struct store *s, const struct row *rows, size_t n, bool even_only, uint64_t bump)
{
	struct module_stats *m, *irq;

	store_init(s);
	s->apps = s->cgroups = s->errors = true;
	m = store_add_module(s, "vfs", defs, 3, 3);
	irq = store_add_module(s, "hardirq", irq_defs, 1, 1);
	must(m != NULL && irq != NULL, "no module");
	m->state = MODULE_UP;
	irq->state = MODULE_UP;
	for (size_t i = 0; i < n; i++) {
		uint64_t *v = NULL;

		if (even_only && i % 2)
			continue;
		switch (rows[i].kind % 4) {
		case 0:
			v = store_app(m, rows[i].name)->v;
			break;
		case 1: {
			struct cgroup_row *c = store_cgroup(m, i + 1);

			snprintf(c->path, sizeof(c->path), "%s", rows[i].name);
			v = c->v;
			break;
		}
		case 2: {
			struct service_row *sv = store_service_append(m);

			snprintf(sv->name, sizeof(sv->name), "%s", rows[i].name);
			v = sv->v;
			break;
		}
		case 3: {
			/* A labeled row: its labels rendered (escaped) and read back by the writer.
			 */
			struct labeled_row *r = store_row_append(irq);

			must(r != NULL, "out of memory");
			store_row_label(r, "irq", rows[i].name);
			store_row_label(r, "name", rows[i].name + strlen(rows[i].name) / 2);
			r->v[0] = rows[i].value + bump;
			continue;
		}
		}
		for (int k = 0; k < 3; k++)
			v[k] = rows[i].value + bump + (uint64_t)k;
		for (int k = 0; k < 3; k++)
			m->host[k] += rows[i].value;
	}
}

static char *render(struct netdata_writer *w, const struct store *s, uint64_t usec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	must(f != NULL, "out of memory");
	must(netdata_render(w, s, usec, f) == 0, "render failed");
	must(!fclose(f), "write failed");
	return buf;
}

/* The chart ids after @prefix at line starts of @text (lines holding @has), NUL-separated in one
 * buffer. */
static size_t ids(const char *text, const char *prefix, const char *has, char **out)
{
	size_t n = 0, used = 0, plen = strlen(prefix);
	char *buf = malloc(strlen(text) + 1);

	must(buf != NULL, "out of memory");
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		const char *end, *nl;

		if (strncmp(p, prefix, plen))
			continue;
		nl = strchr(p, '\n');
		if (has && (!nl || !memmem(p, (size_t)(nl - p), has, strlen(has))))
			continue;
		p += plen;
		end = p + strcspn(p, " \n");
		memcpy(buf + used, p, (size_t)(end - p));
		used += (size_t)(end - p);
		buf[used++] = 0;
		n++;
	}
	*out = buf;
	return n;
}

static bool listed(const char *list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++, list += strlen(list) + 1)
		if (!strcmp(list, id))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndc_chart charts[NDC_CHARTS];
	struct row rows[MAX_ROWS];
	size_t n = 0, pos = 0;
	struct store s1, s2;
	struct netdata_writer *w = netdata_writer_new(1);
	unsigned int nr = 0;
	char *t1, *t2, *sent1, *sent2, *obs;
	size_t n1, n2, nobs;
	const char *err;

	must(w != NULL, "out of memory");
	while (pos < size && n < MAX_ROWS) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
		struct row *r = &rows[n++];
		size_t name_len;

		memset(r, 0, sizeof(*r));
		if (len > 0)
			r->kind = data[pos];
		if (len > 1)
			memcpy(&r->value, data + pos + 1, len - 1 < 8 ? len - 1 : 8);
		name_len = len > 9 ? len - 9 : 0;
		if (name_len > sizeof(r->name) - 1)
			name_len = sizeof(r->name) - 1;
		memcpy(r->name, data + pos + 9, name_len);
		r->name[name_len] = 0; /* a NUL inside ends the name, as in the store */
		pos += len + 1;
	}

	fill(&s1, rows, n, false, 0);
	t1 = render(w, &s1, 0);
	memset(charts, 0, sizeof(charts));
	err = ndc_check(t1, charts, &nr);
	must(!err, "first collection: %s", err);

	fill(&s2, rows, n, true, 7);
	t2 = render(w, &s2, 1000000);
	err = ndc_check(t2, charts, &nr);
	must(!err, "second collection: %s", err);

	n1 = ids(t1, "BEGIN ", NULL, &sent1);
	n2 = ids(t2, "BEGIN ", NULL, &sent2);
	nobs = ids(t2, "CHART ", " 'obsolete' 'ebpfmon.plugin' ", &obs);
	{
		const char *p = sent1;

		for (size_t i = 0; i < n1; i++, p += strlen(p) + 1)
			must(listed(sent2, n2, p) != listed(obs, nobs, p),
			     "chart %s: in the second collection %s, obsolete %s", p,
			     listed(sent2, n2, p) ? "yes" : "no",
			     listed(obs, nobs, p) ? "yes" : "no");
		p = obs;
		for (size_t i = 0; i < nobs; i++, p += strlen(p) + 1)
			must(listed(sent1, n1, p), "chart %s made obsolete but never sent", p);
	}
	free(sent1);
	free(sent2);
	free(obs);
	free(t1);
	free(t2);
	store_free(&s1);
	store_free(&s2);
	netdata_writer_free(w);
	return 0;
}
