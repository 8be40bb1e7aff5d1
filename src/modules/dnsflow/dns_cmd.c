// SPDX-License-Identifier: GPL-2.0
/*
 * `ebpfmon dns`: DNS requests seen for a window, as DataKit's dnsflow rows
 * (plus the question and its type): a text table, a JSON list, or the
 * line protocol the push code sends.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/text.h"
#include "core/blacklist.h"
#include "modules/dnsflow/dns_engine.h"

int cmd_dns(int argc, char **argv);

#define EXIT_USAGE 2
#define DNS_MAX_ROWS 65536

static const char dns_help[] =
	"Usage: ebpfmon dns [options]\n\n"
	"DNS requests (UDP and TCP, IPv4 and IPv6) of the sockets of this host, in\n"
	"every network namespace, paired with their answers: DataKit's dnsflow rows\n"
	"(count, mean and max latency, rcode; -1: no answer within --timeout) per\n"
	"direction, addresses, ports, process, question and query type. Prints\n"
	"'attached' to stderr, then the rows at the end of the window, SIGINT or SIGTERM.\n\n"
	"  -d, --duration DUR   window (default 10s): 500ms, 10s, 2m (at most 24h)\n"
	"  -t, --timeout DUR    a query without an answer after DUR gets rcode -1\n"
	"                       (default 5s)\n"
	"  -p, --port N         the DNS port (default 53)\n"
	"  -j, --json           a JSON list of rows\n"
	"      --influx         DataKit's dnsflow measurement, line protocol\n"
	"  -g, --live           the table so far, redrawn every second (a terminal only;\n"
	"                       otherwise the table at the end)\n"
	"      --blacklist EXPR drop requests DataKit's netlog rules match (see README)\n"
	"  -h, --help           this text\n\n"
	"Queries still waiting at the end of the window (younger than --timeout) are\n"
	"not rows yet: their number goes to stderr.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One line: control characters in the quoted argument are shown as '?'. */
static int usage(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	text_make_printable(msg);
	fprintf(stderr, "ebpfmon dns: %s (see 'ebpfmon dns --help')\n", msg);
	return EXIT_USAGE;
}

/* The command's --blacklist: requests it matches are no rows. */
static const struct blacklist *rows_bl;

static void add_unless_blacklisted(const struct dns_done *d, void *arg)
{
	if (!dns_done_blacklisted(d, rows_bl))
		dns_rows_add(d, arg);
}

int cmd_dns(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "influx", no_argument, NULL, 'I' },
		{ "live", no_argument, NULL, 'g' },
		{ "blacklist", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	double duration = 10, timeout = DNS_DEFAULT_TIMEOUT_NS / 1e9;
	unsigned long long port = DNS_DEFAULT_PORT;
	bool json = false, influx = false, live = false;
	uint64_t redraw = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct dns_engine e;
	struct dns_rows rows;
	struct dns_kstats ks;
	uint64_t end;
	char err[512];
	struct blacklist *bl = NULL;
	int opt, ret;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:t:p:jgh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_duration(optarg, &duration) || duration > 86400)
				return usage("bad --duration '%s': use 500ms, 10s, 2m (at most 24h)", optarg);
			break;
		case 't':
			if (parse_duration(optarg, &timeout) || timeout > 3600)
				return usage("bad --timeout '%s': use 500ms, 2s, 1m (at most 1h)", optarg);
			break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &port))
				return usage("bad --port '%s': a number from 1 to 65535", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'I':
			influx = true;
			break;
		case 'g':
			live = true;
			break;
		case 'B':
			blacklist_free(bl);
			bl = blacklist_compile(optarg, "--blacklist", err, sizeof(err));
			if (!bl) {
				text_make_printable(err);
				fprintf(stderr, "ebpfmon dns: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(dns_help, stdout);
			return 0;
		default:
			return usage("unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (json && influx)
		return usage("%s", "--json and --influx exclude each other");
	if (live && (json || influx))
		return usage("%s", "--live shows the table: not with --json or --influx");
	live = live && isatty(STDOUT_FILENO);
	if (dns_rows_init(&rows, DNS_MAX_ROWS)) {
		fprintf(stderr, "ebpfmon dns: out of memory\n");
		return 1;
	}
	rows_bl = bl;
	ret = dns_engine_open(&e, (uint16_t)port, (uint64_t)(timeout * 1e9), add_unless_blacklisted,
			      &rows, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ebpfmon dns: %s%s\n", err,
			ret == -EPERM ? " (run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)" : "");
		dns_engine_close(&e);
		dns_rows_free(&rows);
		blacklist_free(bl);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "attached\n");
	end = dns_mono_ns() + (uint64_t)(duration * 1e9);
	while (!stop) {
		uint64_t now = dns_mono_ns();
		int wait;

		if (now >= end)
			break;
		wait = (int)((end - now) / 1000000ULL);
		ret = dns_engine_poll(&e, wait > 100 ? 100 : wait);
		if (ret) {
			fprintf(stderr, "ebpfmon dns: reading the ring buffer: %s\n", strerror(-ret));
			break;
		}
		if (live && now >= redraw) {
			/* Home and clear, then the rows finished so far. */
			fputs("\033[H\033[2J", stdout);
			dns_rows_sort(&rows);
			dns_rows_table(stdout, &rows);
			fflush(stdout);
			redraw = now + 1000000000ULL;
		}
	}
	/* What the ring holds still, then the timeouts due by now. */
	dns_engine_poll(&e, 0);
	dns_engine_kstats(&e, &ks);
	dns_rows_sort(&rows);
	if (json) {
		dns_rows_json(stdout, &rows);
	} else if (influx) {
		struct timespec ts;
		char host[256] = "";

		clock_gettime(CLOCK_REALTIME, &ts);
		gethostname(host, sizeof(host) - 1);
		dns_rows_influx(stdout, &rows, host,
				(uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	} else {
		if (live)
			fputs("\033[H\033[2J", stdout);
		dns_rows_table(stdout, &rows);
	}
	fprintf(stderr,
		"ebpfmon dns: %llu packets, %llu queries, %llu answers, %llu timeouts, %u waiting;"
		" %llu malformed, %llu unmatched answers, %llu duplicate queries, %llu ring full,"
		" %llu pending table full, %llu rows full\n",
		(unsigned long long)ks.packets, (unsigned long long)e.tr.st.queries,
		(unsigned long long)e.tr.st.answers, (unsigned long long)e.tr.st.timeouts, e.tr.used,
		(unsigned long long)e.tr.st.malformed, (unsigned long long)e.tr.st.unmatched,
		(unsigned long long)e.tr.st.duplicates, (unsigned long long)ks.ring_full,
		(unsigned long long)e.tr.st.pending_full, (unsigned long long)rows.overflow);
	dns_engine_close(&e);
	dns_rows_free(&rows);
	blacklist_free(bl);
	return fflush(stdout) ? 1 : 0;
}
