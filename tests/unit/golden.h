/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for exporter unit tests: golden files and external checkers.
 * Header-only (static) because every tests/unit/test_*.c is its own binary.
 *
 * Golden files live in tests/golden/ (tests run from the repository root).
 * UPDATE_GOLDEN=1 rewrites them from the current output instead of comparing;
 * review the diff before committing.
 */
#ifndef EBPFMON_TEST_GOLDEN_H
#define EBPFMON_TEST_GOLDEN_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define GOLDEN_DIR "tests/golden/"

static char *golden_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	fclose(mem);
	return buf;
}

static void golden_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Run @cmd through sh with @input on its stdin; returns its exit status, output in @out. */
static int run_with_input(const char *cmd, const char *input, char **out)
{
	char in_path[] = "/tmp/ebpfmon-test-XXXXXX";
	char *full;
	FILE *p;
	int fd = mkstemp(in_path), status;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, input, strlen(input)), (ssize_t)strlen(input));
	close(fd);
	assert_true(asprintf(&full, "%s < %s 2>&1", cmd, in_path) > 0);
	p = popen(full, "r");
	assert_non_null(p);
	{
		size_t len = 0;
		FILE *mem = open_memstream(out, &len);
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
			fwrite(chunk, 1, n, mem);
		fclose(mem);
	}
	status = pclose(p);
	unlink(in_path);
	free(full);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool have_command(const char *name)
{
	char *cmd, *out = NULL;
	int rc;

	assert_true(asprintf(&cmd, "command -v %s >/dev/null", name) > 0);
	rc = run_with_input(cmd, "", &out);
	free(cmd);
	free(out);
	return rc == 0;
}

/* Compare @text with tests/golden/@name, showing a diff on mismatch. */
static void golden_check(const char *name, const char *text)
{
	char *path, *want, *cmd, *diff = NULL;
	const char *update = getenv("UPDATE_GOLDEN");

	assert_true(asprintf(&path, GOLDEN_DIR "%s", name) > 0);
	if (update && !strcmp(update, "1")) {
		golden_write(path, text);
		free(path);
		return;
	}
	want = golden_read(path);
	if (!want)
		fail_msg("%s: %s (run with UPDATE_GOLDEN=1 to create it)", path, strerror(errno));
	if (strcmp(want, text)) {
		assert_true(asprintf(&cmd, "diff -u %s -", path) > 0);
		run_with_input(cmd, text, &diff);
		print_message("# %s differs (- golden, + actual; UPDATE_GOLDEN=1 rewrites):\n%s",
			      path, diff);
		free(cmd);
		free(diff);
		free(want);
		fail_msg("%s: output differs from the golden file", path);
	}
	free(want);
	free(path);
}

#endif
