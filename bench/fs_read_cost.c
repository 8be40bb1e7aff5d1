// SPDX-License-Identifier: GPL-2.0
/*
 * ns per pread(2) of 4 KiB from FILE (in the page cache after the first
 * batch), and per getppid(2), a syscall the filesystem module does not time
 * but whose cost its syscall hooks raise too. Prints "read NS" and
 * "getppid NS": the best of 5 batches of N calls, the least disturbed by the
 * machine's other tenants.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 200000;
	double best_read = 1e18, best_ppid = 1e18;
	static char buf[4096];
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: fs_read_cost FILE [N]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int batch = 0; batch < 5; batch++) {
		double t0 = now_ns(), t1;

		for (long i = 0; i < n; i++)
			if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
				return 1;
		t1 = now_ns();
		if ((t1 - t0) / n < best_read)
			best_read = (t1 - t0) / n;
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		t1 = now_ns();
		if ((t1 - t0) / n < best_ppid)
			best_ppid = (t1 - t0) / n;
	}
	printf("read %.1f\ngetppid %.1f\n", best_read, best_ppid);
	return 0;
}
