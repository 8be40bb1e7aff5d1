/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SUMMARY_H
#define EBPFMON_SUMMARY_H

#include <stdio.h>

#include "core/store.h"

/*
 * A compact live summary for a terminal: per module, the host counters with
 * their rate over the last interval, and the busiest applications.
 * The caller holds s->lock.
 */
void summary_print(const struct store *s, FILE *out, unsigned int interval);

#endif
