/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filesystem: structs shared by filesystem.bpf.c (kernel) and filesystem.c
 * (user). Fixed-width fields and explicit padding only.
 */
#ifndef EBPFMON_FILESYSTEM_H
#define EBPFMON_FILESYSTEM_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The filesystems Netdata charts (told apart in the kernel by superblock magic). */
enum fs_kind {
	FS_EXT4,
	FS_XFS,
	FS_BTRFS,
	FS_NFS, /* "nfs" and "nfs4" */
	FS_ZFS,
	FS_NR_KINDS,
};

enum fs_op {
	FS_OP_READ,
	FS_OP_WRITE,
	FS_OP_OPEN,
	FS_OP_SYNC,
	FS_NR_OPS,
};

/*
 * Netdata's 24 log2 bins in microseconds. Slot k (0..22) holds the calls
 * that took at most 2^k us and more than 2^(k-1) us (slot 0: at most 1 us);
 * slot 23 holds the rest (over 2^22 us, about 4.2 s).
 */
#define FS_HIST_SLOTS  24
#define FS_HIST_FINITE (FS_HIST_SLOTS - 1)

static inline __u32 fs_log2(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	return r + (__u32)(v >> 1);
}

/*
 * The slot of a call that took @ns: the smallest k with ns <= 1000 * 2^k,
 * at most FS_HIST_FINITE (+Inf). Shared with user space, whose bucket
 * bounds (le) must agree with it (a unit test checks).
 */
static inline __u32 fs_hist_slot(__u64 ns)
{
	__u64 us = (ns + 999) / 1000; /* rounded up: the bounds are inclusive */
	__u32 slot = us <= 1 ? 0 : fs_log2(us - 1) + 1;

	return slot > FS_HIST_FINITE ? FS_HIST_FINITE : slot;
}

/* One (filesystem, operation): a per-CPU array entry, summed in user space. */
struct fs_hist {
	__u64 slots[FS_HIST_SLOTS];
	__u64 sum_ns;
};
_Static_assert(sizeof(struct fs_hist) == 200, "fs_hist layout");

#define FS_HIST_ENTRIES (FS_NR_KINDS * FS_NR_OPS)

/*
 * The call in flight on a thread (task-local storage). The ext4 fsync
 * tracepoints have a slot of their own: an O_SYNC write(2) runs
 * ext4_sync_file inside the write.
 */
struct fs_start {
	__u64 ts;      /* CLOCK_MONOTONIC ns at entry; 0: none */
	__u64 sync_ts; /* ext4_sync_file entry */
	__u8 op;       /* enum fs_op */
	__u8 kind;     /* enum fs_kind (read, write, sync: found at entry) */
	__u8 pad[6];
};
_Static_assert(sizeof(struct fs_start) == 24, "fs_start layout");

/* Per-CPU counters of what could not be timed. */
struct fs_stats {
	__u64 no_storage; /* no per-thread slot could be created (out of memory) */
};
_Static_assert(sizeof(struct fs_stats) == 8, "fs_stats layout");

#ifndef __VMLINUX_H__
/* Sum one entry's per-CPU histograms (@ncpus of them) into @out. */
void filesystem_hist_fold(const struct fs_hist *percpu, int ncpus, struct fs_hist *out);
#endif

#endif
