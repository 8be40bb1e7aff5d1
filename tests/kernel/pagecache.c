// SPDX-License-Identifier: GPL-2.0
/*
 * Page-cache workloads whose numbers are known, for the cachestat test and
 * bench (its process name, "pagecache", is the application the test reads):
 *
 *   pagecache create FILE PAGES     write PAGES pages, fsync, evict: a cold file
 *   pagecache evict FILE            fsync + POSIX_FADV_DONTNEED: only this file
 *                                   leaves the cache (drop_caches would disturb
 *                                   every other test on the machine)
 *   pagecache read FILE [BUF]       read the whole file with BUF-byte read(2)s
 *   pagecache write FILE PAGES      PAGES page-sized writes to a new file (no
 *                                   fsync: the dirtying is what is counted)
 *   pagecache resident FILE         pages of FILE in the cache (mincore)
 *
 * Steps can be chained after "--": pagecache read F -- read F reads twice in
 * one process. Exit 0, or 1 with a one-line message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long page;

static int fail(const char *what, const char *file)
{
	fprintf(stderr, "pagecache: %s %s: %s\n", what, file, strerror(errno));
	return 1;
}

static int evict(const char *file)
{
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return fail("open", file);
	/* Dirty pages are not dropped: write them back first. */
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
		close(fd);
		return fail("evict", file);
	}
	close(fd);
	return 0;
}

static int fill(const char *file, long pages, int flags)
{
	char *buf = malloc(page);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | flags, 0600);

	if (!buf || fd < 0)
		return fail("open", file);
	memset(buf, 'x', page);
	for (long i = 0; i < pages; i++)
		if (write(fd, buf, page) != page) {
			close(fd);
			return fail("write", file);
		}
	free(buf);
	close(fd);
	return 0;
}

static int read_all(const char *file, long bufsz)
{
	char *buf = malloc(bufsz);
	int fd = open(file, O_RDONLY);
	ssize_t n;

	if (!buf || fd < 0)
		return fail("open", file);
	while ((n = read(fd, buf, bufsz)) > 0)
		;
	close(fd);
	free(buf);
	return n < 0 ? fail("read", file) : 0;
}

static int resident(const char *file)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	unsigned char *vec;
	long pages, in = 0;
	void *p;

	if (fd < 0 || fstat(fd, &st))
		return fail("open", file);
	pages = (st.st_size + page - 1) / page;
	if (!pages) {
		printf("0\n");
		return 0;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	vec = malloc(pages);
	if (p == MAP_FAILED || !vec || mincore(p, st.st_size, vec))
		return fail("mincore", file);
	for (long i = 0; i < pages; i++)
		in += vec[i] & 1;
	printf("%ld\n", in);
	return 0;
}

static long number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "pagecache: %s must be a positive number, not '%s'\n", what, s);
		exit(1);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pagecache create|evict|read|write|resident FILE [N] [-- step...]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	int i = 1;

	page = sysconf(_SC_PAGESIZE);
	while (i < argc) {
		const char *op = argv[i], *file = i + 1 < argc ? argv[i + 1] : NULL;
		const char *arg = i + 2 < argc && strcmp(argv[i + 2], "--") ? argv[i + 2] : NULL;
		int err;

		if (!file || (!arg && (!strcmp(op, "create") || !strcmp(op, "write"))))
			usage();
		if (!strcmp(op, "create"))
			err = fill(file, number(arg, "PAGES"), 0) || evict(file);
		else if (!strcmp(op, "evict"))
			err = evict(file);
		else if (!strcmp(op, "read"))
			err = read_all(file, arg ? number(arg, "BUF") : 128 * 1024);
		else if (!strcmp(op, "write"))
			err = fill(file, number(arg, "PAGES"), 0);
		else if (!strcmp(op, "resident"))
			err = resident(file);
		else
			usage();
		if (err)
			return 1;
		i += arg ? 3 : 2;
		if (i < argc && strcmp(argv[i++], "--"))
			usage();
	}
	return 0;
}
