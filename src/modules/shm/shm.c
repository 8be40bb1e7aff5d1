// SPDX-License-Identifier: GPL-2.0
/*
 * shm: System V shared memory calls, by call: shmget, shmat, shmdt, shmctl
 * (Netdata's shm thread: system.shared_memory_calls, app.ebpf_shm*_call,
 * cgroup.shm*). Failed calls count too, as Netdata's kprobes at the call do.
 *
 * Built on the accounting core: syscall rules into its process slots, so
 * each call is counted for the host, its application and its cgroup.
 * Ladder per call: tp_btf/sys_exit, syscalls:sys_exit_<name>, a kretprobe
 * on the syscall.
 */
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/shm/shm.h"

_Static_assert(SHM_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

#define SHM_DEF(value, app_chart)                                                           \
	{ "calls_total", "System V shared memory calls, failed ones included",              \
	  .netdata_chart = "system.shared_memory_calls", .netdata_app_chart = app_chart,    \
	  .fixed_label = "call", .fixed_value = value }

static const struct counter_def shm_defs[] = {
	[SHM_GET] = SHM_DEF("shmget", "app.ebpf_shmget_call"),
	[SHM_AT] = SHM_DEF("shmat", "app.ebpf_shmat_call"),
	[SHM_DT] = SHM_DEF("shmdt", "app.ebpf_shmdt_call"),
	[SHM_CTL] = SHM_DEF("shmctl", "app.ebpf_shmctl_call"),
};
_Static_assert(sizeof(shm_defs) / sizeof(shm_defs[0]) == SHM_NR_COUNTERS, "one def per counter");

static const unsigned char shm_slots[SHM_NR_COUNTERS] = {
	[SHM_GET] = SL_SHM_GET, [SHM_AT] = SL_SHM_AT, [SHM_DT] = SL_SHM_DT, [SHM_CTL] = SL_SHM_CTL,
};

ACCT_SYSCALL_IMPLS(shmget_impls, "shmget");
ACCT_SYSCALL_IMPLS(shmat_impls, "shmat");
ACCT_SYSCALL_IMPLS(shmdt_impls, "shmdt");
ACCT_SYSCALL_IMPLS(shmctl_impls, "shmctl");

static const struct hook_def shm_hooks[] = {
	[SHM_GET] = HOOK("shmget", shmget_impls),
	[SHM_AT] = HOOK("shmat", shmat_impls),
	[SHM_DT] = HOOK("shmdt", shmdt_impls),
	[SHM_CTL] = HOOK("shmctl", shmctl_impls),
};

static const struct acct_syscall_def shm_syscalls[] = {
	ACCT_CALLS(SYS_shmget, SHM_GET, SL_SHM_GET),
	ACCT_CALLS(SYS_shmat, SHM_AT, SL_SHM_AT),
	ACCT_CALLS(SYS_shmdt, SHM_DT, SL_SHM_DT),
	ACCT_CALLS(SYS_shmctl, SHM_CTL, SL_SHM_CTL),
};

static const struct acct_desc shm_acct = {
	.slot_of = shm_slots,
	.syscalls = shm_syscalls,
	.nr_syscalls = sizeof(shm_syscalls) / sizeof(shm_syscalls[0]),
};

const struct module shm_module = {
	.name = "shm",
	.summary = "System V shared memory calls: shmget, shmat, shmdt, shmctl",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = false,
	ACCT_MODULE_TABLES(shm_defs, shm_hooks, shm_acct),
};
