/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reader of plugins.d text written apart from the writer, for the unit
 * test and the fuzz target: it splits lines into words as Netdata's parser
 * does (spaces separate, a word in single or double quotes may hold
 * spaces, nothing escapes) and checks what Netdata needs:
 *  - CHART has its 12 words, an id type.id of [A-Za-z0-9_-] with one '.',
 *    a priority and update_every that are numbers, options '', 'store_first'
 *    or 'obsolete';
 *  - CLABEL has a name, a value and source 1, and CLABEL_COMMIT follows;
 *  - DIMENSION follows its CHART: id, name ('' or like an id), algorithm (absolute or
 *    incremental), multiplier, divisor (not 0);
 *  - BEGIN names a defined chart, SET only its dimensions with an integer,
 *    END closes it; nothing else between.
 * Returns NULL when the text is good, else a static message with the line.
 */
#ifndef EBPFMON_TEST_NETDATA_CHECK_H
#define EBPFMON_TEST_NETDATA_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NDC_WORDS  16
#define NDC_CHARTS 1024
#define NDC_DIMS   260 /* the writer sends 256 at most */

struct ndc_chart {
	char id[512];
	char dims[NDC_DIMS][64];
	unsigned int nr_dims;
	bool obsolete;
};

/* Split @line (modified) into @w; returns the count, or -1 on an unclosed quote. */
static int ndc_split(char *line, char **w)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return n;
		if (n == NDC_WORDS)
			return NDC_WORDS + 1;
		if (*p == '\'' || *p == '"') {
			char q = *p++;

			w[n++] = p;
			p = strchr(p, q);
			if (!p)
				return -1;
			*p++ = 0;
			if (*p && *p != ' ')
				return -1; /* text glued after a closing quote */
		} else {
			w[n++] = p;
			while (*p && *p != ' ') {
				if (*p == '\'' || *p == '"')
					return -1; /* a quote inside a bare word */
				p++;
			}
			if (*p)
				*p++ = 0;
		}
	}
}

static bool ndc_number(const char *s, bool sign)
{
	if (sign && *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool ndc_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static bool ndc_chart_id(const char *s)
{
	const char *dot = strchr(s, '.');

	if (!dot || dot == s || !dot[1] || strchr(dot + 1, '.'))
		return false;
	for (; *s; s++)
		if (*s != '.' && !ndc_id_char(*s))
			return false;
	return true;
}

static bool ndc_dim_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!ndc_id_char(*s))
			return false;
	return true;
}

static struct ndc_chart *ndc_find(struct ndc_chart *c, unsigned int n, const char *id)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(c[i].id, id))
			return &c[i];
	return NULL;
}

/*
 * Check @text; @charts (NDC_CHARTS, zeroed by the caller before the first
 * call) and @nr keep the charts across calls, as Netdata keeps them across
 * collections.
 */
static const char *ndc_check(const char *text, struct ndc_chart *charts, unsigned int *nr)
{
	static char msg[1024];
	char *copy = strdup(text), *save = NULL, *line;
	struct ndc_chart *open = NULL, *defining = NULL;
	bool labels_open = false;
	const char *err = NULL;

	if (!copy)
		return "out of memory";
	if (*text && text[strlen(text) - 1] != '\n')
		err = "the text does not end with a newline";
	for (line = strtok_r(copy, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		char shown[400], *w[NDC_WORDS];
		int n;

		snprintf(shown, sizeof(shown), "%s", line);
		n = ndc_split(line, w);
#define BAD(why)                                                                                   \
	do {                                                                                       \
		snprintf(msg, sizeof(msg), "%s in line '%s'", why, shown);                         \
		err = msg;                                                                         \
	} while (0)
		if (n < 1) {
			BAD("an empty line or an unclosed quote");
		} else if (open && strcmp(w[0], "SET") && strcmp(w[0], "END")) {
			BAD("not SET or END inside BEGIN");
		} else if (!strcmp(w[0], "CHART")) {
			struct ndc_chart *c;

			if (n != 13)
				BAD("CHART without its 12 words");
			else if (!ndc_chart_id(w[1]))
				BAD("a chart id that is not type.id");
			else if (!ndc_number(w[8], false) || !ndc_number(w[9], false) ||
				 !atoi(w[9]))
				BAD("a priority or update_every that is not a number");
			else if (strcmp(w[10], "") && strcmp(w[10], "obsolete") &&
				 strcmp(w[10], "store_first"))
				BAD("unknown chart options");
			else if (labels_open)
				BAD("CHART before CLABEL_COMMIT");
			if (err)
				break;
			c = ndc_find(charts, *nr, w[1]);
			if (!c) {
				if (*nr == NDC_CHARTS) {
					BAD("too many charts for the checker");
					break;
				}
				c = &charts[(*nr)++];
				snprintf(c->id, sizeof(c->id), "%s", w[1]);
			}
			c->nr_dims = 0;
			c->obsolete = !strcmp(w[10], "obsolete");
			defining = c;
		} else if (!strcmp(w[0], "CLABEL")) {
			if (!defining || n != 4 || strcmp(w[3], "1") || !ndc_dim_id(w[1]))
				BAD("CLABEL out of place or not name value 1");
			labels_open = true;
		} else if (!strcmp(w[0], "CLABEL_COMMIT")) {
			if (!labels_open || n != 1)
				BAD("CLABEL_COMMIT without CLABEL");
			labels_open = false;
		} else if (!strcmp(w[0], "DIMENSION")) {
			if (!defining || labels_open || n != 6)
				BAD("DIMENSION out of place or not 5 words");
			else if (!ndc_dim_id(w[1]) || (strcmp(w[2], "") && !ndc_dim_id(w[2])))
				BAD("a bad dimension id or name");
			else if (strcmp(w[3], "absolute") && strcmp(w[3], "incremental"))
				BAD("an unknown algorithm");
			else if (!ndc_number(w[4], true) || !ndc_number(w[5], false) || !atol(w[5]))
				BAD("a bad multiplier or divisor");
			else if (defining->nr_dims == NDC_DIMS)
				BAD("too many dimensions for the checker");
			else
				snprintf(defining->dims[defining->nr_dims++], 64, "%s", w[1]);
		} else if (!strcmp(w[0], "BEGIN")) {
			open = ndc_find(charts, *nr, n >= 2 ? w[1] : "");
			if (n < 2 || n > 3 || (n == 3 && !ndc_number(w[2], false)))
				BAD("BEGIN not of a chart id and microseconds");
			else if (!open || open->obsolete)
				BAD("BEGIN of a chart not defined (or obsolete)");
			else if (labels_open)
				BAD("BEGIN before CLABEL_COMMIT");
			defining = NULL;
		} else if (!strcmp(w[0], "SET")) {
			bool known = false;

			if (!open || n != 4 || strcmp(w[2], "=") || !ndc_number(w[3], true)) {
				BAD("SET out of place or not 'SET dim = integer'");
				break;
			}
			for (unsigned int k = 0; k < open->nr_dims; k++)
				known |= !strcmp(open->dims[k], w[1]);
			if (!known)
				BAD("SET of a dimension the chart does not have");
		} else if (!strcmp(w[0], "END")) {
			if (!open || n != 1)
				BAD("END without BEGIN");
			open = NULL;
		} else if (!strcmp(w[0], "DISABLE")) {
			if (n != 1)
				BAD("DISABLE with words");
		} else {
			BAD("an unknown keyword");
		}
#undef BAD
	}
	if (!err && open)
		err = "BEGIN without END at the end";
	if (!err && labels_open)
		err = "CLABEL without CLABEL_COMMIT at the end";
	free(copy);
	return err;
}

#endif
