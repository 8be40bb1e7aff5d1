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
 * A pattern listed twice (in one group or two) is an error: the second copy
 * could never match, since the first rule wins, so it is a mistake worth
 * saying. A line is at most APPS_GROUPS_MAX_LINE bytes, and a file holding a
 * NUL byte is refused with the line of the NUL.
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
#include "core/textfile.h"

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
	unsigned int line;
};

struct apps_groups {
	char *text; /* a private copy of the file; patterns and group names point into it */
	struct pattern *pats;
	unsigned int nr, cap;
	/* Open-addressing set of the patterns (index + 1, 0 = free), to find a repeated one. */
	unsigned int *slots;
	unsigned int nr_slots; /* a power of two, more than twice nr */
};

static bool same_pattern(const struct pattern *a, const struct pattern *b)
{
	return a->kind == b->kind && a->len == b->len && !memcmp(a->s, b->s, a->len);
}

/* FNV-1a over the kind and the text. */
static unsigned int pattern_hash(const struct pattern *p)
{
	unsigned int h = 2166136261u ^ p->kind;

	for (size_t i = 0; i < p->len; i++)
		h = (h ^ (unsigned char)p->s[i]) * 16777619u;
	return h;
}

/* The slot holding a pattern equal to @p, or the free slot where it would go. */
static unsigned int *find_slot(const struct apps_groups *g, const struct pattern *p)
{
	unsigned int mask = g->nr_slots - 1, i = pattern_hash(p) & mask;

	while (g->slots[i] && !same_pattern(&g->pats[g->slots[i] - 1], p))
		i = (i + 1) & mask;
	return &g->slots[i];
}

/* Keep the set under half full, rehashing into a table twice the size. */
static int grow_slots(struct apps_groups *g)
{
	unsigned int n = g->nr_slots ? g->nr_slots * 2 : 256, *old = g->slots;
	unsigned int old_n = g->nr_slots;

	if (g->nr_slots && (g->nr + 1) * 2 < g->nr_slots)
		return 0;
	g->slots = calloc(n, sizeof(*g->slots));
	if (!g->slots) {
		g->slots = old;
		return -ENOMEM;
	}
	g->nr_slots = n;
	for (unsigned int i = 0; i < old_n; i++)
		if (old[i])
			*find_slot(g, &g->pats[old[i] - 1]) = old[i];
	free(old);
	return 0;
}

/* 0; -EINVAL for a '*' inside; -EEXIST with *@first set for a repeat; -ENOMEM. */
static int add_pattern(struct apps_groups *g, const char *group, char *tok, size_t len,
		       unsigned int line, const struct pattern **first)
{
	struct pattern *p;
	unsigned int *slot;
	bool lead, trail;

	if (grow_slots(g))
		return -ENOMEM;
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
	p->line = line;
	slot = find_slot(g, p);
	if (*slot) {
		*first = &g->pats[*slot - 1];
		g->nr--;
		return -EEXIST;
	}
	*slot = g->nr;
	return 0;
}

/* Parse line @lineno in place (NUL-terminated, without its '\n'). 0, or -1 with @msg filled. */
static int parse_line(struct apps_groups *g, char *line, unsigned int lineno, char *msg,
		      size_t msglen)
{
	const struct pattern *first;
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
		rc = add_pattern(g, group, tok, len, lineno, &first);
		if (rc == -EEXIST) {
			seterr(msg, msglen,
			       "pattern '%s' is already listed on line %u (group '%s'), and the first "
			       "rule that matches wins: remove one",
			       tok, first->line, first->group);
			return -1;
		}
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

struct apps_groups *apps_groups_load_buffer(const char *buf, size_t len, const char *origin,
					    char *err, size_t errlen)
{
	struct apps_groups *g = calloc(1, sizeof(*g));
	unsigned int lineno = 0, nul_line = text_nul_line(buf, len);
	char *line, *next;

	if (!origin)
		origin = "(string)";
	if (nul_line) {
		seterr(err, errlen,
		       "%s:%u: the line contains a NUL byte; an apps groups file is plain text: remove it",
		       origin, nul_line);
		goto fail;
	}
	if (!g || !(g->text = strndup(buf, len))) {
		seterr(err, errlen, "%s: out of memory", origin);
		goto fail;
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
		if (strlen(line) > APPS_GROUPS_MAX_LINE) {
			seterr(err, errlen, "%s:%u: line is longer than %d characters; split it "
			       "(a group may be listed on several lines)",
			       origin, lineno, APPS_GROUPS_MAX_LINE);
			goto fail;
		}
		if (parse_line(g, line, lineno, msg, sizeof(msg))) {
			seterr(err, errlen, "%s:%u: %s", origin, lineno, msg);
			goto fail;
		}
	}
	return g;

fail:
	if (err && errlen)
		text_make_printable(err);
	apps_groups_free(g);
	return NULL;
}

struct apps_groups *apps_groups_load_string(const char *text, const char *origin, char *err,
					    size_t errlen)
{
	if (!text)
		text = "";
	return apps_groups_load_buffer(text, strlen(text), origin, err, errlen);
}

struct apps_groups *apps_groups_load_file(const char *path, char *err, size_t errlen)
{
	struct apps_groups *g;
	size_t len;
	char *buf = text_file_read(path, &len, err, errlen);

	if (!buf)
		return NULL;
	g = apps_groups_load_buffer(buf, len, path, err, errlen);
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
	free(g->slots);
	free(g->text);
	free(g);
}
