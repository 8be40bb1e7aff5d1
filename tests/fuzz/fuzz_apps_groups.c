// SPDX-License-Identifier: GPL-2.0
/*
 * The apps-groups parser (apps_groups_load_buffer: what
 * apps_groups_load_file hands a file's bytes to) and matcher. Beyond
 * "no crash":
 *  - a refusal is one printable line "g.conf:LINE: ..." within the text, and
 *    a text with a NUL byte is always refused, naming the NUL;
 *  - on an accepted text, the application of a process name is the one a
 *    reading of the documented rules gives, written apart from the parser
 *    (first rule that matches wins; name, name*, *name, *name*, *; a name
 *    cut to 15 characters by the kernel still matches a longer exact or
 *    prefix pattern), for names taken from the patterns and from the input;
 *    texts with quoted patterns are compared up to the first quote;
 *  - no pattern is accepted twice (the second copy could never match);
 *  - a group name is non-empty, has no blank at either end and no ':';
 *  - matching is deterministic.
 */
#include "core/apps_groups.h"
#include "core/text.h"
#include "fuzz/fuzz.h"

#define COMM_MAX 15

struct rule {
	const char *group, *pat; /* into the text copy, not terminated */
	size_t glen, len;	 /* the pattern with its stars */
};

struct rules {
	struct rule *r;
	size_t nr, cap;
	bool complete; /* no quoted pattern: every rule of the text is here */
};

static void add_rule(struct rules *rs, const char *group, size_t glen, const char *pat,
		     size_t len)
{
	if (rs->nr == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		must(rs->r != NULL, "out of memory");
	}
	rs->r[rs->nr++] = (struct rule){ group, pat, glen, len };
}

/* Lines "group: pattern ...", blanks between patterns, '#' starting a comment. */
static void read_rules(const char *text, struct rules *rs)
{
	const char *line = text;

	rs->complete = true;
	if (!strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	while (*line) {
		const char *eol = strchrnul(line, '\n'), *p = line, *group, *gend;

		while (p < eol && is_blank(*p))
			p++;
		if (p < eol && *p != '#') {
			group = p;
			gend = memchr(p, ':', eol - p);
			must(gend != NULL, "an accepted line without ':'");
			p = gend + 1;
			while (gend > group && is_blank(gend[-1]))
				gend--;
			for (;;) {
				const char *start;

				while (p < eol && is_blank(*p))
					p++;
				if (p == eol || *p == '#')
					break;
				if (*p == '"' || *p == '\'') {
					rs->complete = false;
					return;
				}
				for (start = p; p < eol && !is_blank(*p); p++)
					;
				add_rule(rs, group, gend - group, start, p - start);
			}
		}
		line = *eol ? eol + 1 : eol;
	}
}

static bool rule_matches(const struct rule *r, const char *comm)
{
	const char *s = r->pat;
	size_t len = r->len, clen = strlen(comm);
	bool lead = len && s[0] == '*', trail = len > 1 && s[len - 1] == '*';

	if (lead)
		s++, len--;
	if (trail)
		len--;
	if (!len)
		return true; /* '*' or '**' */
	if (lead && trail)
		return memmem(comm, clen, s, len) != NULL;
	if (lead)
		return clen >= len && !memcmp(comm + clen - len, s, len);
	/* The kernel keeps 15 characters: a full-length name may be a longer one cut. */
	if (clen == COMM_MAX && len > COMM_MAX)
		len = COMM_MAX;
	if (trail)
		return clen >= len && !memcmp(comm, s, len);
	return clen == len && !memcmp(comm, s, len);
}

static void check_match(const struct apps_groups *g, const struct rules *rs, const char *comm)
{
	const char *app = apps_groups_match(g, comm);
	const struct rule *want = NULL;

	must(app != NULL, "no application for '%s'", comm);
	must(apps_groups_match(g, comm) == app, "matching '%s' twice differs", comm);
	if (app != comm) {
		size_t len = strlen(app);

		must(len > 0 && !is_blank(app[0]) && !is_blank(app[len - 1]) && !strchr(app, ':'),
		     "group name '%s'", app);
	}
	for (size_t i = 0; i < rs->nr && !want; i++)
		if (rule_matches(&rs->r[i], comm))
			want = &rs->r[i];
	if (want)
		must(app != comm && strlen(app) == want->glen && !memcmp(app, want->group, want->glen),
		     "'%s' is in '%s', the rules say '%.*s' (pattern '%.*s')", comm,
		     app == comm ? "(itself)" : app, (int)want->glen, want->group, (int)want->len,
		     want->pat);
	else if (rs->complete)
		must(app == comm, "'%s' is in '%s', the rules say no group", comm, app);
}

/* The pattern without its stars, and its kind: '*' and '**' are one pattern. */
static void normalize(const struct rule *r, const char **s, size_t *len, int *kind)
{
	bool lead = r->len && r->pat[0] == '*', trail = r->len > 1 && r->pat[r->len - 1] == '*';

	*s = r->pat + lead;
	*len = r->len - lead - trail;
	*kind = *len ? lead | trail << 1 : 4;
}

static void check_no_repeat(const struct rules *rs)
{
	for (size_t i = 0; i < rs->nr && rs->nr <= 1024; i++) {
		const char *a, *b;
		size_t alen, blen;
		int akind, bkind;

		normalize(&rs->r[i], &a, &alen, &akind);
		for (size_t j = 0; j < i; j++) {
			normalize(&rs->r[j], &b, &blen, &bkind);
			must(akind != bkind || alen != blen || memcmp(a, b, alen),
			     "pattern '%.*s' accepted twice", (int)rs->r[i].len, rs->r[i].pat);
		}
	}
}

/* Names that hit the patterns: each pattern without its stars, cut to 15, and with a char more. */
static void check_pattern_names(const struct apps_groups *g, const struct rules *rs)
{
	char comm[COMM_MAX + 1];

	for (size_t i = 0; i < rs->nr; i++) {
		const char *s = rs->r[i].pat;
		size_t len = rs->r[i].len;

		if (len && s[0] == '*')
			s++, len--;
		if (len && s[len - 1] == '*')
			len--;
		if (len > COMM_MAX)
			len = COMM_MAX;
		memcpy(comm, s, len);
		comm[len] = '\0';
		check_match(g, rs, comm);
		if (len < COMM_MAX) {
			comm[len] = 'x';
			comm[len + 1] = '\0';
			check_match(g, rs, comm);
		}
		if (len > 1)
			check_match(g, rs, comm + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "", "a", "bash", "nginx", "systemd-journal",
					     "kworker/0:1", "x y", "*", "postgres", "sshd" };
	bool has_nul = memchr(data, 0, size) != NULL;
	struct rules rs = {};
	struct apps_groups *g;
	char err[256] = "", comm[COMM_MAX + 1];
	char *text;

	g = apps_groups_load_buffer((const char *)data, size, "g.conf", err, sizeof(err));
	if (!g) {
		unsigned long line = one_line_refusal(err, "g.conf");

		must(line >= 1 && line <= count_lines(data, size),
		     "refusal names line %lu of a %lu-line text: '%s'", line,
		     count_lines(data, size), err);
		must(!has_nul || strstr(err, "NUL byte"), "a NUL byte refused as '%s'", err);
		return 0;
	}
	must(!has_nul, "a text with a NUL byte was accepted");
	text = fuzz_cstring(data, size);
	read_rules(text, &rs);
	check_no_repeat(&rs);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_match(g, &rs, names[i]);
	check_pattern_names(g, &rs);
	/* Names made of the input itself. */
	for (size_t off = 0; off < size; off += COMM_MAX) {
		size_t n = size - off < COMM_MAX ? size - off : COMM_MAX;

		memcpy(comm, data + off, n);
		comm[n] = '\0';
		check_match(g, &rs, comm);
	}
	free(rs.r);
	free(text);
	apps_groups_free(g);
	return 0;
}
