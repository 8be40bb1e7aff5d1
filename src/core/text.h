/* SPDX-License-Identifier: GPL-2.0 */
/* Small text helpers shared by the configuration and apps-groups parsers. */
#ifndef EBPFMON_TEXT_H
#define EBPFMON_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Format a one-line error message into @err (NULL-safe). */
static inline void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static inline bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Line number (from 1) of the first NUL byte in @buf[0, @len), or 0 when there is none. */
static inline unsigned int text_nul_line(const char *buf, size_t len)
{
	const char *nul = memchr(buf, '\0', len);
	unsigned int line = 1;

	if (!nul)
		return 0;
	for (const char *p = buf; p < nul; p++)
		line += *p == '\n';
	return line;
}

/*
 * Replace control characters in a message with '?': messages quote what the
 * user wrote, and an escape sequence or a line break in a value must not
 * move the terminal's cursor or split the one line a refusal gets.
 */
static inline void text_make_printable(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

#endif
