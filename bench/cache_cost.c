// SPDX-License-Identifier: GPL-2.0
/*
 * The page-cache hot paths cachestat hooks, timed:
 *
 *   cache_cost hit FILE N     N 4 KiB pread(2)s of a cached FILE (one
 *                             mm_filemap_get_pages each): ns per read
 *   cache_cost insert FILE MIB ROUNDS
 *                             a sparse file of MIB MiB (holes: no disk I/O),
 *                             evicted (POSIX_FADV_DONTNEED) then read with
 *                             128 KiB reads, ROUNDS times: every page is
 *                             inserted into the page cache (by folio): ns per
 *                             page inserted (evictions included)
 *   cache_cost dirty FILE MIB ROUNDS
 *                             MIB MiB written page by page over a file whose
 *                             pages are cached and clean (fdatasync between
 *                             rounds, not timed): ns per page dirtied
 *
 * With CACHE_COST_STATS=1 it also turns on the kernel's BPF run-time
 * statistics for its own run (BPF_ENABLE_STATS: fd-scoped, off again when
 * it exits) and prints, after the time, each loaded program whose name
 * starts with "cachestat_" that ran meanwhile: "NAME RUNS NS_PER_RUN".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define MAX_PROGS 64

/* Programs named cachestat_*: their run counts and times, to take deltas. */
struct prog_stat {
	unsigned int id;
	char name[16];
	unsigned long long cnt, ns;
};

static int read_stats(struct prog_stat *out)
{
	unsigned int id = 0;
	int n = 0;

	while (n < MAX_PROGS && !bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		unsigned int len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strncmp(info.name, "cachestat_", 10)) {
			out[n].id = id;
			memcpy(out[n].name, info.name, sizeof(out[n].name));
			out[n].cnt = info.run_cnt;
			out[n].ns = info.run_time_ns;
			n++;
		}
		close(fd);
	}
	return n;
}

static struct prog_stat before[MAX_PROGS], after[MAX_PROGS];
static int nr_before, stats_fd = -1;

static void stats_start(void)
{
	if (!getenv("CACHE_COST_STATS"))
		return;
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	nr_before = read_stats(before);
}

static void stats_print(void)
{
	int n;

	if (stats_fd < 0)
		return;
	n = read_stats(after);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < nr_before; j++)
			if (after[i].id == before[j].id && after[i].cnt > before[j].cnt)
				printf("%s %llu %.1f\n", after[i].name, after[i].cnt - before[j].cnt,
				       (double)(after[i].ns - before[j].ns) /
					       (after[i].cnt - before[j].cnt));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	static char buf[128 * 1024];
	long page = sysconf(_SC_PAGESIZE);
	double t0, spent = 0;
	int fd;

	if (argc < 4) {
		fprintf(stderr, "usage: cache_cost hit FILE N | insert FILE MIB ROUNDS | dirty FILE MIB ROUNDS\n");
		return 1;
	}
	stats_start();
	if (!strcmp(argv[1], "hit")) {
		long n = atol(argv[3]), pages;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return die("open");
		pages = lseek(fd, 0, SEEK_END) / page;
		if (pages < 1)
			return die("empty file");
		for (long i = 0; i < pages; i++) /* warm it */
			if (pread(fd, buf, page, i * page) != page)
				return die("pread");
		t0 = now();
		for (long i = 0; i < n; i++)
			if (pread(fd, buf, page, (i % pages) * page) != page)
				return die("pread");
		printf("%.1f\n", (now() - t0) / n);
		stats_print();
		return 0;
	}
	if (argc < 5)
		return die("MIB ROUNDS");
	long mib = atol(argv[3]), rounds = atol(argv[4]), pages = mib * (1 << 20) / page;

	if (!strcmp(argv[1], "insert")) {
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, mib << 20))
			return die("sparse file");
		for (long r = 0; r < rounds; r++) {
			ssize_t got;

			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			lseek(fd, 0, SEEK_SET);
			t0 = now();
			while ((got = read(fd, buf, sizeof(buf))) > 0)
				;
			spent += now() - t0;
			if (got < 0)
				return die("read");
		}
		printf("%.1f\n", spent / (rounds * pages));
		stats_print();
		return 0;
	}
	if (!strcmp(argv[1], "dirty")) {
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return die("open");
		memset(buf, 'x', sizeof(buf));
		for (long i = 0; i < pages; i++)
			if (write(fd, buf, page) != page)
				return die("write");
		for (long r = 0; r < rounds; r++) {
			if (fdatasync(fd))
				return die("fdatasync");
			t0 = now();
			for (long i = 0; i < pages; i++)
				if (pwrite(fd, buf, page, i * page) != page)
					return die("pwrite");
			spent += now() - t0;
		}
		printf("%.1f\n", spent / (rounds * pages));
		stats_print();
		return 0;
	}
	return die("mode");
}
