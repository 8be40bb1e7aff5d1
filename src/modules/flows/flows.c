// SPDX-License-Identifier: GPL-2.0
/*
 * `ebpfmon flows`: per-flow packet and byte counts (pktstat-bpf's job) from
 * TC/TCX, XDP or cgroup_skb, as text, JSON or a live table.
 */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/cgroup_names.h"
#include "core/config.h"
#include "core/text.h"
#include "modules/flows/flows_int.h"
#include "flows.skel.h"

int cmd_flows(int argc, char **argv);

const char flows_help[] =
	"Usage: ebpfmon flows [options]\n\n"
	"Count packets and bytes per flow in the kernel (TC/TCX, XDP or per process),\n"
	"print 'attached' to stderr, and report at timeout, SIGINT or SIGTERM.\n\n"
	"  -i, --iface IFACE       interface (default: first up, non-loopback)\n"
	"  -x, --xdp               count at XDP instead of TC (ingress only)\n"
	"      --xdp-mode MODE     auto (native, else generic), generic, native, offload\n"
	"      --tc-hook HOOK      auto (TCX, else clsact), tcx, clsact\n"
	"  -p, --process           per process: cgroup_skb at the cgroup v2 root, all\n"
	"                          interfaces unless -i; bytes are L3 (IP) lengths\n"
	"  -c, --cgroup PATH       per process, only in this cgroup v2 (and below)\n"
	"  -j, --json              JSON output\n"
	"  -g, --tui               live table (ncurses); when stdout is not a terminal,\n"
	"                          the text report at the end instead\n"
	"  -r, --refresh DUR       live table refresh (default 1s)\n"
	"  -t, --timeout DUR       stop after DUR (default 10m): 500ms, 10s, 2m, 1h;\n"
	"                          at most 576h\n"
	"      --max-entries N     flow table size (default 65536; LRU, evictions counted)\n"
	"      --sort KEY          bitrate (default), packets, bytes, src, dst\n"
	"  -h, --help              this text\n\n"
	"Bytes are whole L2 frames at TC and XDP, IP packets in process mode.\n";

enum { OPT_XDP_MODE = 1000, OPT_TC_HOOK, OPT_MAX_ENTRIES, OPT_SORT };

/* Messages quote arguments: control characters in them are shown as '?'. */
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	text_make_printable(err);
	return -1;
}

/*
 * The longest --timeout and --refresh: the wait loop sleeps in poll(), whose
 * timeout is an int of milliseconds (24.8 days at most).
 */
#define FLOWS_MAX_WAIT_SECONDS (576 * 3600.0)

static int pick(const char *arg, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

int flows_parse_opts(int argc, char **argv, struct flows_opts *o, char *err, size_t errlen)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "xdp", no_argument, NULL, 'x' },
		{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
		{ "tc-hook", required_argument, NULL, OPT_TC_HOOK },
		{ "process", no_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "tui", no_argument, NULL, 'g' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	static const char *const xdp_modes[] = { "auto", "generic", "native", "offload" };
	static const char *const tc_hooks[] = { "auto", "tcx", "clsact" };
	static const char *const sorts[] = { "bitrate", "packets", "bytes", "src", "dst" };
	unsigned long long n;
	int opt, v;

	memset(o, 0, sizeof(*o));
	o->refresh = 1;
	o->timeout = 600;
	o->max_entries = FLOWS_DEFAULT_MAX_ENTRIES;
	optind = 0; /* full reset: the command may parse more than once in tests */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+i:xpc:jgr:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (!optarg[0] || strlen(optarg) >= sizeof(o->iface))
				return fail(err, errlen, "bad interface name '%s'", optarg);
			snprintf(o->iface, sizeof(o->iface), "%s", optarg);
			o->iface_set = true;
			break;
		case 'x':
			o->xdp = true;
			break;
		case OPT_XDP_MODE:
			v = pick(optarg, xdp_modes, 4);
			if (v < 0)
				return fail(err, errlen, "unknown --xdp-mode '%s': use auto, generic, native or offload", optarg);
			o->xdp_mode = v;
			o->xdp = true;
			break;
		case OPT_TC_HOOK:
			v = pick(optarg, tc_hooks, 3);
			if (v < 0)
				return fail(err, errlen, "unknown --tc-hook '%s': use auto, tcx or clsact", optarg);
			o->tc_hook = v;
			break;
		case 'p':
			o->process = true;
			break;
		case 'c':
			o->cgroup = optarg;
			o->process = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'g':
			o->tui = true;
			break;
		case 'r':
			if (parse_duration(optarg, &o->refresh) || o->refresh > FLOWS_MAX_WAIT_SECONDS)
				return fail(err, errlen, "bad --refresh '%s': use 500ms, 1s, 2m (at most 576h)", optarg);
			break;
		case 't':
			if (parse_duration(optarg, &o->timeout) || o->timeout > FLOWS_MAX_WAIT_SECONDS)
				return fail(err, errlen, "bad --timeout '%s': use 500ms, 10s, 2m, 1h (at most 576h)", optarg);
			break;
		case OPT_MAX_ENTRIES:
			if (parse_uint(optarg, 1, 1 << 24, &n))
				return fail(err, errlen, "bad --max-entries '%s': a number from 1 to 16777216", optarg);
			o->max_entries = n;
			break;
		case OPT_SORT:
			v = pick(optarg, sorts, FLOWS_NR_SORTS);
			if (v < 0)
				return fail(err, errlen, "unknown --sort '%s': use bitrate, packets, bytes, src or dst", optarg);
			o->sort = v;
			break;
		case 'h':
			return 1;
		default:
			if (optopt && optopt < 256)
				return fail(err, errlen, "unknown option or missing value: '-%c'", optopt);
			return fail(err, errlen, "unknown option or missing value: '%s'",
				    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (o->xdp && o->process)
		return fail(err, errlen, "--xdp and --process/--cgroup exclude each other");
	if (o->json && o->tui)
		return fail(err, errlen, "--json and --tui exclude each other");
	return 0;
}

/* ---- interfaces ------------------------------------------------------------ */

static void list_interfaces(FILE *f)
{
	struct if_nameindex *ifs = if_nameindex();

	fprintf(f, "ebpfmon flows: interfaces here:");
	for (struct if_nameindex *i = ifs; i && i->if_index; i++)
		fprintf(f, " %s", i->if_name);
	fprintf(f, "\n");
	if_freenameindex(ifs);
}

/* The first interface (by index) that is up and not loopback. */
int flows_default_iface(char *name, size_t len)
{
	struct if_nameindex *ifs = if_nameindex();
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int found = 0;

	for (struct if_nameindex *i = ifs; fd >= 0 && i && i->if_index && !found; i++) {
		struct ifreq ifr = {};

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr))
			continue;
		if ((ifr.ifr_flags & IFF_UP) && !(ifr.ifr_flags & IFF_LOOPBACK)) {
			snprintf(name, len, "%s", i->if_name);
			found = i->if_index;
		}
	}
	if (fd >= 0)
		close(fd);
	if_freenameindex(ifs);
	return found;
}

/* 0 or an exit code, having said why. */
static int resolve_iface(struct flows_opts *o, int *ifindex)
{
	*ifindex = 0;
	if (o->iface_set) {
		*ifindex = if_nametoindex(o->iface);
		if (!*ifindex) {
			fprintf(stderr, "ebpfmon flows: no interface '%s'\n", o->iface);
			list_interfaces(stderr);
			return FLOWS_EXIT_USAGE;
		}
		return 0;
	}
	if (o->process)
		return 0; /* every interface */
	*ifindex = flows_default_iface(o->iface, sizeof(o->iface));
	if (!*ifindex) {
		fprintf(stderr, "ebpfmon flows: no interface is up besides loopback; pick one with -i\n");
		list_interfaces(stderr);
		return FLOWS_EXIT_USAGE;
	}
	return 0;
}

static int resolve_cgroup(const struct flows_opts *o, char *path, size_t len)
{
	char root[PATH_MAX] = "";
	struct stat st;

	if (!o->cgroup) {
		if (cgroup2_mount_point(path, len)) {
			fprintf(stderr, "ebpfmon flows: no cgroup v2 hierarchy is mounted and none could be mounted privately (%s): mount one (mount -t cgroup2 none /sys/fs/cgroup), or count without -p\n",
				strerror(errno));
			return 1;
		}
		return 0;
	}
	if (stat(o->cgroup, &st) || !S_ISDIR(st.st_mode) || !cgroup2_path_ok(o->cgroup)) {
		const char *what = stat(o->cgroup, &st) ? strerror(errno) :
				   S_ISDIR(st.st_mode)	 ? "a directory but not a cgroup v2 one" :
							   "a file, not a cgroup v2 directory";
		char below[PATH_MAX + 16] = "";

		/* A private mount's /proc/self/fd path means nothing to the user. */
		if (!cgroup2_mount_point(root, sizeof(root)) && strncmp(root, "/proc/", 6))
			snprintf(below, sizeof(below), " below %s", root);
		/* run, check and snapshot take --config: say -c is not that here. */
		fprintf(stderr, "ebpfmon flows: -c/--cgroup '%s': %s; give a cgroup directory%s (-c is --cgroup here, not a configuration file)\n",
			o->cgroup, what, below);
		return FLOWS_EXIT_USAGE;
	}
	snprintf(path, len, "%s", o->cgroup);
	return 0;
}

/* ---- running ---------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("EBPFMON_DEBUG") || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct flows_run {
	struct flows_opts o;
	struct flows_bpf *skel;
	struct flows_attach att;
	struct flows_report rep;
	struct flows_snapshot snap, prev;
	int ifindex, sigfd;
	char cgroup_path[PATH_MAX];
};

static int load(struct flows_run *r)
{
	char err[256];
	int ret;

	r->skel = flows_bpf__open();
	if (!r->skel) {
		fprintf(stderr, "ebpfmon flows: opening the BPF object: %s\n", strerror(errno));
		return 1;
	}
	bpf_map__set_max_entries(r->skel->maps.flows, r->o.max_entries);
	r->skel->rodata->cg_ifindex = r->o.process ? r->ifindex : 0;
	r->skel->rodata->cg_netns = flows_netns_cookie();
	flows_prepare_load(r->skel, &r->o, r->ifindex);
	ret = flows_bpf__load(r->skel);
	if (ret) {
		if (r->o.xdp && r->o.xdp_mode == FLOWS_XDP_OFFLOAD)
			fprintf(stderr, "ebpfmon flows: XDP mode offload not possible on %s: the kernel would not load the program for the device: %s\n",
				r->o.iface, strerror(-ret));
		else
			fprintf(stderr, "ebpfmon flows: loading the BPF programs: %s (run as root; EBPFMON_DEBUG=1 shows the verifier log)\n",
				strerror(-ret));
		return 1;
	}
	ret = flows_attach(r->skel, &r->o, r->ifindex, r->cgroup_path, &r->att, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ebpfmon flows: %s: %s\n", r->o.process ? r->cgroup_path : r->o.iface,
			err);
		return 1;
	}
	return 0;
}

static int read_maps(struct flows_run *r, struct flows_snapshot *s)
{
	int ret = flows_read(r->skel, true, s);

	if (ret)
		fprintf(stderr, "ebpfmon flows: reading the flow table: %s\n", strerror(-ret));
	return ret;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* One refresh of the live view: rates over the refresh interval. */
static void tui_refresh(struct flows_run *r, struct flows_tui *t, double interval, double start)
{
	struct flows_snapshot view, tmp;

	if (read_maps(r, &r->snap))
		return;
	flows_set_bitrate_delta(&r->snap, &r->prev, interval);
	/* Display a copy sorted the user's way; keep the key order for the next delta. */
	view = r->snap;
	view.rows = malloc((r->snap.nr ? r->snap.nr : 1) * sizeof(*view.rows));
	if (view.rows) {
		if (r->snap.nr) /* rows is NULL when empty */
			memcpy(view.rows, r->snap.rows, r->snap.nr * sizeof(*view.rows));
		flows_sort_rows(view.rows, view.nr, r->o.sort);
		flows_sort_totals(view.totals, view.nr_totals);
		r->rep.snap = &view;
		r->rep.seconds = now() - start;
		flows_tui_draw(t, &r->rep);
		r->rep.snap = &r->snap;
		free(view.rows);
	}
	tmp = r->prev;
	r->prev = r->snap;
	r->snap = tmp;
}

/* Count until timeout or signal (or 'q' in the live view). */
static void wait_loop(struct flows_run *r, double start)
{
	double deadline = start + r->o.timeout, next = start + r->o.refresh, last = start;
	struct flows_tui *t = NULL;
	struct pollfd pfd[2] = { { .fd = r->sigfd, .events = POLLIN },
				 { .fd = STDIN_FILENO, .events = POLLIN } };

	if (r->o.tui) {
		char why[128];

		t = flows_tui_start(why, sizeof(why));
		if (!t) {
			fprintf(stderr, "ebpfmon flows: no live table: %s; the text report follows at the end\n",
				why);
			r->o.tui = false;
		}
	}
	for (;;) {
		double until = t && next < deadline ? next : deadline;
		double left = until - now();
		int ms = left > 0 ? (int)(left * 1000) + 1 : 0;

		if (now() >= deadline)
			break;
		if (poll(pfd, t ? 2 : 1, ms) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			break;
		if (t && (pfd[1].revents & POLLIN) && flows_tui_keys(t, &r->o.sort))
			break;
		if (t && now() >= next) {
			double tnow = now();

			tui_refresh(r, t, tnow - last, start);
			last = tnow;
			next = tnow + r->o.refresh;
		}
	}
	if (t)
		flows_tui_stop(t);
}

static int report(struct flows_run *r, double seconds)
{
	int ret;

	flows_snapshot_free(&r->snap);
	if (read_maps(r, &r->snap))
		return 1;
	flows_set_bitrate(&r->snap, seconds);
	flows_sort_rows(r->snap.rows, r->snap.nr, r->o.sort);
	flows_sort_totals(r->snap.totals, r->snap.nr_totals);
	r->rep.seconds = seconds;
	ret = r->o.json ? flows_print_json(stdout, &r->rep) : flows_print_text(stdout, &r->rep);
	if (ret || fflush(stdout)) {
		fprintf(stderr, "ebpfmon flows: writing the report failed: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_flows(int argc, char **argv)
{
	struct flows_run r = { .sigfd = -1 };
	double start, seconds;
	char err[256];
	int ret;

	ret = flows_parse_opts(argc, argv, &r.o, err, sizeof(err));
	if (ret > 0) {
		fputs(flows_help, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "ebpfmon flows: %s; see 'ebpfmon flows --help'\n", err);
		return FLOWS_EXIT_USAGE;
	}
	if (r.o.tui && !isatty(STDOUT_FILENO)) {
		/*
		 * Redirected or piped: a live table would fill the file with terminal
		 * escapes. What lands there should be readable: the text report.
		 */
		fprintf(stderr, "ebpfmon flows: -g: standard output is not a terminal; no live table, the text report follows at the end (-j for JSON)\n");
		r.o.tui = false;
	}
	ret = resolve_iface(&r.o, &r.ifindex);
	if (!ret && r.o.process)
		ret = resolve_cgroup(&r.o, r.cgroup_path, sizeof(r.cgroup_path));
	if (ret)
		return ret;
	libbpf_set_print(libbpf_print);
	flows_attach_init(&r.att, "ebpfmon flows");
	/* Block the stop signals before attaching: none may kill us mid-way. */
	r.sigfd = open_signals();
	ret = load(&r);
	if (ret)
		goto out;
	fprintf(stderr, "attached\n");
	start = now();
	r.rep = (struct flows_report){ .opts = &r.o, .hook = r.att.how,
				       .ingress_only = r.o.xdp, .snap = &r.snap };
	if (r.o.process)
		r.rep.cgnames = cgroup_names_new();
	wait_loop(&r, start);
	/* Detach first: the final read then sees a table nobody changes. */
	flows_detach(&r.att);
	seconds = now() - start;
	ret = report(&r, seconds);
out:
	flows_detach(&r.att);
	flows_bpf__destroy(r.skel);
	flows_snapshot_free(&r.snap);
	flows_snapshot_free(&r.prev);
	cgroup_names_free(r.rep.cgnames);
	if (r.sigfd >= 0)
		close(r.sigfd);
	return ret;
}
