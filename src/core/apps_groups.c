// SPDX-License-Identifier: GPL-2.0
/*
 * Application groups. The format follows Netdata's apps_groups.conf, so one of
 * its files can be used as is:
 *
 *	group: name name* *name *name* '*with space*' "it's"
 *
 * Patterns may be quoted with '' or "" to hold blanks; '*' may only start or
 * end a pattern, and '*' alone (or "**") matches every process. The same group
 * may appear on several lines. '#' starts a comment at the start of a line or
 * of a pattern.
 *
 * Differences from Netdata, on purpose: every pattern is matched against the
 * process name (comm) only, never the command line, because that is what the
 * kernel side reports; and the '-' (hide) and '+' (debug) prefixes are not
 * special, they are part of the name.
 *
 * Matching runs once per new process name (the caller remembers the result),
 * so a linear scan of the rules in file order is enough and keeps "first rule
 * wins" trivially true.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/apps_groups.h"
#include "core/text.h"

/* The kernel keeps at most 15 characters of a process name (TASK_COMM_LEN - 1). */
#define COMM_MAX 15

enum pattern_kind {
	PAT_EXACT,  /* name */
	PAT_PREFIX, /* name* */
	PAT_SUFFIX, /* *name */
	PAT_SUBSTR, /* *name* */
	PAT_ALL,    /* * */
};

struct pattern {
	const char *s; /* without its stars */
	size_t len;
	enum pattern_kind kind;
	const char *group;
};

struct apps_groups {
	char *text; /* a private copy of the file; patterns and group names point into it */
	struct pattern *pats;
	unsigned int nr, cap;
};

static int add_pattern(struct apps_groups *g, const char *group, char *tok, size_t len)
{
	struct pattern *p;
	bool lead, trail;

	if (g->nr == g->cap) {
		unsigned int cap = g->cap ? g->cap * 2 : 64;
		struct pattern *n = realloc(g->pats, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		g->pats = n;
		g->cap = cap;
	}
	lead = len && tok[0] == '*';
	trail = len > 1 && tok[len - 1] == '*';
	if (lead) {
		tok++;
		len--;
	}
	if (trail)
		len--;
	if (memchr(tok, '*', len))
		return -EINVAL;

	p = &g->pats[g->nr++];
	p->s = tok;
	p->len = len;
	p->group = group;
	if (!len)
		p->kind = PAT_ALL;
	else if (lead && trail)
		p->kind = PAT_SUBSTR;
	else if (lead)
		p->kind = PAT_SUFFIX;
	else if (trail)
		p->kind = PAT_PREFIX;
	else
		p->kind = PAT_EXACT;
	return 0;
}

/* Parse one line in place (NUL-terminated, without its '\n'). 0, or -1 with @msg filled. */
static int parse_line(struct apps_groups *g, char *line, char *msg, size_t msglen)
{
	char *p = line, *colon, *end = line + strlen(line), *group;

	/* Trailing blanks include the '\r' of a file written on Windows. */
	while (end > line && is_blank(end[-1]))
		*--end = 0;
	while (is_blank(*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	colon = strchr(p, ':');
	if (!colon) {
		seterr(msg, msglen, "expected 'group: pattern ...', not '%.60s'", p);
		return -1;
	}
	end = colon;
	while (end > p && is_blank(end[-1]))
		end--;
	if (end == p) {
		seterr(msg, msglen, "no group name before ':'; write 'group: pattern ...'");
		return -1;
	}
	*end = 0;
	group = p;

	p = colon + 1;
	for (;;) {
		char *tok;
		size_t len;
		int rc;

		while (is_blank(*p))
			p++;
		if (!*p || *p == '#')
			return 0;
		if (*p == '"' || *p == '\'') {
			char *close = strchr(p + 1, *p);

			if (!close) {
				seterr(msg, msglen, "unterminated %s quote in group '%s'",
				       *p == '"' ? "double" : "single", group);
				return -1;
			}
			tok = p + 1;
			len = close - tok;
			p = close + 1;
		} else {
			tok = p;
			while (*p && !is_blank(*p))
				p++;
			len = p - tok;
			if (*p)
				p++;
		}
		/* Terminating in place may overwrite the blank or quote we just stepped over. */
		tok[len] = 0;
		if (!len) {
			seterr(msg, msglen, "empty pattern \"\" in group '%s'", group);
			return -1;
		}
		rc = add_pattern(g, group, tok, len);
		if (rc == -EINVAL) {
			seterr(msg, msglen,
			       "'*' may only start or end a pattern, not be inside '%s' (group '%s')",
			       tok, group);
			return -1;
		}
		if (rc) {
			seterr(msg, msglen, "out of memory");
			return -1;
		}
	}
}

struct apps_groups *apps_groups_load_string(const char *text, const char *origin, char *err,
					    size_t errlen)
{
	struct apps_groups *g = calloc(1, sizeof(*g));
	unsigned int lineno = 0;
	char *line, *next;

	if (!origin)
		origin = "(string)";
	if (!g || !(g->text = strdup(text ? text : ""))) {
		seterr(err, errlen, "%s: out of memory", origin);
		free(g);
		return NULL;
	}
	line = g->text;
	/* Editors on other systems may start a UTF-8 file with a byte-order mark. */
	if (!strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	for (; line; line = next) {
		char msg[256];

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (parse_line(g, line, msg, sizeof(msg))) {
			seterr(err, errlen, "%s:%u: %s", origin, lineno, msg);
			apps_groups_free(g);
			return NULL;
		}
	}
	return g;
}

struct apps_groups *apps_groups_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct apps_groups *g;
	size_t cap = 0;
	char *buf = NULL;
	bool empty;

	if (!f) {
		seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	/* Reading up to a NUL reads a text file whole, and stops early on /dev/zero. */
	empty = getdelim(&buf, &cap, '\0', f) < 0;
	if (empty && ferror(f)) {
		seterr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	/* At EOF with nothing read, getdelim leaves the buffer unterminated. */
	g = apps_groups_load_string(empty ? "" : buf, path, err, errlen);
	free(buf);
	return g;
}

/*
 * Linux cuts a process name to COMM_MAX characters, so a 15-character name
 * may be the start of a longer one: "systemd-journald-audit" runs as
 * "systemd-journal". A pattern longer than that is compared with its first
 * COMM_MAX characters against such a name, or it could never match. Only
 * exact and prefix patterns can be saved this way: a truncated name has lost
 * its end, so suffix and substring patterns are compared as they are.
 */
static bool pattern_matches(const struct pattern *p, const char *comm, size_t clen)
{
	size_t len = p->len;

	if ((p->kind == PAT_EXACT || p->kind == PAT_PREFIX) && clen == COMM_MAX && len > COMM_MAX)
		len = COMM_MAX;

	switch (p->kind) {
	case PAT_EXACT:
		return clen == len && !memcmp(comm, p->s, len);
	case PAT_PREFIX:
		return clen >= len && !memcmp(comm, p->s, len);
	case PAT_SUFFIX:
		return clen >= len && !memcmp(comm + clen - len, p->s, len);
	case PAT_SUBSTR:
		return memmem(comm, clen, p->s, len) != NULL;
	case PAT_ALL:
		return true;
	}
	return false;
}

const char *apps_groups_match(const struct apps_groups *g, const char *comm)
{
	size_t clen;

	if (!g || !comm)
		return comm;
	clen = strlen(comm);
	for (unsigned int i = 0; i < g->nr; i++)
		if (pattern_matches(&g->pats[i], comm, clen))
			return g->pats[i].group;
	return comm;
}

void apps_groups_free(struct apps_groups *g)
{
	if (!g)
		return;
	free(g->pats);
	free(g->text);
	free(g);
}
