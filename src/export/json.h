/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_JSON_H
#define EBPFMON_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "core/store.h"

/* One JSON document for the store (caller holds s->lock); with per-PID rows when @pids. */
int json_render(const struct store *s, FILE *out, bool pids);

#endif
