// SPDX-License-Identifier: GPL-2.0
/*
 * ns per syscall: read(2) of 1 byte from /dev/zero, and getppid(2).
 * Prints "read NS" and "getppid NS": the best of a few batches, which is the
 * least disturbed by the other tenants of a shared machine.
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
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int fd = open("/dev/zero", O_RDONLY);
	double best_read = 1e18, best_ppid = 1e18;
	char c;

	if (fd < 0) {
		perror("/dev/zero");
		return 1;
	}
	for (int batch = 0; batch < 5; batch++) {
		double t0 = now_ns(), t1;

		for (long i = 0; i < n; i++)
			if (read(fd, &c, 1) != 1)
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
