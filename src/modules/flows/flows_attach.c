// SPDX-License-Identifier: GPL-2.0
/*
 * flows: attaching. Everything goes through a kernel link where the kernel
 * has one (TCX, XDP, cgroup), so a killed ebpfmon leaves nothing behind.
 * Only the clsact fallback (kernels without TCX) creates objects that
 * outlive the process; those are removed on exit, and only if we made them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "modules/flows/flows_int.h"
#include "flows.skel.h"

void flows_attach_init(struct flows_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->tcx_fd[0] = a->tcx_fd[1] = -1;
	a->xdp_fd = -1;
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
		bpf_program__set_autoload(skel->progs.flows_tc_in, true);
		bpf_program__set_autoload(skel->progs.flows_tc_eg, true);
	}
}

void flows_prepare_load(struct flows_bpf *skel, const struct flows_opts *o, int ifindex)
{
	set_autoload(skel, o);
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
	int progs[2] = { bpf_program__fd(skel->progs.flows_tc_in),
			 bpf_program__fd(skel->progs.flows_tc_eg) };
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

static int attach_clsact(struct flows_bpf *skel, int ifindex, struct flows_attach *a, char *err,
			 size_t errlen)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int progs[2] = { bpf_program__fd(skel->progs.flows_tc_in),
			 bpf_program__fd(skel->progs.flows_tc_eg) };
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		snprintf(err, errlen, "creating the clsact qdisc: %s", strerror(-ret));
		return ret;
	}
	a->clsact_created = !ret; /* -EEXIST: someone else's, leave it */
	for (int d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = progs[d]);

		hook.attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		ret = bpf_tc_attach(&hook, &opts);
		if (ret) {
			snprintf(err, errlen, "clsact %s filter: %s", d ? "egress" : "ingress",
				 strerror(-ret));
			flows_detach(a);
			return ret;
		}
		a->clsact_attached[d] = true;
		a->clsact_handle[d] = opts.handle;
		a->clsact_prio[d] = opts.priority;
	}
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

void flows_detach(struct flows_attach *a)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex);

	for (int d = 0; d < 2; d++) {
		if (a->tcx_fd[d] >= 0)
			close(a->tcx_fd[d]);
		a->tcx_fd[d] = -1;
		if (a->clsact_attached[d]) {
			DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = a->clsact_handle[d],
					    .priority = a->clsact_prio[d]);

			hook.attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS;
			bpf_tc_detach(&hook, &opts);
			a->clsact_attached[d] = false;
		}
	}
	if (a->clsact_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		a->clsact_created = false;
	}
	if (a->xdp_fd >= 0)
		close(a->xdp_fd);
	a->xdp_fd = -1;
	for (unsigned int i = 0; i < a->nr_cg_links; i++)
		bpf_link__destroy(a->cg_links[i]);
	a->nr_cg_links = 0;
}
