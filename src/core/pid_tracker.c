// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/apps_groups.h"
#include "core/pid_tracker.h"

struct pid_tracker *pid_tracker_new(uint32_t max_pids)
{
	struct pid_tracker *t = calloc(1, sizeof(*t));
	uint32_t cap = 64;

	if (!t)
		return NULL;
	/* Twice the kernel table: open addressing stays short and never fills. */
	while (cap < max_pids * 2u && cap < (1u << 31))
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->cap = cap;
	return t;
}

void pid_tracker_free(struct pid_tracker *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

static uint32_t slot_of(const struct pid_tracker *t, uint32_t tgid)
{
	return (tgid * 2654435761u) & (t->cap - 1);
}

static struct tracked_pid *lookup(struct pid_tracker *t, uint32_t tgid, bool create)
{
	uint32_t i = slot_of(t, tgid);

	for (uint32_t n = 0; n < t->cap; n++, i = (i + 1) & (t->cap - 1)) {
		struct tracked_pid *s = &t->slots[i];

		if (s->tgid == tgid)
			return s;
		if (!s->tgid) {
			if (!create || t->used + 1 >= t->cap)
				return NULL;
			memset(s, 0, sizeof(*s));
			s->tgid = tgid;
			s->app = UINT32_MAX;
			t->used++;
			return s;
		}
	}
	return NULL;
}

/* Remove by backward-shift deletion, so no tombstones pile up. */
static void remove_slot(struct pid_tracker *t, struct tracked_pid *s)
{
	uint32_t i = (uint32_t)(s - t->slots), j = i;

	for (;;) {
		j = (j + 1) & (t->cap - 1);
		if (!t->slots[j].tgid)
			break;
		uint32_t home = slot_of(t, t->slots[j].tgid);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->used--;
}

int pid_account(struct pid_tracker *t, struct module_stats *m, const struct apps_groups *groups,
		uint32_t tgid, const struct pid_hdr *hdr, const uint64_t *v, unsigned int nr,
		bool gone)
{
	struct tracked_pid *s = lookup(t, tgid, true);
	struct app_row *app;
	char comm[EBPFMON_COMM_LEN];

	if (!s)
		return -ENOMEM;
	memcpy(comm, hdr->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = 0;
	if (!comm[0])
		strcpy(comm, "unknown");
	/* Match the name only when it changed: a collection reads every process. */
	if (s->app == UINT32_MAX || strcmp(s->comm, comm)) {
		app = store_app(m, apps_groups_match(groups, comm));
		if (!app)
			return -ENOMEM;
		s->app = (uint32_t)(app - m->apps);
		memcpy(s->comm, comm, sizeof(comm));
	}
	app = &m->apps[s->app];
	for (unsigned int i = 0; i < nr; i++) {
		/* A reused pid's fresh entry starts below our last reading. */
		uint64_t delta = v[i] >= s->prev[i] ? v[i] - s->prev[i] : v[i];

		app->v[i] += delta;
		s->prev[i] = v[i];
	}
	if (gone)
		remove_slot(t, s);
	return 0;
}
