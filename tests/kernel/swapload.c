// SPDX-License-Identifier: GPL-2.0
/*
 * Swap workload for the swap test: `swapload MIB [PASSES]` fills MIB MiB of
 * anonymous memory with non-zero data (the kernel keeps all-zero pages out
 * of swap, so they would not count), then reads every page PASSES more times
 * (default 1). Run in a memory cgroup whose limit is below MIB, the kernel
 * swaps pages out while it fills and in while it reads. Exit 0, or 1 with a
 * one-line message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE), mib, passes = 1, pages;
	unsigned long sum = 0;
	char *end;
	unsigned char *p;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: swapload MIB [PASSES]\n");
		return 1;
	}
	mib = strtol(argv[1], &end, 10);
	if (*end || mib <= 0 || mib > 1 << 20) {
		fprintf(stderr, "swapload: MIB must be a positive number, not '%s'\n", argv[1]);
		return 1;
	}
	if (argc == 3) {
		passes = strtol(argv[2], &end, 10);
		if (*end || passes < 0) {
			fprintf(stderr, "swapload: PASSES must be a number, not '%s'\n", argv[2]);
			return 1;
		}
	}
	pages = mib * (1024 * 1024 / page);
	p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("swapload: mmap");
		return 1;
	}
	/* No transparent huge pages: one page at a time in and out, as counted. */
	madvise(p, pages * page, MADV_NOHUGEPAGE);
	for (long i = 0; i < pages; i++)
		for (long j = 0; j < page; j += 64)
			p[i * page + j] = (unsigned char)(i * 31 + j / 64 + 1) | 1;
	for (long k = 0; k < passes; k++)
		for (long i = 0; i < pages; i++)
			sum += p[i * page + (k * 64) % page];
	printf("%lu\n", sum);
	return 0;
}
