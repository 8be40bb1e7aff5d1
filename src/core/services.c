// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/services.h"

struct service_acc {
	char name[CGROUP_META_SERVICE_LEN];
	uint64_t retired[EBPFMON_MAX_COUNTERS]; /* counted by rows dropped since */
	uint64_t cur[EBPFMON_MAX_COUNTERS];	/* the rows there now */
	bool live;				/* a row is there now */
};

struct services {
	struct service_acc *acc; /* sorted by name */
	size_t nr, cap;
	uint64_t *ids; /* scratch: the ids of this collection's rows, sorted */
	size_t cap_ids;
};

struct services *services_new(void)
{
	return calloc(1, sizeof(struct services));
}

void services_free(struct services *sv)
{
	if (!sv)
		return;
	free(sv->acc);
	free(sv->ids);
	free(sv);
}

/* The accumulator of service @name, made (zeroed) when missing; NULL when out of memory. */
static struct service_acc *acc_of(struct services *sv, const char *name)
{
	size_t lo = 0, hi = sv->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, sv->acc[mid].name);

		if (!c)
			return &sv->acc[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (sv->nr == sv->cap) {
		size_t ncap = sv->cap ? 2 * sv->cap : 16;
		struct service_acc *p = realloc(sv->acc, ncap * sizeof(*p));

		if (!p)
			return NULL;
		sv->acc = p;
		sv->cap = ncap;
	}
	memmove(&sv->acc[lo + 1], &sv->acc[lo], (sv->nr - lo) * sizeof(*sv->acc));
	sv->nr++;
	memset(&sv->acc[lo], 0, sizeof(*sv->acc));
	snprintf(sv->acc[lo].name, sizeof(sv->acc[lo].name), "%s", name);
	return &sv->acc[lo];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void add(uint64_t *to, const uint64_t *v)
{
	for (unsigned int i = 0; i < EBPFMON_MAX_COUNTERS; i++)
		to[i] += v[i];
}

int services_update(struct services *sv, const struct module_stats *prev,
		    struct module_stats *next)
{
	struct cgroup_meta meta;
	size_t kept = 0;

	next->nr_services = 0;
	if (next->nr_cgroups > sv->cap_ids) {
		uint64_t *p = realloc(sv->ids, next->nr_cgroups * sizeof(*p));

		if (!p)
			return -ENOMEM;
		sv->ids = p;
		sv->cap_ids = next->nr_cgroups;
	}
	for (size_t i = 0; i < next->nr_cgroups; i++)
		sv->ids[i] = next->cgroups[i].id;
	qsort(sv->ids, next->nr_cgroups, sizeof(*sv->ids), cmp_u64);
	/* Rows of the last collection that are gone: their counts stay with the service. */
	for (size_t i = 0; prev && i < prev->nr_cgroups; i++) {
		const struct cgroup_row *r = &prev->cgroups[i];
		struct service_acc *a;

		if (bsearch(&r->id, sv->ids, next->nr_cgroups, sizeof(*sv->ids), cmp_u64))
			continue;
		if (!cgroup_meta_parse(r->path, &meta) || !meta.service[0])
			continue;
		a = acc_of(sv, meta.service);
		if (!a)
			return -ENOMEM;
		/* Only counters: a gauge of a row that is gone is not the service's any more. */
		for (unsigned int k = 0; k < next->nr_counters; k++)
			if (next->defs[k].kind == COUNTER_TOTAL)
				a->retired[k] += r->v[k];
	}
	for (size_t i = 0; i < sv->nr; i++) {
		memset(sv->acc[i].cur, 0, sizeof(sv->acc[i].cur));
		sv->acc[i].live = false;
	}
	for (size_t i = 0; i < next->nr_cgroups; i++) {
		const struct cgroup_row *r = &next->cgroups[i];
		struct service_acc *a;

		if (!cgroup_meta_parse(r->path, &meta) || !meta.service[0])
			continue;
		a = acc_of(sv, meta.service);
		if (!a)
			return -ENOMEM;
		add(a->cur, r->v);
		a->live = true;
	}
	/* A service without a row left is gone (and forgotten); the others are rows. */
	for (size_t i = 0; i < sv->nr; i++) {
		struct service_acc *a = &sv->acc[i];
		struct service_row *row;

		if (!a->live)
			continue;
		row = store_service_append(next);
		if (!row)
			return -ENOMEM;
		memcpy(row->name, a->name, sizeof(row->name));
		for (unsigned int k = 0; k < EBPFMON_MAX_COUNTERS; k++)
			row->v[k] = a->retired[k] + a->cur[k];
		sv->acc[kept++] = *a;
	}
	sv->nr = kept;
	return 0;
}
