/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Application groups, in the spirit of Netdata's apps_groups.conf:
 *
 *	# comment
 *	group: name name* *name *name*
 *
 * A process whose name matches a pattern belongs to that group (the first
 * rule in the file wins); one that matches none is its own application,
 * named after the process.
 */
#ifndef EBPFMON_APPS_GROUPS_H
#define EBPFMON_APPS_GROUPS_H

#include <stddef.h>

struct apps_groups;

/* NULL on error, with "FILE:LINE: problem" in @err. An empty file is valid. */
struct apps_groups *apps_groups_load_file(const char *path, char *err, size_t errlen);
struct apps_groups *apps_groups_load_string(const char *text, const char *origin, char *err,
					    size_t errlen);
/* The application of process @comm: its group's name, else @comm itself. @g may be NULL. */
const char *apps_groups_match(const struct apps_groups *g, const char *comm);
void apps_groups_free(struct apps_groups *g);

#endif
