// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_stats CMD: run CMD (through sh -c) with the kernel's BPF run-time
 * statistics on (BPF_ENABLE_STATS: run_time_ns and run_cnt of every
 * program), for as long as it runs; they go off when this exits, without
 * touching the kernel.bpf_stats_enabled sysctl anyone else may rely on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	int fd, status;

	if (argc != 2) {
		fprintf(stderr, "usage: bpf_stats 'COMMAND'\n");
		return 2;
	}
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		fprintf(stderr, "bpf_stats: BPF_ENABLE_STATS: %s\n", strerror(-fd));
		return 1;
	}
	status = system(argv[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
