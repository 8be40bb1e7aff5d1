// SPDX-License-Identifier: GPL-2.0
/*
 * flows: listing clsact qdiscs and their filters over rtnetlink (libmnl).
 * libbpf creates, attaches and removes clsact objects but cannot list them,
 * and listing is what finding a killed ebpfmon's filters needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "modules/flows/flows_int.h"

/* Dump replies come in skbs of up to 32 KiB; a smaller buffer truncates them. */
#define DUMP_BUF (32 * 1024)

/* Send one dump request and hand every reply to @cb. 0, or -errno. */
static int dump(struct nlmsghdr *req, mnl_cb_t cb, void *arg)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned int seq = (unsigned int)time(NULL), portid;
	char *buf = NULL;
	ssize_t n;
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	buf = malloc(DUMP_BUF);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = MNL_CB_OK;
	while (ret > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(nl, buf, DUMP_BUF);
		if (n < 0) {
			ret = MNL_CB_ERROR;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, portid, cb, arg);
	}
	ret = ret == MNL_CB_ERROR ? -errno : 0;
out:
	free(buf);
	mnl_socket_close(nl);
	return ret;
}

static struct nlmsghdr *dump_request(char *buf, int type, int ifindex, uint32_t parent)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tc = mnl_nlmsg_put_extra_header(nlh, sizeof(*tc));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = parent;
	return nlh;
}

/* Keep the attributes a table of @max + 1 slots has room for; ignore newer ones. */
struct attr_table {
	const struct nlattr **tb;
	int max;
};

static int keep_attr(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;

	if (mnl_attr_type_valid(a, t->max) > 0)
		t->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static bool is_kind(const struct nlattr *kind, const char *want)
{
	return kind && !mnl_attr_validate(kind, MNL_TYPE_NUL_STRING) &&
	       !strcmp(mnl_attr_get_str(kind), want);
}

struct qdisc_walk {
	int *ifindexes;
	size_t max, n;
};

static int on_qdisc(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCA_MAX + 1] = {};
	struct attr_table t = { tb, TCA_MAX };
	const struct tcmsg *tc = mnl_nlmsg_get_payload(nlh);
	struct qdisc_walk *w = data;

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*tc), keep_attr, &t);
	if (is_kind(tb[TCA_KIND], "clsact") && w->n < w->max)
		w->ifindexes[w->n++] = tc->tcm_ifindex;
	return MNL_CB_OK;
}

int flows_tc_clsact_devices(int *ifindexes, size_t max, size_t *n)
{
	char req[256] __attribute__((aligned(8))); /* one header, no attributes */
	struct qdisc_walk w = { ifindexes, max, 0 };
	int ret = dump(dump_request(req, RTM_GETQDISC, 0, 0), on_qdisc, &w);

	*n = w.n;
	return ret;
}

struct filter_walk {
	int ifindex;
	bool egress;
	flows_tc_filter_fn fn;
	void *arg;
};

static int on_filter(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCA_MAX + 1] = {}, *opt[TCA_BPF_MAX + 1] = {};
	struct attr_table t = { tb, TCA_MAX }, o = { opt, TCA_BPF_MAX };
	const struct tcmsg *tc = mnl_nlmsg_get_payload(nlh);
	struct filter_walk *w = data;
	struct flows_tc_filter f = { .ifindex = w->ifindex, .egress = w->egress };

	/* Handle 0 is the classifier instance of a priority, not a filter. */
	if (nlh->nlmsg_type != RTM_NEWTFILTER || !tc->tcm_handle)
		return MNL_CB_OK;
	f.prio = TC_H_MAJ(tc->tcm_info) >> 16;
	f.protocol = TC_H_MIN(tc->tcm_info);
	f.handle = tc->tcm_handle;
	mnl_attr_parse(nlh, sizeof(*tc), keep_attr, &t);
	if (tb[TCA_KIND] && !mnl_attr_validate(tb[TCA_KIND], MNL_TYPE_NUL_STRING))
		snprintf(f.kind, sizeof(f.kind), "%s", mnl_attr_get_str(tb[TCA_KIND]));
	f.bpf = !strcmp(f.kind, "bpf");
	if (f.bpf && tb[TCA_OPTIONS]) {
		mnl_attr_parse_nested(tb[TCA_OPTIONS], keep_attr, &o);
		if (opt[TCA_BPF_NAME] && !mnl_attr_validate(opt[TCA_BPF_NAME], MNL_TYPE_NUL_STRING))
			snprintf(f.name, sizeof(f.name), "%s", mnl_attr_get_str(opt[TCA_BPF_NAME]));
		if (opt[TCA_BPF_ID] && !mnl_attr_validate(opt[TCA_BPF_ID], MNL_TYPE_U32))
			f.prog_id = mnl_attr_get_u32(opt[TCA_BPF_ID]);
	}
	w->fn(&f, w->arg);
	return MNL_CB_OK;
}

int flows_tc_filters(int ifindex, bool egress, flows_tc_filter_fn fn, void *arg)
{
	char req[256] __attribute__((aligned(8))); /* one header, no attributes */
	struct filter_walk w = { ifindex, egress, fn, arg };
	uint32_t parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);

	return dump(dump_request(req, RTM_GETTFILTER, ifindex, parent), on_filter, &w);
}
