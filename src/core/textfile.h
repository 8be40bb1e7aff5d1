/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a configuration-like text file whole, refusing what cannot be one. */
#ifndef EBPFMON_TEXTFILE_H
#define EBPFMON_TEXTFILE_H

#include <stddef.h>

/* Far above any real configuration or apps_groups.conf (Netdata's is 16 KiB). */
#define TEXT_FILE_MAX_BYTES (1024 * 1024)

/*
 * Read the regular file @path whole: at most TEXT_FILE_MAX_BYTES. Returns a
 * malloc'd buffer with a NUL appended (*@len does not count it), or NULL with
 * "PATH: problem; what to do" in @err. A FIFO, a device (/dev/zero) or a
 * directory is refused without reading from it. NUL bytes inside are left to
 * the parser, which can name their line.
 */
char *text_file_read(const char *path, size_t *len, char *err, size_t errlen);

#endif
