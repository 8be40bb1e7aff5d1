/* SPDX-License-Identifier: GPL-2.0 */
/* Small text helpers shared by the configuration and apps-groups parsers. */
#ifndef EBPFMON_TEXT_H
#define EBPFMON_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

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

#endif
