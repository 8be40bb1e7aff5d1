// SPDX-License-Identifier: GPL-2.0
/*
 * mount: mount and umount calls and their errors (Netdata's mount thread:
 * mount_points.call, mount_points.error). umount2(2) counts as umount. The
 * new mount API counts as mount, one call per syscall that makes, changes
 * or places a mount: fsopen, fsmount, fspick, move_mount, open_tree,
 * mount_setattr. fsconfig(2) does not count: it sets one parameter of a
 * filesystem context, and a mount would count once per option.
 *
 * Built on the accounting core (process slots), so per application and per
 * cgroup too. Ladder per call: tp_btf/sys_exit, syscalls:sys_exit_<name>
 * (umount2's are named sys_exit_umount), a kretprobe on the syscall.
 */
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/mount/mount.h"

_Static_assert(MOUNT_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

static const struct counter_def mount_defs[] = {
	[MOUNT_CALLS] = { "calls_total", "mount and umount calls (mount: mount(2) and the new mount API; umount: umount2(2))",
			  .netdata_chart = "mount_points.call", .netdata_app_chart = "",
			  .fixed_label = "call", .fixed_value = "mount" },
	[UMOUNT_CALLS] = { "calls_total", "mount and umount calls", .netdata_chart = "mount_points.call",
			   .netdata_app_chart = "", .fixed_label = "call", .fixed_value = "umount" },
	[MOUNT_ERRORS] = { "errors_total", "mount and umount calls that failed", .is_error = true,
			   .netdata_chart = "mount_points.error", .netdata_app_chart = "",
			   .fixed_label = "call", .fixed_value = "mount" },
	[UMOUNT_ERRORS] = { "errors_total", "mount and umount calls that failed", .is_error = true,
			    .netdata_chart = "mount_points.error", .netdata_app_chart = "",
			    .fixed_label = "call", .fixed_value = "umount" },
};
_Static_assert(sizeof(mount_defs) / sizeof(mount_defs[0]) == MOUNT_NR_COUNTERS, "one def per counter");

static const unsigned char mount_slots[MOUNT_NR_COUNTERS] = {
	[MOUNT_CALLS] = SL_MOUNT_CALLS,	  [UMOUNT_CALLS] = SL_UMOUNT_CALLS,
	[MOUNT_ERRORS] = SL_MOUNT_ERRORS, [UMOUNT_ERRORS] = SL_UMOUNT_ERRORS,
};

static const struct hook_impl mount_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_mount", "tp_exit_fsopen", "tp_exit_fsmount", "tp_exit_fspick",
			    "tp_exit_move_mount", "tp_exit_open_tree", "tp_exit_mount_setattr"),
	KRETSYSCALLS("kp_exit_mount", "kp_exit_fsopen", "kp_exit_fsmount", "kp_exit_fspick",
		     "kp_exit_move_mount", "kp_exit_open_tree", "kp_exit_mount_setattr"),
};
static const struct hook_impl umount_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("tp_exit_umount"),
	KRETSYSCALLS("kp_exit_umount2"),
};

enum { H_MOUNT, H_UMOUNT };

static const struct hook_def mount_hooks[] = {
	[H_MOUNT] = HOOK("mount", mount_impls),
	[H_UMOUNT] = HOOK("umount", umount_impls),
};

#define MOUNTS(nr) { nr, H_MOUNT, 0, ACCT_RULE(SL_MOUNT_CALLS, ACCT_NO_SLOT, SL_MOUNT_ERRORS) }

static const struct acct_syscall_def mount_syscalls[] = {
	MOUNTS(SYS_mount),	MOUNTS(SYS_fsopen),	MOUNTS(SYS_fsmount),
	MOUNTS(SYS_fspick),	MOUNTS(SYS_move_mount), MOUNTS(SYS_open_tree),
	MOUNTS(SYS_mount_setattr),
	{ SYS_umount2, H_UMOUNT, 0, ACCT_RULE(SL_UMOUNT_CALLS, ACCT_NO_SLOT, SL_UMOUNT_ERRORS) },
};

static const struct acct_desc mount_acct = {
	.slot_of = mount_slots,
	.syscalls = mount_syscalls,
	.nr_syscalls = sizeof(mount_syscalls) / sizeof(mount_syscalls[0]),
};

const struct module mount_module = {
	.name = "mount",
	.summary = "mount and umount calls and errors (the new mount API counts as mount)",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	ACCT_MODULE_TABLES(mount_defs, mount_hooks, mount_acct),
};
