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

/* The longest line accepted, in bytes; Netdata's own file stays under 200. */
#define APPS_GROUPS_MAX_LINE 4096

/*
 * NULL on error, with "FILE:LINE: problem" in @err (control characters
 * shown as '?'): a syntax error, a pattern listed twice, a line longer than
 * APPS_GROUPS_MAX_LINE, a NUL byte; or "FILE: problem" for a file that is not
 * a regular file of at most TEXT_FILE_MAX_BYTES. An empty file is valid.
 */
struct apps_groups *apps_groups_load_file(const char *path, char *err, size_t errlen);
struct apps_groups *apps_groups_load_string(const char *text, const char *origin, char *err,
					    size_t errlen);
/* @len bytes, not necessarily NUL-terminated. */
struct apps_groups *apps_groups_load_buffer(const char *buf, size_t len, const char *origin,
					    char *err, size_t errlen);
/* The application of process @comm: its group's name, else @comm itself. @g may be NULL. */
const char *apps_groups_match(const struct apps_groups *g, const char *comm);
void apps_groups_free(struct apps_groups *g);

#endif
