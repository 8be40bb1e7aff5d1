// SPDX-License-Identifier: GPL-2.0
/*
 * The line protocol writer's escaping (export/influx.h) on any string: the
 * written text must read back, with a line protocol reader written apart
 * from the writer, as the input with each control character made '?':
 *  - a tag key or value (and a field key) has no unescaped comma, equals sign
 *    or space and no line break, so it cannot split its line;
 *  - a measurement has no unescaped comma or space;
 *  - a string field value is quoted, with no unescaped quote inside.
 * The reader: a backslash takes the next character with it; "\X" is X when
 * X is one of the part's escapable characters or a backslash, else both stay.
 */
#include "export/influx.h"
#include "fuzz/fuzz.h"

/* The input as it should come back: control characters as '?'. */
static char *expected(const char *s)
{
	char *e = strdup(s);

	must(e != NULL, "out of memory");
	for (char *p = e; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return e;
}

/*
 * Read @text (@len bytes) back; @special are the escapable characters, which
 * must not appear unescaped (@quote: the text is a quoted string).
 */
static char *read_back(const char *text, size_t len, const char *special, bool quote)
{
	char *out = malloc(len + 1);
	size_t n = 0, i = 0, end = len;

	must(out != NULL, "out of memory");
	if (quote) {
		must(len >= 2 && text[0] == '"' && text[len - 1] == '"', "string not quoted: %.*s",
		     (int)len, text);
		i = 1;
		end = len - 1;
	}
	for (; i < end; i++) {
		char c = text[i];

		must(c != '\n' && c != '\r', "a line break in '%.*s'", (int)len, text);
		if (c == '\\') {
			must(i + 1 < end, "a backslash escapes what follows the part: '%.*s'",
			     (int)len, text);
			c = text[++i];
			if (c == '\\' || strchr(special, c)) {
				out[n++] = c;
			} else {
				out[n++] = '\\';
				out[n++] = c;
			}
			continue;
		}
		must(!strchr(special, c), "unescaped '%c' in '%.*s'", c, (int)len, text);
		out[n++] = c;
	}
	out[n] = 0;
	return out;
}

enum part { KEY, MEASUREMENT, STRING };

static void check(const char *s, enum part part)
{
	static const char *const specials[] = {",= ", ", ", "\""};
	char *buf = NULL, *back, *want = expected(s);
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	must(f != NULL, "out of memory");
	if (part == KEY)
		influx_put_key(f, s, strlen(s));
	else if (part == MEASUREMENT)
		influx_put_measurement(f, s);
	else
		influx_put_string(f, s);
	must(!fclose(f), "write failed");
	back = read_back(buf, len, specials[part], part == STRING);
	must(!strcmp(back, want), "part %d: '%s' written as '%s' reads back as '%s'", part, s, buf,
	     back);
	free(back);
	free(buf);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);

	check(s, KEY);
	check(s, MEASUREMENT);
	check(s, STRING);
	free(s);
	return 0;
}
