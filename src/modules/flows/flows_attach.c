// SPDX-License-Identifier: GPL-2.0
/*
 * flows: attaching. Everything goes through a kernel link where the kernel
 * has one (TCX, XDP, cgroup), so a killed ebpfmon leaves nothing behind.
 * Only the clsact fallback (kernels without TCX, or --tc-hook clsact)
 * creates objects that outlive the process: its filters, and the clsact
 * qdisc when there was none. Those are removed at exit; after a SIGKILL the
 * next ebpfmon to attach anything finds and removes them (flows_sweep_leftovers).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "modules/flows/flows_int.h"
#include "flows.skel.h"

void flows_attach_init(struct flows_attach *a, const char *who)
{
	memset(a, 0, sizeof(*a));
	a->who = who;
	a->tcx_fd[0] = a->tcx_fd[1] = -1;
	a->live_fd[0] = a->live_fd[1] = -1;
	a->xdp_fd = -1;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

uint64_t flows_netns_cookie(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
			cookie = 0;
		close(fd);
	}
	return cookie;
}

/* ---- whose is a clsact filter ---------------------------------------------- */

static bool filter_is_ours(const struct flows_tc_filter *f)
{
	return f->bpf && (f->handle & FLOWS_TC_HANDLE_MASK) == FLOWS_TC_HANDLE &&
	       (!strncmp(f->name, "ebpfmon_tc_in:[", 15) || !strncmp(f->name, "ebpfmon_tc_eg:[", 15));
}

/*
 * A running ebpfmon holds an abstract unix socket named after each program
 * its clsact filters run. The kernel drops the name when the process dies,
 * however it dies, and abstract names belong to a network namespace: the
 * same scope as the devices whose filters we look at. Program ids are never
 * reused while the program exists, and a filter keeps its program alive.
 */
static socklen_t live_addr(uint32_t prog_id, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "ebpfmon/tc-prog/%u", prog_id);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int live_bind(uint32_t prog_id)
{
	struct sockaddr_un sa;
	socklen_t len = live_addr(prog_id, &sa);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, len)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* When in doubt, alive: a live ebpfmon's filter must never be removed. */
static bool owner_alive(uint32_t prog_id)
{
	int fd = live_bind(prog_id);

	if (fd < 0)
		return true;
	close(fd);
	return false;
}

static uint32_t prog_id_of(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

/* What is on one device's clsact hooks. */
struct dev_scan {
	struct flows_tc_filter stale[8]; /* ours, owner gone; more wait for the next run */
	size_t nr_stale;
	unsigned int foreign; /* filters that are not ebpfmon's */
	char first_foreign[48]; /* "ingress prio 7 u32", for the note */
	unsigned int live;    /* ours, owner running (or stale beyond the array) */
	bool qdisc_ours;      /* an ebpfmon filter says an ebpfmon created the qdisc */
};

static void classify(const struct flows_tc_filter *f, void *arg)
{
	struct dev_scan *s = arg;

	if (!filter_is_ours(f)) {
		if (!s->foreign++)
			snprintf(s->first_foreign, sizeof(s->first_foreign), "%s prio %u %s",
				 f->egress ? "egress" : "ingress", f->prio, f->kind);
		return;
	}
	if (f->handle & FLOWS_TC_QDISC_OURS)
		s->qdisc_ours = true;
	if (s->nr_stale < sizeof(s->stale) / sizeof(s->stale[0]) && !owner_alive(f->prog_id))
		s->stale[s->nr_stale++] = *f;
	else
		s->live++;
}

/* 0, or -errno when a hook could not be listed (then nothing may be removed). */
static int scan_device(int ifindex, struct dev_scan *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = flows_tc_filters(ifindex, false, classify, s);
	if (!ret)
		ret = flows_tc_filters(ifindex, true, classify, s);
	return ret;
}

static int remove_filter(int ifindex, bool egress, uint32_t handle, uint32_t prio)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = prio);

	return bpf_tc_detach(&hook, &opts);
}

static int remove_qdisc(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_destroy(&hook);
}

static void iface_name(int ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
}

/* ---- the clsact qdisc between its creation and our first filter --------------- */

/*
 * Until our first filter (whose handle says who made the qdisc) is on it, a
 * qdisc we create carries no mark. A locked file in /run/ebpfmon covers those
 * microseconds: a sweeper that can lock it knows its writer is gone.
 * Without /run (read-only, not root) we go on without it.
 */
#define RUN_DIR "/run/ebpfmon"

/* "clsact-<netns cookie>-": the files of this network namespace. */
static int intent_prefix(char *buf, size_t len)
{
	uint64_t cookie = flows_netns_cookie();

	if (!cookie)
		return -1;
	snprintf(buf, len, "clsact-%llu-", (unsigned long long)cookie);
	return 0;
}

static int intent_path(int ifindex, char *buf, size_t len)
{
	char prefix[64];

	if (intent_prefix(prefix, sizeof(prefix)))
		return -1;
	snprintf(buf, len, RUN_DIR "/%s%d", prefix, ifindex);
	return 0;
}

/* The locked file is still the one at @path (a sweeper did not unlink it). */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int intent_begin(int ifindex)
{
	char path[128];

	if (intent_path(ifindex, path, sizeof(path)))
		return -1;
	/* Another ebpfmon may remove the (empty) directory between our calls: retry. */
	for (int tries = 0; tries < 3; tries++) {
		int fd;

		if (mkdir(RUN_DIR, 0755) && errno != EEXIST)
			return -1;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		if (!flock(fd, LOCK_EX) && still_linked(fd, path))
			return fd;
		close(fd);
	}
	return -1;
}

/* Unlink the file, and the directory when it was the last: nothing stays in /run. */
static void intent_end(int fd, int ifindex)
{
	char path[128];

	if (fd < 0)
		return;
	if (!intent_path(ifindex, path, sizeof(path)))
		unlink(path);
	close(fd);
	rmdir(RUN_DIR);
}

static bool in_list(int ifindex, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == ifindex)
			return true;
	return false;
}

/* Qdiscs a killed ebpfmon created and never put a filter on. */
static unsigned int sweep_intents(const char *who, const int *clsact, size_t nr_clsact)
{
	char prefix[64], path[300], ifname[IF_NAMESIZE];
	unsigned int removed = 0;
	struct dirent *de;
	DIR *d;

	if (intent_prefix(prefix, sizeof(prefix)))
		return 0;
	d = opendir(RUN_DIR);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct dev_scan s;
		int fd, ifindex;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		ifindex = atoi(de->d_name + strlen(prefix));
		snprintf(path, sizeof(path), RUN_DIR "/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		/* Locked: its writer is alive and about to attach. */
		if (flock(fd, LOCK_EX | LOCK_NB) || !still_linked(fd, path)) {
			close(fd);
			continue;
		}
		if (in_list(ifindex, clsact, nr_clsact) && !scan_device(ifindex, &s) &&
		    !s.foreign && !s.live && !s.nr_stale && !remove_qdisc(ifindex)) {
			iface_name(ifindex, ifname);
			fprintf(stderr, "%s: removed the empty clsact qdisc a killed ebpfmon created on %s\n",
				who, ifname);
			removed++;
		}
		unlink(path);
		close(fd);
	}
	closedir(d);
	rmdir(RUN_DIR);
	return removed;
}

/* Stale filters on one device, and the qdisc if an ebpfmon made it and it is now unused. */
static unsigned int sweep_device(const char *who, int ifindex)
{
	char ifname[IF_NAMESIZE], names[160] = "", tail[128] = "";
	unsigned int removed = 0;
	struct dev_scan s;

	if (scan_device(ifindex, &s) || !s.nr_stale)
		return 0;
	for (size_t i = 0; i < s.nr_stale; i++) {
		const struct flows_tc_filter *f = &s.stale[i];
		size_t used = strlen(names);

		if (remove_filter(ifindex, f->egress, f->handle, f->prio)) {
			s.live++; /* still there: keep the qdisc */
			continue;
		}
		snprintf(names + used, sizeof(names) - used, "%s%s %s", removed ? ", " : "",
			 f->egress ? "egress" : "ingress", f->name);
		removed++;
	}
	if (s.qdisc_ours && !s.live && !s.foreign && !remove_qdisc(ifindex)) {
		snprintf(tail, sizeof(tail), ", and the clsact qdisc it created");
		removed++;
	} else if (s.qdisc_ours && s.foreign) {
		snprintf(tail, sizeof(tail), "; kept the clsact qdisc it created: other filters use it (%s)",
			 s.first_foreign);
	}
	iface_name(ifindex, ifname);
	if (removed)
		fprintf(stderr, "%s: removed what a killed ebpfmon left on %s: %s%s\n", who, ifname,
			names, tail);
	return removed;
}

unsigned int flows_sweep_leftovers(const char *who)
{
	int devs[256];
	size_t n = 0;
	unsigned int removed = 0;

	if (flows_tc_clsact_devices(devs, sizeof(devs) / sizeof(devs[0]), &n))
		return 0;
	for (size_t i = 0; i < n; i++)
		removed += sweep_device(who, devs[i]);
	return removed + sweep_intents(who, devs, n);
}

/*
 * libbpf 1.1's headers predate TCX, so take the attach-type numbers from the
 * running kernel's own BTF: their presence is also the probe for TCX.
 */
bool flows_tcx_types(int *ingress, int *egress)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, found = 0;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (unsigned int i = 0; t && i < btf_vlen(t); i++) {
		const char *name;

		e = btf_enum(t) + i;
		name = btf__name_by_offset(btf, e->name_off);
		if (!strcmp(name, "BPF_TCX_INGRESS")) {
			*ingress = e->val;
			found |= 1;
		} else if (!strcmp(name, "BPF_TCX_EGRESS")) {
			*egress = e->val;
			found |= 2;
		}
	}
	btf__free(btf);
	return found == 3;
}

static void set_autoload(struct flows_bpf *skel, const struct flows_opts *o)
{
	struct bpf_program *p;
	bool cg = o->process;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	if (cg) {
		bpf_program__set_autoload(skel->progs.flows_cg_in, true);
		bpf_program__set_autoload(skel->progs.flows_cg_eg, true);
		bpf_program__set_autoload(skel->progs.flows_sock_new, true);
		bpf_program__set_autoload(skel->progs.flows_conn4, true);
		bpf_program__set_autoload(skel->progs.flows_conn6, true);
		bpf_program__set_autoload(skel->progs.flows_send4, true);
		bpf_program__set_autoload(skel->progs.flows_send6, true);
	} else if (o->xdp) {
		bpf_program__set_autoload(skel->progs.flows_xdp, true);
	} else {
		bpf_program__set_autoload(skel->progs.ebpfmon_tc_in, true);
		bpf_program__set_autoload(skel->progs.ebpfmon_tc_eg, true);
	}
}

bool flows_cache_fits(unsigned int max_entries, bool process)
{
	int nr_cpus = libbpf_num_possible_cpus();

	/* Process mode's cgroup_skb programs never use it (see count_cached()). */
	if (process || nr_cpus <= 0)
		return false;
	return max_entries >= (unsigned long long)FLOWS_CACHE_SLOTS * nr_cpus;
}

void flows_prepare_load(struct flows_bpf *skel, const struct flows_opts *o, int ifindex)
{
	set_autoload(skel, o);
	/* Process mode without -i (ifindex 0) counts every interface: totals in the hash. */
	skel->rodata->totals_ifindex = ifindex;
	skel->rodata->flow_cache_on = flows_cache_fits(o->max_entries, o->process);
	if (!o->process)
		bpf_map__set_key_size(skel->maps.flows, FLOWS_KEY_NET_SIZE);
	/* Offloaded programs are verified for the device they will run on. */
	if (o->xdp && o->xdp_mode == FLOWS_XDP_OFFLOAD)
		bpf_program__set_ifindex(skel->progs.flows_xdp, ifindex);
}

static void driver_name(int ifindex, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd;

	snprintf(buf, len, "unknown driver");
	if (!if_indextoname(ifindex, ifr.ifr_name))
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(buf, len, "driver %s", info.driver);
	close(fd);
}

static int attach_tcx(struct flows_bpf *skel, int ifindex, int in_type, int eg_type,
		      struct flows_attach *a, char *err, size_t errlen)
{
	int progs[2] = { bpf_program__fd(skel->progs.ebpfmon_tc_in),
			 bpf_program__fd(skel->progs.ebpfmon_tc_eg) };
	int types[2] = { in_type, eg_type };

	for (int d = 0; d < 2; d++) {
		a->tcx_fd[d] = bpf_link_create(progs[d], ifindex, (enum bpf_attach_type)types[d],
					       NULL);
		if (a->tcx_fd[d] < 0) {
			int e = -errno;

			a->tcx_fd[d] = -1;
			snprintf(err, errlen, "TCX %s link: %s", d ? "egress" : "ingress",
				 strerror(-e));
			flows_detach(a);
			return e;
		}
	}
	snprintf(a->how, sizeof(a->how), "tc (tcx)");
	return 0;
}

/* An ebpfmon filter on the device's clsact says an ebpfmon created the qdisc. */
static bool qdisc_is_ebpfmons(int ifindex)
{
	struct dev_scan s;

	return !scan_device(ifindex, &s) && s.qdisc_ours;
}

static int attach_clsact(struct flows_bpf *skel, int ifindex, struct flows_attach *a, char *err,
			 size_t errlen)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int progs[2] = { bpf_program__fd(skel->progs.ebpfmon_tc_in),
			 bpf_program__fd(skel->progs.ebpfmon_tc_eg) };
	uint32_t handle;
	int ret, intent;

	/* Say we own our filters before they exist, so no sweeper takes them. */
	for (int d = 0; d < 2; d++) {
		uint32_t id = prog_id_of(progs[d]);

		a->live_fd[d] = id ? live_bind(id) : -EINVAL;
		if (a->live_fd[d] < 0) {
			ret = a->live_fd[d];
			snprintf(err, errlen, "binding the socket that marks our clsact filters as in use: %s",
				 strerror(-ret));
			flows_detach(a);
			return ret;
		}
	}
	intent = intent_begin(ifindex);
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		snprintf(err, errlen, "creating the clsact qdisc: %s", strerror(-ret));
		flows_detach(a);
		intent_end(intent, ifindex);
		return ret;
	}
	if (!ret && getenv("EBPFMON_TEST_CLSACT_PAUSE_MS"))
		/* Tests stretch the moment a kill leaves an unmarked qdisc. */
		usleep(1000 * atoi(getenv("EBPFMON_TEST_CLSACT_PAUSE_MS")));
	/* -EEXIST: an operator's (leave it) or another ebpfmon's (share it). */
	a->clsact_created = !ret || qdisc_is_ebpfmons(ifindex);
	handle = FLOWS_TC_HANDLE | (a->clsact_created ? FLOWS_TC_QDISC_OURS : 0);
	for (int d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = progs[d], .handle = handle);

		hook.attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		ret = bpf_tc_attach(&hook, &opts);
		if (ret) {
			snprintf(err, errlen, "clsact %s filter: %s", d ? "egress" : "ingress",
				 strerror(-ret));
			flows_detach(a);
			intent_end(intent, ifindex);
			return ret;
		}
		a->clsact_attached[d] = true;
		a->clsact_handle[d] = opts.handle;
		a->clsact_prio[d] = opts.priority;
	}
	intent_end(intent, ifindex);
	snprintf(a->how, sizeof(a->how), "tc (clsact)");
	return 0;
}

static const char *xdp_mode_name(enum flows_xdp_mode m)
{
	static const char *const names[] = { "auto", "generic", "native", "offload" };

	return names[m];
}

static int xdp_link(struct flows_bpf *skel, int ifindex, enum flows_xdp_mode m)
{
	static const __u32 flags[] = { 0, XDP_FLAGS_SKB_MODE, XDP_FLAGS_DRV_MODE,
				       XDP_FLAGS_HW_MODE };
	DECLARE_LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags[m]);
	int fd = bpf_link_create(bpf_program__fd(skel->progs.flows_xdp), ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

static int attach_xdp(struct flows_bpf *skel, int ifindex, enum flows_xdp_mode mode,
		      struct flows_attach *a, char *err, size_t errlen)
{
	char drv[64];
	int fd;

	if (mode == FLOWS_XDP_AUTO) {
		/* Native first (cheaper), generic when the driver has no XDP. */
		fd = xdp_link(skel, ifindex, FLOWS_XDP_NATIVE);
		if (fd >= 0) {
			mode = FLOWS_XDP_NATIVE;
		} else {
			fd = xdp_link(skel, ifindex, FLOWS_XDP_GENERIC);
			mode = FLOWS_XDP_GENERIC;
		}
	} else {
		fd = xdp_link(skel, ifindex, mode);
	}
	if (fd < 0) {
		driver_name(ifindex, drv, sizeof(drv));
		snprintf(err, errlen, "XDP mode %s not possible on this interface (%s): %s%s",
			 xdp_mode_name(mode), drv, strerror(-fd),
			 fd == -EBUSY || fd == -EEXIST ? " (another XDP program is attached)" : "");
		return fd;
	}
	a->xdp_fd = fd;
	snprintf(a->how, sizeof(a->how), "xdp (%s)", xdp_mode_name(mode));
	return 0;
}

static int attach_cgroup(struct flows_bpf *skel, const char *path, struct flows_attach *a,
			 char *err, size_t errlen)
{
	struct bpf_program *progs[] = { skel->progs.flows_sock_new, skel->progs.flows_conn4,
					skel->progs.flows_conn6,    skel->progs.flows_send4,
					skel->progs.flows_send6,    skel->progs.flows_cg_in,
					skel->progs.flows_cg_eg };
	int cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (cg < 0) {
		snprintf(err, errlen, "cgroup %s: %s", path, strerror(errno));
		return -errno;
	}
	/* Owner hooks first, so packets of new sockets find their owner. */
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *l = bpf_program__attach_cgroup(progs[i], cg);

		if (!l) {
			int e = -errno;

			snprintf(err, errlen, "attaching %s to %s: %s", bpf_program__name(progs[i]),
				 path, strerror(-e));
			close(cg);
			flows_detach(a);
			return e;
		}
		a->cg_links[a->nr_cg_links++] = l;
	}
	close(cg);
	snprintf(a->how, sizeof(a->how), "cgroup_skb");
	return 0;
}

int flows_attach(struct flows_bpf *skel, const struct flows_opts *o, int ifindex,
		 const char *cgroup_path, struct flows_attach *a, char *err, size_t errlen)
{
	int in_type, eg_type;

	a->ifindex = ifindex;
	flows_sweep_leftovers(a->who);
	if (o->process)
		return attach_cgroup(skel, cgroup_path, a, err, errlen);
	if (o->xdp)
		return attach_xdp(skel, ifindex, o->xdp_mode, a, err, errlen);
	if (o->tc_hook != FLOWS_TC_CLSACT && flows_tcx_types(&in_type, &eg_type))
		return attach_tcx(skel, ifindex, in_type, eg_type, a, err, errlen);
	if (o->tc_hook == FLOWS_TC_TCX) {
		snprintf(err, errlen, "this kernel has no TCX hooks (BPF_TCX_INGRESS not in its BTF)");
		return -EOPNOTSUPP;
	}
	return attach_clsact(skel, ifindex, a, err, errlen);
}

/* Our filters are off: remove the qdisc an ebpfmon made, unless others still use it. */
static void release_qdisc(struct flows_attach *a)
{
	char ifname[IF_NAMESIZE];
	struct dev_scan s;

	if (scan_device(a->ifindex, &s))
		return;
	if (!s.foreign && !s.live && !s.nr_stale) {
		remove_qdisc(a->ifindex);
	} else if (s.foreign) {
		iface_name(a->ifindex, ifname);
		fprintf(stderr, "%s: kept the clsact qdisc ebpfmon created on %s: other filters use it (%s)\n",
			a->who, ifname, s.first_foreign);
	}
	/* Only other ebpfmons' filters: the last of them removes it. */
}

void flows_detach(struct flows_attach *a)
{
	for (int d = 0; d < 2; d++) {
		if (a->tcx_fd[d] >= 0)
			close(a->tcx_fd[d]);
		a->tcx_fd[d] = -1;
		if (a->clsact_attached[d])
			remove_filter(a->ifindex, d, a->clsact_handle[d], a->clsact_prio[d]);
		a->clsact_attached[d] = false;
	}
	if (a->clsact_created)
		release_qdisc(a);
	a->clsact_created = false;
	for (int d = 0; d < 2; d++) {
		if (a->live_fd[d] >= 0)
			close(a->live_fd[d]);
		a->live_fd[d] = -1;
	}
	if (a->xdp_fd >= 0)
		close(a->xdp_fd);
	a->xdp_fd = -1;
	for (unsigned int i = 0; i < a->nr_cg_links; i++)
		bpf_link__destroy(a->cg_links[i]);
	a->nr_cg_links = 0;
}
