// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/cgroup_names.h"

struct cgroup_entry {
	uint64_t id;
	char *path;
};

struct cgroup_names {
	char root[PATH_MAX];
	size_t root_len;
	struct cgroup_entry *e;
	size_t n, cap;
	time_t last_walk;
	int root_fd; /* for open_by_handle_at(); -1 until opened */
	bool by_path; /* open_by_handle_at() refused (no CAP_DAC_READ_SEARCH) */
};

static int from_mountinfo(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* "... mountpoint opts ... - fstype source superopts" */
		char *sep = strstr(line, " - ");
		char mnt[PATH_MAX];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(path, len, "%s", mnt);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static bool is_cgroup2(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * `ip netns exec` runs its command in a mount namespace of its own where /sys
 * is a fresh sysfs, so no cgroup2 mount is visible there. A mount of our own
 * gives the same hierarchy: made with fsopen()/fsmount(), it is never
 * attached to any directory, nobody else sees it, and it goes with the
 * process. Reached through /proc/self/fd; made once (start-up, one thread).
 */
static int private_mount(char *path, size_t len)
{
	static int mnt_fd = -1;

	if (mnt_fd < 0) {
		int fs = syscall(SYS_fsopen, "cgroup2", FSOPEN_CLOEXEC);

		if (fs < 0)
			return -1;
		if (!syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
			mnt_fd = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
					 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
						 MOUNT_ATTR_NOEXEC);
		close(fs);
		if (mnt_fd < 0)
			return -1;
	}
	/* The trailing "." makes lstat() and nftw() go through the fd's link. */
	snprintf(path, len, "/proc/self/fd/%d/.", mnt_fd);
	return 0;
}

int cgroup2_mount_point(char *path, size_t len)
{
	static const char *const usual[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

	if (!from_mountinfo(path, len))
		return 0;
	/* No mountinfo (no /proc?): the usual places, if they hold cgroup2. */
	for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		if (is_cgroup2(usual[i])) {
			snprintf(path, len, "%s", usual[i]);
			return 0;
		}
	}
	return private_mount(path, len);
}

bool cgroup2_path_ok(const char *path)
{
	return is_cgroup2(path);
}

/* nftw has no user pointer: the walk runs single-threaded, in the collector. */
static struct cgroup_names *walking;

static int add_entry(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	struct cgroup_names *c = walking;
	const char *rel = fpath + c->root_len;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct cgroup_entry *p = realloc(c->e, ncap * sizeof(*p));

		if (!p)
			return 1;
		c->e = p;
		c->cap = ncap;
	}
	c->e[c->n].id = sb->st_ino;
	c->e[c->n].path = strdup(*rel ? rel : "/");
	if (c->e[c->n].path)
		c->n++;
	return 0;
}

static void walk(struct cgroup_names *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].path);
	c->n = 0;
	walking = c;
	nftw(c->root, add_entry, 32, FTW_PHYS | FTW_MOUNT);
	walking = NULL;
	c->last_walk = time(NULL);
}

struct cgroup_names *cgroup_names_new(void)
{
	struct cgroup_names *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (cgroup2_mount_point(c->root, sizeof(c->root))) {
		free(c);
		return NULL;
	}
	c->root_len = strlen(c->root);
	c->root_fd = -1;
	walk(c);
	return c;
}

void cgroup_names_free(struct cgroup_names *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].path);
	free(c->e);
	if (c->root_fd >= 0)
		close(c->root_fd);
	free(c);
}

#define FILEID_KERNFS 0xfe

static const char *find(const struct cgroup_names *c, uint64_t id);

/*
 * Without CAP_DAC_READ_SEARCH (dropped after attach), by name: the path
 * @known (from the kernel's rmdir event or a lookup) or the one a walk saw,
 * still there with the same inode. -1 when the path is not known yet.
 */
static int alive_by_path(struct cgroup_names *c, uint64_t id, const char *known)
{
	char path[PATH_MAX + 256];
	const char *rel = known && known[0] == '/' ? known : find(c, id);
	struct stat st;

	if (!rel)
		return -1;
	snprintf(path, sizeof(path), "%s%s", c->root, strcmp(rel, "/") ? rel : "");
	if (stat(path, &st))
		return errno == ENOENT ? 0 : -1;
	return st.st_ino == id;
}

int cgroup_names_alive(struct cgroup_names *c, uint64_t id, const char *known)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS }, .id = id };
	int fd;

	if (!c)
		return -1;
	if (c->by_path)
		return alive_by_path(c, id, known);
	if (c->root_fd < 0)
		c->root_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0)
		return -1;
	fd = open_by_handle_at(c->root_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == EPERM) {
		c->by_path = true; /* the capability is gone for good */
		return alive_by_path(c, id, known);
	}
	return errno == ESTALE || errno == ENOENT ? 0 : -1;
}

const char *cgroup_names_root(const struct cgroup_names *c)
{
	return c ? c->root : "";
}

static const char *find(const struct cgroup_names *c, uint64_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].id == id)
			return c->e[i].path;
	return NULL;
}

void cgroup_names_lookup(struct cgroup_names *c, uint64_t id, char *path, size_t len)
{
	const char *p = c ? find(c, id) : NULL;

	if (!p && c && time(NULL) != c->last_walk) {
		walk(c);
		p = find(c, id);
	}
	if (p)
		snprintf(path, len, "%s", p);
	else
		snprintf(path, len, "id:%llu", (unsigned long long)id);
}
