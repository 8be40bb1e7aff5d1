/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer targets: an invariant that does not hold is a
 * crash, with one line saying which, so libFuzzer saves the input.
 */
#ifndef EBPFMON_FUZZ_H
#define EBPFMON_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void __attribute__((format(printf, 2, 3)))
must(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return;
	fprintf(stderr, "invariant broken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* @data as a C string, cut at its first NUL (malloc'd: ASan sees reads past the end). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * A refusal is one line: no control character (a quoted value must not
 * reach the terminal raw), and it starts with "@origin:" when it names a
 * file. Returns the line number after "@origin:", or 0 without one.
 */
static inline unsigned long one_line_refusal(const char *err, const char *origin)
{
	size_t olen = strlen(origin);
	unsigned long line = 0;

	must(err[0] != '\0', "a refusal without a message");
	for (const char *p = err; *p; p++)
		must((unsigned char)*p >= 0x20 && *p != 0x7f,
		     "control character 0x%02x in the message '%s'", (unsigned char)*p, err);
	must(!strncmp(err, origin, olen) && err[olen] == ':',
	     "the message does not start with '%s:': '%s'", origin, err);
	if (err[olen + 1] >= '1' && err[olen + 1] <= '9')
		line = strtoul(err + olen + 1, NULL, 10);
	return line;
}

/* Lines in @data, counting a last line without '\n'. */
static inline unsigned long count_lines(const uint8_t *data, size_t size)
{
	unsigned long n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

#endif
