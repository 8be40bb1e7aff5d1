// SPDX-License-Identifier: GPL-2.0
/* ebpfmon: command dispatch and the run / check / snapshot commands. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/agent.h"
#include "core/apps_groups.h"
#include "core/text.h"
#include "core/version.h"
#include "export/http.h"
#include "export/influx.h"
#include "export/json.h"
#include "export/netdata.h"
#include "export/prometheus.h"
#include "export/push.h"
#include "export/text_cache.h"
#include "modules/socket/socket_api.h"
#include "ui/summary.h"

#define EXIT_USAGE 2

int cmd_flows(int argc, char **argv); /* modules/flows/flows.c */
int cmd_bash(int argc, char **argv);  /* modules/bash/bash_cmd.c */
int cmd_http(int argc, char **argv);  /* modules/httpflow/httpflow_cmd.c */
int cmd_dns(int argc, char **argv); /* modules/dnsflow/dns_cmd.c */

static const char *prog_cmd = "ebpfmon";

/* A flag that sets a configuration key; applied after the config file. */
struct flag_setting {
	const char *section, *key, *value;
};

struct common_opts {
	const char *config_path;
	const char *modules;
	const char *user; /* --user: who to run as after attach */
	struct flag_setting set[16];
	unsigned int nr_set;
};

enum {
	OPT_CONFIG = 1000,
	OPT_MODULES,
	OPT_UPDATE_EVERY,
	OPT_LISTEN,
	OPT_WEB_CONFIG,
	OPT_APPS,
	OPT_CGROUPS,
	OPT_PID_TABLE,
	OPT_LOAD_MODE,
	OPT_MAPS_PER_CORE,
	OPT_FLOWS_IFACE,
	OPT_APPS_GROUPS,
	OPT_APPS_MAX,
	OPT_SERIES_RETENTION,
	OPT_USER,
	OPT_DURATION,
	OPT_FORMAT,
	OPT_JSON,
	OPT_PORTS,
	OPT_IPS,
	OPT_HOSTNAMES,
	OPT_EPHEMERAL,
	OPT_MAX_ROWS,
	OPT_BLACKLIST,
	OPT_PUSH,
	OPT_HELP,
};

#define COMMON_LONG_OPTS                                                      \
	{ "config", required_argument, NULL, OPT_CONFIG },                    \
	{ "modules", required_argument, NULL, OPT_MODULES },                  \
	{ "update-every", required_argument, NULL, OPT_UPDATE_EVERY },        \
	{ "apps", required_argument, NULL, OPT_APPS },                        \
	{ "cgroups", required_argument, NULL, OPT_CGROUPS },                  \
	{ "pid-table-size", required_argument, NULL, OPT_PID_TABLE },         \
	{ "load-mode", required_argument, NULL, OPT_LOAD_MODE },              \
	{ "maps-per-core", required_argument, NULL, OPT_MAPS_PER_CORE },      \
	{ "flows-iface", required_argument, NULL, OPT_FLOWS_IFACE },          \
	{ "apps-groups", required_argument, NULL, OPT_APPS_GROUPS },          \
	{ "apps-max", required_argument, NULL, OPT_APPS_MAX },                \
	{ "series-retention", required_argument, NULL, OPT_SERIES_RETENTION }, \
	{ "user", required_argument, NULL, OPT_USER },                        \
	{ "help", no_argument, NULL, OPT_HELP }

static const char common_help[] =
	"  --config FILE           INI configuration (default " CONFIG_DEFAULT_PATH " when present)\n"
	"  --modules LIST          run only these modules (comma-separated names; `ebpfmon check` lists them)\n"
	"  --update-every SECONDS  collection interval ([global] update every)\n"
	"  --apps yes|no           per-application series ([global] apps)\n"
	"  --cgroups yes|no        per-cgroup series ([global] cgroups)\n"
	"  --pid-table-size N      per-process table bound ([global] pid table size)\n"
	"  --load-mode MODE        return (calls, bytes, errors), entry (no errors) or\n"
	"                          light (no syscall hook) ([global] ebpf load mode)\n"
	"  --maps-per-core yes|no  accepted for Netdata's key; no effect ([global] maps per core)\n"
	"  --flows-iface IFACE     interface of the flows module ([global] flows interface)\n"
	"  --apps-groups FILE      application groups (group: pattern pattern*)\n"
	"  --apps-max N            application rows at most; more go to 'other' ([global] apps max)\n"
	"  --series-retention DURATION  how long rows of gone applications and cgroups\n"
	"                          stay ([global] series retention)\n"
	"  --user USER             after attach, run as USER (name or uid) instead of root\n"
	"  --help                  this text\n";

static int usage_error(const char *fmt, const char *arg)
{
	char shown[256];

	/* The argument is quoted back: no escape sequence or line break of it reaches the terminal. */
	snprintf(shown, sizeof(shown), "%s", arg);
	text_make_printable(shown);
	fprintf(stderr, "%s: ", prog_cmd);
	fprintf(stderr, fmt, shown);
	fprintf(stderr, "; see '%s --help'\n", prog_cmd);
	return EXIT_USAGE;
}

/* Handle a common option; 1 when it was one, 0 when not, -1 on error (already said). */
static int common_opt(int opt, struct common_opts *o)
{
	static const struct {
		int opt;
		const char *key;
	} keys[] = {
		{ OPT_UPDATE_EVERY, "update every" }, { OPT_APPS, "apps" },
		{ OPT_CGROUPS, "cgroups" },	      { OPT_PID_TABLE, "pid table size" },
		{ OPT_LOAD_MODE, "ebpf load mode" },  { OPT_APPS_GROUPS, "apps groups file" },
		{ OPT_MAPS_PER_CORE, "maps per core" },	{ OPT_FLOWS_IFACE, "flows interface" },
		{ OPT_LISTEN, "listen" },	      { OPT_APPS_MAX, "apps max" },
		{ OPT_SERIES_RETENTION, "series retention" }, { OPT_WEB_CONFIG, "web config file" },
	};

	if (opt == OPT_CONFIG) {
		o->config_path = optarg;
		return 1;
	}
	if (opt == OPT_MODULES) {
		o->modules = optarg;
		return 1;
	}
	if (opt == OPT_USER) {
		o->user = optarg;
		return 1;
	}
	for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].opt != opt)
			continue;
		if (o->nr_set == sizeof(o->set) / sizeof(o->set[0]))
			return -1;
		o->set[o->nr_set++] = (struct flag_setting){ "global", keys[i].key, optarg };
		return 1;
	}
	return 0;
}

static int bad_option(int argc, char **argv)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

	if (optopt && optopt < 256) {
		char s[3] = { '-', (char)optopt, 0 };

		return usage_error("unknown or incomplete option '%s'", s);
	}
	return usage_error("unknown option or missing value: '%s'", arg);
}

/*
 * Options of a command that has only the common ones (and those common_opt()
 * knows): -1 to go on, else the exit status (after --help, or a bad option).
 */
static int only_common_opts(int argc, char **argv, const struct option *opts, const char *help,
			    struct common_opts *o)
{
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			printf("%s%s", help, common_help);
			return 0;
		}
		if (common_opt(opt, o) <= 0)
			return bad_option(argc, argv);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

static int build_config(struct agent *a, struct common_opts *o)
{
	const char *names[STORE_MAX_MODULES];
	bool on[STORE_MAX_MODULES];
	char err[1024];
	const char *path = o->config_path;

	for (unsigned int i = 0; i < nr_modules; i++) {
		names[i] = modules[i]->name;
		on[i] = modules[i]->default_on;
	}
	if (config_init(&a->cfg, names, on, nr_modules)) {
		fprintf(stderr, "%s: internal error: too many modules for the configuration\n", prog_cmd);
		return 1;
	}
	if (config_load_string(&a->cfg, config_embedded_default, "<embedded default>", err,
			       sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		return 1;
	}
	/* The built-in text's Netdata keys are ours to explain in `config`, not to report. */
	a->cfg.nr_ignored = 0;
	memset(a->cfg.ignored, 0, sizeof(a->cfg.ignored));
	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	/* Netdata's layout: ebpf.d/<module>.conf beside the main file, when there. */
	if (path && (config_load_file(&a->cfg, path, err, sizeof(err)) ||
		     config_load_module_files(&a->cfg, path, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		return EXIT_USAGE;
	}
	for (unsigned int i = 0; i < o->nr_set; i++) {
		if (config_set(&a->cfg, o->set[i].section, o->set[i].key, o->set[i].value, err,
			       sizeof(err))) {
			fprintf(stderr, "%s: %s\n", prog_cmd, err);
			return EXIT_USAGE;
		}
	}
	if (o->modules && config_set_module_list(&a->cfg, o->modules, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		return EXIT_USAGE;
	}
	a->modules_listed = o->modules != NULL;
	if (o->user && privs_resolve_user(o->user, &a->privs, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		return EXIT_USAGE;
	}
	if (a->cfg.apps_groups_file[0]) {
		a->groups = apps_groups_load_file(a->cfg.apps_groups_file, err, sizeof(err));
		if (!a->groups) {
			fprintf(stderr, "%s: %s\n", prog_cmd, err);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("EBPFMON_DEBUG"))
		return level == LIBBPF_WARN && getenv("EBPFMON_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
	return vfprintf(stderr, fmt, ap);
}

static void agent_init(struct agent *a)
{
	memset(a, 0, sizeof(*a));
	store_init(&a->store);
	libbpf_set_print(libbpf_quiet);
}

static void agent_free(struct agent *a)
{
	agent_stop(a);
	apps_groups_free(a->groups);
	caps_free(&a->caps);
	store_free(&a->store);
}

/* Block the stop signals in every thread; the main loop waits for them. */
static void block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Wait up to @seconds for a stop signal; true when one came. */
static bool wait_stop(const sigset_t *set, double seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds,
			       .tv_nsec = (long)((seconds - (time_t)seconds) * 1e9) };

	if (seconds <= 0)
		return false;
	while (sigtimedwait(set, NULL, &ts) < 0) {
		if (errno != EINTR)
			return false;
	}
	return true;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Probe and load; prints why when nothing can run. 0 or an exit code. */
static int start_agent(struct agent *a)
{
	const char *fatal;
	int up;

	caps_probe(&a->caps);
	fatal = agent_fatal_reason(&a->caps);
	if (fatal) {
		fprintf(stderr, "%s: %s\n", prog_cmd, fatal);
		return 1;
	}
	if (agent_plan(a)) {
		fprintf(stderr, "%s: internal error: more modules than the store holds\n", prog_cmd);
		return 1;
	}
	up = agent_start(a);
	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_stats *m = a->insts[i].stats;

		if (m->state == MODULE_FAILED || m->state == MODULE_UNAVAILABLE)
			fprintf(stderr, "%s: module %s %s: %s\n", prog_cmd, m->name,
				module_state_name(m->state), m->reason);
	}
	if (up == 0) {
		fprintf(stderr, "%s: no module could be started; see 'ebpfmon check'\n", prog_cmd);
		return 1;
	}
	return 0;
}

/* ---- run --------------------------------------------------------------- */

/*
 * Everything is attached: give up what counting does not need (privs.h).
 * Called while this is the only thread. 0, or 1 when the drop failed: going
 * on with every privilege would break the promise, so we stop.
 */
static int drop_privileges(struct agent *a)
{
	char kept[128], err[256];

	for (unsigned int i = 0; i < a->nr_insts; i++)
		a->privs.keep_net_admin |= a->insts[i].net_admin_at_exit;
	if (privs_drop(&a->privs, kept, sizeof(kept), err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		return 1;
	}
	a->privs_dropped = true; /* threads may start now (the runtimes' names) */
	fprintf(stderr, "%s: capabilities after attach: %s%s%s\n", prog_cmd,
		kept[0] ? kept : "none", a->privs.change_user ? "; running as " : "",
		a->privs.change_user ? a->privs.user : "");
	return 0;
}

/*
 * [output] push: collections between pushes (0 when not pushing), or -1
 * when 'push every' is no multiple of 'update every' (said).
 */
static int push_collections(const struct config *c)
{
	if (!c->push_url[0])
		return 0;
	if (c->push_every % c->update_every) {
		fprintf(stderr,
			"%s: 'push every' (%u s) must be a multiple of 'update every' (%u s); change one of them\n",
			prog_cmd, c->push_every, c->update_every);
		return -1;
	}
	return c->push_every ? (int)(c->push_every / c->update_every) : 1;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONG_OPTS,
					      { "listen", required_argument, NULL, OPT_LISTEN },
					      { "web-config", required_argument, NULL, OPT_WEB_CONFIG },
					      { "push", required_argument, NULL, OPT_PUSH },
					      { 0 } };
	struct common_opts o = {};
	struct agent a;
	struct http_server *http;
	struct pusher *pusher = NULL;
	int push_every;
	sigset_t stop;
	char err[1024];
	int opt, ret;
	bool tty = isatty(STDOUT_FILENO);

	prog_cmd = "ebpfmon run";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			printf("Usage: ebpfmon run [options]\n\n"
			       "Load the enabled modules and serve Prometheus text at /metrics.\n"
			       "Stops on SIGINT or SIGTERM.\n\n"
			       "  --listen ADDR:PORT      where to serve /metrics ([global] listen); a malformed\n"
			       "                          address exits 2, one that cannot be bound exits 1\n"
			       "  --web-config FILE       TLS and basic auth, in Prometheus exporters' web\n"
			       "                          config format ([global] web config file)\n"
			       "  --push URL              POST each collection as InfluxDB line protocol to\n"
			       "                          InfluxDB 1.x/2.x or DataKit ([output] push url)\n%s",
			       common_help);
			return 0;
		}
		if (opt == OPT_PUSH) {
			if (o.nr_set == sizeof(o.set) / sizeof(o.set[0]))
				return usage_error("too many options at '%s'", "--push");
			o.set[o.nr_set++] = (struct flag_setting){ "output", "push url", optarg };
			continue;
		}
		ret = common_opt(opt, &o);
		if (ret <= 0)
			return bad_option(argc, argv);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	agent_init(&a);
	ret = build_config(&a, &o);
	if (ret)
		goto out;
	push_every = push_collections(&a.cfg);
	if (push_every < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	block_stop_signals(&stop);
	/* Bind first: a taken address is reported before anything is loaded. */
	http = http_open(a.cfg.listen, a.cfg.web_config_file, &a.store, err, sizeof(err));
	if (!http) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		ret = 1;
		goto out;
	}
	ret = start_agent(&a);
	/* The first collection opens what later ones read (kmem.c), while still allowed to. */
	if (!ret)
		agent_collect(&a);
	/* Serve only once privileges are down: the server's thread starts with what we hold. */
	if (!ret)
		ret = drop_privileges(&a);
	if (!ret && push_every) {
		const char *token = a.cfg.push_token[0] ? a.cfg.push_token : getenv("EBPFMON_PUSH_TOKEN");

		pusher = push_start(&a.store, a.cfg.push_url, token, (unsigned int)push_every, err,
				    sizeof(err));
		if (!pusher) {
			fprintf(stderr, "%s: %s\n", prog_cmd, err);
			ret = 1;
		}
	}
	if (!ret && http_serve(http, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog_cmd, err);
		ret = 1;
	}
	if (ret) {
		push_stop(pusher);
		http_stop(http);
		goto out;
	}
	if (pusher)
		fprintf(stderr, "%s: pushing every %u s%s\n", prog_cmd,
			push_every * a.cfg.update_every,
			push_is_datakit(a.cfg.push_url) ? " (DataKit: metrics, netflow and bash logs)" : "");
	fprintf(stderr, "%s: serving http://%s/metrics (modules loaded in %.0f ms)\n", prog_cmd,
		a.cfg.listen, a.load_seconds * 1000);
	while (!wait_stop(&stop, a.cfg.update_every)) {
		agent_collect(&a);
		if (tty) {
			pthread_mutex_lock(&a.store.lock);
			summary_print(&a.store, stdout, a.cfg.update_every);
			pthread_mutex_unlock(&a.store.lock);
		}
	}
	push_stop(pusher);
	http_stop(http);
	fprintf(stderr, "%s: stopping\n", prog_cmd);
out:
	agent_free(&a);
	return ret;
}

/* ---- snapshot ---------------------------------------------------------- */

/*
 * Attach, say "attached" on stderr, count for @duration seconds (0: one
 * collection) or until SIGINT/SIGTERM, collect a last time. 0, or the exit
 * status (already explained).
 */
static int count_for(struct agent *a, const sigset_t *stop, double duration)
{
	double deadline;
	int ret = start_agent(a);

	if (ret)
		return ret;
	agent_collect(a);
	ret = drop_privileges(a);
	if (ret)
		return ret;
	fprintf(stderr, "attached\n");
	deadline = monotonic() + duration;
	/* Collect every interval too: it retires exited processes and keeps the table free. */
	for (;;) {
		double left = deadline - monotonic();

		if (left <= 0 || wait_stop(stop, left < a->cfg.update_every ? left : a->cfg.update_every))
			break;
		agent_collect(a);
	}
	agent_collect(a);
	return 0;
}

static int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONG_OPTS,
					      { "duration", required_argument, NULL, OPT_DURATION },
					      { "format", required_argument, NULL, OPT_FORMAT },
					      { 0 } };
	struct common_opts o = {};
	double duration = 10;
	bool json = false, influx = false;
	struct agent a;
	sigset_t stop;
	int opt, ret;

	prog_cmd = "ebpfmon snapshot";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			printf("Usage: ebpfmon snapshot [--duration SECONDS] [--format prometheus|json|influx] [options]\n\n"
			       "Attach, print 'attached' to stderr, count for the duration (or until\n"
			       "SIGINT/SIGTERM), print the totals since attach, detach.\n\n"
			       "  --duration D            10, 10s, 500ms, 2m (default 10s)\n"
			       "  --format F              prometheus (default), json (with per-PID rows) or\n"
			       "                          influx (InfluxDB line protocol, as pushed)\n%s",
			       common_help);
			return 0;
		case OPT_DURATION:
			if (parse_duration(optarg, &duration))
				return usage_error("bad --duration '%s': use seconds or 500ms, 10s, 2m", optarg);
			break;
		case OPT_FORMAT:
			json = !strcmp(optarg, "json");
			influx = !strcmp(optarg, "influx");
			if (!json && !influx && strcmp(optarg, "prometheus"))
				return usage_error("unknown --format '%s': use prometheus, json or influx", optarg);
			break;
		default:
			ret = common_opt(opt, &o);
			if (ret <= 0)
				return bad_option(argc, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	agent_init(&a);
	ret = build_config(&a, &o);
	if (ret)
		goto out;
	block_stop_signals(&stop);
	a.want_pids = json;
	ret = count_for(&a, &stop, duration);
	if (ret)
		goto out;
	pthread_mutex_lock(&a.store.lock);
	ret = json     ? json_render(&a.store, stdout, true)
	      : influx ? influx_render(&a.store, stdout, influx_now_ns())
		       : prometheus_render(&a.store, stdout);
	pthread_mutex_unlock(&a.store.lock);
	if (fflush(stdout) || ret) {
		fprintf(stderr, "%s: writing the output failed: %s\n", prog_cmd, strerror(errno));
		ret = 1;
	}
out:
	agent_free(&a);
	return ret;
}

/* ---- connections --------------------------------------------------------- */

static int cmd_connections(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONG_OPTS,
					      { "duration", required_argument, NULL, OPT_DURATION },
					      { "json", no_argument, NULL, OPT_JSON },
					      { "ports", required_argument, NULL, OPT_PORTS },
					      { "ips", required_argument, NULL, OPT_IPS },
					      { "hostnames", required_argument, NULL, OPT_HOSTNAMES },
					      { "ephemeral-port", required_argument, NULL, OPT_EPHEMERAL },
					      { "max-rows", required_argument, NULL, OPT_MAX_ROWS },
					      { "blacklist", required_argument, NULL, OPT_BLACKLIST },
					      { 0 } };
	static const struct {
		int opt;
		const char *key;
	} net_keys[] = { { OPT_PORTS, "ports" },
			 { OPT_IPS, "ips" },
			 { OPT_HOSTNAMES, "hostnames" },
			 { OPT_EPHEMERAL, "ephemeral port" },
			 { OPT_MAX_ROWS, "maximum dimensions" } };
	/* The NAT tags come with the viewer: conntrack costs a look per packet sent. */
	struct common_opts o = { .modules = "socket,conntrack" };
	double duration = 0;
	bool json = false;
	struct shared_text *text = NULL;
	struct agent a;
	sigset_t stop;
	int opt, ret;

	prog_cmd = "ebpfmon connections";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		bool net = false;

		for (unsigned int i = 0; i < sizeof(net_keys) / sizeof(net_keys[0]); i++) {
			if (net_keys[i].opt != opt)
				continue;
			if (o.nr_set == sizeof(o.set) / sizeof(o.set[0]))
				return usage_error("too many options at '%s'", optarg);
			o.set[o.nr_set++] = (struct flag_setting){ "network connections", net_keys[i].key,
								   optarg };
			net = true;
		}
		if (net)
			continue;
		switch (opt) {
		case OPT_HELP:
			printf("Usage: ebpfmon connections [--duration D] [--json] [--ports LIST] [--ips LIST]\n"
			       "                           [--hostnames LIST] [options]\n\n"
			       "The network viewer: one row per TCP or UDP connection (the local side\n"
			       "first), with its process, bytes read and written, retransmits and RTT.\n"
			       "Without --duration: the connections open now. With it: those open at\n"
			       "the end and those that ended during the window, their bytes counted\n"
			       "over the window. Sorted by bytes; the filters and limits of\n"
			       "[network connections] apply, and these flags override them.\n\n"
			       "  --duration D            watch for D (10s, 2m, 500ms)\n"
			       "  --json                  a JSON list of rows (DataKit's netflow fields)\n"
			       "  --ports LIST            e.g. '22 80 1000-2000 !8080 *' (first match decides)\n"
			       "  --ips LIST              e.g. '10.0.0.0/8 !127.0.0.1/8 *'\n"
			       "  --hostnames LIST        e.g. '*.example.com' (reverse-resolved names)\n"
			       "  --ephemeral-port N      show ports from N up as * so rows aggregate (0: off)\n"
			       "  --max-rows N            rows at most; the rest summed in one row\n"
			       "  --blacklist EXPR        drop rows DataKit's netlog rules match, e.g.\n"
			       "                          'tcp && (dst_port == 8080 || src_port == 8080)'\n%s",
			       common_help);
			return 0;
		case OPT_DURATION:
			if (parse_duration(optarg, &duration))
				return usage_error("bad --duration '%s': use seconds or 500ms, 10s, 2m", optarg);
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_BLACKLIST:
			if (o.nr_set == sizeof(o.set) / sizeof(o.set[0]))
				return usage_error("too many options at '%s'", optarg);
			o.set[o.nr_set++] = (struct flag_setting){ "global", "netlog blacklist", optarg };
			break;
		default:
			ret = common_opt(opt, &o);
			if (ret <= 0)
				return bad_option(argc, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	agent_init(&a);
	ret = build_config(&a, &o);
	if (ret)
		goto out;
	if (!config_module_enabled(&a.cfg, "socket")) {
		ret = usage_error("the socket module is not in %s", "--modules");
		goto out;
	}
	a.cfg.net.enabled = true;
	/* A window: what ended during it stays in the view. */
	socket_keep_ended(0);
	block_stop_signals(&stop);
	ret = count_for(&a, &stop, duration);
	if (ret)
		goto out;
	if (json) {
		ret = socket_connections_json(&text);
		if (!ret && fwrite(text->text, 1, text->len, stdout) != text->len)
			ret = -EIO;
		shared_text_put(text);
	} else {
		ret = socket_connections_text(stdout);
	}
	if (ret == -ENODEV)
		fprintf(stderr, "%s: the socket module did not start; see 'ebpfmon check'\n", prog_cmd);
	if (fflush(stdout) || ret) {
		if (ret != -ENODEV)
			fprintf(stderr, "%s: writing the output failed: %s\n", prog_cmd,
				strerror(ret ? -ret : errno));
		ret = 1;
	}
out:
	agent_free(&a);
	return ret;
}

/* ---- check ------------------------------------------------------------- */

static void print_fact(FILE *f, bool json, bool *first, const char *name, bool ok,
		       const char *detail)
{
	if (json) {
		fprintf(f, "%s\n    \"%s\": {\"available\": %s, \"detail\": \"%s\"}", *first ? "" : ",",
			name, ok ? "true" : "false", detail);
		*first = false;
	} else {
		fprintf(f, "  %-10s %s%s%s\n", name, ok ? "yes" : "no", detail[0] ? ": " : "", detail);
	}
}

/* JSON strings here come from our own tables and kernel error texts: escape quotes only. */
static const char *jstr(const char *s, char *buf, size_t len)
{
	size_t j = 0;

	for (; *s && j + 2 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[j++] = '\\';
		buf[j++] = *s;
	}
	buf[j] = 0;
	return buf;
}

/* A hook left out on purpose (this mode or breakdown does not need it), not for want of a rung. */
static bool hook_skipped(const char *why)
{
	return !strncmp(why, "not needed", 10) || !strncmp(why, "only used", 9) ||
	       !strncmp(why, "not counted", 11);
}

/*
 * Each hook: the implementation chosen and, in text, its whole ladder (so
 * an operator sees what a kernel without tp_btf or with kprobes would use).
 */
static void print_hooks(FILE *f, bool json, const struct hook_def *hooks, unsigned int n,
			const struct module_plan *plan)
{
	char b[512];

	for (unsigned int h = 0; h < n; h++) {
		int c = plan->chosen[h];
		const char *impl = c >= 0 ? hooks[h].impls[c].label : NULL;
		const char *why = plan->why[h];
		char ladder[160] = "";

		if (json) {
			fprintf(f, "%s{\"hook\": \"%s\", \"implementation\": %s%s%s, \"reason\": \"%s\"}",
				h ? ", " : "", hooks[h].name, impl ? "\"" : "", impl ? impl : "null",
				impl ? "\"" : "", jstr(why, b, sizeof(b)));
			continue;
		}
		for (unsigned int i = 0; hooks[h].nr_impls > 1 && i < hooks[h].nr_impls; i++)
			snprintf(ladder + strlen(ladder), sizeof(ladder) - strlen(ladder), "%s%s",
				 i ? " > " : "  [ladder: ", hooks[h].impls[i].label);
		if (ladder[0])
			snprintf(ladder + strlen(ladder), sizeof(ladder) - strlen(ladder), "]");
		if (!impl)
			fprintf(f, "    %-22s %s: %s%s\n", hooks[h].name,
				hook_skipped(why) ? "not used" : "unavailable", why, ladder);
		else if (why[0])
			fprintf(f, "    %-22s %s  (preferred unavailable: %s)%s\n", hooks[h].name, impl,
				why, ladder);
		else
			fprintf(f, "    %-22s %s%s\n", hooks[h].name, impl, ladder);
	}
}

static void print_modules(struct agent *a, FILE *f, bool json)
{
	char b[512];

	for (unsigned int i = 0; i < a->nr_insts; i++) {
		struct module_inst *mi = &a->insts[i];
		const struct module *m = mi->mod;
		bool planned = mi->stats->state == MODULE_FAILED; /* planned, not loaded */
		const char *state = planned ? "available" : module_state_name(mi->stats->state);

		if (json) {
			fprintf(f, "%s\n    {\"name\": \"%s\", \"state\": \"%s\", \"reason\": \"%s\", ",
				i ? "," : "", m->name, state, jstr(mi->stats->reason, b, sizeof(b)));
			fprintf(f, "\"privileges\": \"%s\", \"hooks\": [", jstr(m->privileges, b, sizeof(b)));
		} else {
			fprintf(f, "  %-8s %s%s%s\n", m->name, state, mi->stats->reason[0] ? ": " : "",
				mi->stats->reason);
			if (mi->off_planned)
				fprintf(f, "    on this kernel: %s%s%s\n",
					mi->off_usable ? "available if switched on" : "unavailable",
					mi->off_usable ? "" : ": ", mi->off_usable ? "" : mi->plan.reason);
			fprintf(f, "    privileges: %s\n", m->privileges);
		}
		if (planned || (mi->off_planned && mi->off_usable))
			print_hooks(f, json, m->hooks, m->nr_hooks, &mi->plan);
		if (json && mi->off_planned)
			fprintf(f, "], \"kernel\": \"%s\", \"kernel_reason\": \"%s\"}",
				mi->off_usable ? "available" : "unavailable",
				mi->off_usable ? "" : jstr(mi->plan.reason, b, sizeof(b)));
		else if (json)
			fprintf(f, "]}");
	}
}

static double mib(uint64_t b)
{
	return b / 1048576.0;
}

/* The accounting core's hooks, and what its maps cost here and on a large server. */
static void print_core(struct agent *a, FILE *f, bool json)
{
	const struct module_plan *plan = &a->acct_plan.plan;
	struct acct_mem_estimate here, big;
	int cpus = libbpf_num_possible_cpus();

	if (acct_estimate_memory(&a->cfg, cpus, &here) ||
	    acct_estimate_memory(&a->cfg, KMEM_PROJECT_CPUS, &big))
		memset(&here, 0, sizeof(here)), memset(&big, 0, sizeof(big));
	if (json) {
		fprintf(f, ",\n    {\"name\": \"core\", \"state\": \"available\", \"reason\": \"\", \"hooks\": [");
		print_hooks(f, json, acct_core_hooks, acct_nr_core_hooks, plan);
		fprintf(f, "], \"kernel_memory\": {\"cpus\": %d, \"bytes\": %llu, \"bytes_at_%d_cpus\": %llu, "
			   "\"bytes_per_thread\": %llu, \"bytes_per_process\": %llu}}",
			cpus, (unsigned long long)here.fixed_here, KMEM_PROJECT_CPUS,
			(unsigned long long)big.fixed_at, (unsigned long long)here.per_thread,
			(unsigned long long)here.per_process);
		return;
	}
	fprintf(f, "accounting core (");
	for (unsigned int i = 0, n = 0; i < nr_modules; i++)
		if (modules[i]->acct)
			fprintf(f, "%s%s", n++ ? ", " : "", modules[i]->name);
	fprintf(f, " count through it):\n");
	print_hooks(f, json, acct_core_hooks, acct_nr_core_hooks, plan);
	fprintf(f, "kernel memory of the core's maps: %.2f MiB at load here (%d CPUs), %.2f MiB at %d CPUs;\n"
		   "  then %llu bytes per live thread that counted something, %llu per live process\n",
		mib(here.fixed_here), cpus, mib(big.fixed_at), KMEM_PROJECT_CPUS,
		(unsigned long long)here.per_thread, (unsigned long long)here.per_process);
	if (here.per_socket_process || here.per_connection)
		fprintf(f, "  socket: %llu bytes per thread and %llu per process using sockets (at most\n"
			   "  %llu processes: %.2f MiB), %llu per connection (at most %llu: %.2f MiB)\n",
			(unsigned long long)here.per_socket_thread,
			(unsigned long long)here.per_socket_process,
			(unsigned long long)here.max_socket_processes,
			mib(here.per_socket_process * here.max_socket_processes),
			(unsigned long long)here.per_connection, (unsigned long long)here.max_connections,
			mib(here.per_connection * here.max_connections));
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONG_OPTS,
					      { "json", no_argument, NULL, OPT_JSON },
					      { 0 } };
	struct common_opts o = {};
	bool json = false, first = true;
	const char *fatal;
	struct agent a;
	int opt, ret;
	char buf[256], detail[256];

	prog_cmd = "ebpfmon check";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			printf("Usage: ebpfmon check [--json] [options]\n\n"
			       "Kernel facts, and for each module and hook the implementation chosen\n"
			       "or 'unavailable: <reason>'. Loads nothing.\n\n"
			       "  --json                  machine-readable output\n%s",
			       common_help);
			return 0;
		}
		if (opt == OPT_JSON) {
			json = true;
			continue;
		}
		ret = common_opt(opt, &o);
		if (ret <= 0)
			return bad_option(argc, argv);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	agent_init(&a);
	ret = build_config(&a, &o);
	if (ret)
		goto out;
	caps_probe(&a.caps);
	fatal = agent_fatal_reason(&a.caps);
	a.probe_off = true; /* say what this kernel could run, not only what is on */
	if (!fatal && agent_plan(&a)) {
		fprintf(stderr, "%s: internal error: more modules than the store holds\n", prog_cmd);
		ret = 1;
		goto out;
	}

	if (json)
		printf("{\n  \"version\": \"%s\",\n  \"kernel\": \"%s\",\n  \"fatal\": \"%s\",\n  \"features\": {",
		       EBPFMON_VERSION, a.caps.kernel, fatal ? jstr(fatal, buf, sizeof(buf)) : "");
	else
		printf("ebpfmon %s on Linux %s\nkernel:\n", EBPFMON_VERSION, a.caps.kernel);
	print_fact(stdout, json, &first, "root", a.caps.root_caps,
		   a.caps.root_caps ? "" : "needs CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN");
	print_fact(stdout, json, &first, "btf", a.caps.btf, a.caps.btf ? "/sys/kernel/btf/vmlinux" : "no /sys/kernel/btf/vmlinux");
	snprintf(detail, sizeof(detail), "%s%s", a.caps.tracefs ? a.caps.tracefs_path : a.caps.tracefs_reason,
		 a.caps.tracefs_mounted_by_us ? " (mounted by ebpfmon)" : "");
	print_fact(stdout, json, &first, "tracefs", a.caps.tracefs, jstr(detail, buf, sizeof(buf)));
	print_fact(stdout, json, &first, "tp_btf", a.caps.tp_btf, jstr(a.caps.tp_btf_reason, buf, sizeof(buf)));
	print_fact(stdout, json, &first, "raw_tp", a.caps.raw_tp, "");
	print_fact(stdout, json, &first, "fentry", a.caps.fentry, jstr(a.caps.fentry_reason, buf, sizeof(buf)));
	print_fact(stdout, json, &first, "kprobes", a.caps.kprobes, jstr(a.caps.kprobes_reason, buf, sizeof(buf)));
	if (json)
		printf("\n  },\n  \"modules\": [");
	else
		printf("modules:\n");
	if (!fatal)
		print_modules(&a, stdout, json);
	if (!fatal && a.acct_wanted)
		print_core(&a, stdout, json);
	if (json)
		printf("\n  ]\n}\n");
	if (fatal) {
		fprintf(stderr, "%s: %s\n", prog_cmd, fatal);
		ret = 1;
	}
out:
	agent_free(&a);
	return ret;
}

/* ---- metrics: the reference of every metric, from the module tables ----- */

static void metric_row(bool md, const char *name, const char *type, const char *labels,
		       const char *netdata, const char *help)
{
	if (md)
		printf("| `%s` | %s | %s | %s | %s |\n", name, type, labels, netdata[0] ? netdata : "-",
		       help);
	else
		printf("%-48s %-8s %s\n", name, type, help);
}

/*
 * The end of the metric family that starts at def @d of @m, and for a family
 * told apart by a fixed label, "; call: sync, fsync, ..." in @fixed.
 */
static unsigned int family_of(const struct module *m, unsigned int d, char *fixed, size_t len)
{
	unsigned int end = d + 1;
	size_t used;

	if (!m->defs[d].fixed_label)
		return end;
	used = (size_t)snprintf(fixed, len, "; %s: %s", m->defs[d].fixed_label,
				m->defs[d].fixed_value);
	for (; end < m->nr_defs && store_def_same_family(&m->defs[d], &m->defs[end]); end++)
		if (used < len)
			used += (size_t)snprintf(fixed + used, len - used, ", %s",
						 m->defs[end].fixed_value);
	return end;
}

/* The distinct Netdata charts (or per-application contexts) of defs [@d, @end) of @m. */
static void family_charts(const struct module *m, unsigned int d, unsigned int end, bool app,
			  char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (unsigned int k = d; k < end; k++) {
		const char *c = app ? m->defs[k].netdata_app_chart : m->defs[k].netdata_chart;
		bool seen = false;

		if (!c || !*c)
			continue;
		for (unsigned int j = d; j < k && !seen; j++)
			seen = !strcmp(c, app ? m->defs[j].netdata_app_chart : m->defs[j].netdata_chart);
		if (!seen && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", c);
	}
}

/* Netdata's systemd.service.* contexts of defs [@d, @end) of @m (core/cgroup_meta.c). */
static void family_service_charts(const struct module *m, unsigned int d, unsigned int end,
				  char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (unsigned int k = d; k < end; k++) {
		const char *c = cgroup_meta_service_context(m->defs[k].netdata_app_chart,
							    m->defs[k].netdata_chart);

		if (*c && !strstr(out, c) && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", c);
	}
}

static int cmd_metrics(int argc, char **argv)
{
	bool md = argc > 1 && !strcmp(argv[1], "--markdown");
	char name[160], help[320];

	if (argc > 1 && !md) {
		if (!strcmp(argv[1], "--help")) {
			printf("Usage: ebpfmon metrics [--markdown]\n\nList every metric ebpfmon exports.\n");
			return 0;
		}
		prog_cmd = "ebpfmon metrics";
		return usage_error("unknown option '%s'", argv[1]);
	}
	if (md)
		printf("| metric | type | labels | Netdata chart / context | meaning |\n|---|---|---|---|---|\n");
	for (unsigned int i = 0; i < nr_modules; i++) {
		const struct module *m = modules[i];

		for (unsigned int d = 0, end; d < m->nr_defs; d = end) {
			const struct counter_def *def = &m->defs[d];
			const char *type = def->kind == COUNTER_TOTAL ? "counter"
					   : def->kind == HISTOGRAM   ? "histogram"
								      : "gauge";
			const char *labels = def->labeled ? m->row_labels : "";
			char fixed[160] = "", app_labels[48], cg_labels[96], svc_labels[48];
			const char *prefix = m->metric_prefix ? m->metric_prefix : m->name;
			char charts[160], app_charts[160], svc_charts[160];

			end = family_of(m, d, fixed, sizeof(fixed));
			family_charts(m, d, end, false, charts, sizeof(charts));
			family_charts(m, d, end, true, app_charts, sizeof(app_charts));
			snprintf(help, sizeof(help), "%s%s%s", def->help, fixed,
				 def->is_error ? " (not in `ebpf load mode = entry`)" : "");
			snprintf(name, sizeof(name), "ebpfmon_%s_%s", prefix, def->name);
			if (def->fixed_label)
				labels = def->fixed_label;
			metric_row(md, name, type, labels, charts, help);
			if (m->row_labels || !store_def_broken_down(def))
				continue; /* no per-application or per-cgroup series */
			snprintf(app_labels, sizeof(app_labels), "app%s%s", *labels ? ", " : "", labels);
			/* And what the path says: service, container_*, pod_* (README). */
			snprintf(cg_labels, sizeof(cg_labels), "cgroup, service, container_\\*, pod_\\*%s%s",
				 *labels ? ", " : "", labels);
			snprintf(svc_labels, sizeof(svc_labels), "service%s%s", *labels ? ", " : "", labels);
			snprintf(name, sizeof(name), "ebpfmon_app_%s_%s", prefix, def->name);
			metric_row(md, name, type, app_labels, app_charts, help);
			snprintf(name, sizeof(name), "ebpfmon_cgroup_%s_%s", prefix, def->name);
			metric_row(md, name, type, cg_labels, "", help);
			family_service_charts(m, d, end, svc_charts, sizeof(svc_charts));
			snprintf(name, sizeof(name), "ebpfmon_service_%s_%s", prefix, def->name);
			metric_row(md, name, type, svc_labels, svc_charts, help);
		}
	}
	metric_row(md, "ebpfmon_build_info", "gauge", "version, libbpf", "", "Always 1; the labels say what runs");
	metric_row(md, "ebpfmon_module_up", "gauge", "module", "",
		   "1 when the module is loaded and attached; `ebpfmon check` says why not");
	metric_row(md, "ebpfmon_lost_events_total", "counter", "module, table", "",
		   "Events not attributed to a process (table=pid) or cgroup (table=cgroup) because the table was full; host totals still count them");
	metric_row(md, "ebpfmon_collections_total", "counter", "", "", "Collections of the kernel maps since start");
	metric_row(md, "ebpfmon_collection_duration_seconds", "histogram", "le", "",
		   "Time each collection took (reading the kernel and publishing)");
	metric_row(md, "ebpfmon_last_collection_duration_seconds", "gauge", "", "",
		   "Time the last collection took");
	metric_row(md, "ebpfmon_agent_cpu_seconds_total", "counter", "mode", "",
		   "CPU time of the ebpfmon process (user, system); its BPF programs run in the traced tasks");
	metric_row(md, "ebpfmon_agent_resident_memory_bytes", "gauge", "", "",
		   "Resident memory of the ebpfmon process");
	metric_row(md, "ebpfmon_hook_info", "gauge", "module, hook, impl", "netdata.ebpf_load_methods",
		   "1 for the implementation each hook of a running module uses (tp_btf, tracepoint, iter, kprobe...)");
	metric_row(md, "ebpfmon_map_entries", "gauge", "module, map", "netdata.ebpf_hash_tables_count",
		   "Entries in each hash table now, as the kernel counts them (kernels from 6.6)");
	metric_row(md, "ebpfmon_map_max_entries", "gauge", "module, map", "",
		   "Entries each hash table can hold: with ebpfmon_map_entries, how full it is");
	metric_row(md, "ebpfmon_push_sent_total", "counter", "", "",
		   "Bodies a push receiver accepted (2xx); only with a push URL");
	metric_row(md, "ebpfmon_push_failed_total", "counter", "", "",
		   "Push attempts that failed (no connection, timeout, non-2xx); each is retried with backoff");
	metric_row(md, "ebpfmon_push_dropped_total", "counter", "", "",
		   "Push bodies given up: the queue was full, the attempts ran out or the receiver refused it (4xx)");
	metric_row(md, "ebpfmon_kernel_map_bytes", "gauge", "module, map", "netdata.ebpf_kernel_memory",
		   "Kernel memory of each BPF map (fdinfo memlock; per-thread records counted at their allocation size)");
	metric_row(md, "ebpfmon_bpf_program_misses_total", "counter", "module, program", "",
		   "Runs of a BPF program the kernel skipped (already running on that CPU): events lost to every breakdown");
	metric_row(md, "ebpfmon_accounting_records", "gauge", "", "",
		   "Threads with a per-thread record of the accounting core");
	metric_row(md, "ebpfmon_accounting_epochs", "gauge", "", "",
		   "Processes (per name) in the kernel's epoch table");
	metric_row(md, "ebpfmon_accounting_retired_total", "counter", "", "",
		   "Epochs whose last thread is gone, handed to user space");
	metric_row(md, "ebpfmon_accounting_events_total", "counter", "event", "",
		   "epoch_table_full, record_failed, join_raced: events without their per-application split (host totals keep them); ringbuf_full: retired by user space instead, nothing lost");
	metric_row(md, "ebpfmon_accounting_apps", "gauge", "", "",
		   "Application rows held; `apps max` bounds them, `other` comes on top");
	metric_row(md, "ebpfmon_accounting_apps_overflow_total", "counter", "", "",
		   "Process names counted into the application `other` because `apps max` rows existed (a name forgotten after `series retention` counts again)");
	metric_row(md, "ebpfmon_accounting_apps_retired_total", "counter", "", "",
		   "Application rows dropped: no process left and no count for `series retention`");
	return 0;
}

static int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONG_OPTS, { 0 } };
	struct common_opts o = {};
	struct agent a;
	int ret;

	prog_cmd = "ebpfmon config";
	ret = only_common_opts(argc, argv, opts,
			       "Usage: ebpfmon config [options]\n\n"
			       "Without options: the built-in default configuration, every key explained.\n"
			       "With --config FILE (and any other option): the configuration in effect,\n"
			       "the files read (Netdata's ebpf.d/<module>.conf beside FILE too), and each\n"
			       "key accepted but ignored, with its FILE:LINE and the reason.\n\n",
			       &o);
	if (ret >= 0)
		return ret;
	if (argc == 1) {
		fputs(config_embedded_default, stdout);
		return 0;
	}
	agent_init(&a);
	ret = build_config(&a, &o);
	if (!ret)
		config_write_effective(&a.cfg, stdout);
	agent_free(&a);
	return ret;
}

/* ---- netdata: Netdata's external plugin (plugins.d) ------------------------ */

/*
 * `ebpfmon netdata [UPDATE_EVERY]`, or the binary named ebpfmon.plugin as
 * Netdata starts it (UPDATE_EVERY in argv[1]). Charts on stdout, flushed
 * after each collection; stdin is never read. When nothing can run, DISABLE
 * (Netdata then does not restart us); when Netdata closes the pipe, stop.
 */
static int cmd_netdata(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONG_OPTS, { 0 } };
	struct common_opts o = {};
	struct netdata_writer *w = NULL;
	struct agent a;
	sigset_t stop;
	double last;
	int opt, ret;

	prog_cmd = "ebpfmon netdata";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			printf("Usage: ebpfmon netdata [UPDATE_EVERY] [options]\n"
			       "       ebpfmon.plugin [UPDATE_EVERY]   (a link named so, in Netdata's plugins.d)\n\n"
			       "Speak Netdata's external plugin protocol on stdout: host charts with\n"
			       "Netdata's ids and contexts, per application (app.*, label app_group),\n"
			       "per cgroup (cgroup_*) and per service (systemd_*). Stops on SIGINT,\n"
			       "SIGTERM or when stdout is closed; says DISABLE when nothing can run.\n\n%s",
			       common_help);
			return 0;
		}
		ret = common_opt(opt, &o);
		if (ret <= 0)
			return bad_option(argc, argv);
	}
	if (optind < argc) {
		char *end;
		long every = strtol(argv[optind], &end, 10);

		if (*end || end == argv[optind] || every < 1 || every > 86400)
			return usage_error("bad UPDATE_EVERY '%s': use whole seconds from 1 to 86400",
					   argv[optind]);
		if (optind + 1 < argc)
			return usage_error("unexpected argument '%s'", argv[optind + 1]);
		if (o.nr_set == sizeof(o.set) / sizeof(o.set[0]))
			return usage_error("too many options at '%s'", argv[optind]);
		o.set[o.nr_set++] = (struct flag_setting){ "global", "update every", argv[optind] };
	}

	agent_init(&a);
	ret = build_config(&a, &o);
	if (ret)
		goto out;
	block_stop_signals(&stop);
	ret = start_agent(&a);
	if (!ret)
		agent_collect(&a);
	if (!ret)
		ret = drop_privileges(&a);
	if (!ret) {
		w = netdata_writer_new(a.cfg.update_every);
		if (!w) {
			fprintf(stderr, "%s: out of memory\n", prog_cmd);
			ret = 1;
		}
	}
	if (ret) {
		printf("DISABLE\n");
		fflush(stdout);
		goto out;
	}
	last = monotonic();
	pthread_mutex_lock(&a.store.lock);
	ret = netdata_render(w, &a.store, 0, stdout);
	pthread_mutex_unlock(&a.store.lock);
	while (!ret && !fflush(stdout) && !wait_stop(&stop, a.cfg.update_every)) {
		double now;

		agent_collect(&a);
		now = monotonic();
		pthread_mutex_lock(&a.store.lock);
		ret = netdata_render(w, &a.store, (uint64_t)((now - last) * 1e6), stdout);
		pthread_mutex_unlock(&a.store.lock);
		last = now;
	}
	/* Netdata closed our stdout (EPIPE): it stopped us; that is no failure. */
	if (ferror(stdout) && errno != EPIPE)
		fprintf(stderr, "%s: writing to Netdata failed: %s\n", prog_cmd, strerror(errno));
	fprintf(stderr, "%s: stopping\n", prog_cmd);
	ret = 0;
out:
	netdata_writer_free(w);
	agent_free(&a);
	return ret;
}

/* ---- dispatch ---------------------------------------------------------- */

static void main_usage(FILE *f)
{
	fprintf(f,
		"Usage: ebpfmon COMMAND [options]\n\n"
		"eBPF observability agent: processes, files and VFS I/O per host, application\n"
		"and cgroup, exported to Prometheus.\n\n"
		"Commands:\n"
		"  run        load the modules and serve /metrics (Prometheus) until stopped\n"
		"  check      what this kernel allows, and which hook each module would use\n"
		"  snapshot   count for a while, print the totals, exit\n"
		"  flows      per-flow packets and bytes from TC/TCX, XDP or per process\n"
		"  connections  TCP and UDP connections with their process, bytes, RTT (network viewer)\n"
		"  bash       commands typed into interactive bash shells (readline)\n"
		"  http       HTTP/1.x requests per process, method, path, status (plain and TLS)\n"
		"  dns        DNS requests paired with answers: DataKit's dnsflow rows\n"
		"  metrics    list every metric (--markdown for docs/metrics.md)\n"
		"  config     print the built-in default configuration, every key explained\n"
		"  netdata    Netdata external plugin: charts on stdout (also as ebpfmon.plugin)\n\n"
		"  ebpfmon COMMAND --help   options of a command\n"
		"  ebpfmon --version\n\n"
		"Exit status: 0 success; 1 runtime failure (no privileges, no module could\n"
		"start, the listen address cannot be bound); 2 usage or configuration error\n"
		"(a bad flag or value, a bad configuration or apps groups file: one line\n"
		"naming FILE:LINE, the problem and what to do).\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = { { "run", cmd_run },
		     { "check", cmd_check },
		     { "snapshot", cmd_snapshot },
		     { "flows", cmd_flows },
		     { "http", cmd_http },
		     { "connections", cmd_connections },
		     { "bash", cmd_bash },
		     { "dns", cmd_dns },
		     { "metrics", cmd_metrics },
		     { "config", cmd_config },
		     { "netdata", cmd_netdata } };
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;

	/* Netdata starts plugins by file name: a link named ebpfmon.plugin is this mode. */
	base = base ? base + 1 : argv[0];
	if (base && !strcmp(base, "ebpfmon.plugin"))
		return cmd_netdata(argc, argv);
	if (argc < 2) {
		fprintf(stderr, "ebpfmon: no command given; commands: run, check, snapshot, flows, connections, bash, http, dns, metrics, config, netdata (see 'ebpfmon --help')\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ebpfmon %s (libbpf %d.%d)\n", EBPFMON_VERSION, libbpf_major_version(),
		       libbpf_minor_version());
		return 0;
	}
	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ebpfmon: unknown command '%s'; commands: run, check, snapshot, flows, connections, bash, http, dns, metrics, config, netdata (see 'ebpfmon --help')\n",
		argv[1]);
	return EXIT_USAGE;
}
