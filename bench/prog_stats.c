// SPDX-License-Identifier: GPL-2.0
/*
 * prog_stats SECONDS PID...: run time of the BPF programs the given
 * processes hold, over SECONDS. Turns the kernel's run-time statistics on
 * through BPF_ENABLE_STATS (fd-scoped: off again when we exit, the sysctl
 * untouched), reads every program's run_cnt and run_time_ns before and
 * after, and prints one line per program: "PID NAME RUN_CNT RUN_TIME_NS"
 * (the deltas).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define MAX_PROGS 256

struct prog {
	int pid;
	unsigned int id;
	int fd;
	char name[16];
	unsigned long long cnt, ns;
};

static struct prog progs[MAX_PROGS];
static int nr;

static void find_progs(int pid)
{
	char path[320], line[128];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && nr < MAX_PROGS) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned int id;
			bool seen = false;

			if (sscanf(line, "prog_id: %u", &id) != 1)
				continue;
			for (int i = 0; i < nr; i++)
				seen |= progs[i].id == id;
			if (!seen) {
				progs[nr].pid = pid;
				progs[nr++].id = id;
			}
		}
		fclose(f);
	}
	closedir(d);
}

static void sample(bool first)
{
	for (int i = 0; i < nr; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (progs[i].fd < 0 || bpf_obj_get_info_by_fd(progs[i].fd, &info, &len))
			continue;
		if (first) {
			snprintf(progs[i].name, sizeof(progs[i].name), "%s", info.name);
			progs[i].cnt = info.run_cnt;
			progs[i].ns = info.run_time_ns;
		} else {
			progs[i].cnt = info.run_cnt - progs[i].cnt;
			progs[i].ns = info.run_time_ns - progs[i].ns;
		}
	}
}

int main(int argc, char **argv)
{
	int stats_fd;
	double secs;

	if (argc < 3 || (secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: prog_stats SECONDS PID...\n");
		return 2;
	}
	for (int a = 2; a < argc; a++)
		find_progs(atoi(argv[a]));
	for (int i = 0; i < nr; i++)
		progs[i].fd = bpf_prog_get_fd_by_id(progs[i].id);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "prog_stats: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	sample(true);
	usleep((useconds_t)(secs * 1e6));
	sample(false);
	for (int i = 0; i < nr; i++)
		if (progs[i].fd >= 0)
			printf("%d %s %llu %llu\n", progs[i].pid, progs[i].name, progs[i].cnt,
			       progs[i].ns);
	close(stats_fd);
	return 0;
}
