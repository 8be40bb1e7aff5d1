// SPDX-License-Identifier: GPL-2.0
/* flows: the live table (ncurses). Arrows scroll, left/right pick the sort column, q/x quit. */
#include <curses.h>
#include <inttypes.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "modules/flows/flows_int.h"

struct flows_tui {
	SCREEN *screen;
	size_t top;	/* first row shown */
	size_t nr_rows; /* rows in the last drawing, to clamp scrolling */
	int page;	/* rows that fit on screen */
};

static const char *const sort_names[FLOWS_NR_SORTS] = { "bitrate", "packets", "bytes", "src",
							 "dst" };

struct flows_tui *flows_tui_start(char *why, size_t len)
{
	struct flows_tui *t = calloc(1, sizeof(*t));
	const char *term = getenv("TERM");
	int err = 0;

	if (!t) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	setlocale(LC_ALL, "");
	/*
	 * initscr() exits the process (our filters attached) on an unknown TERM,
	 * and newterm() leaks when it fails: ask the terminfo database first.
	 */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		snprintf(why, len, "%s '%s'%s",
			 err == 1 ? "cannot drive the hardcopy terminal" : "the terminal type is unknown:",
			 term ? term : "", err == -1 ? " (no terminfo database)" : "; set TERM");
		free(t);
		return NULL;
	}
	del_curterm(cur_term);
	t->screen = newterm(NULL, stdout, stdin);
	if (!t->screen) {
		snprintf(why, len, "the terminal '%s' cannot be initialised", term ? term : "");
		free(t);
		return NULL;
	}
	set_term(t->screen);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	t->page = LINES > 6 ? LINES - 6 : 1;
	mvprintw(0, 0, "ebpfmon flows: waiting for the first refresh...");
	refresh();
	return t;
}

void flows_tui_stop(struct flows_tui *t)
{
	if (!t)
		return;
	endwin();
	delscreen(t->screen);
	free(t);
}

static void scroll_by(struct flows_tui *t, long n)
{
	long top = (long)t->top + n;
	long max = t->nr_rows > (size_t)t->page ? (long)(t->nr_rows - t->page) : 0;

	t->top = top < 0 ? 0 : top > max ? (size_t)max : (size_t)top;
}

bool flows_tui_keys(struct flows_tui *t, enum flows_sort *sort)
{
	int c;

	if (!t)
		return false;
	while ((c = getch()) != ERR) {
		switch (c) {
		case 'q':
		case 'Q':
		case 'x':
		case 'X':
			return true;
		case KEY_UP:
			scroll_by(t, -1);
			break;
		case KEY_DOWN:
			scroll_by(t, 1);
			break;
		case KEY_PPAGE:
			scroll_by(t, -t->page);
			break;
		case KEY_NPAGE:
		case ' ':
			scroll_by(t, t->page);
			break;
		case KEY_HOME:
			t->top = 0;
			break;
		case KEY_LEFT:
			*sort = (*sort + FLOWS_NR_SORTS - 1) % FLOWS_NR_SORTS;
			break;
		case KEY_RIGHT:
		case 's':
			*sort = (*sort + 1) % FLOWS_NR_SORTS;
			break;
		case KEY_RESIZE:
			t->page = LINES > 6 ? LINES - 6 : 1;
			break;
		}
	}
	return false;
}

static void header(const struct flows_report *r)
{
	const struct flows_opts *o = r->opts;
	char col[160];

	attron(A_BOLD);
	mvprintw(0, 0, "ebpfmon flows  %s on %s%s  %.0fs  %zu flows  sort: %s",
		 r->hook, o->iface[0] ? o->iface : "all interfaces",
		 r->ingress_only ? " (ingress only)" : "", r->seconds, r->snap->nr,
		 sort_names[o->sort]);
	attroff(A_BOLD);
	snprintf(col, sizeof(col), "%-12s %10s %12s %-7s %-12s %-40s %-40s%s", "bitrate", "packets",
		 "bytes", "dir", "proto", "src", "dst", o->process ? " pid     comm" : "");
	attron(A_REVERSE);
	mvprintw(2, 0, "%-*.*s", COLS, COLS, col);
	attroff(A_REVERSE);
}

static void row_line(const struct flows_report *r, const struct flows_row *row, int y)
{
	const struct flows_key *k = &row->key;
	char rate[32], proto[32], src[64], dst[64], a[48];

	flows_bitrate_str(row->bitrate, rate, sizeof(rate));
	flows_proto_str(k->ethertype, k->proto, k->flags & FLOW_F_UNPARSED, proto, sizeof(proto));
	flows_addr_str(k, false, a, sizeof(a));
	if (flows_has_ports(k))
		snprintf(src, sizeof(src), "%s:%u", a, k->sport);
	else
		snprintf(src, sizeof(src), "%s", a);
	flows_addr_str(k, true, a, sizeof(a));
	if (flows_has_ports(k))
		snprintf(dst, sizeof(dst), "%s:%u", a, k->dport);
	else if (flows_is_icmp(k))
		snprintf(dst, sizeof(dst), "%s %u/%u", a, k->sport, k->dport);
	else
		snprintf(dst, sizeof(dst), "%s", a);
	mvprintw(y, 0, "%-12s %10" PRIu64 " %12" PRIu64 " %-7s %-12s %-40s %-40s", rate,
		 row->packets, row->bytes, flows_dir_str(k->dir), proto, src, dst);
	if (r->opts->process)
		printw(" %-7u %.16s", k->pid, k->pid ? k->comm : "?");
}

void flows_tui_draw(struct flows_tui *t, const struct flows_report *r)
{
	const struct flows_snapshot *s = r->snap;
	uint64_t pk = 0, by = 0;
	int y = 3;

	if (!t)
		return;
	t->nr_rows = s->nr;
	scroll_by(t, 0);
	erase();
	header(r);
	for (size_t i = t->top; i < s->nr && y < LINES - 2; i++, y++)
		row_line(r, &s->rows[i], y);
	for (size_t i = 0; i < s->nr_totals; i++) {
		pk += s->totals[i].packets;
		by += s->totals[i].bytes;
	}
	mvprintw(LINES - 2, 0, "total %" PRIu64 " packets, %" PRIu64 " bytes; %" PRIu64
			       " flows evicted  rows %zu-%zu of %zu",
		 pk, by, flows_evicted(s), s->nr ? t->top + 1 : 0,
		 t->top + (size_t)(y - 3), s->nr);
	attron(A_DIM);
	mvprintw(LINES - 1, 0, "q/x quit  arrows/PgUp/PgDn scroll  left/right/s sort column");
	attroff(A_DIM);
	refresh();
}
