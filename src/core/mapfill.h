/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Table fill: how many entries each hash map of ours holds, for
 * ebpfmon_map_entries. One iterator pass per collection over the system's
 * maps (a few dozen records); nothing on any hot path.
 */
#ifndef EBPFMON_MAPFILL_H
#define EBPFMON_MAPFILL_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stddef.h>
#endif

/* One record of the iterator: a map's id and its element count. */
struct mapfill_rec {
	__u32 id;
	__u32 type; /* enum bpf_map_type: the count is kept for hash maps only */
	__s64 entries;
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct mapfill_rec) == 16, "mapfill_rec layout");

struct map_mem;
struct mapfill;

/* Load and attach the iterator (needs CAP_BPF and CAP_PERFMON); NULL with @err set. */
struct mapfill *mapfill_open(char *err, size_t errlen);
/* Set entries of each hash map in @mem[0..n) (by id); the others keep -1. 0 or -errno. */
int mapfill_read(struct mapfill *f, struct map_mem *mem, size_t n);
void mapfill_close(struct mapfill *f);
#endif

#endif
