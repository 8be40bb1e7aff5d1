// SPDX-License-Identifier: GPL-2.0
/*
 * `ebpfmon bash`: the commands typed into interactive bash shells during a
 * window. Text: one line per command as it comes. JSON: a list of rows at
 * the end of the window (bash_api.h has the fields).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "core/config.h"
#include "core/text.h"
#include "modules/bash/bash_int.h"

int cmd_bash(int argc, char **argv);

#define BASH_EXIT_USAGE 2
/* Rows a JSON window keeps; more are counted and said on stderr. */
#define BASH_JSON_MAX_ROWS 100000

static const char bash_help[] =
	"Usage: ebpfmon bash [--duration D] [--json] [--binary PATH]...\n\n"
	"Commands typed into interactive bash shells, from a uretprobe on readline\n"
	"in each bash binary (/bin/bash, /usr/bin/bash, /usr/local/bin/bash, bash in\n"
	"$PATH, and --binary). Prints 'attached' to stderr once hooked, then each\n"
	"command as it comes, until D has passed or SIGINT/SIGTERM.\n\n"
	"  --duration D      stop after D (500ms, 10s, 2m, 1h); default: until stopped\n"
	"  --json            a JSON list of rows at the end (time, time_ns, pid, uid,\n"
	"                    user, comm, cmd, truncated, message: DataKit's fields)\n"
	"  --binary PATH     hook this bash binary too (repeatable)\n"
	"  -h, --help        this text\n\n"
	"A line is kept up to 511 bytes; a longer one is cut there and marked\n"
	"truncated. Empty lines are not shown.\n";

struct bash_cmd {
	bool json;
	struct bash_row *rows;
	size_t nr, cap, dropped;
};

static int usage(const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	text_make_printable(msg);
	fprintf(stderr, "ebpfmon bash: %s; see 'ebpfmon bash --help'\n", msg);
	return BASH_EXIT_USAGE;
}

static int print_row(void *ctx, struct bash_row *row)
{
	struct bash_cmd *c = ctx;
	char when[48], cmd[sizeof(row->cmd)];

	if (c->json) {
		if (c->nr == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			struct bash_row *r;

			if (c->nr >= BASH_JSON_MAX_ROWS ||
			    !(r = realloc(c->rows, (cap > BASH_JSON_MAX_ROWS ? BASH_JSON_MAX_ROWS : cap) *
							   sizeof(*r)))) {
				c->dropped++;
				return 0;
			}
			c->rows = r;
			c->cap = cap > BASH_JSON_MAX_ROWS ? BASH_JSON_MAX_ROWS : cap;
		}
		c->rows[c->nr++] = *row;
		return 0;
	}
	bash_format_time(row->time_ns, when, sizeof(when));
	/* A typed escape sequence must not drive the reader's terminal. */
	memcpy(cmd, row->cmd, sizeof(cmd));
	text_make_printable(cmd);
	printf("%-25s %7u %-12s %s%s\n", when, row->pid, row->user, cmd,
	       row->truncated ? " [truncated at 511 bytes]" : "");
	fflush(stdout);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_bash(int argc, char **argv)
{
	static const struct option opts[] = { { "duration", required_argument, NULL, 'd' },
					      { "json", no_argument, NULL, 'j' },
					      { "binary", required_argument, NULL, 'b' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct bash_cmd c = {};
	struct bash_binaries bins;
	struct bash_kern k;
	struct bash_stats st;
	char extra[1024] = "", err[512];
	double duration = 0, end;
	sigset_t set;
	int opt, ret, sigfd;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_duration(optarg, &duration))
				return usage("bad --duration '%s': use 500ms, 10s, 2m, 1h", optarg);
			break;
		case 'j':
			c.json = true;
			break;
		case 'b': {
			size_t used = strlen(extra);

			if (strchr(optarg, ' ') || strchr(optarg, ',') || strchr(optarg, ':'))
				return usage("--binary '%s': a path with a blank, comma or colon is not supported", optarg);
			if (used + strlen(optarg) + 2 > sizeof(extra))
				return usage("too many --binary paths (at most %s characters)", "1000");
			snprintf(extra + used, sizeof(extra) - used, "%s%s", used ? " " : "", optarg);
			break;
		}
		case 'h':
			fputs(bash_help, stdout);
			return 0;
		default:
			return usage("unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (bash_find_binaries(&bins, extra, err, sizeof(err))) {
		text_make_printable(err);
		fprintf(stderr, "ebpfmon bash: %s; give a bash binary with a readline function\n", err);
		return BASH_EXIT_USAGE;
	}
	libbpf_set_print(NULL);
	/* Block the stop signals before attaching: none may kill us with probes attached. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	ret = bash_kern_open(&k, &bins, print_row, &c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ebpfmon bash: %s%s\n", err,
			ret == -EPERM || ret == -EACCES ? " (run as root, or with CAP_BPF and CAP_PERFMON)" : "");
		if (sigfd >= 0)
			close(sigfd);
		return 1;
	}
	fprintf(stderr, "attached: readline in");
	for (unsigned int i = 0; i < bins.nr; i++)
		fprintf(stderr, " %s", bins.path[i]);
	fprintf(stderr, " (%s)\n", k.sleepable ? "sleepable uretprobe: lines on pages not in memory are read too"
						: "uretprobe: lines on pages not in memory are counted unreadable");
	if (!c.json)
		printf("%-25s %7s %-12s %s\n", "TIME", "PID", "USER", "CMD");
	fflush(stdout);
	end = duration > 0 ? now_s() + duration : 0;
	for (;;) {
		struct pollfd p[2] = { { ring_buffer__epoll_fd(k.rb), POLLIN, 0 },
				       { sigfd, POLLIN, 0 } };
		double left = end ? end - now_s() : -1;
		int ms = end ? (left <= 0 ? 0 : (int)(left * 1000) + 1) : -1;

		if (end && left <= 0)
			break;
		ret = poll(p, sigfd >= 0 ? 2 : 1, ms);
		if (ret < 0 && errno != EINTR)
			break;
		if (ret > 0 && p[0].revents)
			ring_buffer__consume(k.rb);
		if (ret > 0 && sigfd >= 0 && p[1].revents)
			break;
	}
	/* What is in the ring buffer was typed during the window. */
	ring_buffer__consume(k.rb);
	bash_kern_stats(&k, &st);
	bash_kern_close(&k);
	if (sigfd >= 0)
		close(sigfd);
	if (c.json) {
		fputc('[', stdout);
		for (size_t i = 0; i < c.nr; i++) {
			fputs(i ? ",\n" : "\n", stdout);
			bash_row_json(stdout, &c.rows[i]);
		}
		fputs(c.nr ? "\n]\n" : "]\n", stdout);
	}
	free(c.rows);
	if (st.lost || st.read_error || c.dropped)
		fprintf(stderr,
			"ebpfmon bash: %llu lines lost (ring buffer full), %llu unreadable, %zu over the %d rows of --json\n",
			(unsigned long long)st.lost, (unsigned long long)st.read_error, c.dropped,
			BASH_JSON_MAX_ROWS);
	if (fflush(stdout)) {
		fprintf(stderr, "ebpfmon bash: writing the output failed: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
