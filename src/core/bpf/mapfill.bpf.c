// SPDX-License-Identifier: GPL-2.0
/*
 * How full each BPF map is: an iterator over every map of the system that
 * writes (id, entries) for the hash maps. The kernel keeps an element count
 * per hash map (since 6.6) that only a BPF program can read, through the
 * bpf_map_sum_elem_count() kfunc; user space keeps the ids of its own maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "core/mapfill.h"

extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;

SEC("iter/bpf_map")
int map_fill(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;
	struct mapfill_rec rec = {};

	if (!map)
		return 0;
	rec.id = map->id;
	rec.type = map->map_type;
	rec.entries = bpf_map_sum_elem_count(map);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
