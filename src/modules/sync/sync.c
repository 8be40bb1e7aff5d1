// SPDX-License-Identifier: GPL-2.0
/*
 * sync: calls that flush data to storage, by call: sync, syncfs, fsync,
 * fdatasync, msync, sync_file_range (Netdata's sync thread: mem.sync,
 * mem.file_sync, mem.memory_map, mem.file_segment). Failed calls count too,
 * as in Netdata, whose kprobes fire at the call.
 *
 * Built on the accounting core: syscall rules into its process slots (rare
 * calls: an atomic add to the process's entry costs nothing next to a
 * flush), so every call is also counted per application and per cgroup.
 * Ladder per call: tp_btf/sys_exit, syscalls:sys_exit_<name>, a kretprobe on
 * the syscall (Netdata attaches kprobes to the same entry points).
 */
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/sync/sync.h"

_Static_assert(SYNC_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

#define SYNC_HELP "Calls that flush data to storage, failed ones included"
#define SYNC_DEF(value, chart) \
	{ "calls_total", SYNC_HELP, .netdata_chart = chart, .netdata_app_chart = "", \
	  .fixed_label = "call", .fixed_value = value }

static const struct counter_def sync_defs[] = {
	[SYNC_SYNC] = SYNC_DEF("sync", "mem.sync"),
	[SYNC_SYNCFS] = SYNC_DEF("syncfs", "mem.sync"),
	[SYNC_FSYNC] = SYNC_DEF("fsync", "mem.file_sync"),
	[SYNC_FDATASYNC] = SYNC_DEF("fdatasync", "mem.file_sync"),
	[SYNC_MSYNC] = SYNC_DEF("msync", "mem.memory_map"),
	[SYNC_FILE_RANGE] = SYNC_DEF("sync_file_range", "mem.file_segment"),
};
_Static_assert(sizeof(sync_defs) / sizeof(sync_defs[0]) == SYNC_NR_COUNTERS, "one def per counter");

static const unsigned char sync_slots[SYNC_NR_COUNTERS] = {
	[SYNC_SYNC] = SL_SYNC_SYNC,	      [SYNC_SYNCFS] = SL_SYNC_SYNCFS,
	[SYNC_FSYNC] = SL_SYNC_FSYNC,	      [SYNC_FDATASYNC] = SL_SYNC_FDATASYNC,
	[SYNC_MSYNC] = SL_SYNC_MSYNC,	      [SYNC_FILE_RANGE] = SL_SYNC_FILE_RANGE,
};

ACCT_SYSCALL_IMPLS(sync_impls, "sync");
ACCT_SYSCALL_IMPLS(syncfs_impls, "syncfs");
ACCT_SYSCALL_IMPLS(fsync_impls, "fsync");
ACCT_SYSCALL_IMPLS(fdatasync_impls, "fdatasync");
ACCT_SYSCALL_IMPLS(msync_impls, "msync");
ACCT_SYSCALL_IMPLS(sync_file_range_impls, "sync_file_range");

static const struct hook_def sync_hooks[] = {
	[SYNC_SYNC] = HOOK("sync", sync_impls),
	[SYNC_SYNCFS] = HOOK("syncfs", syncfs_impls),
	[SYNC_FSYNC] = HOOK("fsync", fsync_impls),
	[SYNC_FDATASYNC] = HOOK("fdatasync", fdatasync_impls),
	[SYNC_MSYNC] = HOOK("msync", msync_impls),
	[SYNC_FILE_RANGE] = HOOK("sync_file_range", sync_file_range_impls),
};

static const struct acct_syscall_def sync_syscalls[] = {
	ACCT_CALLS(SYS_sync, SYNC_SYNC, SL_SYNC_SYNC),
	ACCT_CALLS(SYS_syncfs, SYNC_SYNCFS, SL_SYNC_SYNCFS),
	ACCT_CALLS(SYS_fsync, SYNC_FSYNC, SL_SYNC_FSYNC),
	ACCT_CALLS(SYS_fdatasync, SYNC_FDATASYNC, SL_SYNC_FDATASYNC),
	ACCT_CALLS(SYS_msync, SYNC_MSYNC, SL_SYNC_MSYNC),
	ACCT_CALLS(SYS_sync_file_range, SYNC_FILE_RANGE, SL_SYNC_FILE_RANGE),
};

static const struct acct_desc sync_acct = {
	.slot_of = sync_slots,
	.syscalls = sync_syscalls,
	.nr_syscalls = sizeof(sync_syscalls) / sizeof(sync_syscalls[0]),
};

const struct module sync_module = {
	.name = "sync",
	.summary = "sync, syncfs, fsync, fdatasync, msync, sync_file_range calls",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	ACCT_MODULE_TABLES(sync_defs, sync_hooks, sync_acct),
};
