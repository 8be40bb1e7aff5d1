/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_PROMETHEUS_H
#define EBPFMON_PROMETHEUS_H

#include <stdio.h>

#include "core/store.h"

/*
 * Write the store as Prometheus text exposition format 0.0.4.
 * The caller holds s->lock. Returns 0, or -1 on a write error.
 */
int prometheus_render(const struct store *s, FILE *out);

#endif
