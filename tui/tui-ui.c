/*
 * Layout (fixed for a given size, so tests can read it):
 *
 *   +-- Rooms --+---- title -------------+-- Users --+
 *   | status    | 12:00 <1> hello          | 1         |
 *   |>lobby     | ...                      | 3 (you)   |
 *   | @1 (2)    |                          |           |
 *   +-----------+--------------------------+-----------+
 *   status bar: server | state | id N | room R | unread ... | F1 help
 *   input line
 *
 * Everything is drawn on stdscr from the model each time it is dirty;
 * ncurses sends only the differences.
 */
#include <sys/ioctl.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "tui-text.h"
#include "tui-input.h"
#include "tui-style.h"
#include "tui-ui.h"

/* Minimum sizes: below them a pane is hidden or the screen says so. */
#define TUI_UI_MIN_COLS		30
#define TUI_UI_MIN_ROWS		6
#define TUI_UI_MIN_MIDDLE	30
#define TUI_UI_LEFT_MIN		14
#define TUI_UI_LEFT_MAX		24
#define TUI_UI_RIGHT_MIN	12
#define TUI_UI_RIGHT_MAX	16

enum {
	TUI_PAIR_ERROR = 1,
	TUI_PAIR_BAR,
	TUI_PAIR_PM,
	TUI_PAIR_NOTICE,
	TUI_PAIR_MARKER,
	TUI_PAIR_HIGHLIGHT,	/* mentions (tui-mention.c) */
	TUI_PAIR_NICK,		/* first of the sender colours */
};

static int	tui_ui_nicks = 1;
static int	tui_ui_msg_width;

static int	tui_ui_active;
static int	tui_ui_colour;

struct tui_ui_layout {
	int	rows, cols;
	int	pane_rows;	/* rows of the three panes, header included */
	int	left_w;		/* 0: hidden */
	int	right_w;	/* 0: hidden */
	int	mid_x, mid_w;
	int	status_y, input_y;
};

static void
tui_ui_layout(struct tui_ui_layout *l)
{
	int	left, right;

	l->rows = LINES;
	l->cols = COLS;
	l->pane_rows = LINES - 2;
	l->status_y = LINES - 2;
	l->input_y = LINES - 1;

	left = COLS / 6;
	if (left < TUI_UI_LEFT_MIN)
		left = TUI_UI_LEFT_MIN;
	if (left > TUI_UI_LEFT_MAX)
		left = TUI_UI_LEFT_MAX;
	right = COLS / 8;
	if (right < TUI_UI_RIGHT_MIN)
		right = TUI_UI_RIGHT_MIN;
	if (right > TUI_UI_RIGHT_MAX)
		right = TUI_UI_RIGHT_MAX;
	/* Give up the participants first, then the room list. */
	if (COLS - left - right - 2 < TUI_UI_MIN_MIDDLE)
		right = 0;
	if (COLS - left - 1 < TUI_UI_MIN_MIDDLE)
		left = 0;
	l->left_w = left;
	l->right_w = right;
	l->mid_x = left > 0 ? left + 1 : 0;
	l->mid_w = COLS - l->mid_x - (right > 0 ? right + 1 : 0);
}

int
tui_ui_init(void)
{
	int	i;

	if (initscr() == NULL)
		return (-1);
	tui_ui_active = 1;
	raw();			/* Ctrl-Q, Ctrl-O and Ctrl-C reach us */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(1);
	tui_input_init();
	if (has_colors()) {
		start_color();
		use_default_colors();
		tui_ui_colour = 1;
		init_pair(TUI_PAIR_ERROR, COLOR_RED, -1);
		init_pair(TUI_PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
		init_pair(TUI_PAIR_PM, COLOR_MAGENTA, -1);
		init_pair(TUI_PAIR_NOTICE, COLOR_CYAN, -1);
		init_pair(TUI_PAIR_MARKER, COLOR_YELLOW, -1);
		init_pair(TUI_PAIR_HIGHLIGHT, COLOR_MAGENTA, -1);
		if (COLORS >= 256 && COLOR_PAIRS > TUI_PAIR_NICK + TUI_STYLE_NICKS_256) {
			tui_ui_nicks = TUI_STYLE_NICKS_256;
			for (i = 0; i < tui_ui_nicks; i++)
				init_pair(TUI_PAIR_NICK + i,
				    tui_style_nicks_256[i], -1);
		} else {
			tui_ui_nicks = TUI_STYLE_NICKS_8;
			for (i = 0; i < tui_ui_nicks; i++)
				init_pair(TUI_PAIR_NICK + i,
				    tui_style_nicks_8[i], -1);
		}
	}
	return (0);
}

void
tui_ui_end(void)
{
	if (!tui_ui_active)
		return;
	tui_ui_active = 0;
	endwin();
	tui_input_end();
}

void
tui_ui_size(struct tui_model *m)
{
	struct tui_ui_layout	lo;

	tui_ui_layout(&lo);
	/* A margin each side of the messages; the title row above them. */
	tui_model_resize(m, lo.mid_w - 2, lo.pane_rows - 1);
	tui_model_panes(m, lo.left_w > 0 && lo.rows >= TUI_UI_MIN_ROWS,
	    lo.right_w > 0 && lo.rows >= TUI_UI_MIN_ROWS);
}

void
tui_ui_resize(void)
{
	struct winsize	ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	/* Repaint everything: no leftovers from the old size. */
	clearok(curscr, TRUE);
}

/* Drawing. */

/* Bytes [start, end) of a line drawn with attr and colour pair. */
struct tui_ui_span {
	size_t	start, end;
	attr_t	attr;
	short	pair;
};

/*
 * Draw s[0..len) at (y, x) in at most width columns, with attr and pair
 * except where one of spans[0..nspans) covers the byte (s starts at byte
 * base_off of what the spans count).  Returns the columns used.
 */

static int
tui_ui_put(int y, int x, const char *s, size_t len, int width, attr_t attr,
    short pair, const struct tui_ui_span *spans, size_t nspans,
    size_t base_off)
{
	size_t		 off = 0, next, i, nw;
	uint32_t	 cp;
	wchar_t		 wch[CCHARW_MAX + 1];
	cchar_t		 cc;
	int		 used = 0, w;
	attr_t		 a;
	short		 p;

	while (off < len) {
		next = tui_text_next(s, len, off);
		w = tui_text_width(s + off, next - off);
		if (used + w > width)
			break;
		nw = 0;
		for (i = off; i < next && nw < CCHARW_MAX - 1;) {
			i += tui_text_decode(s + i, next - i, &cp);
			if (nw == 0 || !tui_text_joiner(cp))
				wch[nw++] = (wchar_t)cp;
		}
		wch[nw] = L'\0';
		a = attr;
		p = pair;
		for (i = 0; i < nspans; i++) {
			if (base_off + off >= spans[i].start &&
			    base_off + off < spans[i].end) {
				a = spans[i].attr;
				p = spans[i].pair;
			}
		}
		/* A lone combining mark has nothing to sit on: skip it. */
		if (tui_text_cp_width((uint32_t)wch[0]) > 0) {
			setcchar(&cc, wch, a, tui_ui_colour ? p : 0, NULL);
			mvadd_wch(y, x + used, &cc);
		}
		used += w;
		off = next;
	}
	return (used);
}

static void
tui_ui_fill(int y, int x, int width, attr_t attr, short pair)
{
	int	i;

	attr_set(attr, tui_ui_colour ? pair : 0, NULL);
	for (i = 0; i < width; i++)
		mvaddch(y, x + i, ' ');
	attr_set(A_NORMAL, 0, NULL);
}

/* A style of the model (tui-style.c) as curses draws it. */
static void
tui_ui_style(enum tui_style st, int nick, attr_t *attr, short *pair)
{
	static const struct {
		attr_t	attr;
		short	pair;
	} map[] = {
		[TUI_STYLE_PLAIN] =	{ A_NORMAL,	0 },
		[TUI_STYLE_DIM] =	{ A_DIM,	0 },
		[TUI_STYLE_OWN] =	{ A_BOLD,	0 },
		[TUI_STYLE_NICK] =	{ A_NORMAL,	TUI_PAIR_NICK },
		[TUI_STYLE_PM] =	{ A_BOLD,	TUI_PAIR_PM },
		[TUI_STYLE_ERROR] =	{ A_BOLD,	TUI_PAIR_ERROR },
		[TUI_STYLE_NOTICE] =	{ A_NORMAL,	TUI_PAIR_NOTICE },
		[TUI_STYLE_MARKER] =	{ A_DIM,	TUI_PAIR_MARKER },
		[TUI_STYLE_HIGHLIGHT] =	{ A_BOLD | A_REVERSE, TUI_PAIR_HIGHLIGHT },
		[TUI_STYLE_MENTION] =	{ A_BOLD,	0 },
	};

	*attr = map[st].attr;
	*pair = map[st].pair;
	if (st == TUI_STYLE_NICK)
		*pair += (short)nick;
}

/* How each kind of line looks. */
static void
tui_ui_line_style(const struct tui_line *l, attr_t *attr, short *pair,
    struct tui_ui_span *who)
{
	struct tui_line_style	st;

	tui_style_line(l, tui_ui_nicks, &st);
	tui_ui_style(st.body, 0, attr, pair);
	who->start = l->who_off;
	who->end = l->who_off + l->who_len;
	tui_ui_style(st.who, st.nick, &who->attr, &who->pair);
}

/*
 * Row r of line l at y: the prefix on the first row (cut with an ellipsis
 * when wider than the indent the model gave it), and the body's row right
 * of it, as on every continuation row.
 */
static void
tui_ui_draw_row(int y, int x, const struct tui_line *l, size_t r)
{
	struct tui_ui_span	 who;
	attr_t			 attr;
	short			 pair;
	const struct tui_text_row *row = &l->rows[r];
	static const char	 ellipsis[] = "\xe2\x80\xa6 ";

	tui_ui_line_style(l, &attr, &pair, &who);
	if (l->kind == TUI_LINE_MARKER) {
		/* The read marker: a rule across the pane. */
		attr_set(attr, tui_ui_colour ? pair : 0, NULL);
		(void)row;
		mvhline(y, x, ACS_HLINE, tui_ui_msg_width);
		attr_set(A_NORMAL, 0, NULL);
		return;
	}
	if (r == 0) {
		if (l->prefix_w <= l->indent)
			tui_ui_put(y, x, l->prefix, strlen(l->prefix),
			    l->indent, attr, pair, &who, 1, 0);
		else if (l->indent >= 2) {
			tui_ui_put(y, x, l->prefix, strlen(l->prefix),
			    l->indent - 2, attr, pair, &who, 1, 0);
			tui_ui_put(y, x + l->indent - 2, ellipsis,
			    strlen(ellipsis), 2, attr, pair, NULL, 0, 0);
		}
	}
	tui_ui_put(y, x + l->indent, l->body + row->off, row->len,
	    row->width, attr, pair, NULL, 0, 0);
}

/* Newest row at the bottom; the model keeps the scroll in range. */
static void
tui_ui_draw_messages(struct tui_model *m, const struct tui_ui_layout *lo)
{
	const struct tui_buffer	*b = m->view;
	struct tui_view_row	*rows;
	int			 y, height, w;
	size_t			 i, n;
	char			*title;

	height = lo->pane_rows - 1;
	if (height < 1)
		return;
	tui_ui_msg_width = lo->mid_w - 2;
	if ((rows = calloc((size_t)height, sizeof *rows)) == NULL)
		abort();
	n = tui_buffer_visible(b, height, rows);
	/* A short buffer sits at the bottom, like a terminal's. */
	y = 1 + height - (int)n;
	for (i = 0; i < n; i++, y++)
		tui_ui_draw_row(y, lo->mid_x + 1, rows[i].line, rows[i].row);
	free(rows);

	/* While reading back, say so, and whether more came below. */
	if (b->scroll == 0)
		w = asprintf(&title, " %s ", b->label);
	else if (b->below > 0)
		w = asprintf(&title, " %s (scrolled, %u new below, PgDn) ",
		    b->label, b->below);
	else
		w = asprintf(&title, " %s (scrolled, PgDn) ", b->label);
	if (w == -1)
		abort();
	/* The title in reverse says the keys scroll this pane. */
	tui_ui_put(0, lo->mid_x + 1, title, strlen(title), lo->mid_w - 1,
	    m->focus == TUI_FOCUS_MESSAGES ? A_BOLD | A_REVERSE : A_BOLD, 0,
	    NULL, 0, 0);
	free(title);
}

/*
 * Draw s in width columns at (y, x); when it does not fit, cut it with an
 * ellipsis.  Returns the columns used.
 */
static int
tui_ui_put_fit(int y, int x, const char *s, int width, attr_t attr,
    short pair)
{
	char	*fit;
	int	 used;

	if (width <= 0)
		return (0);
	if ((fit = tui_text_fit(s, width)) == NULL)
		abort();
	used = tui_ui_put(y, x, fit, strlen(fit), width, attr, pair, NULL, 0,
	    0);
	free(fit);
	return (used);
}

/* One entry of the left pane: marker, name (cut to fit), unread count. */
static void
tui_ui_draw_entry(int y, int width, const struct tui_entry *e, bool selected)
{
	char	*label, count[32] = "";
	attr_t	 a = A_NORMAL;
	short	 pair = 0;
	int	 cw, used;

	if (e->type == TUI_BUF_STATUS)
		label = strdup("status");
	else if (e->buf != NULL)
		label = strdup(e->buf->label);
	else
		label = tui_text_sanitise(e->name, strlen(e->name), 0);
	if (label == NULL)
		abort();
	if (e->unread > 0)
		snprintf(count, sizeof count, " (%u)", e->unread);
	/*
	 * The room we are in bold, unread ones bold in colour, highlighted
	 * ones (mentions, private messages) in reverse in another colour.
	 */
	switch (tui_style_entry(e)) {
	case TUI_ENTRY_HIGHLIGHT:
		a |= A_BOLD | A_REVERSE;
		pair = TUI_PAIR_HIGHLIGHT;
		break;
	case TUI_ENTRY_UNREAD:
		a |= A_BOLD;
		pair = TUI_PAIR_MARKER;
		break;
	case TUI_ENTRY_CURRENT:
		a |= A_BOLD;
		break;
	case TUI_ENTRY_DIRECTORY:
		a |= A_DIM;
		break;
	case TUI_ENTRY_PLAIN:
		break;
	}
	if (e->viewed)
		a |= A_UNDERLINE;
	if (selected) {
		a |= A_REVERSE;
		tui_ui_fill(y, 0, width, A_REVERSE, 0);
	}
	tui_ui_put(y, 0, e->viewed ? ">" : " ", 1, 1, a & ~A_UNDERLINE, 0,
	    NULL, 0, 0);
	cw = (int)strlen(count);
	if (cw > width - 2)
		cw = 0;
	used = tui_ui_put_fit(y, 1, label, width - 1 - cw, a, pair);
	if (cw > 0)
		tui_ui_put(y, 1 + used, count, strlen(count), cw, a, pair,
		    NULL, 0, 0);
	free(label);
}

/*
 * The conversations, then a "Rooms" row, then the server's room directory.
 * The view follows the selection while the pane has the focus, otherwise
 * the conversation shown.
 */
static void
tui_ui_draw_left(struct tui_model *m, const struct tui_ui_layout *lo)
{
	struct tui_entry	*ents;
	size_t			 n, nconv, i, first, d, nd;
	int			 y, height = lo->pane_rows - 1;
	char			 title[48];
	bool			 focus = m->focus == TUI_FOCUS_ROOMS;

	tui_ui_put(0, 1, "Chats", 5, lo->left_w - 1, A_BOLD, 0, NULL, 0, 0);
	ents = tui_model_entries_all(m, &n);
	nconv = tui_model_conversations(m);
	/* Display rows: the directory's title sits between the two. */
	nd = n + (n > nconv ? 1 : 0);
	first = tui_model_left_first(m, ents, n, height);
	for (d = first, y = 1; d < nd && y <= height; d++, y++) {
		if (d == nconv) {
			snprintf(title, sizeof title, "Rooms (%zu)", n - nconv);
			tui_ui_put_fit(y, 1, title, lo->left_w - 1, A_BOLD, 0);
			continue;
		}
		i = d > nconv ? d - 1 : d;
		tui_ui_draw_entry(y, lo->left_w, &ents[i],
		    focus && i == m->sel_left);
	}
	free(ents);
}

static void
tui_ui_draw_right(struct tui_model *m, const struct tui_ui_layout *lo)
{
	int		 x = COLS - lo->right_w, y, height = lo->pane_rows - 1;
	size_t		 i, first = 0;
	char		 row[64], *id, *line;
	const char	*who;
	bool		 mine;
	attr_t		 a;
	short		 pair;
	bool		 focus = m->focus == TUI_FOCUS_USERS;

	snprintf(row, sizeof row, "Users (%zu)", m->nusers);
	tui_ui_put(0, x + 1, row, strlen(row), lo->right_w - 1, A_BOLD, 0,
	    NULL, 0, 0);
	if (m->sel_users >= first + (size_t)height)
		first = m->sel_users - (size_t)height + 1;
	for (i = first, y = 1; i < m->nusers && y <= height; i++, y++) {
		who = tui_model_who(m, m->users[i]);
		if ((id = tui_text_sanitise(who, strlen(who), 0)) == NULL)
			abort();
		if (asprintf(&line, " %s%s", id, m->own_id != NULL &&
		    strcmp(m->users[i], m->own_id) == 0 ? " (you)" : "") == -1)
			abort();
		a = A_NORMAL;
		if (focus && i == m->sel_users) {
			a = A_REVERSE;
			tui_ui_fill(y, x, lo->right_w, A_REVERSE, 0);
		}
		mine = m->own_id != NULL && strcmp(m->users[i], m->own_id) == 0;
		pair = mine ? 0 : TUI_PAIR_NICK + tui_style_nick(id, tui_ui_nicks);
		tui_ui_put_fit(y, x, line, lo->right_w, mine ? a | A_BOLD : a,
		    pair);
		free(line);
		free(id);
	}
}

static void
tui_ui_draw_frame(const struct tui_ui_layout *lo)
{
	if (lo->left_w > 0)
		mvvline(0, lo->left_w, ACS_VLINE, lo->pane_rows);
	if (lo->right_w > 0)
		mvvline(0, COLS - lo->right_w - 1, ACS_VLINE, lo->pane_rows);
}

/* The model fits the bar to the width; what still overflows is cut. */
static void
tui_ui_draw_status(struct tui_model *m, const struct tui_ui_layout *lo)
{
	char	text[2048];
	attr_t	a = tui_ui_colour ? A_NORMAL : A_REVERSE;

	tui_model_status_fit(m, COLS, text, sizeof text);
	tui_ui_fill(lo->status_y, 0, COLS, A_REVERSE, TUI_PAIR_BAR);
	tui_ui_put_fit(lo->status_y, 0, text, COLS, a, TUI_PAIR_BAR);
}

static void
tui_ui_draw_input(struct tui_model *m, const struct tui_ui_layout *lo)
{
	const char	*prompt = tui_model_prompt(m);
	struct tui_edit	*e = &m->edit;
	int		 pw, avail, col, start_col = 0, w;
	size_t		 off = 0, next;

	pw = tui_ui_put(lo->input_y, 0, prompt, strlen(prompt), COLS, A_BOLD,
	    0, NULL, 0, 0);
	avail = COLS - pw - 1;
	if (avail < 1)
		return;
	col = tui_edit_cursor_col(e);
	/* Scroll sideways so the cursor stays visible. */
	if (col >= avail) {
		int skip = col - avail + 1;
		while (off < e->len && start_col < skip) {
			next = tui_text_next(e->buf, e->len, off);
			start_col += tui_text_width(e->buf + off, next - off);
			off = next;
		}
	}
	w = tui_ui_put(lo->input_y, pw, e->buf + off, e->len - off, avail,
	    A_NORMAL, 0, NULL, 0, 0);
	(void)w;
	if (m->focus == TUI_FOCUS_INPUT && !m->help) {
		move(lo->input_y, pw + col - start_col);
		curs_set(1);
	} else
		curs_set(0);
}

/*
 * The help overlay: the model's help lines wrapped to fit, from the row
 * help_top on; when they do not all fit, the hint says how to scroll.
 */
static void
tui_ui_draw_help(const struct tui_model *m, const struct tui_ui_layout *lo)
{
	struct tui_text_row	*rows;
	char			**lines;
	const char		*hint;
	int			 wmax = 0, w, x, y, i, width, height, inner;
	int			 total = 0, top, row;
	size_t			 n, k, nr, r;

	n = tui_model_help(&lines);
	for (k = 0; k < n; k++) {
		if ((w = tui_text_width(lines[k], strlen(lines[k]))) > wmax)
			wmax = w;
	}
	width = wmax + 4;
	if (width > COLS)
		width = COLS;
	inner = width - 4;
	/* Narrow terminal: help lines wrap instead of being cut. */
	for (k = 0; k < n && inner >= 2; k++)
		total += (int)tui_text_wrap(lines[k], strlen(lines[k]), inner,
		    NULL, 0);
	height = total + 3;
	if (height > lo->rows - 1)
		height = lo->rows - 1;	/* the input line stays visible */
	if (inner < 2 || height < 4)
		goto out;
	top = m->help_top;
	if (top > total - (height - 3))
		top = total - (height - 3);
	if (top < 0)
		top = 0;
	hint = height - 3 < total ? "(Up/Down scroll, other keys close)" :
	    "(any key closes)";
	x = (COLS - width) / 2;
	y = (lo->rows - height) / 2;
	for (i = 0; i < height; i++)
		tui_ui_fill(y + i, x, width, A_NORMAL, 0);
	attr_set(A_NORMAL, 0, NULL);
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, width - 2);
	mvaddch(y, x + width - 1, ACS_URCORNER);
	mvaddch(y + height - 1, x, ACS_LLCORNER);
	mvhline(y + height - 1, x + 1, ACS_HLINE, width - 2);
	mvaddch(y + height - 1, x + width - 1, ACS_LRCORNER);
	mvvline(y + 1, x, ACS_VLINE, height - 2);
	mvvline(y + 1, x + width - 1, ACS_VLINE, height - 2);
	tui_ui_put(y, x + 2, " Help ", 6, inner, A_BOLD, 0, NULL, 0, 0);
	w = y + 1;
	row = 0;
	for (k = 0; k < n && w < y + height - 2; k++) {
		nr = tui_text_wrap(lines[k], strlen(lines[k]), inner, NULL, 0);
		if ((rows = calloc(nr, sizeof *rows)) == NULL)
			abort();
		tui_text_wrap(lines[k], strlen(lines[k]), inner, rows, nr);
		for (r = 0; r < nr && w < y + height - 2; r++, row++) {
			if (row < top)
				continue;
			tui_ui_put(w++, x + 2, lines[k] + rows[r].off,
			    rows[r].len, inner, A_NORMAL, 0, NULL, 0, 0);
		}
		free(rows);
	}
	tui_ui_put(y + height - 2, x + 2, hint, strlen(hint), inner, A_DIM, 0,
	    NULL, 0, 0);
out:
	for (k = 0; k < n; k++)
		free(lines[k]);
	free(lines);
}

void
tui_ui_draw(struct tui_model *m)
{
	struct tui_ui_layout	lo;
	const char		*small = "terminal too small";

	tui_ui_layout(&lo);
	erase();
	if (lo.rows < TUI_UI_MIN_ROWS || lo.cols < TUI_UI_MIN_COLS) {
		tui_ui_put(0, 0, small, strlen(small), COLS, A_BOLD, 0, NULL,
		    0, 0);
		curs_set(0);
	} else {
		tui_ui_draw_frame(&lo);
		if (lo.left_w > 0)
			tui_ui_draw_left(m, &lo);
		if (lo.right_w > 0)
			tui_ui_draw_right(m, &lo);
		tui_ui_draw_messages(m, &lo);
		tui_ui_draw_status(m, &lo);
		if (m->help)
			tui_ui_draw_help(m, &lo);
		tui_ui_draw_input(m, &lo);
	}
	wnoutrefresh(stdscr);
	doupdate();
	/* Once per draw, however many lines asked for it. */
	if (m->bell)
		beep();
	m->bell = false;
	m->dirty = false;
}
