// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration files are read whole, before parsing, so that the parser
 * sees every byte (a NUL in a line included) and a file that is not text
 * cannot make it block (a FIFO nobody writes) or read without end
 * (/dev/zero).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "core/textfile.h"

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a plain file";
}

char *text_file_read(const char *path, size_t *len, char *err, size_t errlen)
{
	size_t used = 0, cap = 4096;
	struct stat st;
	char *buf;
	int fd;

	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		seterr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: is %s, not a regular file; give the path of a text file",
		       path, file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	buf = malloc(cap);
	if (!buf) {
		seterr(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	/*
	 * st_size is only a hint: /proc and /sys files say 0, and a file may grow
	 * meanwhile. One byte more than the limit tells a file that is too big.
	 */
	for (;;) {
		ssize_t n;

		if (used + 1 == cap) {
			/* used <= the limit here, so the buffer can always still grow. */
			size_t ncap = cap * 2 < TEXT_FILE_MAX_BYTES + 2 ? cap * 2
								 : TEXT_FILE_MAX_BYTES + 2;
			char *nbuf = realloc(buf, ncap);

			if (!nbuf) {
				seterr(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			seterr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += n;
		if (used > TEXT_FILE_MAX_BYTES) {
			seterr(err, errlen,
			       "%s: is larger than %d KiB; give the path of a configuration file",
			       path, TEXT_FILE_MAX_BYTES / 1024);
			goto fail;
		}
	}
	close(fd);
	buf[used] = '\0';
	*len = used;
	return buf;

fail:
	free(buf);
	close(fd);
	return NULL;
}
