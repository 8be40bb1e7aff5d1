// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration layers: config_init() (built-in values), then INI text (the
 * embedded default, then a file), then command-line flags through the same
 * config_set(), so a flag and a file key can never disagree on validation.
 *
 * INI syntax is inih's, with three adjustments made in our line reader:
 *  - leading blanks are dropped, so keys may be indented under their section
 *    (inih would otherwise read an indented line as the continuation of the
 *    previous value);
 *  - '#' after a blank starts an inline comment, like inih's own ';';
 *  - a line too long for inih's fixed buffer is an error instead of being
 *    silently split in two.
 * "key: value" is accepted as well as "key = value" (inih does that).
 *
 * A key given twice in one file is an error rather than "the last one wins":
 * with layered files, a second copy further down is more often a mistake
 * than a choice, and a monitoring agent should not guess which was meant.
 * Files are read whole first (see textfile.c), so a NUL byte, which inih's
 * line reader would take for the end of the line, is reported too.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/blacklist.h"
#include "core/config.h"
#include "modules/socket/conn_table.h"
#include "core/text.h"
#include "core/textfile.h"
#include "core/web_config.h"
#include "export/push.h"

#define SECTION_GLOBAL "global"
#define SECTION_PROGRAMS "ebpf programs"
#define SECTION_NET "network connections"
#define SECTION_SERVICES "service name"
#define SECTION_OUTPUT "output"
/* Netdata's: [ipc] of ebpf.d.conf, [filesystem] and [syscalls] of its module files. */
#define SECTION_IPC "ipc"
#define SECTION_FILESYSTEM "filesystem"
#define SECTION_SYSCALLS "syscalls"
#define KNOWN_SECTIONS                                                                   \
	"[" SECTION_GLOBAL "], [" SECTION_PROGRAMS "], [" SECTION_NET "], [" SECTION_SERVICES \
	"], [" SECTION_OUTPUT "], [" SECTION_IPC "], [" SECTION_FILESYSTEM "], [" SECTION_SYSCALLS "]"

/* set_*() results besides 0 and -1: the key is valid and has no effect here (reason in err). */
#define KEY_IGNORED 1
/* The text being loaded is not a module's file. */
#define NO_MODULE (-1)

/* Keep the text and the defaults in config_init() in step; a unit test checks it. */
const char config_embedded_default[] =
	"# ebpfmon configuration.\n"
	"#\n"
	"# Read in layers: this built-in text, then the file given with --config\n"
	"# (default " CONFIG_DEFAULT_PATH "), then command-line flags; each layer\n"
	"# overrides the one before. Key names follow Netdata's ebpf.d.conf where\n"
	"# Netdata has them. A comment starts a line with '#' or ';', or follows a\n"
	"# blank inside a line. Keys may be indented. Each key is set at most once\n"
	"# per file; a line is at most 198 characters.\n"
	"\n"
	"[global]\n"
	"\t# Seconds between two collections, 1 to 3600 (\"10s\" and \"1m\" work too).\n"
	"\tupdate every = 1\n"
	"\n"
	"\t# 'return' counts at the syscall's exit: calls, bytes and errors.\n"
	"\t# 'entry' keeps calls and bytes, drops the error series and the hooks only\n"
	"\t# they need. Both use the same tracepoints: see docs/metrics.md.\n"
	"\t# 'light' uses no syscall hook at all (any syscall tracepoint slows every\n"
	"\t# syscall of every task): processes from scheduler tracepoints, read/write\n"
	"\t# calls and bytes from the kernel's own per-task I/O accounting; no fd\n"
	"\t# module, no open/close/unlink/fsync, no errors.\n"
	"\tebpf load mode = return\n"
	"\n"
	"\t# Break the numbers down per application (see 'apps groups file').\n"
	"\tapps = yes\n"
	"\n"
	"\t# Break the numbers down per cgroup (systemd service, container, pod).\n"
	"\tcgroups = no\n"
	"\t# With cgroups: name containers (container_name, pod_name, pod_namespace)\n"
	"\t# by asking their runtime, off the collection path: Docker's API, CRI\n"
	"\t# (gRPC) of containerd and CRI-O. An empty socket is not asked.\n"
	"\tcontainer names = yes\n"
	"\tdocker socket = /var/run/docker.sock\n"
	"\tcontainerd socket = /run/containerd/containerd.sock\n"
	"\tcrio socket = /var/run/crio/crio.sock\n"
	"\n"
	"\t# Processes tracked at once in the kernel, 16 to 4194304. When the\n"
	"\t# table is full, further events are counted in an overflow counter.\n"
	"\tpid table size = 32768\n"
	"\n"
	"\t# Netdata's switch for per-CPU tables. Accepted and ignored: ebpfmon\n"
	"\t# counts into one record per thread, which no other CPU writes, so\n"
	"\t# there is no per-CPU copy to choose (kernel memory follows the live\n"
	"\t# threads, not the CPUs).\n"
	"\tmaps per core = yes\n"
	"\n"
	"\t# The flows module (off by default) counts packets and bytes per\n"
	"\t# direction and protocol on this interface, through TC. Empty: the\n"
	"\t# first interface that is up and not loopback.\n"
	"\tflows interface =\n"
	"\n"
	"\t# The bash module (off by default) hooks readline in /bin/bash,\n"
	"\t# /usr/bin/bash, /usr/local/bin/bash and bash in $PATH; more bash\n"
	"\t# binaries here, separated by blanks (each file once).\n"
	"\tbash paths =\n"
	"\n"
	"\t# The dnsflow module (off by default) pairs DNS queries and answers\n"
	"\t# to and from this UDP and TCP port.\n"
	"\tdns port = 53\n"
	"\n"
	"\t# Cgroups tracked at once in the kernel, 16 to 1048576.\n"
	"\tcgroup table size = 1024\n"
	"\n"
	"\t# Application rows at most, 1 to 1000000. Names beyond it are counted\n"
	"\t# together as the application 'other' (and in\n"
	"\t# ebpfmon_accounting_apps_overflow_total).\n"
	"\tapps max = 1000\n"
	"\n"
	"\t# How long the rows of applications with no process left and of\n"
	"\t# removed cgroups stay exported after their last count; then they go.\n"
	"\tseries retention = 5m\n"
	"\n"
	"\t# HTTP endpoint for Prometheus: ADDR:PORT, [IPv6]:PORT, or :PORT for\n"
	"\t# every address.\n"
	"\tlisten = 127.0.0.1:9435\n"
	"\n"
	"\t# Groups processes into applications, in the format of Netdata's\n"
	"\t# apps_groups.conf. Empty: each process name is its own application.\n"
	"\tapps groups file =\n"
	"\n"
	"\t# TLS and basic auth for the HTTP endpoint: a YAML file in the format of\n"
	"\t# Prometheus exporters' --web.config.file (tls_server_config with\n"
	"\t# cert_file and key_file, basic_auth_users with bcrypt hashes). Empty:\n"
	"\t# plain HTTP, no auth.\n"
	"\tweb config file =\n"
	"\n"
	"\t# The socket module's kernel tables (Netdata's network.conf): processes\n"
	"\t# with socket counts, and the connections of the network viewer by\n"
	"\t# kind, each 16 to 4194304. What does not fit is counted in\n"
	"\t# ebpfmon_socket_table_full_total and the host totals.\n"
	"\tbandwidth table size = 16384\n"
	"\tipv4 connection table size = 16384\n"
	"\tipv6 connection table size = 16384\n"
	"\tudp connection table size = 4096\n"
	"\n"
	"\t# DataKit's netlog blacklist: rules (separated by ';') that drop network\n"
	"\t# rows from the network viewer and the pushed netflow, e.g.\n"
	"\t# tcp && (dst_port == 8080 || src_port == 8080); ipnet_contains(\"127.0.0.0/8\", ip_daddr)\n"
	"\t# Names: tcp udp ipv4 ipv6 src_port dst_port ip_saddr ip_daddr ip6_saddr\n"
	"\t# ip6_daddr k8s_src_pod k8s_dst_pod; functions ipnet_contains, has_prefix.\n"
	"\tnetlog blacklist =\n"
	"\n"
	"\t# Netdata's choice of eBPF object (auto, legacy, co-re) and attach method\n"
	"\t# (trampoline, probe, tracepoint). Accepted so Netdata's own files load;\n"
	"\t# ebpfmon probes the kernel for every hook instead (see ebpfmon check).\n"
	"\tebpf type format = auto\n"
	"\tebpf co-re tracing = trampoline\n"
	"\n"
	"# Modules to run: <module> = yes|no. A module not listed here keeps its\n"
	"# built-in default; an unknown name is an error.\n"
	"[ebpf programs]\n"
	"\tprocess = yes\n"
	"\tfd = yes\n"
	"\tvfs = yes\n"
	"\tsync = yes\n"
	"\tmount = yes\n"
	"\tshm = no\n"
	"\toomkill = yes\n"
	"\thardirq = yes\n"
	"\tsoftirq = yes\n"
	"\tcachestat = no\n"
	"\tswap = no\n"
	"\t# flows = yes: per-direction, per-protocol packet and byte totals\n"
	"\t# on 'flows interface' (off by default).\n"
	"\t# Block request latency per disk (Netdata's disk.latency_io).\n"
	"\tdisk = no\n"
	"\t# MD (software RAID) flushes per array; needs kprobes or fentry.\n"
	"\tmdflush = no\n"
	"\t# Latency histograms of read, write, open and sync on ext4, xfs, btrfs,\n"
	"\t# nfs and zfs files. Its syscall hooks slow every syscall of every task.\n"
	"\tfilesystem = no\n"
	"\t# Directory-cache lookups: kernel-function hooks only (fentry or kprobes,\n"
	"\t# no tracepoint exists); unavailable where neither attaches.\n"
	"\tdcstat = no\n"
	"\t# TCP and UDP calls, bytes, connections and retransmits per application\n"
	"\t# and cgroup, and the connection table of the network viewer.\n"
	"\tsocket = yes\n"
	"\t# DataKit's NAT tags: the real destination (dst_nat_ip, dst_nat_port) of\n"
	"\t# connections that DNAT rewrote, in the network viewer. Costs a look at\n"
	"\t# every packet sent (net:net_dev_start_xmit); ebpfmon connections turns\n"
	"\t# it on by itself.\n"
	"\tconntrack = no\n"
	"\t# Commands typed into interactive bash shells (DataKit's bash log):\n"
	"\t# a uretprobe on readline in each bash binary ('bash paths').\n"
	"\tbash = no\n"
	"\t# HTTP/1.x requests per process, method, path and status with their\n"
	"\t# latency (DataKit's httpflow), plain and TLS (libssl uprobes). Its\n"
	"\t# syscall hooks slow every syscall of every task.\n"
	"\thttpflow = no\n"
	"\t# HTTPS too, through uprobes on SSL_read/SSL_write of every libssl the\n"
	"\t# processes map (with httpflow on).\n"
	"\thttpflow tls = no\n"
	"\t# DataKit's dnsflow: DNS requests paired with their answers per\n"
	"\t# application and rcode, and their latency ('dns port', every socket\n"
	"\t# of the host in every network namespace; ebpfmon dns shows the rows).\n"
	"\tdnsflow = no\n"
	"\n"
	"# The network viewer (ebpfmon connections, /api/v1/connections), as in\n"
	"# Netdata's network.conf.\n"
	"[network connections]\n"
	"\t# Keep the connection table (the socket module's per-application\n"
	"\t# retransmits and closes use it too).\n"
	"\tenabled = yes\n"
	"\t# Rows shown at most, 1 to 100000; the rest are summed in one row.\n"
	"\tmaximum dimensions = 50\n"
	"\t# Show the remote side by its reverse-DNS name (rows shown only, names\n"
	"\t# kept; the lookups block the collection while they last).\n"
	"\tresolve hostnames = no\n"
	"\t# Show ports by name ([service name], then /etc/services).\n"
	"\tresolve service names = no\n"
	"\t# Filters: space-separated patterns, the first that matches decides, '!'\n"
	"\t# excludes, '*' is anything. ports: numbers, ranges (1000-2000), service\n"
	"\t# names; ips: addresses, CIDR (10.0.0.0/8), ranges (a-b); hostnames: wildcards\n"
	"\t# against the remote address's name.\n"
	"\tports = *\n"
	"\tips = *\n"
	"\thostnames = *\n"
	"\t# DataKit's collapse of the ephemeral side of a connection: ports from\n"
	"\t# this one up are shown as * so connections aggregate. 0: off.\n"
	"\tephemeral port = 0\n"
	"\n"
	"# Names of ports for the viewer: PORT = NAME (before /etc/services).\n"
	"[service name]\n"
	"\t19999 = Netdata\n"
	"\n"
	"# Push each collection as InfluxDB line protocol (README: Push).\n"
	"[output]\n"
	"\t# InfluxDB 1.x http://HOST:8086/write?db=DB, 2.x .../api/v2/write?org=O&bucket=B,\n"
	"\t# or DataKit's http://HOST:9529/v1/write/metric. Empty: no push.\n"
	"\tpush url =\n"
	"\t# Seconds between pushes, a multiple of 'update every'; 0: every collection.\n"
	"\tpush every = 0\n"
	"\t# InfluxDB 2.x token (Authorization: Token ...); or EBPFMON_PUSH_TOKEN.\n"
	"\t# push token =\n";

static const char *const global_keys[] = {
	"update every",	  "ebpf load mode", "apps",	"cgroups",
	"pid table size", "cgroup table size", "listen", "apps groups file",
	"maps per core", "flows interface", "apps max", "series retention", "web config file",
	"bandwidth table size", "ipv4 connection table size", "ipv6 connection table size",
	"udp connection table size", "ebpf type format", "ebpf co-re tracing",
	"btf path", "lifetime", "collect pid", "ebpf object flavor", "socket monitoring table size",
	"netlog blacklist",
	"container names", "docker socket", "containerd socket", "crio socket",
	"bash paths",
	"dns port",
};

enum global_key {
	KEY_UPDATE_EVERY,
	KEY_LOAD_MODE,
	KEY_APPS,
	KEY_CGROUPS,
	KEY_PID_TABLE_SIZE,
	KEY_CGROUP_TABLE_SIZE,
	KEY_LISTEN,
	KEY_APPS_GROUPS_FILE,
	KEY_MAPS_PER_CORE,
	KEY_FLOWS_INTERFACE,
	KEY_APPS_MAX,
	KEY_SERIES_RETENTION,
	KEY_WEB_CONFIG_FILE,
	KEY_BANDWIDTH_TABLE_SIZE,
	KEY_IPV4_CONN_TABLE_SIZE,
	KEY_IPV6_CONN_TABLE_SIZE,
	KEY_UDP_CONN_TABLE_SIZE,
	KEY_TYPE_FORMAT,
	KEY_CORE_TRACING,
	KEY_BTF_PATH,
	KEY_LIFETIME,
	KEY_COLLECT_PID,
	KEY_OBJECT_FLAVOR,
	KEY_SOCKET_TABLE_SIZE,
	KEY_NETLOG_BLACKLIST,
	KEY_CONTAINER_NAMES,
	KEY_DOCKER_SOCKET,
	KEY_CONTAINERD_SOCKET,
	KEY_CRIO_SOCKET,
	KEY_BASH_PATHS,
	KEY_DNS_PORT,
	NR_GLOBAL_KEYS,
};

_Static_assert(sizeof(global_keys) / sizeof(global_keys[0]) == NR_GLOBAL_KEYS,
	       "global_keys[] and enum global_key disagree");

/* inih keeps the blanks inside "[ global ]"; accept them. */
static bool section_is(const char *s, const char *name)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		n--;
	return n == strlen(name) && !strncasecmp(s, name, n);
}

static void join_modules(const struct config *c, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (unsigned int i = 0; i < c->nr_modules && used < len; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? ", " : "", c->modules[i].name);
	if (!c->nr_modules)
		snprintf(out, len, "(none)");
}

static void join_global_keys(char *out, size_t len)
{
	size_t used = 0;

	for (unsigned int i = 0; i < NR_GLOBAL_KEYS && used < len; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? ", " : "", global_keys[i]);
}

static struct config_module *find_module(const struct config *c, const char *name, size_t len)
{
	for (unsigned int i = 0; i < c->nr_modules; i++) {
		const char *m = c->modules[i].name;

		if (strlen(m) == len && !strncasecmp(m, name, len))
			return (struct config_module *)&c->modules[i];
	}
	return NULL;
}

int config_init(struct config *c, const char *const *known_modules, const bool *default_on,
		unsigned int nr_known)
{
	memset(c, 0, sizeof(*c));
	c->update_every = 1;
	c->load_mode = LOAD_MODE_RETURN;
	c->apps = true;
	c->cgroups = false;
	c->pid_table_size = 32768;
	c->cgroup_table_size = 1024;
	c->container_names = true;
	strcpy(c->docker_socket, "/var/run/docker.sock");
	strcpy(c->containerd_socket, "/run/containerd/containerd.sock");
	strcpy(c->crio_socket, "/var/run/crio/crio.sock");
	c->apps_max = 1000;
	c->dns_port = 53;
	c->series_retention = 300;
	c->maps_per_core = true;
	strcpy(c->type_format, "auto");
	strcpy(c->core_tracing, "trampoline");
	c->bandwidth_table_size = 16384;
	c->ipv4_conn_table_size = 16384;
	c->ipv6_conn_table_size = 16384;
	c->udp_conn_table_size = 4096;
	c->net.enabled = true;
	c->net.maximum_dimensions = 50;
	strcpy(c->net.ports, "*");
	strcpy(c->net.ips, "*");
	strcpy(c->net.hostnames, "*");
	c->net.services[0] = (struct config_service_name){ 19999, "Netdata" };
	c->net.nr_services = 1;
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:9435");
	/* A registry bigger than the table is a build-time mistake: say so rather than drop one. */
	if (nr_known > CONFIG_MAX_MODULES) {
		errno = E2BIG;
		return -1;
	}
	for (unsigned int i = 0; i < nr_known; i++) {
		struct config_module *m = &c->modules[c->nr_modules];

		if (strlen(known_modules[i]) >= sizeof(m->name)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(m->name, known_modules[i]);
		m->enabled = default_on && default_on[i];
		m->apps = m->cgroups = m->load_mode = -1;
		c->nr_modules++;
	}
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* errno tells a caller that wants to say more: EINVAL malformed, ERANGE out of [min, max]. */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s) {
		errno = EINVAL;
		return -1;
	}
	for (const char *p = s; *p; p++) {
		unsigned int d = (unsigned char)*p - '0';

		if (d > 9) {
			errno = EINVAL;
			return -1;
		}
		if (v > (ULLONG_MAX - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Digits are read by hand rather than with strtod(): strtod follows LC_NUMERIC
 * (the terminal views call setlocale, and "1.5" would read as 1 in a
 * comma-decimal locale), and it accepts hex, exponents, "inf" and leading blanks.
 */
int parse_duration(const char *s, double *seconds)
{
	double v = 0, scale = 1, unit;
	const char *p = s;
	int digits = 0;

	if (!s)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		v = v * 10 + (*p - '0');
	if (*p == '.') {
		int frac = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, frac++) {
			scale /= 10;
			v += (*p - '0') * scale;
		}
		if (!frac)
			return -1;
		digits += frac;
	}
	if (!digits)
		return -1;
	if (!*p || !strcmp(p, "s"))
		unit = 1;
	else if (!strcmp(p, "ms"))
		unit = 0.001;
	else if (!strcmp(p, "m"))
		unit = 60;
	else if (!strcmp(p, "h"))
		unit = 3600;
	else
		return -1;
	v *= unit;
	/* Also rejects an overflow to infinity; no interval is anywhere near that long. */
	if (!(v > 0) || v > 1e15)
		return -1;
	*seconds = v;
	return 0;
}

/*
 * What is wrong with a listen address, or NULL when it is one that
 * parse_listen(), which the server uses, accepts: so `check` refuses every
 * address that `run` would.
 */
static const char *listen_problem(const char *s)
{
	struct sockaddr_storage ss;
	unsigned int sslen;
	const char *port;
	unsigned long long p;

	if (!*s)
		return "is empty";
	for (const char *q = s; *q; q++)
		if (is_blank(*q))
			return "contains a blank";
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return "has '[' without ']'";
		if (close == s + 1)
			return "has no IPv6 address between '[' and ']'";
		if (close[1] != ':')
			return "needs ':PORT' after ']'";
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return "has no ':PORT'";
		if (memchr(s, ':', colon - s))
			return "has an IPv6 address without brackets (write [ADDR]:PORT)";
		port = colon + 1;
	}
	if (strlen(port) > 5 || parse_uint(port, 1, 65535, &p))
		return "needs a port from 1 to 65535";
	/* The shape is right: the address must also be one the server will bind. */
	if (parse_listen(s, &ss, &sslen))
		return s[0] == '[' ? "has no valid IPv6 address between '[' and ']'"
				   : "needs a numeric IPv4 address or 'localhost' before ':PORT' "
				     "(names are not looked up)";
	return NULL;
}

static int set_global(struct config *c, const char *key, const char *value, char *err,
		      size_t errlen)
{
	unsigned long long u;
	const char *why;
	double d;
	bool b;
	int k;

	for (k = 0; k < NR_GLOBAL_KEYS; k++)
		if (!strcasecmp(key, global_keys[k]))
			break;

	switch (k) {
	case KEY_UPDATE_EVERY:
		if (!parse_uint(value, 1, 3600, &u)) {
			c->update_every = (unsigned int)u;
			return 0;
		}
		if (!parse_duration(value, &d) && d >= 1 && d <= 3600 &&
		    (double)(unsigned int)d == d) {
			c->update_every = (unsigned int)d;
			return 0;
		}
		seterr(err, errlen,
		       "'update every' must be a whole number of seconds from 1 to 3600 (e.g. 1, 10s, 1m), not '%s'",
		       value);
		return -1;
	case KEY_LOAD_MODE:
		if (!strcasecmp(value, "entry")) {
			c->load_mode = LOAD_MODE_ENTRY;
			return 0;
		}
		if (!strcasecmp(value, "return")) {
			c->load_mode = LOAD_MODE_RETURN;
			return 0;
		}
		if (!strcasecmp(value, "light")) {
			c->load_mode = LOAD_MODE_LIGHT;
			return 0;
		}
		seterr(err, errlen, "'ebpf load mode' must be return, entry or light, not '%s'",
		       value);
		return -1;
	case KEY_APPS:
	case KEY_CGROUPS:
	case KEY_MAPS_PER_CORE:
		if (parse_bool(value, &b)) {
			seterr(err, errlen, "'%s' must be yes or no, not '%s'", global_keys[k],
			       value);
			return -1;
		}
		if (k == KEY_APPS) {
			c->apps = b;
		} else if (k == KEY_CGROUPS) {
			c->cgroups = b;
		} else {
			c->maps_per_core = b;
			seterr(err, errlen,
			       "ebpfmon counts into one record per thread that no other CPU writes: there is no per-CPU copy to choose");
			return KEY_IGNORED;
		}
		return 0;
	case KEY_PID_TABLE_SIZE:
		if (parse_uint(value, 16, 4194304, &u)) {
			seterr(err, errlen,
			       "'pid table size' must be a whole number from 16 to 4194304, not '%s'",
			       value);
			return -1;
		}
		c->pid_table_size = (unsigned int)u;
		return 0;
	case KEY_CGROUP_TABLE_SIZE:
		if (parse_uint(value, 16, 1048576, &u)) {
			seterr(err, errlen,
			       "'cgroup table size' must be a whole number from 16 to 1048576, not '%s'",
			       value);
			return -1;
		}
		c->cgroup_table_size = (unsigned int)u;
		return 0;
	case KEY_BANDWIDTH_TABLE_SIZE:
	case KEY_IPV4_CONN_TABLE_SIZE:
	case KEY_IPV6_CONN_TABLE_SIZE:
	case KEY_UDP_CONN_TABLE_SIZE: {
		unsigned int *to[] = { &c->bandwidth_table_size, &c->ipv4_conn_table_size,
				       &c->ipv6_conn_table_size, &c->udp_conn_table_size };

		if (parse_uint(value, 16, 4194304, &u)) {
			seterr(err, errlen, "'%s' must be a whole number from 16 to 4194304, not '%s'",
			       global_keys[k], value);
			return -1;
		}
		*to[k - KEY_BANDWIDTH_TABLE_SIZE] = (unsigned int)u;
		return 0;
	}
	case KEY_TYPE_FORMAT:
	case KEY_CORE_TRACING: {
		/*
		 * Netdata's choice of object (legacy, CO-RE) and of attach method;
		 * ebpfmon probes the kernel for every hook instead. Checked, kept
		 * for `config`, no effect: so Netdata's own files load.
		 */
		static const char *const formats[] = { "auto", "legacy", "co-re" };
		static const char *const tracing[] = { "trampoline", "probe", "tracepoint" };
		const char *const *ok = k == KEY_TYPE_FORMAT ? formats : tracing;

		for (int i = 0; i < 3; i++) {
			if (!strcasecmp(value, ok[i])) {
				snprintf(k == KEY_TYPE_FORMAT ? c->type_format : c->core_tracing,
					 sizeof(c->type_format), "%s", ok[i]);
				seterr(err, errlen,
				       "ebpfmon has one CO-RE object and probes the kernel for each hook's attach method (tp_btf, tracepoint, fentry, kprobe): see ebpfmon check");
				return KEY_IGNORED;
			}
		}
		seterr(err, errlen, "'%s' must be %s, %s or %s, not '%s'", global_keys[k], ok[0], ok[1],
		       ok[2], value);
		return -1;
	}
	case KEY_OBJECT_FLAVOR: {
		static const char *const flavors[] = { "arena", "buffer", "buffer ring", "legacy" };

		for (int i = 0; i < 4; i++) {
			if (!strcasecmp(value, flavors[i])) {
				seterr(err, errlen,
				       "ebpfmon has one CO-RE object: per-thread records, hash tables and ring buffers, each sized by its own key");
				return KEY_IGNORED;
			}
		}
		seterr(err, errlen,
		       "'ebpf object flavor' must be arena, buffer, buffer ring or legacy, not '%s'",
		       value);
		return -1;
	}
	case KEY_BTF_PATH:
		/* Netdata's is a directory of BTF files; ours is the running kernel's own. */
		if (!*value || *value != '/') {
			seterr(err, errlen, "'btf path' must be an absolute path, not '%s'", value);
			return -1;
		}
		seterr(err, errlen,
		       "ebpfmon needs the running kernel's BTF and reads it where the kernel exposes it, /sys/kernel/btf/vmlinux");
		return KEY_IGNORED;
	case KEY_LIFETIME:
		if (parse_duration(value, &d)) {
			seterr(err, errlen, "'lifetime' must be a duration (e.g. 300, 5m), not '%s'",
			       value);
			return -1;
		}
		seterr(err, errlen,
		       "Netdata stops a thread started by one of its functions after this time; ebpfmon's modules run until ebpfmon stops");
		return KEY_IGNORED;
	case KEY_COLLECT_PID:
		if (strcasecmp(value, "real parent") && strcasecmp(value, "parent") &&
		    strcasecmp(value, "all")) {
			seterr(err, errlen,
			       "'collect pid' must be real parent, parent or all, not '%s'", value);
			return -1;
		}
		seterr(err, errlen,
		       "ebpfmon counts every thread and charges its process's application at the event: there is no PID to choose");
		return KEY_IGNORED;
	case KEY_NETLOG_BLACKLIST: {
		/* Compiled now, so a mistake stops `check` and `run` with its column. */
		struct blacklist *b;

		if (strlen(value) >= sizeof(c->netlog_blacklist)) {
			seterr(err, errlen, "'netlog blacklist' is longer than %zu characters",
			       sizeof(c->netlog_blacklist) - 1);
			return -1;
		}
		b = blacklist_compile(value, "netlog blacklist", err, errlen);
		if (!b)
			return -1;
		blacklist_free(b);
		strcpy(c->netlog_blacklist, value);
		return 0;
	}
	case KEY_SOCKET_TABLE_SIZE:
		/* Newer Netdata's one TCP table: ours is kept per family, each this size. */
		if (parse_uint(value, 16, 4194304, &u)) {
			seterr(err, errlen, "'%s' must be a whole number from 16 to 4194304, not '%s'",
			       global_keys[k], value);
			return -1;
		}
		c->ipv4_conn_table_size = c->ipv6_conn_table_size = (unsigned int)u;
		return 0;
	case KEY_CONTAINER_NAMES:
		if (parse_bool(value, &b)) {
			seterr(err, errlen, "'container names' must be yes or no, not '%s'", value);
			return -1;
		}
		c->container_names = b;
		return 0;
	case KEY_DOCKER_SOCKET:
	case KEY_CONTAINERD_SOCKET:
	case KEY_CRIO_SOCKET: {
		char *to = k == KEY_DOCKER_SOCKET	 ? c->docker_socket
			   : k == KEY_CONTAINERD_SOCKET ? c->containerd_socket
							: c->crio_socket;

		/* Empty: that runtime is not asked. */
		if ((value[0] && value[0] != '/') || strlen(value) >= sizeof(c->docker_socket)) {
			seterr(err, errlen,
			       "'%s' must be the absolute path of a unix socket (or empty: not asked), shorter than %zu characters, not '%s'",
			       global_keys[k], sizeof(c->docker_socket), value);
			return -1;
		}
		strcpy(to, value);
		return 0;
	}
	case KEY_BASH_PATHS:
		/* Checked when the bash module loads: the files may come later. */
		if (strlen(value) >= sizeof(c->bash_paths)) {
			seterr(err, errlen, "'bash paths' is longer than %zu characters",
			       sizeof(c->bash_paths) - 1);
			return -1;
		}
		strcpy(c->bash_paths, value);
		return 0;
	case KEY_DNS_PORT:
		if (parse_uint(value, 1, 65535, &u)) {
			seterr(err, errlen, "'dns port' must be a port number from 1 to 65535, not '%s'",
			       value);
			return -1;
		}
		c->dns_port = (unsigned int)u;
		return 0;
	case KEY_APPS_MAX:
		if (parse_uint(value, 1, 1000000, &u)) {
			seterr(err, errlen,
			       "'apps max' must be a whole number from 1 to 1000000, not '%s'", value);
			return -1;
		}
		c->apps_max = (unsigned int)u;
		return 0;
	case KEY_SERIES_RETENTION:
		if (parse_duration(value, &d) || d > 7 * 86400) {
			seterr(err, errlen,
			       "'series retention' must be a duration up to 168h (e.g. 300, 5m, 1h), not '%s'",
			       value);
			return -1;
		}
		c->series_retention = d;
		return 0;
	case KEY_LISTEN:
		why = strlen(value) >= sizeof(c->listen) ? "is too long" : listen_problem(value);
		if (why) {
			seterr(err, errlen,
			       "'listen' %s: give ADDR:PORT, [IPv6]:PORT or :PORT, not '%s'", why,
			       value);
			return -1;
		}
		strcpy(c->listen, value);
		return 0;
	case KEY_FLOWS_INTERFACE:
		if (strlen(value) >= sizeof(c->flows_interface)) {
			seterr(err, errlen, "'flows interface' must be an interface name of at most %zu characters, not '%s'",
			       sizeof(c->flows_interface) - 1, value);
			return -1;
		}
		strcpy(c->flows_interface, value);
		return 0;
	case KEY_APPS_GROUPS_FILE:
		if (strlen(value) >= sizeof(c->apps_groups_file)) {
			seterr(err, errlen, "'apps groups file' is longer than %zu characters",
			       sizeof(c->apps_groups_file) - 1);
			return -1;
		}
		strcpy(c->apps_groups_file, value);
		return 0;
	case KEY_WEB_CONFIG_FILE:
		if (strlen(value) >= sizeof(c->web_config_file)) {
			seterr(err, errlen, "'web config file' is longer than %zu characters",
			       sizeof(c->web_config_file) - 1);
			return -1;
		}
		/* Read it now, so `check` and a bad file stop here with its own line. */
		if (*value) {
			struct web_config *wc = web_config_load(value, err, errlen);

			if (!wc)
				return -1;
			web_config_free(wc);
		}
		strcpy(c->web_config_file, value);
		return 0;
	default: {
		char keys[1024];

		join_global_keys(keys, sizeof(keys));
		seterr(err, errlen, "unknown key '%s' in [" SECTION_GLOBAL "]; known keys: %s", key,
		       keys);
		return -1;
	}
	}
}

static int set_program(struct config *c, const char *key, const char *value, char *err,
		       size_t errlen)
{
	struct config_module *m = find_module(c, key, strlen(key));
	char names[CONFIG_MAX_MODULES * 34];
	bool b;

	/* DataKit's switch for HTTPS in httpflow: the module's libssl uprobes. */
	if (!m && !strcasecmp(key, "httpflow tls")) {
		if (parse_bool(value, &b)) {
			seterr(err, errlen,
			       "'httpflow tls' in [" SECTION_PROGRAMS "] must be yes or no, not '%s'",
			       value);
			return -1;
		}
		c->httpflow_tls = b;
		return 0;
	}
	/* Netdata's switch for the network viewer: our [network connections] enabled. */
	if (!m && !strcasecmp(key, "network connections")) {
		if (parse_bool(value, &b)) {
			seterr(err, errlen,
			       "'network connections' in [" SECTION_PROGRAMS "] must be yes or no, not '%s'",
			       value);
			return -1;
		}
		c->net.enabled = b;
		return 0;
	}
	if (!m) {
		join_modules(c, names, sizeof(names));
		seterr(err, errlen,
		       "unknown module '%s' in [" SECTION_PROGRAMS "]; known modules: %s", key,
		       names);
		return -1;
	}
	if (parse_bool(value, &b)) {
		seterr(err, errlen, "'%s' in [" SECTION_PROGRAMS "] must be yes or no, not '%s'",
		       m->name, value);
		return -1;
	}
	m->enabled = b;
	return 0;
}

static const char *const output_keys[] = { "push url", "push every", "push token" };

enum output_key { OUT_PUSH_URL, OUT_PUSH_EVERY, OUT_PUSH_TOKEN, NR_OUTPUT_KEYS };

_Static_assert(sizeof(output_keys) / sizeof(output_keys[0]) == NR_OUTPUT_KEYS,
	       "output_keys[] and enum output_key disagree");

static int set_output(struct config *c, const char *key, const char *value, char *err,
		      size_t errlen)
{
	unsigned long long u;
	char why[256];
	int k;

	for (k = 0; k < NR_OUTPUT_KEYS; k++)
		if (!strcasecmp(key, output_keys[k]))
			break;
	switch (k) {
	case OUT_PUSH_URL:
		if (strlen(value) >= sizeof(c->push_url)) {
			seterr(err, errlen, "'push url' is longer than %zu characters",
			       sizeof(c->push_url) - 1);
			return -1;
		}
		/* Checked here, so a typo is reported with its line, not at the first push. */
		if (*value && push_check_url(value, why, sizeof(why))) {
			seterr(err, errlen, "'push url': %s", why);
			return -1;
		}
		strcpy(c->push_url, value);
		return 0;
	case OUT_PUSH_EVERY:
		if (parse_uint(value, 0, 86400, &u)) {
			seterr(err, errlen,
			       "'push every' must be whole seconds from 0 to 86400 (0: every collection), not '%s'",
			       value);
			return -1;
		}
		c->push_every = (unsigned int)u;
		return 0;
	case OUT_PUSH_TOKEN:
		if (strlen(value) >= sizeof(c->push_token)) {
			seterr(err, errlen, "'push token' is longer than %zu characters",
			       sizeof(c->push_token) - 1);
			return -1;
		}
		strcpy(c->push_token, value);
		return 0;
	}
	seterr(err, errlen,
	       "unknown key '%s' in [" SECTION_OUTPUT "]; known keys: push url, push every, push token",
	       key);
	return -1;
}

static const char *const net_keys[] = {
	"enabled",	 "maximum dimensions", "resolve hostnames", "resolve service names",
	"ports",	 "ips",		       "hostnames",	    "ephemeral port",
};

enum net_key {
	NET_ENABLED,
	NET_MAX_DIMENSIONS,
	NET_RESOLVE_HOSTNAMES,
	NET_RESOLVE_SERVICES,
	NET_PORTS,
	NET_IPS,
	NET_HOSTNAMES,
	NET_EPHEMERAL_PORT,
	NR_NET_KEYS,
};

_Static_assert(sizeof(net_keys) / sizeof(net_keys[0]) == NR_NET_KEYS,
	       "net_keys[] and enum net_key disagree");

static int set_net(struct config *c, const char *key, const char *value, char *err,
		   size_t errlen)
{
	struct config_net_view *n = &c->net;
	unsigned long long u;
	char *to = NULL;
	bool b;
	int k;

	for (k = 0; k < NR_NET_KEYS; k++)
		if (!strcasecmp(key, net_keys[k]))
			break;
	switch (k) {
	case NET_ENABLED:
	case NET_RESOLVE_HOSTNAMES:
	case NET_RESOLVE_SERVICES:
		if (parse_bool(value, &b)) {
			seterr(err, errlen, "'%s' in [" SECTION_NET "] must be yes or no, not '%s'",
			       net_keys[k], value);
			return -1;
		}
		*(k == NET_ENABLED ? &n->enabled
		  : k == NET_RESOLVE_HOSTNAMES ? &n->resolve_hostnames
					       : &n->resolve_service_names) = b;
		return 0;
	case NET_MAX_DIMENSIONS:
		if (parse_uint(value, 1, 100000, &u)) {
			seterr(err, errlen,
			       "'maximum dimensions' must be a whole number from 1 to 100000, not '%s'",
			       value);
			return -1;
		}
		n->maximum_dimensions = (unsigned int)u;
		return 0;
	case NET_EPHEMERAL_PORT:
		if (parse_uint(value, 0, 65535, &u)) {
			seterr(err, errlen,
			       "'ephemeral port' must be a port from 1 to 65535, or 0 for off, not '%s'",
			       value);
			return -1;
		}
		n->ephemeral_port = (unsigned int)u;
		return 0;
	case NET_PORTS:
		to = n->ports;
		break;
	case NET_IPS:
		to = n->ips;
		break;
	case NET_HOSTNAMES:
		to = n->hostnames;
		break;
	default:
		seterr(err, errlen,
		       "unknown key '%s' in [" SECTION_NET "]; known keys: enabled, maximum dimensions, resolve hostnames, resolve service names, ports, ips, hostnames, ephemeral port",
		       key);
		return -1;
	}
	if (strlen(value) >= CONFIG_PATTERN_LEN) {
		seterr(err, errlen, "'%s' in [" SECTION_NET "] is longer than %d characters",
		       net_keys[k], CONFIG_PATTERN_LEN - 1);
		return -1;
	}
	/* Checked now with the viewer's own parser, so `check` and `run` agree. */
	if (conn_check_pattern(net_keys[k], value, err, errlen))
		return -1;
	strcpy(to, *value ? value : "*");
	return 0;
}

/* [service name] PORT = NAME; a port named again takes the new name. */
static int set_service(struct config *c, const char *key, const char *value, char *err,
		       size_t errlen)
{
	struct config_net_view *n = &c->net;
	unsigned long long port;
	unsigned int i;

	if (parse_uint(key, 1, 65535, &port)) {
		seterr(err, errlen,
		       "'%s' in [" SECTION_SERVICES "] is not a port: write PORT = NAME (e.g. 19999 = Netdata)",
		       key);
		return -1;
	}
	if (!*value || strlen(value) >= sizeof(n->services[0].name) || strpbrk(value, " \t\"\\")) {
		seterr(err, errlen,
		       "service name '%s' for port %llu must be 1 to 31 characters without blanks, quotes or backslashes",
		       value, port);
		return -1;
	}
	for (i = 0; i < n->nr_services && n->services[i].port != port; i++)
		;
	if (i == CONFIG_MAX_SERVICE_NAMES) {
		seterr(err, errlen, "more than %d ports in [" SECTION_SERVICES "]",
		       CONFIG_MAX_SERVICE_NAMES);
		return -1;
	}
	n->services[i].port = (unsigned int)port;
	strcpy(n->services[i].name, value);
	if (i == n->nr_services)
		n->nr_services++;
	return 0;
}

/* [ipc]: Netdata's data sharing between its own plugins. */
static int set_ipc(const char *key, const char *value, char *err, size_t errlen)
{
	unsigned long long u;

	if (!strcasecmp(key, "integration")) {
		if (strcasecmp(value, "shm") && strcasecmp(value, "socket") &&
		    strcasecmp(value, "disabled")) {
			seterr(err, errlen,
			       "'integration' in [" SECTION_IPC "] must be shm, socket or disabled, not '%s'",
			       value);
			return -1;
		}
	} else if (!strcasecmp(key, "backlog")) {
		if (parse_uint(value, 1, 65535, &u)) {
			seterr(err, errlen,
			       "'backlog' in [" SECTION_IPC "] must be a whole number from 1 to 65535, not '%s'",
			       value);
			return -1;
		}
	} else if (strcasecmp(key, "bind to")) {
		seterr(err, errlen,
		       "unknown key '%s' in [" SECTION_IPC "]; known keys: integration, bind to, backlog",
		       key);
		return -1;
	}
	seterr(err, errlen,
	       "Netdata's plugins share per-process data through it; ebpfmon serves its numbers itself (/metrics, /api/v1, the Netdata plugin)");
	return KEY_IGNORED;
}

/* A dimension a module file turns off: hidden from every output. */
static int hide(struct config_module *m, const char *what, bool on, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < m->nr_hidden && strcmp(m->hidden[i], what); i++)
		;
	if (on) {
		if (i < m->nr_hidden)
			memmove(&m->hidden[i], &m->hidden[i + 1],
				(m->nr_hidden - i - 1) * sizeof(m->hidden[0]));
		m->nr_hidden -= i < m->nr_hidden;
		return 0;
	}
	if (i < m->nr_hidden)
		return 0;
	if (m->nr_hidden == CONFIG_MAX_HIDDEN) {
		seterr(err, errlen, "more than %d dimensions turned off for %s", CONFIG_MAX_HIDDEN,
		       m->name);
		return -1;
	}
	snprintf(m->hidden[m->nr_hidden++], sizeof(m->hidden[0]), "%s", what);
	return 0;
}

/* [filesystem] <fs>dist = yes|no (Netdata's filesystem.conf): that filesystem's charts. */
static int set_filesystem(struct config *c, const char *key, const char *value, char *err,
			  size_t errlen)
{
	static const char *const fs[] = { "ext4", "xfs", "btrfs", "nfs", "zfs" };
	struct config_module *m = find_module(c, "filesystem", strlen("filesystem"));
	bool b;

	for (unsigned int i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		size_t n = strlen(fs[i]);

		if (strncasecmp(key, fs[i], n) || strcasecmp(key + n, "dist"))
			continue;
		if (parse_bool(value, &b)) {
			seterr(err, errlen, "'%s' in [" SECTION_FILESYSTEM "] must be yes or no, not '%s'",
			       key, value);
			return -1;
		}
		return m ? hide(m, fs[i], b, err, errlen) : 0;
	}
	seterr(err, errlen,
	       "unknown key '%s' in [" SECTION_FILESYSTEM "]; known keys: ext4dist, xfsdist, btrfsdist, nfsdist, zfsdist",
	       key);
	return -1;
}

/* [syscalls] <call> = yes|no, in Netdata's sync.conf and shm.conf: that call's dimension. */
static int set_syscalls(struct config *c, int module, const char *key, const char *value,
			char *err, size_t errlen)
{
	static const char *const sync_calls[] = { "sync",      "syncfs", "fsync", "fdatasync",
						  "msync",     "sync_file_range", NULL };
	static const char *const shm_calls[] = { "shmget", "shmat", "shmdt", "shmctl", NULL };
	struct config_module *m = module == NO_MODULE ? NULL : &c->modules[module];
	const char *const *calls = !m			  ? NULL
				   : !strcmp(m->name, "sync") ? sync_calls
				   : !strcmp(m->name, "shm")  ? shm_calls
							      : NULL;
	bool b;

	if (!calls) {
		seterr(err, errlen,
		       "[" SECTION_SYSCALLS "] belongs in a module's file of Netdata's ebpf.d/ (sync.conf or shm.conf)");
		return -1;
	}
	for (unsigned int i = 0; calls[i]; i++) {
		if (strcasecmp(key, calls[i]))
			continue;
		if (parse_bool(value, &b)) {
			seterr(err, errlen, "'%s' in [" SECTION_SYSCALLS "] must be yes or no, not '%s'",
			       key, value);
			return -1;
		}
		return hide(m, calls[i], b, err, errlen);
	}
	{
		char names[128];
		size_t used = 0;

		for (unsigned int i = 0; calls[i] && used < sizeof(names); i++)
			used += snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					 calls[i]);
		seterr(err, errlen, "unknown key '%s' in [" SECTION_SYSCALLS "] of %s's file; known keys: %s",
		       key, m->name, names);
	}
	return -1;
}

/*
 * [global] of a module's own file: Netdata's per-thread settings. apps,
 * cgroups and the load mode are the module's own; the rest is checked as in
 * the main file and reported ignored, or (the socket tables of network.conf)
 * applies as in [global].
 */
static int set_module_global(struct config *c, int module, const char *key, const char *value,
			     char *err, size_t errlen)
{
	struct config_module *m = &c->modules[module];
	struct config *scratch;
	bool b;
	int rc;

	if (!strcasecmp(key, "apps") || !strcasecmp(key, "cgroups")) {
		if (parse_bool(value, &b)) {
			seterr(err, errlen, "'%s' must be yes or no, not '%s'", key, value);
			return -1;
		}
		*(!strcasecmp(key, "apps") ? &m->apps : &m->cgroups) = b;
		return 0;
	}
	if (!strcasecmp(key, "ebpf load mode")) {
		if (!strcasecmp(value, "entry") || !strcasecmp(value, "return")) {
			m->load_mode = !strcasecmp(value, "entry") ? LOAD_MODE_ENTRY : LOAD_MODE_RETURN;
			return 0;
		}
		seterr(err, errlen,
		       !strcasecmp(value, "light")
			       ? "'ebpf load mode = light' applies to every module: set it in [global] of the main file"
			       : "'ebpf load mode' must be return or entry, not '%s'",
		       value);
		return -1;
	}
	for (int k = KEY_BANDWIDTH_TABLE_SIZE; k <= KEY_UDP_CONN_TABLE_SIZE; k++)
		if (!strcasecmp(key, global_keys[k]))
			return set_global(c, key, value, err, errlen);
	if (!strcasecmp(key, global_keys[KEY_SOCKET_TABLE_SIZE]))
		return set_global(c, key, value, err, errlen);
	if (strcasecmp(key, "update every") && strcasecmp(key, "pid table size") &&
	    strcasecmp(key, "maps per core") && strcasecmp(key, "ebpf type format") &&
	    strcasecmp(key, "ebpf co-re tracing") && strcasecmp(key, "ebpf object flavor") &&
	    strcasecmp(key, "btf path") && strcasecmp(key, "lifetime") &&
	    strcasecmp(key, "collect pid")) {
		seterr(err, errlen,
		       "'%s' is not a per-module key; a module's file may set apps, cgroups, ebpf load mode, update every, pid table size, maps per core, collect pid, lifetime and the ebpf type keys (the rest belongs in the main file)",
		       key);
		return -1;
	}
	/* Checked as in [global], on a copy: nothing of it applies. */
	scratch = malloc(sizeof(*scratch));
	if (!scratch) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	*scratch = *c;
	rc = set_global(scratch, key, value, err, errlen);
	free(scratch);
	if (rc < 0)
		return rc;
	if (!strcasecmp(key, "update every"))
		seterr(err, errlen,
		       "ebpfmon collects every module at once: [global] 'update every' of the main file applies");
	else if (!strcasecmp(key, "pid table size"))
		seterr(err, errlen,
		       "every module counts into the accounting core's one process table: [global] 'pid table size' of the main file applies");
	return KEY_IGNORED;
}

/* 0, -1 (err says why) or KEY_IGNORED (err says why it has no effect). */
static int set_key(struct config *c, int module, const char *section, const char *key,
		   const char *value, char *err, size_t errlen)
{
	if (!section)
		section = "";
	if (!key || !value) {
		seterr(err, errlen, "missing key or value");
		return -1;
	}
	if (section_is(section, SECTION_GLOBAL))
		return module == NO_MODULE ? set_global(c, key, value, err, errlen)
					   : set_module_global(c, module, key, value, err, errlen);
	if (section_is(section, SECTION_PROGRAMS))
		return set_program(c, key, value, err, errlen);
	if (section_is(section, SECTION_NET))
		return set_net(c, key, value, err, errlen);
	if (section_is(section, SECTION_SERVICES))
		return set_service(c, key, value, err, errlen);
	if (section_is(section, SECTION_OUTPUT))
		return set_output(c, key, value, err, errlen);
	if (section_is(section, SECTION_IPC))
		return set_ipc(key, value, err, errlen);
	if (section_is(section, SECTION_FILESYSTEM))
		return set_filesystem(c, key, value, err, errlen);
	if (section_is(section, SECTION_SYSCALLS))
		return set_syscalls(c, module, key, value, err, errlen);
	if (!*section)
		seterr(err, errlen,
		       "'%s' is outside any section; put it under [" SECTION_GLOBAL
		       "] or [" SECTION_PROGRAMS "]",
		       key);
	else
		seterr(err, errlen, "unknown section [%s]; known sections: " KNOWN_SECTIONS,
		       section);
	return -1;
}

static void add_ignored(struct config *c, const char *where, const char *section,
			const char *key, const char *value, const char *reason)
{
	struct config_ignored *ig;

	if (c->nr_ignored == CONFIG_MAX_IGNORED) {
		c->nr_ignored_dropped++;
		return;
	}
	ig = &c->ignored[c->nr_ignored++];
	snprintf(ig->where, sizeof(ig->where), "%s", where);
	snprintf(ig->key, sizeof(ig->key), "[%s] %s = %s", section, key, value);
	snprintf(ig->reason, sizeof(ig->reason), "%s", reason);
	text_make_printable(ig->where);
	text_make_printable(ig->key);
}

int config_set(struct config *c, const char *section, const char *key, const char *value,
	       char *err, size_t errlen)
{
	char why[1024];
	int rc = set_key(c, NO_MODULE, section, key, value, why, sizeof(why));

	if (rc == KEY_IGNORED) {
		add_ignored(c, "command line", section ? section : "", key, value, why);
		return 0;
	}
	if (rc)
		seterr(err, errlen, "%s", why);
	if (rc && err && errlen)
		text_make_printable(err);
	return rc;
}

int config_set_module_list(struct config *c, const char *list, char *err, size_t errlen)
{
	bool want[CONFIG_MAX_MODULES] = { false };
	char names[CONFIG_MAX_MODULES * 34];
	const char *p = list ? list : "";
	bool any = false;

	/* Check every name before touching @c, so a typo leaves the previous choice intact. */
	while (*p) {
		const char *start, *end;
		struct config_module *m;
		size_t len;

		while (is_blank(*p))
			p++;
		start = p;
		end = strchrnul(p, ',');
		p = *end ? end + 1 : end;
		while (end > start && is_blank(end[-1]))
			end--;
		len = end - start;
		if (!len)
			continue;
		m = find_module(c, start, len);
		if (!m) {
			join_modules(c, names, sizeof(names));
			seterr(err, errlen, "unknown module '%.*s'; known modules: %s", (int)len,
			       start, names);
			return -1;
		}
		want[m - c->modules] = true;
		any = true;
	}
	if (!any) {
		join_modules(c, names, sizeof(names));
		seterr(err, errlen, "empty module list; name one or more of: %s", names);
		return -1;
	}
	for (unsigned int i = 0; i < c->nr_modules; i++)
		c->modules[i].enabled = want[i];
	return 0;
}

bool config_module_enabled(const struct config *c, const char *name)
{
	const struct config_module *m = find_module(c, name, strlen(name));

	return m && m->enabled;
}

/* ---- INI loading ------------------------------------------------------- */

struct load_state {
	struct config c;    /* a scratch copy: the caller's config changes only on success */
	int module;	    /* a module's file (index in c.modules), or NO_MODULE */
	bool record;	    /* a file: note its ignored keys for `ebpfmon config` */
	const char *origin;
	const char *text;
	const char *pos;    /* start of the next line for the reader */
	unsigned int line;  /* line most recently handed to inih */
	unsigned int err_line;
	/* Where each key was set in this text (0: not yet), to refuse a second setting. */
	unsigned int global_line[NR_GLOBAL_KEYS];
	unsigned int module_line[CONFIG_MAX_MODULES];
	unsigned int net_line[NR_NET_KEYS];
	unsigned int output_line[NR_OUTPUT_KEYS];
	char msg[1024];
};

static void __attribute__((format(printf, 2, 3))) fail(struct load_state *st, const char *fmt,
						       ...)
{
	va_list ap;

	if (st->err_line)
		return;
	st->err_line = st->line;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
}

/*
 * fgets()-like reader over the text. Counting lines here gives the handler
 * the line number that Debian's inih (built without INI_HANDLER_LINENO) does
 * not pass.
 */
static char *read_line(char *buf, int num, void *stream)
{
	struct load_state *st = stream;
	const char *p = st->pos, *eol, *hash;
	size_t len;

	if (!*p || num < 3)
		return NULL;
	eol = strchrnul(p, '\n');
	st->pos = *eol ? eol + 1 : eol;
	st->line++;
	/* inih drops a BOM itself, but our section check below must see past it too. */
	if (st->line == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < eol && is_blank(*p))
		p++;
	for (hash = p + 1; hash < eol; hash++) {
		if (*hash == '#' && is_blank(hash[-1])) {
			eol = hash;
			break;
		}
	}
	len = eol - p;
	/* Room for the line, its '\n' and the NUL. */
	if (len > (size_t)num - 2) {
		if (*p == '#' || *p == ';') {
			len = 1; /* a long comment is harmless: keep just its marker */
		} else {
			fail(st, "line is longer than %d characters; shorten it", num - 2);
			len = 0;
		}
	}
	memcpy(buf, p, len);
	buf[len] = '\n';
	buf[len + 1] = 0;

	/* inih calls the handler for keys only, so an unknown section is caught here. */
	if (len && *p == '[') {
		const char *close = memchr(p, ']', len);

		if (close) {
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)(close - p - 1), p + 1);
			if (!section_is(name, SECTION_GLOBAL) &&
			    !section_is(name, SECTION_PROGRAMS) && !section_is(name, SECTION_NET) &&
			    !section_is(name, SECTION_SERVICES) && !section_is(name, SECTION_OUTPUT) &&
			    !section_is(name, SECTION_IPC) && !section_is(name, SECTION_FILESYSTEM) &&
			    !section_is(name, SECTION_SYSCALLS))
				fail(st, "unknown section [%s]; known sections: " KNOWN_SECTIONS,
				     name);
		}
	}
	return buf;
}

/* The line where @key of @section was set in this text, or NULL for an unknown key. */
static unsigned int *key_line(struct load_state *st, const char *section, const char *key,
			      const char **canonical)
{
	if (section_is(section, SECTION_GLOBAL)) {
		for (int k = 0; k < NR_GLOBAL_KEYS; k++) {
			if (!strcasecmp(key, global_keys[k])) {
				*canonical = global_keys[k];
				return &st->global_line[k];
			}
		}
	} else if (section_is(section, SECTION_PROGRAMS)) {
		struct config_module *m = find_module(&st->c, key, strlen(key));

		if (m) {
			*canonical = m->name;
			return &st->module_line[m - st->c.modules];
		}
	} else if (section_is(section, SECTION_NET)) {
		for (int k = 0; k < NR_NET_KEYS; k++) {
			if (!strcasecmp(key, net_keys[k])) {
				*canonical = net_keys[k];
				return &st->net_line[k];
			}
		}
	} else if (section_is(section, SECTION_OUTPUT)) {
		for (int k = 0; k < NR_OUTPUT_KEYS; k++) {
			if (!strcasecmp(key, output_keys[k])) {
				*canonical = output_keys[k];
				return &st->output_line[k];
			}
		}
	}
	return NULL;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	char msg[sizeof(st->msg)];
	const char *canonical = NULL;
	unsigned int *seen;

	if (st->err_line)
		return 0;
	if (!name) /* a new section, when inih is built to announce them */
		return 1;
	seen = key_line(st, section, name, &canonical);
	if (seen && *seen) {
		fail(st, "'%s' in [%s] is already set on line %u; give each key once",
		     canonical, section_is(section, SECTION_GLOBAL)	? SECTION_GLOBAL
				: section_is(section, SECTION_PROGRAMS) ? SECTION_PROGRAMS
				: section_is(section, SECTION_OUTPUT)	? SECTION_OUTPUT
									: SECTION_NET,
		     *seen);
		return 0;
	}
	switch (set_key(&st->c, st->module, section, name, value, msg, sizeof(msg))) {
	case 0:
		break;
	case KEY_IGNORED:
		if (st->record) {
			char where[96];

			snprintf(where, sizeof(where), "%s:%u", st->origin, st->line);
			add_ignored(&st->c, where, section, name, value, msg);
		}
		break;
	default:
		text_make_printable(msg);
		fail(st, "%s", msg);
		return 0;
	}
	if (seen)
		*seen = st->line;
	return 1;
}

/* Line @n of @text, trimmed and shortened, for quoting in a message. */
static void quote_line(const char *text, unsigned int n, char *out, size_t outlen)
{
	const char *p = text, *eol;
	size_t len;

	for (unsigned int i = 1; i < n; i++) {
		const char *nl = strchr(p, '\n');

		if (!nl)
			break;
		p = nl + 1;
	}
	eol = strchrnul(p, '\n');
	while (p < eol && is_blank(*p))
		p++;
	while (eol > p && is_blank(eol[-1]))
		eol--;
	len = eol - p;
	if (len > 60)
		snprintf(out, outlen, "%.57s...", p);
	else
		snprintf(out, outlen, "%.*s", (int)len, p);
}

static int load_text(struct config *c, const char *text, const char *origin, int module,
		     bool record, char *err, size_t errlen)
{
	struct load_state *st;
	unsigned int line;
	int rc;

	if (!origin)
		origin = "(string)";
	st = calloc(1, sizeof(*st));
	if (!st) {
		seterr(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	st->c = *c;
	st->module = module;
	st->record = record;
	st->origin = origin;
	st->text = text ? text : "";
	st->pos = st->text;

	rc = ini_parse_stream(read_line, st, on_key, st);
	if (rc < 0) {
		seterr(err, errlen, "%s: out of memory", origin);
		free(st);
		return -1;
	}
	/*
	 * inih reports the first line it disliked (a handler error or bad syntax);
	 * our reader may have found an earlier problem inih never saw.
	 */
	line = st->err_line;
	if (rc > 0 && (!line || (unsigned int)rc < line)) {
		char quoted[64];

		line = rc;
		quote_line(st->text, line, quoted, sizeof(quoted));
		snprintf(st->msg, sizeof(st->msg),
			 "expected '[section]' or 'key = value', not '%s'", quoted);
	}
	if (line) {
		seterr(err, errlen, "%s:%u: %s", origin, line, st->msg);
		if (err && errlen)
			text_make_printable(err);
		free(st);
		return -1;
	}
	*c = st->c;
	free(st);
	return 0;
}

int config_load_string(struct config *c, const char *text, const char *origin, char *err,
		       size_t errlen)
{
	return load_text(c, text, origin, NO_MODULE, true, err, errlen);
}

static int load_buffer(struct config *c, const char *buf, size_t len, const char *origin,
		       int module, char *err, size_t errlen)
{
	unsigned int nul_line = text_nul_line(buf, len);
	char *text;
	int rc;

	if (!origin)
		origin = "(string)";
	if (nul_line) {
		seterr(err, errlen, "%s:%u: the line contains a NUL byte; a configuration file is plain text: remove it",
		       origin, nul_line);
		if (err && errlen)
			text_make_printable(err);
		return -1;
	}
	text = strndup(buf, len);
	if (!text) {
		seterr(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	rc = load_text(c, text, origin, module, true, err, errlen);
	free(text);
	return rc;
}

/* A file read whole: the list `ebpfmon config` shows. */
static void note_file(struct config *c, const char *path)
{
	if (c->nr_files < CONFIG_MAX_FILES)
		snprintf(c->files[c->nr_files++], sizeof(c->files[0]), "%s", path);
}

int config_load_buffer(struct config *c, const char *buf, size_t len, const char *origin,
		       char *err, size_t errlen)
{
	return load_buffer(c, buf, len, origin, NO_MODULE, err, errlen);
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *buf = text_file_read(path, &len, err, errlen);
	int rc;

	if (!buf)
		return -1;
	rc = config_load_buffer(c, buf, len, path, err, errlen);
	free(buf);
	if (!rc)
		note_file(c, path);
	return rc;
}

int config_load_module_files(struct config *c, const char *main_path, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	const char *slash = strrchr(main_path, '/');
	struct stat st;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s/ebpf.d", (int)(slash - main_path), main_path);
	else
		snprintf(dir, sizeof(dir), "ebpf.d");
	if (slash == main_path)
		snprintf(dir, sizeof(dir), "/ebpf.d");
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	for (unsigned int i = 0; i < c->nr_modules; i++) {
		/* Netdata names the socket thread's file after its network viewer. */
		const char *stem = strcmp(c->modules[i].name, "socket") ? c->modules[i].name
								       : "network";
		size_t len;
		char *buf;
		int rc;

		snprintf(path, sizeof(path), "%s/%s.conf", dir, stem);
		if (access(path, F_OK))
			continue;
		buf = text_file_read(path, &len, err, errlen);
		if (!buf)
			return -1;
		rc = load_buffer(c, buf, len, path, (int)i, err, errlen);
		free(buf);
		if (rc)
			return rc;
		note_file(c, path);
	}
	return 0;
}

bool config_module_apps(const struct config *c, const char *name)
{
	const struct config_module *m = find_module(c, name, strlen(name));

	return m && m->apps >= 0 ? m->apps : c->apps;
}

bool config_module_cgroups(const struct config *c, const char *name)
{
	const struct config_module *m = find_module(c, name, strlen(name));

	return m && m->cgroups >= 0 ? m->cgroups : c->cgroups;
}

enum load_mode config_module_load_mode(const struct config *c, const char *name)
{
	const struct config_module *m = find_module(c, name, strlen(name));

	/* light is the whole agent's: no module may put a syscall hook back. */
	if (c->load_mode == LOAD_MODE_LIGHT || !m || m->load_mode < 0)
		return c->load_mode;
	return (enum load_mode)m->load_mode;
}

bool config_any_errors(const struct config *c)
{
	for (unsigned int i = 0; i < c->nr_modules; i++)
		if (c->modules[i].enabled &&
		    config_module_load_mode(c, c->modules[i].name) == LOAD_MODE_RETURN)
			return true;
	return false;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void config_write_effective(const struct config *c, FILE *out)
{
	static const char *const modes[] = { "return", "entry", "light" };
	const struct config_net_view *n = &c->net;

	fprintf(out, "# ebpfmon's effective configuration: the built-in default");
	for (unsigned int i = 0; i < c->nr_files; i++)
		fprintf(out, ",\n#   then %s", c->files[i]);
	fprintf(out, ".\n");
	if (c->nr_ignored) {
		fprintf(out, "#\n# Accepted (Netdata documents them) and ignored, with the reason:\n");
		for (unsigned int i = 0; i < c->nr_ignored; i++)
			fprintf(out, "#   %s: %s\n#       %s\n", c->ignored[i].where, c->ignored[i].key,
				c->ignored[i].reason);
		if (c->nr_ignored_dropped)
			fprintf(out, "#   ... and %u more\n", c->nr_ignored_dropped);
	}
	fprintf(out, "\n[" SECTION_GLOBAL "]\n");
	fprintf(out, "\tupdate every = %u\n", c->update_every);
	fprintf(out, "\tebpf load mode = %s\n", modes[c->load_mode]);
	fprintf(out, "\tapps = %s\n", yes_no(c->apps));
	fprintf(out, "\tcgroups = %s\n", yes_no(c->cgroups));
	fprintf(out, "\tpid table size = %u\n", c->pid_table_size);
	fprintf(out, "\tcgroup table size = %u\n", c->cgroup_table_size);
	fprintf(out, "\tcontainer names = %s\n", yes_no(c->container_names));
	fprintf(out, "\tdocker socket = %s\n", c->docker_socket);
	fprintf(out, "\tcontainerd socket = %s\n", c->containerd_socket);
	fprintf(out, "\tcrio socket = %s\n", c->crio_socket);
	fprintf(out, "\tapps max = %u\n", c->apps_max);
	fprintf(out, "\tseries retention = %gs\n", c->series_retention);
	fprintf(out, "\tflows interface = %s\n", c->flows_interface);
	fprintf(out, "\tbash paths = %s\n", c->bash_paths);
	fprintf(out, "\tdns port = %u\n", c->dns_port);
	fprintf(out, "\tlisten = %s\n", c->listen);
	fprintf(out, "\tapps groups file = %s\n", c->apps_groups_file);
	fprintf(out, "\tweb config file = %s\n", c->web_config_file);
	fprintf(out, "\tbandwidth table size = %u\n", c->bandwidth_table_size);
	fprintf(out, "\tipv4 connection table size = %u\n", c->ipv4_conn_table_size);
	fprintf(out, "\tipv6 connection table size = %u\n", c->ipv6_conn_table_size);
	fprintf(out, "\tudp connection table size = %u\n", c->udp_conn_table_size);
	fprintf(out, "\tnetlog blacklist = %s\n", c->netlog_blacklist);
	fprintf(out, "\n[" SECTION_PROGRAMS "]\n");
	for (unsigned int i = 0; i < c->nr_modules; i++) {
		const struct config_module *m = &c->modules[i];

		fprintf(out, "\t%s = %s\n", m->name, yes_no(m->enabled));
	}
	fprintf(out, "\thttpflow tls = %s\n", yes_no(c->httpflow_tls));
	fprintf(out, "\n[" SECTION_NET "]\n");
	fprintf(out, "\tenabled = %s\n", yes_no(n->enabled));
	fprintf(out, "\tmaximum dimensions = %u\n", n->maximum_dimensions);
	fprintf(out, "\tresolve hostnames = %s\n", yes_no(n->resolve_hostnames));
	fprintf(out, "\tresolve service names = %s\n", yes_no(n->resolve_service_names));
	fprintf(out, "\tports = %s\n\tips = %s\n\thostnames = %s\n", n->ports, n->ips,
		n->hostnames);
	fprintf(out, "\tephemeral port = %u\n", n->ephemeral_port);
	fprintf(out, "\n[" SECTION_SERVICES "]\n");
	for (unsigned int i = 0; i < n->nr_services; i++)
		fprintf(out, "\t%u = %s\n", n->services[i].port, n->services[i].name);
	/* Per-module settings have no place in one file: what each module's file changed. */
	for (unsigned int i = 0; i < c->nr_modules; i++) {
		const struct config_module *m = &c->modules[i];

		if (m->apps < 0 && m->cgroups < 0 && m->load_mode < 0 && !m->nr_hidden)
			continue;
		fprintf(out, "\n# %s, from its own file: apps = %s, cgroups = %s, ebpf load mode = %s",
			m->name, yes_no(config_module_apps(c, m->name)),
			yes_no(config_module_cgroups(c, m->name)),
			modes[config_module_load_mode(c, m->name)]);
		for (unsigned int h = 0; h < m->nr_hidden; h++)
			fprintf(out, "%s%s", h ? ", " : "; off: ", m->hidden[h]);
		fprintf(out, "\n");
	}
}
