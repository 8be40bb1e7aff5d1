// SPDX-License-Identifier: GPL-2.0
/* Least privilege after attach: see privs.h. */
#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int privs_resolve_user(const char *name, struct privs_plan *p, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(name);
	char *end;

	if (!pw && *name) {
		unsigned long uid = strtoul(name, &end, 10);

		if (!*end)
			pw = getpwuid((uid_t)uid);
	}
	if (!pw) {
		snprintf(err, errlen,
			 "--user: no user '%s' here; give an existing unprivileged user (e.g. nobody) or create one (useradd --system ebpfmon)",
			 name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "--user: '%s' is root; give an unprivileged user", name);
		return -1;
	}
	p->change_user = true;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
	return 0;
}

/* A descriptor of one of our BPF maps, or -1. */
static int any_map_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	char path[64], target[64];
	struct dirent *e;
	int fd = -1;

	if (!d)
		return -1;
	while (fd < 0 && (e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (!strcmp(target, "anon_inode:bpf-map"))
				fd = atoi(e->d_name);
		}
	}
	closedir(d);
	return fd;
}

/*
 * Whether bpf() on a descriptor we hold works with no capability: lower the
 * effective set for one call and put it back (the permitted set is untouched).
 */
static bool bpf_needs_cap(int map_fd)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct saved[2], none[2];
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	bool refused;

	if (map_fd < 0 || syscall(SYS_capget, &hdr, saved))
		return false;
	memcpy(none, saved, sizeof(none));
	none[0].effective = none[1].effective = 0;
	if (syscall(SYS_capset, &hdr, none))
		return false;
	memset(&info, 0, sizeof(info));
	refused = bpf_obj_get_info_by_fd(map_fd, &info, &len) == -EPERM;
	syscall(SYS_capset, &hdr, saved);
	return refused;
}

/* "cap_a, cap_b" of the capabilities in @caps[0..n). */
static void name_caps(const unsigned int *caps, unsigned int n, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (unsigned int i = 0; i < n && used < len; i++) {
		const char *name = capng_capability_to_name(caps[i]);

		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "",
					 name ? name : "?");
	}
}

int privs_drop(const struct privs_plan *p, char *kept, size_t keptlen, char *err,
	       size_t errlen)
{
	unsigned int keep[2], nr_keep = 0;
	bool setpcap;
	int rc;

	if (p->keep_net_admin)
		keep[nr_keep++] = CAP_NET_ADMIN;
	if (bpf_needs_cap(any_map_fd()))
		keep[nr_keep++] = CAP_BPF;

	/* Emptying the bounding set takes CAP_SETPCAP; started without it, the set stays as given. */
	capng_get_caps_process();
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	for (unsigned int i = 0; i < nr_keep; i++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep[i]);
	if (p->change_user) {
		/* Sets the groups and ids, keeps what was asked through the change, then applies. */
		rc = capng_change_id((int)p->uid, (int)p->gid,
				     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT |
					     (setpcap ? CAPNG_CLEAR_BOUNDING : 0));
		if (rc) {
			snprintf(err, errlen,
				 "could not switch to user '%s' (uid %u, gid %u): libcap-ng error %d, %s",
				 p->user, (unsigned int)p->uid, (unsigned int)p->gid, rc,
				 strerror(errno));
			return -1;
		}
	} else if ((rc = capng_apply(setpcap ? CAPNG_SELECT_ALL
					     : CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT))) {
		snprintf(err, errlen, "could not drop capabilities: libcap-ng error %d, %s", rc,
			 strerror(errno));
		return -1;
	}
	/* Nothing this process runs from now on can gain privileges (setuid binaries, file caps). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "could not set no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* Trust, but check: what the kernel says this thread holds now. */
	capng_get_caps_process();
	for (unsigned int c = 0; c <= CAP_LAST_CAP; c++) {
		bool wanted = false;

		for (unsigned int i = 0; i < nr_keep; i++)
			wanted |= keep[i] == c;
		if (!wanted && capng_have_capability(CAPNG_EFFECTIVE, c)) {
			snprintf(err, errlen, "capability %s is still held after the drop",
				 capng_capability_to_name(c));
			return -1;
		}
	}
	name_caps(keep, nr_keep, kept, keptlen);
	return 0;
}
