// SPDX-License-Identifier: GPL-2.0
/*
 * filesystem: latency histograms of read, write, open and sync on ext4, xfs,
 * btrfs, nfs and zfs files (Netdata's filesystem module).
 *
 * Hooks, each with its ladder (user space picks the rung, filesystem.c):
 *   read, write, open,   tp_btf/sys_enter + sys_exit, filtered by the
 *   other fs' sync       syscall number and by the file's superblock magic
 *                        > kprobes on the filesystems' own functions
 *                        (ext4_file_read_iter, xfs_file_fsync, ...)
 *   ext4 sync            tp_btf/ext4_sync_file_enter + exit
 *                        > ext4:ext4_sync_file_enter + exit > kprobe
 *
 * Timing a syscall needs its entry and its exit: the start time waits in
 * task-local storage (one small record per thread that made such a call,
 * freed with the thread), so nothing here grows with the CPU count but the
 * histograms: a per-CPU array of 20 x 200 bytes.
 */
#include "vmlinux.h"
#include <asm/unistd.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/filesystem/filesystem.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT_	 00170000
#define S_IFREG_ 0100000

/* Set by user space before load. */
/* The ext4 fsync hook runs: the syscall layer leaves ext4 fsyncs to it. */
const volatile bool ext4_sync_hooked = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FS_HIST_ENTRIES);
	__type(key, __u32);
	__type(value, struct fs_hist);
} fs_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fs_start);
} fs_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fs_stats);
} fs_stats SEC(".maps");

static __always_inline void record(__u32 kind, __u32 op, __u64 ns)
{
	__u32 key = kind * FS_NR_OPS + op;
	struct fs_hist *h = bpf_map_lookup_elem(&fs_hists, &key);
	__u32 slot = fs_hist_slot(ns);

	if (!h || slot >= FS_HIST_SLOTS)
		return;
	h->slots[slot]++;
	h->sum_ns += ns;
}

static __always_inline void count_no_storage(void)
{
	__u32 zero = 0;
	struct fs_stats *s = bpf_map_lookup_elem(&fs_stats, &zero);

	if (s)
		s->no_storage++;
}

static __always_inline struct fs_start *start_slot(void)
{
	struct fs_start *st = bpf_task_storage_get(&fs_starts, bpf_get_current_task_btf(), NULL,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!st)
		count_no_storage();
	return st;
}

static __always_inline struct fs_start *current_slot(void)
{
	return bpf_task_storage_get(&fs_starts, bpf_get_current_task_btf(), NULL, 0);
}

/* Superblock magic numbers (uapi linux/magic.h; ZFS's from its sources). */
#define EXT4_MAGIC  0xEF53 /* also ext2 and ext3 volumes, which the ext4 driver serves */
#define XFS_MAGIC   0x58465342
#define BTRFS_MAGIC 0x9123683E
#define NFS_MAGIC   0x6969 /* nfs and nfs4 */
#define ZFS_MAGIC   0x2FC12FC1

/* Turns a pointer read from memory back into a typed one: its fields load without a helper call. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The kind of a regular file's filesystem, or -1 (another filesystem, not a
 * regular file, no file), from the superblock's magic number (statfs(2)'s
 * f_type): one load, where the type's name would be a string to read.
 * Netdata's hooks are the filesystems' file operations, which only regular
 * files reach.
 */
static __always_inline int file_kind(struct file *file)
{
	struct file *f;
	struct inode *inode;
	unsigned long magic;

	if (!file)
		return -1;
	f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	inode = f->f_inode;
	if (!inode || (inode->i_mode & S_IFMT_) != S_IFREG_)
		return -1;
	magic = inode->i_sb->s_magic;
	switch (magic) {
	case EXT4_MAGIC:
		return FS_EXT4;
	case XFS_MAGIC:
		return FS_XFS;
	case BTRFS_MAGIC:
		return FS_BTRFS;
	case NFS_MAGIC:
		return FS_NFS;
	case ZFS_MAGIC:
		return FS_ZFS;
	}
	return -1;
}

/*
 * The current task's open file @fd. The task's descriptor table is reached
 * through typed pointers (plain loads); the table's slot is an array of
 * pointers, read with one helper call.
 */
static __always_inline struct file *fd_file(long fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (__u64)fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]))
		return NULL;
	return f;
}

/* The syscalls timed, by number: the operation, or -1. */
static __always_inline int syscall_op(long nr)
{
	switch (nr) {
	case __NR_read:
	case __NR_readv:
	case __NR_pread64:
	case __NR_preadv:
	case __NR_preadv2:
		return FS_OP_READ;
	case __NR_write:
	case __NR_writev:
	case __NR_pwrite64:
	case __NR_pwritev:
	case __NR_pwritev2:
		return FS_OP_WRITE;
#ifdef __NR_open
	case __NR_open:
#endif
#ifdef __NR_creat
	case __NR_creat:
#endif
	case __NR_openat:
	case __NR_openat2:
		return FS_OP_OPEN;
	case __NR_fsync:
	case __NR_fdatasync:
		return FS_OP_SYNC;
	}
	return -1;
}

#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs)   ((regs)->orig_ax)
#define SYSCALL_ARG0(regs) ((regs)->di)
/* An ia32 syscall (int $0x80) numbers its calls differently (TS_COMPAT). */
#define COMPAT_SYSCALL(task) ((task)->thread_info.status & 0x0002)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs)     ((regs)->syscallno)
#define SYSCALL_ARG0(regs)   ((regs)->orig_x0)
#define COMPAT_SYSCALL(task) ((task)->thread_info.flags & (1UL << 22)) /* TIF_32BIT */
#else
#error "add this architecture's syscall registers"
#endif

/*
 * Rung 1, syscall entry: read, write and fsync find their file now (the
 * descriptor may be closed by another thread before the exit) and only
 * calls on the five filesystems are timed; an open's file exists only at
 * its exit, so every open is.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(fs_sys_enter, struct pt_regs *regs, long id)
{
	int op = syscall_op(id), kind = -1;
	struct fs_start *st;

	if (op < 0 || COMPAT_SYSCALL(bpf_get_current_task_btf()))
		return 0;
	if (op != FS_OP_OPEN) {
		kind = file_kind(fd_file((long)(int)SYSCALL_ARG0(regs)));
		if (kind < 0 || (op == FS_OP_SYNC && kind == FS_EXT4 && ext4_sync_hooked))
			return 0;
	}
	st = start_slot();
	if (!st)
		return 0;
	st->op = (__u8)op;
	st->kind = (__u8)kind;
	st->ts = bpf_ktime_get_ns();
	return 0;
}

/* Rung 1, syscall exit: any timed call of this thread ends here. */
SEC("tp_btf/sys_exit")
int BPF_PROG(fs_sys_exit, struct pt_regs *regs, long ret)
{
	int op = syscall_op(SYSCALL_NR(regs)), kind;
	struct fs_start *st;
	__u64 ts;

	if (op < 0)
		return 0;
	st = current_slot();
	if (!st || !st->ts)
		return 0;
	ts = st->ts;
	st->ts = 0;
	if (st->op != op)
		return 0; /* an entry we did not see (attached in between) */
	kind = st->kind;
	if (op == FS_OP_OPEN) {
		/* A failed open reached no filesystem's open: nothing to time. */
		if (ret < 0)
			return 0;
		kind = file_kind(fd_file(ret));
		if (kind < 0)
			return 0;
	}
	record(kind, op, bpf_ktime_get_ns() - ts);
	return 0;
}

/* ext4 fsync, exactly: ext4_sync_file() between its two tracepoints. */
static __always_inline void ext4_sync_enter(void)
{
	struct fs_start *st = start_slot();

	if (st)
		st->sync_ts = bpf_ktime_get_ns();
}

static __always_inline void ext4_sync_exit(void)
{
	struct fs_start *st = current_slot();
	__u64 ts;

	if (!st || !st->sync_ts)
		return;
	ts = st->sync_ts;
	st->sync_ts = 0;
	record(FS_EXT4, FS_OP_SYNC, bpf_ktime_get_ns() - ts);
}

SEC("tp_btf/ext4_sync_file_enter")
int BPF_PROG(fs_ext4_sync_enter_btf)
{
	ext4_sync_enter();
	return 0;
}

SEC("tp_btf/ext4_sync_file_exit")
int BPF_PROG(fs_ext4_sync_exit_btf)
{
	ext4_sync_exit();
	return 0;
}

SEC("tracepoint/ext4/ext4_sync_file_enter")
int fs_ext4_sync_enter_tp(void *ctx)
{
	ext4_sync_enter();
	return 0;
}

SEC("tracepoint/ext4/ext4_sync_file_exit")
int fs_ext4_sync_exit_tp(void *ctx)
{
	ext4_sync_exit();
	return 0;
}

SEC("kprobe/ext4_sync_file")
int BPF_KPROBE(fs_ext4_sync_kprobe)
{
	ext4_sync_enter();
	return 0;
}

SEC("kretprobe/ext4_sync_file")
int BPF_KRETPROBE(fs_ext4_sync_kretprobe)
{
	ext4_sync_exit();
	return 0;
}

/*
 * Rung 2 of the syscall-layer hook, for kernels without BTF tracepoints but
 * with kprobes: Netdata's hooks, the filesystems' own file operations.
 */
static __always_inline void fn_enter(__u8 kind, __u8 op)
{
	struct fs_start *st = start_slot();

	if (!st)
		return;
	st->op = op;
	st->kind = kind;
	st->ts = bpf_ktime_get_ns();
}

static __always_inline void fn_exit(__u8 kind, __u8 op)
{
	struct fs_start *st = current_slot();
	__u64 ts;

	if (!st || !st->ts)
		return;
	ts = st->ts;
	st->ts = 0;
	if (st->op == op && st->kind == kind)
		record(kind, op, bpf_ktime_get_ns() - ts);
}

#define FS_KPROBE(fn, kind, op)                                                                    \
	SEC("kprobe/" #fn)                                                                         \
	int BPF_KPROBE(fs_kp_##fn)                                                                 \
	{                                                                                          \
		fn_enter(kind, op);                                                                \
		return 0;                                                                          \
	}                                                                                          \
	SEC("kretprobe/" #fn)                                                                      \
	int BPF_KRETPROBE(fs_krp_##fn)                                                             \
	{                                                                                          \
		fn_exit(kind, op);                                                                 \
		return 0;                                                                          \
	}

FS_KPROBE(ext4_file_read_iter, FS_EXT4, FS_OP_READ)
FS_KPROBE(ext4_file_write_iter, FS_EXT4, FS_OP_WRITE)
FS_KPROBE(ext4_file_open, FS_EXT4, FS_OP_OPEN)
FS_KPROBE(xfs_file_read_iter, FS_XFS, FS_OP_READ)
FS_KPROBE(xfs_file_write_iter, FS_XFS, FS_OP_WRITE)
FS_KPROBE(xfs_file_open, FS_XFS, FS_OP_OPEN)
FS_KPROBE(xfs_file_fsync, FS_XFS, FS_OP_SYNC)
FS_KPROBE(btrfs_file_read_iter, FS_BTRFS, FS_OP_READ)
FS_KPROBE(btrfs_file_write_iter, FS_BTRFS, FS_OP_WRITE)
FS_KPROBE(btrfs_file_open, FS_BTRFS, FS_OP_OPEN)
FS_KPROBE(btrfs_sync_file, FS_BTRFS, FS_OP_SYNC)
FS_KPROBE(nfs_file_read, FS_NFS, FS_OP_READ)
FS_KPROBE(nfs_file_write, FS_NFS, FS_OP_WRITE)
FS_KPROBE(nfs_file_open, FS_NFS, FS_OP_OPEN)
FS_KPROBE(nfs4_file_open, FS_NFS, FS_OP_OPEN)
FS_KPROBE(nfs_file_fsync, FS_NFS, FS_OP_SYNC)
FS_KPROBE(zpl_iter_read, FS_ZFS, FS_OP_READ)
FS_KPROBE(zpl_iter_write, FS_ZFS, FS_OP_WRITE)
FS_KPROBE(zpl_open, FS_ZFS, FS_OP_OPEN)
FS_KPROBE(zpl_fsync, FS_ZFS, FS_OP_SYNC)

/*
 * Reading, not a hook: counts the threads holding a start record (for the
 * kernel memory report: task storage is charged per task, not to the map).
 */
__u64 iter_records;

SEC("iter/task")
int fs_iter_records(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task && bpf_task_storage_get(&fs_starts, task, NULL, 0))
		iter_records++;
	return 0;
}
