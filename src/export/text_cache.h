/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A rendered text shared by every reader: the collection renders it once and
 * publishes it; each scrape takes a reference and sends it. A slow reader keeps
 * the text it started with and never holds up the next render: the slot only
 * swaps a pointer, and a text is freed when its last reader lets it go.
 */
#ifndef EBPFMON_TEXT_CACHE_H
#define EBPFMON_TEXT_CACHE_H

#include <pthread.h>
#include <stddef.h>

struct shared_text {
	unsigned int refs; /* atomic */
	size_t len;
	char *text; /* malloc'd, not NUL-terminated; never changes once published */
};

struct text_slot {
	pthread_mutex_t lock; /* held only to swap or to take a reference */
	struct shared_text *current;
};

/* Wrap a malloc'd buffer, which the text then owns; NULL (@buf freed) when out of memory. */
struct shared_text *shared_text_new(char *buf, size_t len);
/* Let a reference go; the last one frees the text. NULL-safe. */
void shared_text_put(struct shared_text *t);

void text_slot_init(struct text_slot *slot);
/* Drops the slot's reference; readers keep theirs. */
void text_slot_destroy(struct text_slot *slot);
/* Make @t the current text (the slot takes over the caller's reference). */
void text_slot_publish(struct text_slot *slot, struct shared_text *t);
/* A reference to the current text, or NULL when nothing was published yet. */
struct shared_text *text_slot_get(struct text_slot *slot);

#endif
