// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O with a known number of requests, for the disk tests:
 *   dio DEVICE WRITES READS [BLOCK]
 * opens DEVICE with O_DIRECT, writes WRITES blocks then reads READS blocks
 * (BLOCK bytes, default 4096, each at its own offset, one call each: a
 * synchronous direct I/O of one aligned block is one block request), prints
 * "done" and keeps the device open until its stdin closes, so that the
 * test can read the counters before the close (closing a block device
 * written to may make udev probe it: requests that are not ours).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long writes, reads, bs = 4096;
	char *buf, line[16];
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: dio DEVICE WRITES READS [BLOCK]\n");
		return 2;
	}
	writes = atol(argv[2]);
	reads = atol(argv[3]);
	if (argc == 5)
		bs = atol(argv[4]);
	if (writes < 0 || reads < 0 || bs <= 0 || bs % 512) {
		fprintf(stderr, "dio: bad counts or block size\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, (size_t)bs)) {
		fprintf(stderr, "dio: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(buf, 0x5a, (size_t)bs);
	for (long i = 0; i < writes; i++) {
		if (pwrite(fd, buf, (size_t)bs, i * bs) != bs) {
			fprintf(stderr, "dio: write %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	for (long i = 0; i < reads; i++) {
		if (pread(fd, buf, (size_t)bs, i * bs) != bs) {
			fprintf(stderr, "dio: read %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("done\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	close(fd);
	free(buf);
	return 0;
}
