// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "export/text_cache.h"

struct shared_text *shared_text_new(char *buf, size_t len)
{
	struct shared_text *t = malloc(sizeof(*t));

	if (!t) {
		free(buf);
		return NULL;
	}
	t->refs = 1;
	t->len = len;
	t->text = buf;
	return t;
}

void shared_text_put(struct shared_text *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(t->text);
	free(t);
}

void text_slot_init(struct text_slot *slot)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->current = NULL;
}

void text_slot_destroy(struct text_slot *slot)
{
	shared_text_put(slot->current);
	slot->current = NULL;
	pthread_mutex_destroy(&slot->lock);
}

void text_slot_publish(struct text_slot *slot, struct shared_text *t)
{
	struct shared_text *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = t;
	pthread_mutex_unlock(&slot->lock);
	/* Freed outside the lock: a big text must not stall a reader taking the new one. */
	shared_text_put(old);
}

struct shared_text *text_slot_get(struct text_slot *slot)
{
	struct shared_text *t;

	pthread_mutex_lock(&slot->lock);
	t = slot->current;
	if (t)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&slot->lock);
	return t;
}
