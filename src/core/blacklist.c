// SPDX-License-Identifier: GPL-2.0
/*
 * DataKit's netlog blacklist language (see blacklist.h): a hand-written
 * tokenizer and recursive-descent parser that type-checks as it goes and
 * emits a postfix program per rule; evaluation runs that program on a small
 * stack. Every size is bounded (text, nesting, program), so a hostile text
 * costs bounded memory and time and never overflows the C stack.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blacklist.h"
#include "core/text.h"

enum tok {
	T_END,
	T_SEP, /* ';' or a line break that ends a rule */
	T_IDENT,
	T_INT,
	T_STRING,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_NOT,
	T_AND,
	T_OR,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_BAD,
};

static const char *const tok_names[] = {
	[T_END] = "the end",	[T_SEP] = "the end of the rule", [T_IDENT] = "a name",
	[T_INT] = "a number",	[T_STRING] = "a string",	 [T_LPAREN] = "'('",
	[T_RPAREN] = "')'",	[T_COMMA] = "','",		 [T_NOT] = "'!'",
	[T_AND] = "'&&'",	[T_OR] = "'||'",		 [T_EQ] = "'=='",
	[T_NE] = "'!='",	[T_LT] = "'<'",			 [T_LE] = "'<='",
	[T_GT] = "'>'",		[T_GE] = "'>='",		 [T_BAD] = "a character it cannot read",
};

enum type { TY_BOOL, TY_INT, TY_STR };
static const char *const type_names[] = { "a bool", "an int", "a string" };

enum field {
	F_TCP,
	F_UDP,
	F_IPV4,
	F_IPV6,
	F_SRC_PORT,
	F_DST_PORT,
	F_IP_SADDR,
	F_IP_DADDR,
	F_IP6_SADDR,
	F_IP6_DADDR,
	F_K8S_SRC_POD,
	F_K8S_DST_POD,
	NR_FIELDS,
};

static const struct {
	const char *name;
	enum type type;
} fields[NR_FIELDS] = {
	[F_TCP] = { "tcp", TY_BOOL },		   [F_UDP] = { "udp", TY_BOOL },
	[F_IPV4] = { "ipv4", TY_BOOL },		   [F_IPV6] = { "ipv6", TY_BOOL },
	[F_SRC_PORT] = { "src_port", TY_INT },	   [F_DST_PORT] = { "dst_port", TY_INT },
	[F_IP_SADDR] = { "ip_saddr", TY_STR },	   [F_IP_DADDR] = { "ip_daddr", TY_STR },
	[F_IP6_SADDR] = { "ip6_saddr", TY_STR },   [F_IP6_DADDR] = { "ip6_daddr", TY_STR },
	[F_K8S_SRC_POD] = { "k8s_src_pod", TY_STR }, [F_K8S_DST_POD] = { "k8s_dst_pod", TY_STR },
};

enum opcode {
	OP_FIELD, /* push field @arg */
	OP_INT,	  /* push @val */
	OP_STR,	  /* push the string at pool offset @val */
	OP_CMP,	  /* pop b, a; push a <@arg> b (@type: what they are) */
	OP_NOT,
	OP_AND,
	OP_OR,
	OP_IPNET,  /* pop ip, net; push whether net contains ip */
	OP_PREFIX, /* pop p, s; push whether s starts with p */
};

struct op {
	unsigned char code, arg, type;
	int64_t val;
};

struct blacklist {
	struct op *ops;
	unsigned int nr_ops;
	unsigned int *rule_end; /* ops of rule r: [rule_end[r-1], rule_end[r]) */
	unsigned int nr_rules;
	unsigned int max_stack;
	char *pool; /* string literals, NUL-terminated */
	size_t pool_len;
};

struct parser {
	const char *name, *text, *p;
	int depth;	   /* parentheses open, for line breaks */
	enum tok prev;	   /* the token before, for line breaks */
	enum tok tok;	   /* the current token */
	const char *start; /* where it starts */
	size_t len;
	int64_t ival;
	char sval[256];
	int nest;	      /* recursion depth of the parser */
	unsigned int stack, max_stack;
	struct blacklist *b;
	size_t pool_cap;
	unsigned int ops_cap, rules_cap;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 3, 4))) fail_at(struct parser *ps, const char *at,
							   const char *fmt, ...)
{
	unsigned int line = 1, col = 1;
	char msg[256];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	for (const char *q = ps->text; q < at; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s: line %u, column %u: %s", ps->name, line, col, msg);
	/* The text is quoted back: no control character reaches a terminal or a log. */
	text_make_printable(ps->err);
}

/* "expected X, found <the current token>" */
static void expected(struct parser *ps, const char *what)
{
	if (ps->tok == T_IDENT || ps->tok == T_INT)
		fail_at(ps, ps->start, "expected %s, found '%.*s'", what,
			(int)(ps->len > 40 ? 40 : ps->len), ps->start);
	else
		fail_at(ps, ps->start, "expected %s, found %s", what, tok_names[ps->tok]);
}

/* Tokens after which a line break continues the rule. */
static bool continues(enum tok t)
{
	return t == T_SEP || (t >= T_LPAREN && t != T_RPAREN && t != T_BAD);
}

static void next(struct parser *ps)
{
	const char *p = ps->p;

	if (ps->failed)
		return;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '#') { /* a comment runs to the end of the line */
			while (*p && *p != '\n')
				p++;
		}
		if (*p == '\n' && (ps->depth > 0 || continues(ps->prev))) {
			p++;
			continue;
		}
		break;
	}
	ps->start = p;
	ps->len = 1;
	if (!*p) {
		ps->tok = T_END;
		ps->len = 0;
	} else if (*p == ';' || *p == '\n') {
		ps->tok = T_SEP;
	} else if (isalpha((unsigned char)*p) || *p == '_') {
		while (isalnum((unsigned char)p[ps->len]) || p[ps->len] == '_')
			ps->len++;
		ps->tok = T_IDENT;
	} else if (isdigit((unsigned char)*p)) {
		int64_t v = 0;

		ps->len = 0;
		while (isdigit((unsigned char)p[ps->len])) {
			if (v > (INT64_MAX - 9) / 10) {
				ps->tok = T_INT;
				fail_at(ps, p, "the number is too large");
				return;
			}
			v = v * 10 + (p[ps->len++] - '0');
		}
		ps->ival = v;
		ps->tok = T_INT;
	} else if (*p == '"') {
		size_t n = 0;

		ps->len = 1;
		for (;;) {
			char c = p[ps->len];

			if (!c || c == '\n') {
				ps->tok = T_STRING;
				fail_at(ps, p, "expected '\"' to end the string");
				return;
			}
			ps->len++;
			if (c == '"')
				break;
			if (c == '\\') {
				c = p[ps->len];
				if (c != '"' && c != '\\') {
					fail_at(ps, p + ps->len - 1,
						"expected '\\\"' or '\\\\' after a backslash");
					return;
				}
				ps->len++;
			}
			if (n + 1 >= sizeof(ps->sval)) {
				fail_at(ps, p, "the string is longer than %zu characters",
					sizeof(ps->sval) - 1);
				return;
			}
			ps->sval[n++] = c;
		}
		ps->sval[n] = 0;
		ps->tok = T_STRING;
	} else {
		static const struct {
			const char *text;
			enum tok tok;
		} ops[] = { { "&&", T_AND }, { "||", T_OR }, { "==", T_EQ }, { "!=", T_NE },
			    { "<=", T_LE },  { ">=", T_GE }, { "<", T_LT },  { ">", T_GT },
			    { "!", T_NOT },  { "(", T_LPAREN }, { ")", T_RPAREN }, { ",", T_COMMA } };

		ps->tok = T_BAD;
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			size_t n = strlen(ops[i].text);

			if (!strncmp(p, ops[i].text, n)) {
				ps->tok = ops[i].tok;
				ps->len = n;
				break;
			}
		}
	}
	if (ps->tok == T_LPAREN)
		ps->depth++;
	else if (ps->tok == T_RPAREN && ps->depth > 0)
		ps->depth--;
	ps->prev = ps->tok;
	ps->p = p + ps->len;
}

static bool is(struct parser *ps, const char *word)
{
	return ps->tok == T_IDENT && ps->len == strlen(word) && !strncmp(ps->start, word, ps->len);
}

/* Append an op; @push: its effect on the stack depth. */
static void emit(struct parser *ps, enum opcode code, int arg, enum type type, int64_t val,
		 int push)
{
	struct blacklist *b = ps->b;

	if (ps->failed)
		return;
	if (b->nr_ops == BL_MAX_OPS) {
		fail_at(ps, ps->start, "the blacklist is longer than %d operations", BL_MAX_OPS);
		return;
	}
	if (b->nr_ops == ps->ops_cap) {
		unsigned int cap = ps->ops_cap ? 2 * ps->ops_cap : 32;
		struct op *ops = realloc(b->ops, cap * sizeof(*ops));

		if (!ops) {
			fail_at(ps, ps->start, "out of memory");
			return;
		}
		b->ops = ops;
		ps->ops_cap = cap;
	}
	b->ops[b->nr_ops++] = (struct op){ (unsigned char)code, (unsigned char)arg,
					   (unsigned char)type, val };
	ps->stack += push;
	if (ps->stack > ps->max_stack)
		ps->max_stack = ps->stack;
}

/* Keep @s in the pool; its offset, or -1. */
static int64_t pool_add(struct parser *ps, const char *s)
{
	struct blacklist *b = ps->b;
	size_t n = strlen(s) + 1;

	if (b->pool_len + n > ps->pool_cap) {
		size_t cap = (b->pool_len + n) * 2;
		char *pool = realloc(b->pool, cap);

		if (!pool) {
			fail_at(ps, ps->start, "out of memory");
			return -1;
		}
		b->pool = pool;
		ps->pool_cap = cap;
	}
	memcpy(b->pool + b->pool_len, s, n);
	b->pool_len += n;
	return (int64_t)(b->pool_len - n);
}

/* "a.b.c.d/n" or "x::y/n" (the length optional): address and prefix length. */
static bool parse_net(const char *s, uint8_t addr[16], int *family, unsigned int *bits)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return false;
	*bits = *family == AF_INET ? 32 : 128;
	if (!slash)
		return true;
	if (!isdigit((unsigned char)slash[1]))
		return false;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end || len > *bits)
		return false;
	*bits = (unsigned int)len;
	return true;
}

static enum type expr(struct parser *ps);

static enum type primary(struct parser *ps)
{
	const char *at = ps->start;

	if (ps->failed)
		return TY_BOOL;
	if (ps->tok == T_LPAREN) {
		enum type t;

		next(ps);
		t = expr(ps);
		if (ps->tok != T_RPAREN)
			expected(ps, "')'");
		next(ps);
		return t;
	}
	if (ps->tok == T_INT) {
		emit(ps, OP_INT, 0, TY_INT, ps->ival, 1);
		next(ps);
		return TY_INT;
	}
	if (ps->tok == T_STRING) {
		emit(ps, OP_STR, 0, TY_STR, pool_add(ps, ps->sval), 1);
		next(ps);
		return TY_STR;
	}
	if (is(ps, "true") || is(ps, "false")) {
		emit(ps, OP_INT, 0, TY_BOOL, is(ps, "true"), 1);
		next(ps);
		return TY_BOOL;
	}
	if (is(ps, "ipnet_contains") || is(ps, "has_prefix")) {
		bool ipnet = is(ps, "ipnet_contains");
		const char *fn = ipnet ? "ipnet_contains" : "has_prefix";

		next(ps);
		if (ps->tok != T_LPAREN) {
			expected(ps, "'(' after the function's name");
			return TY_BOOL;
		}
		for (int arg = 0; arg < 2 && !ps->failed; arg++) {
			const char *arg_at;
			uint8_t a[16];
			unsigned int bits;
			int family;

			next(ps);
			arg_at = ps->start;
			/* A literal network is checked now rather than never matching. */
			if (ipnet && arg == 0 && ps->tok == T_STRING &&
			    !parse_net(ps->sval, a, &family, &bits)) {
				fail_at(ps, arg_at,
					"expected a network such as \"10.0.0.0/8\" or \"fd00::/8\", found \"%s\"",
					ps->sval);
				return TY_BOOL;
			}
			if (expr(ps) != TY_STR && !ps->failed) {
				fail_at(ps, arg_at, "expected a string as %s's argument %d", fn,
					arg + 1);
				return TY_BOOL;
			}
			if (arg == 0 && ps->tok != T_COMMA)
				expected(ps, "','");
		}
		if (ps->tok != T_RPAREN)
			expected(ps, "')'");
		next(ps);
		emit(ps, ipnet ? OP_IPNET : OP_PREFIX, 0, TY_BOOL, 0, -1);
		return TY_BOOL;
	}
	if (ps->tok == T_IDENT) {
		for (int f = 0; f < NR_FIELDS; f++) {
			if (is(ps, fields[f].name)) {
				emit(ps, OP_FIELD, f, fields[f].type, 0, 1);
				next(ps);
				return fields[f].type;
			}
		}
		fail_at(ps, at,
			"unknown name '%.*s'; known: tcp, udp, ipv4, ipv6, src_port, dst_port, ip_saddr, ip_daddr, ip6_saddr, ip6_daddr, k8s_src_pod, k8s_dst_pod, ipnet_contains, has_prefix, true, false",
			(int)(ps->len > 40 ? 40 : ps->len), ps->start);
		return TY_BOOL;
	}
	expected(ps, "a name, a number, a string or '('");
	return TY_BOOL;
}

static enum type unary(struct parser *ps)
{
	const char *at = ps->start;
	enum type t;

	if (ps->tok != T_NOT)
		return primary(ps);
	if (++ps->nest > BL_MAX_DEPTH) {
		fail_at(ps, at, "expressions nest deeper than %d", BL_MAX_DEPTH);
		return TY_BOOL;
	}
	next(ps);
	t = unary(ps);
	ps->nest--;
	if (t != TY_BOOL && !ps->failed)
		fail_at(ps, at, "expected a bool after '!', found %s", type_names[t]);
	emit(ps, OP_NOT, 0, TY_BOOL, 0, 0);
	return TY_BOOL;
}

static enum type comparison(struct parser *ps)
{
	const char *at = ps->start;
	enum type a = unary(ps), b;
	enum tok op = ps->tok;

	if (op < T_EQ || op > T_GE || ps->failed)
		return a;
	next(ps);
	b = unary(ps);
	if (ps->failed)
		return TY_BOOL;
	if (a != b) {
		fail_at(ps, at, "cannot compare %s with %s", type_names[a], type_names[b]);
		return TY_BOOL;
	}
	if (a != TY_INT && op != T_EQ && op != T_NE) {
		fail_at(ps, at, "%s compares with == and != only, not %s", type_names[a],
			tok_names[op]);
		return TY_BOOL;
	}
	emit(ps, OP_CMP, op, a, 0, -1);
	return TY_BOOL;
}

/* && and || share one level, left to right (DataKit's precedence table). */
static enum type expr(struct parser *ps)
{
	const char *at = ps->start;
	enum type t;

	if (++ps->nest > BL_MAX_DEPTH) {
		fail_at(ps, at, "expressions nest deeper than %d", BL_MAX_DEPTH);
		return TY_BOOL;
	}
	t = comparison(ps);
	while (!ps->failed && (ps->tok == T_AND || ps->tok == T_OR)) {
		enum tok op = ps->tok;
		const char *rhs;

		if (t != TY_BOOL) {
			fail_at(ps, at, "expected a bool before %s, found %s", tok_names[op],
				type_names[t]);
			break;
		}
		next(ps);
		rhs = ps->start;
		if (comparison(ps) != TY_BOOL && !ps->failed)
			fail_at(ps, rhs, "expected a bool after %s", tok_names[op]);
		emit(ps, op == T_AND ? OP_AND : OP_OR, 0, TY_BOOL, 0, -1);
	}
	ps->nest--;
	return t;
}

static void end_rule(struct parser *ps)
{
	struct blacklist *b = ps->b;

	if (b->nr_rules == ps->rules_cap) {
		unsigned int cap = ps->rules_cap ? 2 * ps->rules_cap : 8;
		unsigned int *r = realloc(b->rule_end, cap * sizeof(*r));

		if (!r) {
			fail_at(ps, ps->start, "out of memory");
			return;
		}
		b->rule_end = r;
		ps->rules_cap = cap;
	}
	b->rule_end[b->nr_rules++] = b->nr_ops;
}

struct blacklist *blacklist_compile(const char *text, const char *name, char *err, size_t errlen)
{
	struct parser ps = { .name = name ? name : "blacklist", .text = text ? text : "",
			     .err = err, .errlen = errlen, .prev = T_SEP };
	char scratch[1];

	if (!err || !errlen) {
		ps.err = scratch;
		ps.errlen = sizeof(scratch);
	}
	if (strlen(ps.text) > BL_MAX_TEXT) {
		snprintf(ps.err, ps.errlen, "%s: longer than %d characters", ps.name, BL_MAX_TEXT);
		return NULL;
	}
	ps.p = ps.text;
	ps.b = calloc(1, sizeof(*ps.b));
	if (!ps.b) {
		snprintf(ps.err, ps.errlen, "%s: out of memory", ps.name);
		return NULL;
	}
	next(&ps);
	while (!ps.failed && ps.tok != T_END) {
		const char *at = ps.start;

		if (ps.tok == T_SEP) {
			next(&ps);
			continue;
		}
		ps.stack = 0;
		enum type t = expr(&ps);

		if (t != TY_BOOL && !ps.failed)
			fail_at(&ps, at, "expected a rule that is true or false, found %s alone",
				type_names[t]);
		if (!ps.failed && ps.tok != T_SEP && ps.tok != T_END)
			expected(&ps, "an operator, ';' or the end of the line");
		if (!ps.failed)
			end_rule(&ps);
	}
	if (ps.failed) {
		blacklist_free(ps.b);
		return NULL;
	}
	ps.b->max_stack = ps.max_stack;
	return ps.b;
}

unsigned int blacklist_rules(const struct blacklist *b)
{
	return b ? b->nr_rules : 0;
}

void blacklist_free(struct blacklist *b)
{
	if (!b)
		return;
	free(b->ops);
	free(b->rule_end);
	free(b->pool);
	free(b);
}

/* ---- evaluation ----------------------------------------------------------- */

struct value {
	int64_t i;
	const char *s;
};

/* The row's string fields, formatted once per row when a rule asks. */
struct row_text {
	const struct bl_row *r;
	bool done;
	char addr[4][INET6_ADDRSTRLEN]; /* ip_saddr, ip_daddr, ip6_saddr, ip6_daddr */
};

static const char *field_text(struct row_text *rt, enum field f)
{
	const struct bl_row *r = rt->r;

	if (f == F_K8S_SRC_POD)
		return r->k8s_src_pod ? r->k8s_src_pod : "";
	if (f == F_K8S_DST_POD)
		return r->k8s_dst_pod ? r->k8s_dst_pod : "";
	if (!rt->done) {
		memset(rt->addr, 0, sizeof(rt->addr));
		if (r->ipv4) {
			inet_ntop(AF_INET, r->saddr, rt->addr[0], sizeof(rt->addr[0]));
			inet_ntop(AF_INET, r->daddr, rt->addr[1], sizeof(rt->addr[1]));
		} else if (r->ipv6) {
			inet_ntop(AF_INET6, r->saddr, rt->addr[2], sizeof(rt->addr[2]));
			inet_ntop(AF_INET6, r->daddr, rt->addr[3], sizeof(rt->addr[3]));
		}
		rt->done = true;
	}
	return rt->addr[f - F_IP_SADDR];
}

static int64_t field_int(const struct bl_row *r, enum field f)
{
	switch (f) {
	case F_TCP:
		return r->tcp;
	case F_UDP:
		return r->udp;
	case F_IPV4:
		return r->ipv4;
	case F_IPV6:
		return r->ipv6;
	case F_SRC_PORT:
		return r->src_port;
	case F_DST_PORT:
		return r->dst_port;
	default:
		return 0;
	}
}

static bool net_contains(const char *net, const char *ip)
{
	uint8_t n[16], a[16];
	unsigned int bits, abits;
	int nf, af;

	if (!parse_net(net, n, &nf, &bits) || strchr(ip, '/') || !parse_net(ip, a, &af, &abits) ||
	    nf != af)
		return false;
	for (unsigned int i = 0; i < bits / 8; i++)
		if (n[i] != a[i])
			return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		return (n[bits / 8] & mask) == (a[bits / 8] & mask);
	}
	return true;
}

static bool compare(enum tok op, int c)
{
	switch (op) {
	case T_EQ:
		return c == 0;
	case T_NE:
		return c != 0;
	case T_LT:
		return c < 0;
	case T_LE:
		return c <= 0;
	case T_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

static bool run_rule(const struct blacklist *b, unsigned int from, unsigned int to,
		     struct row_text *rt, struct value *st)
{
	unsigned int sp = 0;

	for (unsigned int i = from; i < to; i++) {
		const struct op *o = &b->ops[i];

		switch (o->code) {
		case OP_FIELD:
			if (fields[o->arg].type == TY_STR)
				st[sp++] = (struct value){ 0, field_text(rt, o->arg) };
			else
				st[sp++] = (struct value){ field_int(rt->r, o->arg), NULL };
			break;
		case OP_INT:
			st[sp++] = (struct value){ o->val, NULL };
			break;
		case OP_STR:
			st[sp++] = (struct value){ 0, b->pool + o->val };
			break;
		case OP_CMP: {
			int c;

			sp--;
			if (o->type == TY_STR)
				c = strcmp(st[sp - 1].s, st[sp].s);
			else
				c = (st[sp - 1].i > st[sp].i) - (st[sp - 1].i < st[sp].i);
			st[sp - 1] = (struct value){ compare(o->arg, c), NULL };
			break;
		}
		case OP_NOT:
			st[sp - 1].i = !st[sp - 1].i;
			break;
		case OP_AND:
			sp--;
			st[sp - 1].i = st[sp - 1].i && st[sp].i;
			break;
		case OP_OR:
			sp--;
			st[sp - 1].i = st[sp - 1].i || st[sp].i;
			break;
		case OP_IPNET:
			sp--;
			st[sp - 1] = (struct value){ net_contains(st[sp - 1].s, st[sp].s), NULL };
			break;
		case OP_PREFIX:
			sp--;
			st[sp - 1] = (struct value){
				!strncmp(st[sp - 1].s, st[sp].s, strlen(st[sp].s)), NULL
			};
			break;
		}
	}
	return sp == 1 && st[0].i;
}

bool blacklist_match(const struct blacklist *b, const struct bl_row *r)
{
	struct row_text rt = { .r = r };
	struct value *st;
	unsigned int from = 0;
	bool hit = false;

	if (!b || !b->nr_rules)
		return false;
	/* max_stack <= BL_MAX_OPS: a few KiB at most. */
	st = __builtin_alloca((b->max_stack + 1) * sizeof(*st));
	for (unsigned int k = 0; k < b->nr_rules && !hit; k++) {
		hit = run_rule(b, from, b->rule_end[k], &rt, st);
		from = b->rule_end[k];
	}
	return hit;
}
