/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files written by a cmocka test group into its own temporary directory and
 * removed with it. Include once per test program, after <cmocka.h>; set
 * TMPFILES_PREFIX to name the directory.
 */
#ifndef EBPFMON_TEST_TMPFILES_H
#define EBPFMON_TEST_TMPFILES_H

#include <stdio.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/" TMPFILES_PREFIX "-XXXXXX";
static char written[32][256];
static unsigned int nr_written;

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < nr_written; i++)
		unlink(written[i]);
	return rmdir(tmpdir);
}

/* Write @len bytes of @buf (NUL bytes too) to a file named @name in the test directory; its path. */
static const char *write_tmp_bytes(const char *name, const void *buf, size_t len)
{
	char *path;
	FILE *f;

	assert_true(nr_written < sizeof(written) / sizeof(written[0]));
	path = written[nr_written++];
	snprintf(path, sizeof(written[0]), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Write @text to a file named @name in the test directory; returns its path. */
static __attribute__((unused)) const char *write_tmp(const char *name, const char *text)
{
	return write_tmp_bytes(name, text, strlen(text));
}

#endif
