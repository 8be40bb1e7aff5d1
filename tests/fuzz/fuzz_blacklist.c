// SPDX-License-Identifier: GPL-2.0
/*
 * The netlog blacklist compiler and evaluator (core/blacklist.c). Beyond "no
 * crash, no leak, bounded time": a text either compiles or gives one
 * printable line that names the blacklist and a line and column inside the
 * text; a compiled text evaluates on rows made from the input's bytes, the
 * same twice, and a rule list joined with itself (A;A) matches exactly when
 * A does.
 */
#include <ctype.h>

#include "core/blacklist.h"
#include "fuzz/fuzz.h"

static void row_of(const uint8_t *data, size_t size, struct bl_row *r)
{
	uint8_t b[40] = { 0 };

	memcpy(b, data, size < sizeof(b) ? size : sizeof(b));
	memset(r, 0, sizeof(*r));
	r->tcp = b[0] & 1;
	r->udp = !r->tcp;
	r->ipv4 = b[0] & 2;
	r->ipv6 = !r->ipv4;
	r->src_port = (uint16_t)(b[1] << 8 | b[2]);
	r->dst_port = (uint16_t)(b[3] << 8 | b[4]);
	memcpy(r->saddr, b + 5, 16);
	memcpy(r->daddr, b + 21, 16);
	r->k8s_src_pod = (b[0] & 4) ? "datakit-x" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size), err[512] = "", *twice;
	struct blacklist *b = blacklist_compile(text, "fuzz", err, sizeof(err)), *b2;
	struct bl_row r;

	if (!b) {
		unsigned int line, col;

		must(err[0], "no message for a refused text");
		for (const char *p = err; *p; p++)
			must(isprint((unsigned char)*p) || (*p & 0x80), "unprintable byte in the message");
		must(!strncmp(err, "fuzz: ", 6), "the message does not name the blacklist: %s", err);
		if (sscanf(err, "fuzz: line %u, column %u:", &line, &col) == 2)
			must(line >= 1 && col >= 1 && col <= strlen(text) + 1,
			     "line %u column %u outside the text: %s", line, col, err);
		free(text);
		return 0;
	}
	row_of(data, size, &r);
	must(blacklist_match(b, &r) == blacklist_match(b, &r), "two evaluations differ");
	twice = malloc(2 * strlen(text) + 3);
	if (!twice)
		abort();
	sprintf(twice, "%s\n;%s", text, text);
	b2 = blacklist_compile(twice, "fuzz", err, sizeof(err));
	/* A;A is refused only where A alone is at its length or program bound. */
	if (b2)
		must(blacklist_match(b2, &r) == blacklist_match(b, &r), "A;A and A differ");
	blacklist_free(b2);
	blacklist_free(b);
	free(twice);
	free(text);
	return 0;
}
