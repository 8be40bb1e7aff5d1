/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-service series: for one module, the sum of its cgroup rows per
 * systemd service (cgroup_meta.h says which rows are a service's, nested
 * cgroups included). A counter must not go down when one of a service's
 * cgroups is dropped (a child cgroup removed and past `series retention`,
 * or the service restarted into a new cgroup under the same path), so what
 * a dropped row had counted stays with its service. A service goes when
 * none of its cgroup rows is left: the same retention as cgroup rows.
 */
#ifndef EBPFMON_SERVICES_H
#define EBPFMON_SERVICES_H

#include "core/store.h"

struct services;

struct services *services_new(void);
void services_free(struct services *sv);
/*
 * Fill @next->services from @next->cgroups, the collection just made, and
 * @prev->cgroups, the one before (what a row gone since had counted).
 * -ENOMEM leaves @next without services.
 */
int services_update(struct services *sv, const struct module_stats *prev,
		    struct module_stats *next);

#endif
