/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege: loading and attaching needs CAP_BPF, CAP_PERFMON and, for
 * flows, CAP_NET_ADMIN (or CAP_SYS_ADMIN for all); counting afterwards needs
 * none of them. Maps, links and iterators are reached through descriptors
 * the process already holds, and on kernels from 6.5 the bpf() commands on
 * such descriptors ask for no capability. So once everything is attached the
 * agent gives up every capability (and, with --user, root itself), keeping
 * only what it still needs:
 *  - CAP_NET_ADMIN while a TC filter attached through netlink (clsact) must
 *    be removed at exit (links of TCX, XDP and tracing go with their fd);
 *  - CAP_BPF on kernels before 6.5 with unprivileged BPF disabled, where
 *    every bpf() call asks for it (found out by trying, not by version).
 */
#ifndef EBPFMON_PRIVS_H
#define EBPFMON_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs_plan {
	bool change_user;   /* switch to uid/gid after attach (--user) */
	uid_t uid;
	gid_t gid;
	char user[64];
	bool keep_net_admin; /* a module attached through netlink must detach at exit */
};

/*
 * Resolve @name (a user name or a numeric uid) into @p. -1 with one line in
 * @err when there is no such user.
 */
int privs_resolve_user(const char *name, struct privs_plan *p, char *err, size_t errlen);

/*
 * Drop every capability but what @p says is still needed, the bounding and
 * ambient sets too, set no_new_privs, and switch user when asked. Applies to
 * the calling thread: call it while it is the only one. Fills @kept with the
 * names of the capabilities kept ("" for none). 0, or -1 with one line in @err.
 */
int privs_drop(const struct privs_plan *p, char *kept, size_t keptlen, char *err,
	       size_t errlen);


#endif
