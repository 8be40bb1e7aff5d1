/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel memory of BPF maps, as the kernel charges it (fdinfo "memlock"), and
 * projected to a machine with more CPUs: a per-CPU map holds one value per
 * possible CPU for each of its max_entries.
 */
#ifndef EBPFMON_KMEM_H
#define EBPFMON_KMEM_H

#include <stddef.h>
#include <stdint.h>

struct bpf_map;

/* One map of one module. */
struct map_mem {
	char module[16];
	char map[32];
	uint64_t bytes;	   /* charged now, on this machine */
	uint64_t bytes_at; /* the same map on a machine with the projection's CPU count */
	uint32_t id;	   /* the kernel's map id (0: unknown) */
	uint32_t max_entries;
	int64_t entries;   /* hash maps: entries now (see mapfill.h); -1: not counted */
};

/* The CPU count memory is projected to in reports (a large server). */
#define KMEM_PROJECT_CPUS 128

/* "memlock" of the map behind @fd from /proc/self/fdinfo, or 0. */
uint64_t kmem_memlock(int fd);

/* @map's bytes now and at @cpus CPUs, from its definition and @memlock. */
void kmem_project(const struct bpf_map *map, uint64_t memlock, int cpus, struct map_mem *out);

/* The kernel's allocation size for an object of @n bytes (slab classes, then pages). */
uint64_t kmem_slab_size(uint64_t n);

#endif
