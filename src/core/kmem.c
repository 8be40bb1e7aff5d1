// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/kmem.h"

/*
 * /proc/self/fdinfo/N stays open once read: after a switch to another user
 * the process is not dumpable and could not open it again, while a file
 * opened before still reads (a proc fdinfo file shows descriptor N as it is
 * at each read). Used by the collecting thread only.
 */
static struct {
	int fd, info_fd;
} fdinfo_open[64];
static unsigned int nr_fdinfo_open;

static int fdinfo_of(int fd)
{
	char path[64];
	int info_fd;

	for (unsigned int i = 0; i < nr_fdinfo_open; i++)
		if (fdinfo_open[i].fd == fd)
			return fdinfo_open[i].info_fd;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (info_fd >= 0 && nr_fdinfo_open < sizeof(fdinfo_open) / sizeof(fdinfo_open[0]))
		fdinfo_open[nr_fdinfo_open++] = (typeof(fdinfo_open[0])){ fd, info_fd };
	return info_fd;
}

static bool fdinfo_kept(int info_fd)
{
	for (unsigned int i = 0; i < nr_fdinfo_open; i++)
		if (fdinfo_open[i].info_fd == info_fd)
			return true;
	return false;
}

uint64_t kmem_memlock(int fd)
{
	char buf[1024], *p;
	unsigned long long v = 0;
	int info_fd = fdinfo_of(fd);
	ssize_t n;

	if (info_fd < 0)
		return 0;
	n = pread(info_fd, buf, sizeof(buf) - 1, 0);
	if (!fdinfo_kept(info_fd))
		close(info_fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nmemlock:");
	if (p)
		sscanf(p, "\nmemlock: %llu", &v);
	return v;
}

static int is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

void kmem_project(const struct bpf_map *map, uint64_t memlock, int cpus, struct map_mem *out)
{
	int here = libbpf_num_possible_cpus();
	uint64_t per_cpu = (uint64_t)bpf_map__max_entries(map) *
			   ((bpf_map__value_size(map) + 7) / 8 * 8);

	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	snprintf(out->map, sizeof(out->map), "%s", bpf_map__name(map));
	out->id = bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len) ? 0 : info.id;
	out->max_entries = bpf_map__max_entries(map);
	out->entries = -1;
	out->bytes = memlock;
	out->bytes_at = memlock;
	if (is_percpu(bpf_map__type(map)) && here > 0 && cpus > here)
		out->bytes_at += per_cpu * (uint64_t)(cpus - here);
}

uint64_t kmem_slab_size(uint64_t n)
{
	static const unsigned int classes[] = { 8,   16,  32,   64,   96,   128, 192,
						256, 512, 1024, 2048, 4096, 8192 };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (n <= classes[i])
			return classes[i];
	return (n + 4095) / 4096 * 4096;
}
