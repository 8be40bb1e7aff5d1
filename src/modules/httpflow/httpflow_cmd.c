// SPDX-License-Identifier: GPL-2.0
/*
 * `ebpfmon http`: HTTP/1.x rows of a window (DataKit's httpflow), as a
 * text table or JSON, at the end of --duration or at SIGINT/SIGTERM.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "core/blacklist.h"
#include "core/config.h"
#include "modules/httpflow/httpflow_int.h"
#include "httpflow.skel.h"

int cmd_http(int argc, char **argv);

/* libbpf's own messages only with EBPFMON_DEBUG: a missing symbol is said once, by us. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("EBPFMON_DEBUG") || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static const char http_help[] =
	"Usage: ebpfmon http [options]\n\n"
	"HTTP/1.x requests and their responses per process, direction, method, path,\n"
	"status and connection (DataKit's httpflow), plain (syscalls on TCP sockets)\n"
	"and TLS (uprobes on every libssl found), printed at the end of the window.\n"
	"Prints 'attached' to stderr once watching.\n\n"
	"  -d, --duration DUR   window (default 10s): 500ms, 10s, 2m, 1h\n"
	"  -j, --json           JSON: a list of rows\n"
	"  -p, --pid PID        only this process\n"
	"      --keep-query     keep the query string in paths (default: cut at '?')\n"
	"      --no-tls         no libssl uprobes\n"
	"      --blacklist EXPR drop rows DataKit's netlog rules match (see README)\n"
	"  -h, --help           this text\n\n"
	"Paths are kept up to 127 bytes and the kernel copies the first 256 bytes of\n"
	"each message: a longer path is cut and its row says truncated ('~' in the\n"
	"table). The client's ephemeral port shows as '*'. Latency: from the request\n"
	"to the first byte of its response (kernel clock), average per row. Bytes:\n"
	"payload of the connection from the request to the next request or the end\n"
	"of the window (TLS: plaintext).\n";

int cmd_http(int argc, char **argv)
{
	static const struct option opts[] = { { "duration", required_argument, NULL, 'd' },
					      { "json", no_argument, NULL, 'j' },
					      { "pid", required_argument, NULL, 'p' },
					      { "keep-query", no_argument, NULL, 'q' },
					      { "no-tls", no_argument, NULL, 'T' },
					      { "blacklist", required_argument, NULL, 'B' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	double duration = 10, waited = 0;
	bool json = false, keep_query = false, tls = true;
	unsigned long pid = 0;
	struct http_engine e;
	struct http_kstats k;
	struct blacklist *bl = NULL;
	char err[256], *end;
	sigset_t set;
	int opt, sfd, ret;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:jp:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_duration(optarg, &duration)) {
				fprintf(stderr, "ebpfmon http: --duration '%s': not a duration (10s, 500ms, 2m, 1h); see 'ebpfmon http --help'\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'p':
			errno = 0;
			pid = strtoul(optarg, &end, 10);
			if (errno || *end || !pid || pid > 0x7fffffff) {
				fprintf(stderr, "ebpfmon http: --pid '%s': not a process id; see 'ebpfmon http --help'\n",
					optarg);
				return 2;
			}
			break;
		case 'q':
			keep_query = true;
			break;
		case 'T':
			tls = false;
			break;
		case 'B':
			blacklist_free(bl);
			bl = blacklist_compile(optarg, "--blacklist", err, sizeof(err));
			if (!bl) {
				fprintf(stderr, "ebpfmon http: %s\n", err);
				return 2;
			}
			break;
		case 'h':
			fputs(http_help, stdout);
			return 0;
		case ':':
			fprintf(stderr, "ebpfmon http: %s needs a value; see 'ebpfmon http --help'\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "ebpfmon http: unknown option '%s'; see 'ebpfmon http --help'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ebpfmon http: unexpected argument '%s'; see 'ebpfmon http --help'\n",
			argv[optind]);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	libbpf_set_print(quiet_print);
	ret = http_engine_open(&e, tls, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ebpfmon http: %s (run as root)\n", err);
		http_engine_close(&e);
		return 1;
	}
	e.agg.keep_query = keep_query;
	e.agg.only_pid = pid;
	if (tls && e.tls_note[0])
		fprintf(stderr, "ebpfmon http: TLS: %s\n", e.tls_note);
	if (tls && !e.nr_attached)
		fprintf(stderr, "ebpfmon http: TLS: no libssl found; plain HTTP only\n");
	fprintf(stderr, "attached\n");
	while (waited < duration) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		double step = duration - waited < 0.2 ? duration - waited : 0.2;

		http_engine_poll(&e, 0);
		if (poll(&p, 1, (int)(step * 1000) + 1) > 0)
			break;
		waited += step;
		/* A libssl first mapped by a process started after us. */
		if ((int)(waited * 5) % 5 == 0)
			http_engine_scan(&e);
	}
	http_engine_poll(&e, 0);
	http_agg_flush(&e.agg, 0, 0);
	e.agg.nr_rows = http_rows_blacklist(e.agg.rows, e.agg.nr_rows, bl);
	blacklist_free(bl);
	http_agg_sort(&e.agg);
	if (json)
		http_rows_json(stdout, e.agg.rows, e.agg.nr_rows);
	else
		http_rows_text(stdout, e.agg.rows, e.agg.nr_rows);
	http_engine_kstats(&e, &k);
	if (k.args_full || k.conns_full || k.ringbuf_full || k.ssl_full || e.agg.rows_full ||
	    e.agg.conns_full)
		fprintf(stderr, "ebpfmon http: lost: %llu syscalls, %llu connections, %llu messages (ring buffer), %llu SSL calls, %llu rows\n",
			(unsigned long long)k.args_full, (unsigned long long)k.conns_full,
			(unsigned long long)k.ringbuf_full, (unsigned long long)k.ssl_full,
			(unsigned long long)(e.agg.rows_full + e.agg.conns_full));
	http_engine_close(&e);
	close(sfd);
	return fflush(stdout) ? 1 : 0;
}
