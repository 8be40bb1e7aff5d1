// SPDX-License-Identifier: GPL-2.0
/*
 * The filesystem module's workload: on one file in DIR, exactly OPENS opens,
 * READS reads, WRITES writes and SYNCS syncs of regular files, through every
 * syscall the module times (open, creat, openat, openat2; read, readv,
 * pread64, preadv, preadv2; the same for write; fsync, fdatasync), plus
 * calls it must not time: failed opens, reads of a pipe, a directory open.
 *
 *   fsload DIR OPENS READS WRITES SYNCS
 *
 * Prints "op calls ns" for read, write, open and sync: the calls made and
 * the time they took as this process saw it (CLOCK_MONOTONIC around each
 * call, so it contains the kernel's own measure), "dirsync 1 0" for the
 * directory's fsync, and "hist_<op> c0 .. c23": those calls in Netdata's 24
 * log2 microsecond bins (slot k: at most 2^k us). Every result is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { OP_READ, OP_WRITE, OP_OPEN, OP_SYNC, NR_OPS };
static const char *const op_names[NR_OPS] = {"read", "write", "open", "sync"};
static long calls[NR_OPS], ns[NR_OPS];
/* Netdata's 24 bins: slot k holds the calls of at most 1000 * 2^k ns (slot 23: the rest). */
#define SLOTS 24
static long hist[NR_OPS][SLOTS];
static struct timespec t0;

static void die(const char *what)
{
	fprintf(stderr, "fsload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static void done(int op)
{
	struct timespec t1;
	long d;
	int k = 0;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	d = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	while (k < SLOTS - 1 && d > 1000L << k)
		k++;
	hist[op][k]++;
	ns[op] += d;
	calls[op]++;
}

/* The i-th open, through open, creat, openat and openat2 in turn. */
static int do_open(const char *path, int i)
{
	struct open_how how = {.flags = O_RDWR};
	long fd;

	start();
	switch (i % 4) {
	case 0:
		fd = syscall(SYS_open, path, O_RDWR);
		break;
	case 1:
		fd = syscall(SYS_creat, path, 0644); /* truncates: the writes come after */
		break;
	case 2:
		fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR);
		break;
	default:
		fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		break;
	}
	done(OP_OPEN);
	if (fd < 0)
		die("open");
	return (int)fd;
}

int main(int argc, char **argv)
{
	char path[4096], buf[4096], *end;
	struct iovec iov = {buf, sizeof(buf)};
	long n[4];
	int fd, p[2];

	if (argc != 6) {
		fprintf(stderr, "usage: fsload DIR OPENS READS WRITES SYNCS\n");
		return 2;
	}
	for (int i = 0; i < 4; i++) {
		n[i] = strtol(argv[i + 2], &end, 10);
		if (*end || n[i] < 0 || (i == 0 && n[i] < 1)) {
			fprintf(stderr, "fsload: bad count '%s'\n", argv[i + 2]);
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/fsload.dat", argv[1]);
	memset(buf, 'x', sizeof(buf));

	/* The file must exist for open(2) without O_CREAT: the first open creates it. */
	start();
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	done(OP_OPEN);
	if (fd < 0)
		die("create");
	for (long i = 0; i < n[2]; i++) {
		long r;
		off_t off = (i % 64) * (off_t)sizeof(buf);

		/* write(2) and writev(2) write where the offset is: set it first, untimed. */
		if (i % 5 == 0 || i % 5 == 2)
			if (lseek(fd, off, SEEK_SET) < 0)
				die("lseek");
		start();
		switch (i % 5) {
		case 0:
			r = write(fd, buf, sizeof(buf));
			break;
		case 1:
			r = pwrite(fd, buf, sizeof(buf), off);
			break;
		case 2:
			r = writev(fd, &iov, 1);
			break;
		case 3:
			r = pwritev(fd, &iov, 1, off);
			break;
		default:
			r = pwritev2(fd, &iov, 1, off, 0);
			break;
		}
		done(OP_WRITE);
		if (r != (long)sizeof(buf))
			die("write");
	}
	for (long i = 0; i < n[1]; i++) {
		long r;
		off_t off = (i % 64) * (off_t)sizeof(buf);

		start();
		switch (i % 5) {
		case 0:
			r = pread(fd, buf, sizeof(buf), off);
			break;
		case 1:
			r = preadv(fd, &iov, 1, off);
			break;
		case 2:
			r = preadv2(fd, &iov, 1, off, 0);
			break;
		case 3:
			r = read(fd, buf, sizeof(buf)); /* at the end of the file: 0 is fine */
			break;
		default:
			r = readv(fd, &iov, 1);
			break;
		}
		done(OP_READ);
		if (r < 0)
			die("read");
	}
	for (long i = 0; i < n[3]; i++) {
		int r;

		start();
		r = i % 2 ? fdatasync(fd) : fsync(fd);
		done(OP_SYNC);
		if (r)
			die("fsync");
	}
	if (close(fd))
		die("close");
	/* creat truncates: the last opens come after the reads and writes. */
	for (long i = 1; i < n[0]; i++) {
		fd = do_open(path, (int)i);
		if (close(fd))
			die("close");
	}

	/*
	 * Not timed at the syscall layer: a failed open, a directory's open and
	 * fsync (ext4's exact sync hook does see that fsync: "dirsync"), a pipe.
	 */
	snprintf(path, sizeof(path), "%s/fsload.missing", argv[1]);
	if (open(path, O_RDONLY) >= 0 || errno != ENOENT)
		die("open of a missing file succeeded");
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) || close(fd))
		die("directory");
	if (pipe(p) || write(p[1], "x", 1) != 1 || read(p[0], buf, 1) != 1)
		die("pipe");

	for (int op = 0; op < NR_OPS; op++)
		printf("%s %ld %ld\n", op_names[op], calls[op], ns[op]);
	printf("dirsync 1 0\n");
	for (int op = 0; op < NR_OPS; op++) {
		printf("hist_%s", op_names[op]);
		for (int k = 0; k < SLOTS; k++)
			printf(" %ld", hist[op][k]);
		printf("\n");
	}
	return 0;
}
