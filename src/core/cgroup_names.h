/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 id -> path. On cgroup2 the id the kernel reports
 * (bpf_get_current_cgroup_id) is the inode number of the cgroup's directory,
 * so one walk of the cgroup2 mount names them all.
 */
#ifndef EBPFMON_CGROUP_NAMES_H
#define EBPFMON_CGROUP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_names;

/* NULL when no cgroup2 hierarchy is mounted. */
struct cgroup_names *cgroup_names_new(void);
void cgroup_names_free(struct cgroup_names *c);
/* Path relative to the cgroup2 root ("/" for the root); walks again on a miss, at most once a second. */
void cgroup_names_lookup(struct cgroup_names *c, uint64_t id, char *path, size_t len);
const char *cgroup_names_root(const struct cgroup_names *c);
/*
 * Whether cgroup @id still exists: 1 yes, 0 removed, -1 cannot tell. Asks the
 * kernel by file handle (a cgroup2 id is its kernfs handle), without a walk;
 * without the capability that needs, by its path (@known, when not NULL
 * or "id:...", or the one a walk saw).
 */
int cgroup_names_alive(struct cgroup_names *c, uint64_t id, const char *known);
/*
 * A path to the cgroup2 hierarchy: where /proc/self/mountinfo says it is
 * mounted, else a private mount of our own (see cgroup_names.c); -1 when
 * this kernel or our privileges allow neither.
 */
int cgroup2_mount_point(char *path, size_t len);
/* Whether @path is a directory of a cgroup2 file system. */
bool cgroup2_path_ok(const char *path);

#endif
