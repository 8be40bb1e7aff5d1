// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"

void store_init(struct store *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->apps = true;
	s->errors = true;
}

void store_stats_free(struct module_stats *m)
{
	free(m->apps);
	free(m->cgroups);
	free(m->pids);
	free(m->services);
	m->services = NULL;
	m->nr_services = m->cap_services = 0;
	free(m->rows);
	free(m->hists);
	m->hists = NULL;
	m->cap_hists = 0;
	m->apps = NULL;
	m->cgroups = NULL;
	m->pids = NULL;
	m->rows = NULL;
	m->nr_apps = m->cap_apps = m->nr_cgroups = m->cap_cgroups = 0;
	m->nr_pids = m->cap_pids = m->nr_rows = m->cap_rows = 0;
}

void store_free(struct store *s)
{
	for (unsigned int i = 0; i < s->nr_modules; i++)
		store_stats_free(&s->mods[i]);
	free(s->containers);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

void store_stats_init_like(struct module_stats *next, const struct module_stats *m)
{
	memset(next, 0, sizeof(*next));
	next->name = m->name;
	next->defs = m->defs;
	next->nr_defs = m->nr_defs;
	next->nr_counters = m->nr_counters;
	next->nr_hist_defs = m->nr_hist_defs;
	next->state = m->state;
}

#define SWAP(a, b)                          \
	do {                                \
		__typeof__(a) t_ = (a);     \
		(a) = (b);                  \
		(b) = t_;                   \
	} while (0)

void store_swap(struct module_stats *live, struct module_stats *next)
{
	memcpy(live->host, next->host, sizeof(live->host));
	live->lost_pid_table_full = next->lost_pid_table_full;
	live->lost_cgroup_table_full = next->lost_cgroup_table_full;
	live->own_table = next->own_table;
	live->lost_own_table_full = next->lost_own_table_full;
	SWAP(live->apps, next->apps);
	SWAP(live->nr_apps, next->nr_apps);
	SWAP(live->cap_apps, next->cap_apps);
	SWAP(live->cgroups, next->cgroups);
	SWAP(live->nr_cgroups, next->nr_cgroups);
	SWAP(live->cap_cgroups, next->cap_cgroups);
	SWAP(live->services, next->services);
	SWAP(live->nr_services, next->nr_services);
	SWAP(live->cap_services, next->cap_services);
	SWAP(live->pids, next->pids);
	SWAP(live->nr_pids, next->nr_pids);
	SWAP(live->cap_pids, next->cap_pids);
	SWAP(live->rows, next->rows);
	SWAP(live->nr_rows, next->nr_rows);
	SWAP(live->cap_rows, next->cap_rows);
	SWAP(live->hists, next->hists);
	SWAP(live->cap_hists, next->cap_hists);
}

void store_published(struct store *s)
{
	if (s->on_push)
		s->on_push(s, s->on_push_arg);
	if (s->on_publish)
		s->on_publish(s, s->on_publish_arg);
}

struct module_stats *store_add_module(struct store *s, const char *name,
				      const struct counter_def *defs, unsigned int nr_defs,
				      unsigned int nr_counters)
{
	struct module_stats *m;

	if (s->nr_modules >= STORE_MAX_MODULES || nr_counters > EBPFMON_MAX_COUNTERS)
		return NULL;
	m = &s->mods[s->nr_modules++];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->defs = defs;
	m->nr_defs = nr_defs;
	m->nr_counters = nr_counters;
	m->state = MODULE_DISABLED;
	for (unsigned int i = 0; i < nr_defs; i++) {
		if (defs[i].kind != HISTOGRAM)
			continue;
		/* A histogram's series are labeled rows; its buckets must fit hist_value. */
		if (!defs[i].labeled || defs[i].nr_le >= EBPFMON_MAX_BUCKETS) {
			s->nr_modules--;
			return NULL;
		}
		m->nr_hist_defs++;
	}
	return m;
}

/* Grow *arr (of *cap elements of @size) to hold one more; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

struct app_row *store_app(struct module_stats *m, const char *name)
{
	struct app_row *r;

	for (size_t i = 0; i < m->nr_apps; i++)
		if (!strcmp(m->apps[i].name, name))
			return &m->apps[i];
	if (!grow((void **)&m->apps, &m->cap_apps, m->nr_apps, sizeof(*m->apps)))
		return NULL;
	r = &m->apps[m->nr_apps++];
	memset(r, 0, sizeof(*r));
	strncpy(r->name, name, sizeof(r->name) - 1);
	return r;
}

struct cgroup_row *store_cgroup(struct module_stats *m, uint64_t id)
{
	struct cgroup_row *r;

	for (size_t i = 0; i < m->nr_cgroups; i++)
		if (m->cgroups[i].id == id)
			return &m->cgroups[i];
	if (!grow((void **)&m->cgroups, &m->cap_cgroups, m->nr_cgroups, sizeof(*m->cgroups)))
		return NULL;
	r = &m->cgroups[m->nr_cgroups++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	return r;
}

struct app_row *store_app_append(struct module_stats *m)
{
	struct app_row *r;

	if (!grow((void **)&m->apps, &m->cap_apps, m->nr_apps, sizeof(*m->apps)))
		return NULL;
	r = &m->apps[m->nr_apps++];
	memset(r, 0, sizeof(*r));
	return r;
}

struct cgroup_row *store_cgroup_append(struct module_stats *m)
{
	struct cgroup_row *r;

	if (!grow((void **)&m->cgroups, &m->cap_cgroups, m->nr_cgroups, sizeof(*m->cgroups)))
		return NULL;
	r = &m->cgroups[m->nr_cgroups++];
	memset(r, 0, sizeof(*r));
	return r;
}

struct pid_row *store_pid_append(struct module_stats *m)
{
	struct pid_row *r;

	if (!grow((void **)&m->pids, &m->cap_pids, m->nr_pids, sizeof(*m->pids)))
		return NULL;
	r = &m->pids[m->nr_pids++];
	memset(r, 0, sizeof(*r));
	return r;
}

struct service_row *store_service_append(struct module_stats *m)
{
	struct service_row *r;

	if (!grow((void **)&m->services, &m->cap_services, m->nr_services, sizeof(*m->services)))
		return NULL;
	r = &m->services[m->nr_services++];
	memset(r, 0, sizeof(*r));
	return r;
}

const struct store_container *store_container_find(const struct store *s, const char *id)
{
	size_t lo = 0, hi = s->nr_containers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, s->containers[mid].id);

		if (!c)
			return &s->containers[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct labeled_row *store_row_append(struct module_stats *m)
{
	struct labeled_row *r;
	size_t h = m->nr_rows * m->nr_hist_defs;

	if (!grow((void **)&m->rows, &m->cap_rows, m->nr_rows, sizeof(*m->rows)))
		return NULL;
	/* The row's histograms, one per HISTOGRAM def, after the previous rows'. */
	for (unsigned int i = 0; i < m->nr_hist_defs; i++)
		if (!grow((void **)&m->hists, &m->cap_hists, h + i, sizeof(*m->hists)))
			return NULL;
	if (m->nr_hist_defs) /* no array at all without histograms */
		memset(m->hists + h, 0, m->nr_hist_defs * sizeof(*m->hists));
	r = &m->rows[m->nr_rows++];
	memset(r, 0, sizeof(*r));
	return r;
}

struct hist_value *store_row_hist(const struct module_stats *m, size_t row, unsigned int def)
{
	unsigned int k = 0;

	if (def >= m->nr_defs || m->defs[def].kind != HISTOGRAM || row >= m->nr_rows)
		return NULL;
	for (unsigned int i = 0; i < def; i++)
		k += m->defs[i].kind == HISTOGRAM;
	return &m->hists[row * m->nr_hist_defs + k];
}

uint64_t store_hist_count(const struct counter_def *d, const struct hist_value *h)
{
	uint64_t n = 0;

	for (unsigned int b = 0; b <= d->nr_le; b++)
		n += h->buckets[b];
	return n;
}

void store_row_label(struct labeled_row *r, const char *name, const char *value)
{
	size_t len = strlen(r->labels), room = sizeof(r->labels);

	if (len && len + 1 < room)
		r->labels[len++] = ',';
	len += (size_t)snprintf(r->labels + len, len < room ? room - len : 0, "%s=\"", name);
	for (const char *c = value; *c && len + 3 < room; c++) {
		if (*c == '\\' || *c == '"')
			r->labels[len++] = '\\';
		if (*c == '\n') {
			r->labels[len++] = '\\';
			r->labels[len++] = 'n';
			continue;
		}
		r->labels[len++] = *c;
	}
	if (len + 1 < room) {
		r->labels[len++] = '"';
		r->labels[len] = 0;
	}
}

uint64_t store_value(const struct module_stats *m, unsigned int i, const uint64_t *v)
{
	if (m->defs[i].derive)
		return m->defs[i].derive(v);
	return v[i];
}

bool store_def_visible(const struct store *s, const struct module_stats *m,
		       const struct counter_def *d)
{
	if (!(s->errors || !d->is_error) || (s->light && !d->light))
		return false;
	if (m->errors_off && d->is_error)
		return false;
	for (unsigned int i = 0; d->fixed_value && i < m->nr_hidden; i++)
		if (!strcmp(m->hidden[i], d->fixed_value))
			return false;
	return true;
}

bool store_module_apps(const struct store *s, const struct module_stats *m)
{
	return s->apps && !m->apps_off;
}

bool store_module_cgroups(const struct store *s, const struct module_stats *m)
{
	return s->cgroups && !m->cgroups_off;
}

bool store_def_broken_down(const struct counter_def *d)
{
	return d->kind != GAUGE_HOST && d->kind != HISTOGRAM;
}

bool store_def_same_family(const struct counter_def *a, const struct counter_def *b)
{
	return a->fixed_label && b->fixed_label && !strcmp(a->name, b->name) &&
	       !strcmp(a->fixed_label, b->fixed_label);
}

unsigned int store_family_end(const struct module_stats *m, unsigned int i)
{
	unsigned int j = i + 1;

	while (j < m->nr_defs && store_def_same_family(&m->defs[i], &m->defs[j]))
		j++;
	return j;
}

const double store_duration_bounds[STORE_DURATION_BUCKETS - 1] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

void store_collection_observed(struct store *s, double seconds)
{
	unsigned int b = 0;

	while (b < STORE_DURATION_BUCKETS - 1 && seconds > store_duration_bounds[b])
		b++;
	s->collect_hist[b]++;
	s->collect_sum += seconds;
	s->collect_seconds = seconds;
}
