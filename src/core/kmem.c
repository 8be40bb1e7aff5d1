// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "core/kmem.h"

uint64_t kmem_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
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

	snprintf(out->map, sizeof(out->map), "%s", bpf_map__name(map));
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
