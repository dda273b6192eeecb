/*
 * Scrollback buffers.  A line is formatted and wrapped when it is added,
 * like catgirl's buffer does, and wrapped again only when the width
 * changes, so a draw costs the rows it shows and a message of any height
 * can be scrolled through whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "tui-buffer.h"

/* Narrowest text column: a prefix wider than half the width is cut. */
#define TUI_BUFFER_MIN_WIDTH	4

static void *
tui_buffer_xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size)) == NULL)
		abort();
	return (p);
}

struct tui_buffer *
tui_buffer_new(enum tui_buf_type type, const char *name, int width)
{
	struct tui_buffer	*b;
	char			*clean;

	b = tui_buffer_xcalloc(1, sizeof *b);
	b->type = type;
	b->width = width < TUI_BUFFER_MIN_WIDTH ? TUI_BUFFER_MIN_WIDTH :
	    width;
	if (name != NULL && (b->name = strdup(name)) == NULL)
		abort();
	if ((clean = tui_text_sanitise(name != NULL ? name : "",
	    name != NULL ? strlen(name) : 0, 0)) == NULL)
		abort();
	/* Names from the server may be of any length. */
	switch (type) {
	case TUI_BUF_STATUS:
		b->label = strdup("status");
		break;
	case TUI_BUF_ROOM:
		b->label = strdup(clean);
		break;
	case TUI_BUF_PM:
		if (asprintf(&b->label, "@%s", clean) == -1)
			b->label = NULL;
		break;
	}
	free(clean);
	if (b->label == NULL)
		abort();
	return (b);
}

static void
tui_line_clear(struct tui_line *l)
{
	if (l->body != l->text)
		free(l->body);
	free(l->who);
	free(l->text);
	free(l->prefix);
	free(l->rows);
	memset(l, 0, sizeof *l);
}

void
tui_buffer_free(struct tui_buffer *b)
{
	if (b == NULL)
		return;
	tui_buffer_clear(b);
	free(b->lines);
	free(b->name);
	free(b->label);
	free(b);
}

void
tui_buffer_clear(struct tui_buffer *b)
{
	size_t	i;

	for (i = 0; i < b->nlines; i++)
		tui_line_clear(&b->lines[(b->first + i) % b->cap]);
	b->nlines = 0;
	b->first = 0;
	b->nrows = 0;
	b->scroll = 0;
	b->below = 0;
}

const struct tui_line *
tui_buffer_line(const struct tui_buffer *b, size_t i)
{
	if (i >= b->nlines)
		return (NULL);
	return (&b->lines[(b->first + i) % b->cap]);
}

/* The prefix of a line and where its name is, by kind. */
static void
tui_line_format(struct tui_line *l)
{
	char		 stamp[32];
	struct tm	 tm;
	const char	*who = l->who != NULL ? l->who : "";
	int		 n = -1;

	localtime_r(&l->when, &tm);
	strftime(stamp, sizeof stamp, l->dated ? "%Y-%m-%d %H:%M" : "%H:%M",
	    &tm);
	l->body = l->text;
	switch (l->kind) {
	case TUI_LINE_MSG:
	case TUI_LINE_OWN:
		n = asprintf(&l->prefix, "%s <%s> ", stamp, who);
		l->who_off = strlen(stamp) + 1;
		l->who_len = strlen(who) + 2;
		break;
	case TUI_LINE_JOIN:
	case TUI_LINE_LEAVE:
		n = asprintf(&l->prefix, "%s -- ", stamp);
		if (*who != '\0' && asprintf(&l->body, "%s %s", who,
		    l->text) == -1)
			abort();
		break;
	case TUI_LINE_PM_IN:
	case TUI_LINE_PM_OUT:
		n = asprintf(&l->prefix, "%s %s %s: ", stamp,
		    l->kind == TUI_LINE_PM_IN ? "<-" : "->", who);
		l->who_off = strlen(stamp) + 1;
		l->who_len = strlen(who) + 4;
		break;
	case TUI_LINE_ERROR:
		n = asprintf(&l->prefix, "%s !! ", stamp);
		break;
	case TUI_LINE_INFO:
		n = asprintf(&l->prefix, "%s * ", stamp);
		break;
	case TUI_LINE_MARKER:
	case TUI_LINE_DIVIDER:
		n = asprintf(&l->prefix, "%s", "");
		break;
	}
	if (n == -1)
		abort();
	l->prefix_w = tui_text_width(l->prefix, strlen(l->prefix));
}

/*
 * Wrap the body in the columns right of the prefix; a prefix wider than
 * half the width (a long name) is cut there when drawn.
 */
static void
tui_line_wrap(struct tui_line *l, int width)
{
	size_t	len = strlen(l->body);
	int	text_w;

	free(l->rows);
	l->rows = NULL;
	if (l->hidden) {
		l->nrows = 0;
		return;
	}
	l->indent = l->prefix_w;
	if (l->indent > width / 2)
		l->indent = width / 2;
	text_w = width - l->indent;
	if (text_w < 2)
		text_w = 2;
	l->nrows = tui_text_wrap(l->body, len, text_w, NULL, 0);
	l->rows = tui_buffer_xcalloc(l->nrows, sizeof *l->rows);
	tui_text_wrap(l->body, len, text_w, l->rows, l->nrows);
}

/* Whether when falls on another day than today (local time). */
static bool
tui_buffer_other_day(time_t today, time_t when)
{
	struct tm	a, b;

	if (today == 0)
		return (false);
	localtime_r(&today, &a);
	localtime_r(&when, &b);
	return (a.tm_year != b.tm_year || a.tm_yday != b.tm_yday);
}

const struct tui_line *
tui_buffer_add(struct tui_buffer *b, time_t when, enum tui_line_kind kind,
    const char *who, const char *text, size_t text_len)
{
	return (tui_buffer_insert(b, false, 0, when, kind, who, text,
	    text_len));
}

const struct tui_line *
tui_buffer_insert(struct tui_buffer *b, bool front, time_t today,
    time_t when, enum tui_line_kind kind, const char *who, const char *text,
    size_t text_len)
{
	struct tui_line	*l;

	if (b->nlines == b->cap && b->cap < TUI_SCROLLBACK_MAX) {
		/* Grow and unroll the ring so it starts at 0 again. */
		size_t		 ncap = b->cap == 0 ? 64 : b->cap * 2;
		struct tui_line	*nl;
		size_t		 i;

		if (ncap > TUI_SCROLLBACK_MAX)
			ncap = TUI_SCROLLBACK_MAX;
		nl = tui_buffer_xcalloc(ncap, sizeof *nl);
		for (i = 0; i < b->nlines; i++)
			nl[i] = b->lines[(b->first + i) % b->cap];
		free(b->lines);
		b->lines = nl;
		b->cap = ncap;
		b->first = 0;
	}
	if (front && b->nlines == b->cap)
		return (NULL);	/* full: the newest lines stay */
	if (b->nlines == b->cap) {
		/* The oldest rows go from the top: the scroll is unchanged. */
		b->nrows -= b->lines[b->first].nrows;
		tui_line_clear(&b->lines[b->first]);
		b->first = (b->first + 1) % b->cap;
		b->nlines--;
		if ((size_t)b->scroll > b->nrows)
			b->scroll = (int)b->nrows;
	}
	if (front) {
		b->first = (b->first + b->cap - 1) % b->cap;
		l = &b->lines[b->first];
	} else
		l = &b->lines[(b->first + b->nlines) % b->cap];
	b->nlines++;
	l->when = when;
	l->kind = kind;
	l->dated = tui_buffer_other_day(today, when);
	if (who != NULL &&
	    (l->who = tui_text_sanitise(who, strlen(who), 0)) == NULL)
		abort();
	if (text == NULL)
		text = "";
	if (text_len == 0)
		text_len = strlen(text);
	if ((l->text = tui_text_sanitise(text, text_len, 1)) == NULL)
		abort();
	tui_line_format(l);
	tui_line_wrap(l, b->width);
	b->nrows += l->nrows;
	if (b->scroll > 0 && !front) {
		/* Reading back: the text stays put, and we say more came. */
		b->scroll += (int)l->nrows;
		b->below++;
	}
	return (l);
}

void
tui_buffer_mark(struct tui_buffer *b)
{
	struct tui_line	*l;
	size_t		 i;

	for (i = 0; i < b->nlines; i++) {
		l = &b->lines[(b->first + i) % b->cap];
		if (l->kind == TUI_LINE_MARKER && !l->hidden) {
			b->nrows -= l->nrows;
			l->hidden = true;
			tui_line_wrap(l, b->width);
			if ((size_t)b->scroll > b->nrows)
				b->scroll = (int)b->nrows;
		}
	}
	b->mark = true;
}

void
tui_buffer_highlight(struct tui_buffer *b)
{
	if (b->nlines > 0)
		b->lines[(b->first + b->nlines - 1) % b->cap].highlight = true;
}

/* Joins and leaves folded into one line, and how recent its last is. */
#define TUI_BUFFER_FOLD_MAX	8
#define TUI_BUFFER_FOLD_SEC	60

bool
tui_buffer_fold(struct tui_buffer *b, time_t when, enum tui_line_kind kind,
    const char *who, const char *verb)
{
	struct tui_line	*l;
	char		*clean, *body;
	size_t		 before;

	if (b->nlines == 0)
		return (false);
	l = &b->lines[(b->first + b->nlines - 1) % b->cap];
	if ((l->kind != TUI_LINE_JOIN && l->kind != TUI_LINE_LEAVE) ||
	    l->who == NULL || l->events >= TUI_BUFFER_FOLD_MAX ||
	    when - l->when > TUI_BUFFER_FOLD_SEC || when < l->when)
		return (false);
	if ((clean = tui_text_sanitise(who, strlen(who), 0)) == NULL)
		abort();
	if (asprintf(&body, "%s, %s %s", l->body, clean, verb) == -1)
		abort();
	free(clean);
	if (l->body != l->text)
		free(l->body);
	l->body = body;
	l->when = when;
	l->kind = kind;
	l->events = l->events == 0 ? 2 : l->events + 1;
	before = l->nrows;
	tui_line_wrap(l, b->width);
	b->nrows += l->nrows - before;
	if (b->scroll > 0)
		b->scroll += (int)(l->nrows - before);
	return (true);
}

size_t
tui_buffer_visible(const struct tui_buffer *b, int page,
    struct tui_view_row *out)
{
	const struct tui_line	*l;
	size_t			 i, r, n = 0, skip = (size_t)b->scroll, want;

	want = page > 0 ? (size_t)page : 0;
	/* Newest first from the bottom, then turned top to bottom. */
	for (i = b->nlines; i > 0 && n < want; i--) {
		l = tui_buffer_line(b, i - 1);
		if (skip >= l->nrows) {
			skip -= l->nrows;
			continue;
		}
		for (r = l->nrows - skip; r > 0 && n < want; r--) {
			out[n].line = l;
			out[n].row = r - 1;
			n++;
		}
		skip = 0;
	}
	for (i = 0; i < n / 2; i++) {
		struct tui_view_row t = out[i];

		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return (n);
}

void
tui_buffer_reflow(struct tui_buffer *b, int width)
{
	size_t	i;

	if (width < TUI_BUFFER_MIN_WIDTH)
		width = TUI_BUFFER_MIN_WIDTH;
	if (width == b->width)
		return;
	b->width = width;
	b->nrows = 0;
	for (i = 0; i < b->nlines; i++) {
		struct tui_line *l = &b->lines[(b->first + i) % b->cap];

		tui_line_wrap(l, width);
		b->nrows += l->nrows;
	}
	if ((size_t)b->scroll > b->nrows)
		b->scroll = (int)b->nrows;
}

void
tui_buffer_scroll(struct tui_buffer *b, int rows, int page)
{
	long	max = (long)b->nrows - (page > 0 ? page : 1), at;

	if (max < 0)
		max = 0;
	at = (long)b->scroll + rows;
	if (at > max)
		at = max;
	if (at <= 0) {
		at = 0;
		b->below = 0;
	}
	b->scroll = (int)at;
}

void
tui_buffer_bottom(struct tui_buffer *b)
{
	b->scroll = 0;
	b->below = 0;
}
