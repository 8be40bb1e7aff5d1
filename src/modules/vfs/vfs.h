/* SPDX-License-Identifier: GPL-2.0 */
/* vfs module: counter slots shared by vfs.bpf.c and vfs.c. */
#ifndef EBPFMON_VFS_H
#define EBPFMON_VFS_H

enum vfs_counter {
	VFS_READ_CALLS,
	VFS_READ_BYTES,
	VFS_READ_ERRORS,
	VFS_WRITE_CALLS,
	VFS_WRITE_BYTES,
	VFS_WRITE_ERRORS,
	VFS_UNLINK_CALLS,
	VFS_UNLINK_ERRORS,
	VFS_FSYNC_CALLS,
	VFS_FSYNC_ERRORS,
	VFS_OPEN_CALLS,
	VFS_OPEN_ERRORS,
	VFS_CREATE_CALLS,
	VFS_NR_COUNTERS,
};

/* What the raw sys_exit program does for a syscall (syscall_actions values). */
enum vfs_action {
	VFS_ACT_NONE,
	VFS_ACT_READ,
	VFS_ACT_WRITE,
	VFS_ACT_OPEN,	/* open(2): flags in the 2nd argument */
	VFS_ACT_OPENAT, /* openat(2): flags in the 3rd */
	VFS_ACT_OPENAT2,/* openat2(2): struct open_how in the 3rd */
	VFS_ACT_CREAT,
	VFS_ACT_UNLINK,
	VFS_ACT_FSYNC,
};

#endif
