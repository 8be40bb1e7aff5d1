/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flows, user half: what flows.c (command), flows_attach.c (hooks),
 * flows_report.c (reading, sorting, text and JSON) and flows_tui.c share.
 */
#ifndef EBPFMON_FLOWS_INT_H
#define EBPFMON_FLOWS_INT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modules/flows/flows.h"

#define FLOWS_EXIT_USAGE 2

enum flows_sort { FLOWS_SORT_BITRATE, FLOWS_SORT_PACKETS, FLOWS_SORT_BYTES, FLOWS_SORT_SRC,
		  FLOWS_SORT_DST, FLOWS_NR_SORTS };

enum flows_xdp_mode { FLOWS_XDP_AUTO, FLOWS_XDP_GENERIC, FLOWS_XDP_NATIVE, FLOWS_XDP_OFFLOAD };

enum flows_tc_hook { FLOWS_TC_AUTO, FLOWS_TC_TCX, FLOWS_TC_CLSACT };

struct flows_opts {
	char iface[IF_NAMESIZE];
	bool iface_set;
	bool xdp;
	enum flows_xdp_mode xdp_mode;
	enum flows_tc_hook tc_hook;
	bool process;
	const char *cgroup;	/* restrict process mode to this cgroup v2 path */
	bool json, tui;
	double refresh, timeout; /* seconds */
	unsigned int max_entries;
	enum flows_sort sort;
};

/*
 * Parse `ebpfmon flows` arguments (argv[0] is "flows"). 0 ok, 1 when --help
 * was printed, -1 with one line in @err (exit 2).
 */
int flows_parse_opts(int argc, char **argv, struct flows_opts *o, char *err, size_t errlen);
extern const char flows_help[];

/* One flow read from the kernel, per-CPU values summed. */
struct flows_row {
	struct flows_key key;
	uint64_t packets, bytes;
	double bitrate; /* bits per second over the window (or refresh interval) */
};

struct flows_total_row {
	struct flows_total_key key;
	uint64_t packets, bytes;
};

struct flows_snapshot {
	struct flows_row *rows;	/* sorted by key */
	size_t nr, cap;
	size_t nr_table;	/* rows the flow table holds; the rest wait in per-CPU caches */
	struct flows_total_row *totals;
	size_t nr_totals, cap_totals;
	struct flows_stats stats; /* summed over CPUs */
};

struct flows_bpf;
/*
 * Read the loaded programs' maps: stats, totals (hash and per-CPU array) and,
 * when @flows, the flow table. 0, or -errno.
 */
int flows_read(struct flows_bpf *skel, bool flows, struct flows_snapshot *s);
void flows_snapshot_free(struct flows_snapshot *s);
/* bitrate = bytes * 8 / seconds for every row. */
void flows_set_bitrate(struct flows_snapshot *s, double seconds);
/* For the live view: bitrate from the byte delta against @prev (sorted by key). */
void flows_set_bitrate_delta(struct flows_snapshot *s, const struct flows_snapshot *prev,
			     double seconds);
void flows_sort_rows(struct flows_row *rows, size_t n, enum flows_sort by);
void flows_sort_totals(struct flows_total_row *t, size_t n);
/* Sort by key and merge rows a moving hash iteration returned twice. */
void flows_dedup(struct flows_snapshot *s);
uint64_t flows_evicted(const struct flows_snapshot *s);

/* Formatting helpers shared by the text, JSON and live outputs. */
void flows_addr_str(const struct flows_key *k, bool dst, char *buf, size_t len);
const char *flows_proto_str(uint16_t ethertype, uint8_t proto, bool unparsed, char *buf,
			    size_t len);
const char *flows_dir_str(uint8_t dir);
void flows_bitrate_str(double bps, char *buf, size_t len);
bool flows_has_ports(const struct flows_key *k);
bool flows_is_icmp(const struct flows_key *k);

struct cgroup_names;

/* What the report says about how and where we counted. */
struct flows_report {
	const struct flows_opts *opts;
	const char *hook;	/* "tc (tcx)", "tc (clsact)", "xdp (generic)", "cgroup_skb" */
	bool ingress_only;
	double seconds;
	struct flows_snapshot *snap;
	struct cgroup_names *cgnames; /* process mode */
};

int flows_print_text(FILE *f, const struct flows_report *r);
int flows_print_json(FILE *f, const struct flows_report *r);
void flows_iface_name(uint32_t ifindex, char *buf, size_t len);
/* The first interface (by index) that is up and not loopback: its index, or 0. */
int flows_default_iface(char *name, size_t len);
void flows_cgroup_name(const struct flows_report *r, uint64_t id, char *buf, size_t len);

/* ---- attaching ------------------------------------------------------------ */

struct bpf_link;

/*
 * clsact filters outlive a killed ebpfmon, so ours are marked twice: named
 * after programs called ebpfmon_tc_in/ebpfmon_tc_eg, and with a handle in
 * 0xeb9fXXXX. Handle bit 0 says an ebpfmon created the qdisc they sit on.
 */
#define FLOWS_TC_HANDLE	     0xeb9f0000u
#define FLOWS_TC_HANDLE_MASK 0xffff0000u
#define FLOWS_TC_QDISC_OURS  0x1u

struct flows_attach {
	const char *who;	/* prefix of the lines we print: "ebpfmon flows" */
	int ifindex;
	int tcx_fd[2];		/* TCX links: ingress, egress */
	bool clsact_created;	/* an ebpfmon created the clsact qdisc: remove it when empty */
	bool clsact_attached[2];
	uint32_t clsact_handle[2], clsact_prio[2];
	int live_fd[2];		/* abstract sockets saying our clsact filters have an owner */
	int xdp_fd;		/* XDP link */
	struct bpf_link *cg_links[8];
	unsigned int nr_cg_links;
	char how[64];		/* "tc (tcx)", "xdp (native)", ... */
};

/* @who prefixes the one-line notes about leftovers we remove or keep. */
void flows_attach_init(struct flows_attach *a, const char *who);
/*
 * Whether TC and XDP count through the per-CPU flow cache: not in process
 * mode, nor when the caches (FLOWS_CACHE_SLOTS flows per CPU) could hold
 * more flows than a table of @max_entries.
 */
bool flows_cache_fits(unsigned int max_entries, bool process);
/* Set autoload and per-mode load options before load (offload needs the ifindex). */
void flows_prepare_load(struct flows_bpf *skel, const struct flows_opts *o, int ifindex);
/*
 * Remove what a killed ebpfmon left in this network namespace, then attach
 * for the mode in @o. 0, or -errno with one line in @err.
 */
int flows_attach(struct flows_bpf *skel, const struct flows_opts *o, int ifindex,
		 const char *cgroup_path, struct flows_attach *a, char *err, size_t errlen);
/* Detach whatever flows_attach() attached; safe to call twice. */
void flows_detach(struct flows_attach *a);
/*
 * Remove the clsact filters of ebpfmon processes that are gone, and clsact
 * qdiscs they created once nothing else uses them; one line per device to
 * stderr. The number of objects removed.
 */
unsigned int flows_sweep_leftovers(const char *who);

/* The attach-type numbers of this kernel's TCX hooks, from its BTF; false without TCX. */
bool flows_tcx_types(int *ingress, int *egress);

/* Our network namespace's cookie, as bpf_get_netns_cookie() reports it; 0 if unknown. */
uint64_t flows_netns_cookie(void);

/* ---- clsact over rtnetlink (flows_tc.c) ------------------------------------ */

/* A filter on a clsact hook, as rtnetlink lists it. */
struct flows_tc_filter {
	int ifindex;
	bool egress;
	bool bpf;		/* kind "bpf": name and prog_id are set */
	uint32_t prio, handle, protocol;
	uint32_t prog_id;
	char kind[16];		/* classifier: "bpf", "u32", ... */
	char name[64];		/* "<program>:[<id>]" when libbpf attached it */
};

typedef void (*flows_tc_filter_fn)(const struct flows_tc_filter *f, void *arg);
/* Every filter on the ingress or egress hook of @ifindex's clsact qdisc. 0, or -errno. */
int flows_tc_filters(int ifindex, bool egress, flows_tc_filter_fn fn, void *arg);
/* The devices of this network namespace with a clsact qdisc (at most @max). 0, or -errno. */
int flows_tc_clsact_devices(int *ifindexes, size_t max, size_t *n);

/* ---- live view ------------------------------------------------------------ */

struct flows_tui;
/* NULL with the reason in @why when the terminal cannot be driven. */
struct flows_tui *flows_tui_start(char *why, size_t len);
/* Handle pending keys; true when the user asked to quit. */
bool flows_tui_keys(struct flows_tui *t, enum flows_sort *sort);
void flows_tui_draw(struct flows_tui *t, const struct flows_report *r);
void flows_tui_stop(struct flows_tui *t);

#endif
