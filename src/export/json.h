/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_JSON_H
#define EBPFMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/store.h"

/* One JSON document for the store (caller holds s->lock); with per-PID rows when @pids. */
int json_render(const struct store *s, FILE *out, bool pids);

/*
 * The one JSON string writer of ebpfmon (the store's document, the network
 * viewer, flows): '"' and '\\' escaped, control characters as \u00XX,
 * valid UTF-8 as it is, any other byte as U+FFFD (a comm holds any byte).
 */
void json_put_string_n(FILE *out, const char *s, size_t len);
void json_put_string(FILE *out, const char *s);

#endif
