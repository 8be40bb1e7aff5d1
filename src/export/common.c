// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "export/common.h"

/* A row before sorting: small, so qsort moves 16 bytes instead of a whole row. */
struct key {
	const char *label;
	const uint64_t *v;
};

size_t export_utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0; /* continuation byte, overlong lead (C0, C1) or beyond U+10FFFF */
	/* Narrow the second byte to exclude overlong forms, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n > left || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t export_utf8_sanitize(char *dst, const char *src, size_t len)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, o = 0, n;

	while (i < len) {
		n = export_utf8_len(p + i, len - i);
		if (n) {
			memcpy(dst + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	dst[o] = '\0';
	return o;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct key *)a)->label, ((const struct key *)b)->label);
}

/* Room for the sanitized copy of a label of at most @size bytes (worst case grows 3x). */
static size_t label_room(const char *name, size_t size)
{
	return 3 * strnlen(name, size) + 1;
}

static int series_alloc(struct series_set *set, struct key **keys, size_t nr, size_t text)
{
	memset(set, 0, sizeof(*set));
	*keys = malloc((nr ? nr : 1) * sizeof(**keys));
	set->rows = malloc((nr ? nr : 1) * sizeof(*set->rows));
	set->text = malloc(text ? text : 1);
	if (*keys && set->rows && set->text)
		return 0;
	free(*keys);
	series_free(set);
	return -1;
}

static void series_key(struct series_set *set, struct key *k, const char *name, size_t size,
		       const uint64_t *v)
{
	k->label = set->text + set->used;
	k->v = v;
	set->used += export_utf8_sanitize(set->text + set->used, name, strnlen(name, size)) + 1;
}

/* Sort the keys and fold equal labels into one summed row. Frees @keys. */
static void series_finish(struct series_set *set, struct key *keys, size_t nr)
{
	struct series *r = NULL;

	qsort(keys, nr, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < nr; i++) {
		if (r && !strcmp(r->label, keys[i].label)) {
			for (unsigned int j = 0; j < EBPFMON_MAX_COUNTERS; j++)
				r->v[j] += keys[i].v[j];
			continue;
		}
		r = &set->rows[set->nr++];
		r->label = keys[i].label;
		r->cg = NULL;
		memcpy(r->v, keys[i].v, sizeof(r->v));
	}
	free(keys);
}

int series_apps(struct series_set *set, const struct module_stats *m)
{
	struct key *keys;
	size_t text = 0;

	for (size_t i = 0; i < m->nr_apps; i++)
		text += label_room(m->apps[i].name, sizeof(m->apps[i].name));
	if (series_alloc(set, &keys, m->nr_apps, text))
		return -1;
	for (size_t i = 0; i < m->nr_apps; i++)
		series_key(set, &keys[i], m->apps[i].name, sizeof(m->apps[i].name),
			   m->apps[i].v);
	series_finish(set, keys, m->nr_apps);
	return 0;
}

int series_cgroups(struct series_set *set, const struct module_stats *m, const struct store *s)
{
	struct key *keys;
	size_t text = 0;

	for (size_t i = 0; i < m->nr_cgroups; i++)
		text += label_room(m->cgroups[i].path, sizeof(m->cgroups[i].path));
	if (series_alloc(set, &keys, m->nr_cgroups, text))
		return -1;
	for (size_t i = 0; i < m->nr_cgroups; i++)
		series_key(set, &keys[i], m->cgroups[i].path, sizeof(m->cgroups[i].path),
			   m->cgroups[i].v);
	series_finish(set, keys, m->nr_cgroups);
	/* Rows merged by path have one path: its labels are the same for all. */
	set->cg = malloc((set->nr ? set->nr : 1) * sizeof(*set->cg));
	if (!set->cg) {
		series_free(set);
		return -1;
	}
	for (size_t r = 0; r < set->nr; r++) {
		struct cgroup_labels *cg = &set->cg[r];

		cgroup_meta_parse(set->rows[r].label, &cg->meta);
		cg->names = s && cg->meta.container_id[0]
				    ? store_container_find(s, cg->meta.container_id)
				    : NULL;
		set->rows[r].cg = cg;
	}
	return 0;
}

int series_services(struct series_set *set, const struct module_stats *m)
{
	struct key *keys;
	size_t text = 0;

	for (size_t i = 0; i < m->nr_services; i++)
		text += label_room(m->services[i].name, sizeof(m->services[i].name));
	if (series_alloc(set, &keys, m->nr_services, text))
		return -1;
	for (size_t i = 0; i < m->nr_services; i++)
		series_key(set, &keys[i], m->services[i].name, sizeof(m->services[i].name),
			   m->services[i].v);
	series_finish(set, keys, m->nr_services);
	return 0;
}

void series_cgroup_pairs(const struct cgroup_labels *cg,
			 void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	const struct store_container *n = cg->names;
	const char *const pairs[][2] = {
		{ "service", cg->meta.service },
		{ "container_id", cg->meta.container_id },
		{ "container_runtime", cg->meta.runtime },
		{ "container_name", n ? n->name : "" },
		{ "pod_uid", cg->meta.pod_uid },
		{ "pod_name", n ? n->pod_name : "" },
		{ "pod_namespace", n ? n->pod_namespace : "" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i][1] && pairs[i][1][0])
			fn(arg, pairs[i][0], pairs[i][1]);
}

void series_free(struct series_set *set)
{
	free(set->cg);
	free(set->rows);
	free(set->text);
	memset(set, 0, sizeof(*set));
}

char *export_u64_digits(char *end, uint64_t v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

void export_put_u64(FILE *out, uint64_t v)
{
	char buf[24], *p = export_u64_digits(buf + sizeof(buf), v);

	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, out);
}

char *export_seconds_digits(char *end, uint64_t ns)
{
	uint64_t frac = ns % 1000000000u;

	for (int i = 0; i < 9; i++, frac /= 10)
		*--end = '0' + frac % 10;
	*--end = '.';
	return export_u64_digits(end, ns / 1000000000u);
}

void export_put_value(FILE *out, const struct counter_def *d, uint64_t v)
{
	char buf[32], *p;

	if (!d->ns_as_seconds) {
		export_put_u64(out, v);
		return;
	}
	p = export_seconds_digits(buf + sizeof(buf), v);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, out);
}

void export_put_seconds(FILE *out, uint64_t ns)
{
	char buf[32], *end = buf + sizeof(buf), *p = export_seconds_digits(end, ns);

	/* No trailing zeros, nor a bare point: 0.000002, 1.5, 0. */
	while (end[-1] == '0')
		end--;
	if (end[-1] == '.')
		end--;
	fwrite_unlocked(p, 1, (size_t)(end - p), out);
}
