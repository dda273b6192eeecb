/*
 * The chat-tui model.  Everything the user sees is derived from what the
 * server said: the current room is set by the join reply, the room list by
 * the rooms reply, the participants by the participants reply (see
 * tui-handle.c).  This file holds the state itself: its conversations
 * (buffers), the notices added to them, connection changes and the
 * helpers the other tui-*.c files of the model share (tui-internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"
#include "tui-text.h"

void *
tui_xmalloc(size_t n)
{
	void	*p;

	if ((p = calloc(1, n == 0 ? 1 : n)) == NULL)
		abort();
	return (p);
}

char *
tui_xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		abort();
	return (p);
}

char *
tui_sanitise(const char *s)
{
	char	*p;

	if ((p = tui_text_sanitise(s, strlen(s), 1)) == NULL)
		abort();
	return (p);
}

void
tui_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? tui_xstrdup(value) : NULL;
}

bool
tui_streq(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
tui_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char **
tui_strv_copy(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	c = tui_xmalloc(n * sizeof *c);
	for (i = 0; i < n; i++)
		c[i] = tui_xstrdup(v[i] != NULL ? v[i] : "");
	return (c);
}

static struct tui_buffer *
tui_model_buffer_new(struct tui_model *m, enum tui_buf_type type,
    const char *name)
{
	struct tui_buffer	*b;

	b = tui_buffer_new(type, name, m->width);
	m->bufs = realloc(m->bufs, (m->nbufs + 1) * sizeof *m->bufs);
	if (m->bufs == NULL)
		abort();
	m->bufs[m->nbufs++] = b;
	return (b);
}

const struct tui_line *
tui_model_line(const struct tui_buffer *b, size_t i)
{
	return (tui_buffer_line(b, i));
}

struct tui_buffer *
tui_model_find(const struct tui_model *m, enum tui_buf_type type,
    const char *name)
{
	size_t	i;

	for (i = 0; i < m->nbufs; i++) {
		if (m->bufs[i]->type != type)
			continue;
		if (type == TUI_BUF_STATUS || tui_streq(m->bufs[i]->name, name))
			return (m->bufs[i]);
	}
	return (NULL);
}

struct tui_buffer *
tui_model_get(struct tui_model *m, enum tui_buf_type type, const char *name)
{
	struct tui_buffer	*b;

	if ((b = tui_model_find(m, type, name)) == NULL) {
		b = tui_model_buffer_new(m, type, name);
		tui_names_label(m, b);
	}
	return (b);
}

/* Append a line to b (see tui_buffer_add), keeping its scroll in range. */
void
tui_model_add_len(struct tui_model *m, struct tui_buffer *b, time_t when,
    enum tui_line_kind kind, const char *who, const char *text,
    size_t text_len)
{
	/* Where the user stopped reading, before what came since. */
	if (b->mark && b != m->view) {
		tui_buffer_add(b, when, TUI_LINE_MARKER, NULL, "", 0);
		b->mark = false;
	}
	tui_buffer_insert(b, false, m->clock(NULL), when, kind, who, text,
	    text_len);
	tui_buffer_scroll(b, 0, m->page);
	m->dirty = true;
}

/* Another member joined or left: folded into a run of such lines. */
void
tui_model_add_event(struct tui_model *m, struct tui_buffer *b, time_t when,
    enum tui_line_kind kind, const char *who, const char *verb)
{
	if ((b->mark && b != m->view) || !tui_buffer_fold(b, when, kind, who,
	    verb))
		tui_model_add(m, b, when, kind, who, verb);
	tui_buffer_scroll(b, 0, m->page);
	m->dirty = true;
}

void
tui_model_add(struct tui_model *m, struct tui_buffer *b, time_t when,
    enum tui_line_kind kind, const char *who, const char *text)
{
	tui_model_add_len(m, b, when, kind, who, text, 0);
}

void
tui_model_panes(struct tui_model *m, bool left, bool right)
{
	m->left_shown = left;
	m->right_shown = right;
	/* A hidden pane cannot keep the focus. */
	if ((m->focus == TUI_FOCUS_ROOMS && !left) ||
	    (m->focus == TUI_FOCUS_USERS && !right))
		m->focus = TUI_FOCUS_INPUT;
}

void
tui_model_resize(struct tui_model *m, int width, int page)
{
	size_t	i;

	m->width = width;
	m->page = page > 0 ? page : 1;
	for (i = 0; i < m->nbufs; i++) {
		tui_buffer_reflow(m->bufs[i], width);
		tui_buffer_scroll(m->bufs[i], 0, m->page);
	}
	m->dirty = true;
}

static void
tui_model_vinfo(struct tui_model *m, struct tui_buffer *b,
    enum tui_line_kind kind, const char *fmt, va_list ap)
{
	char	*text;

	/* Whole: the arguments may be names of any length. */
	if (vasprintf(&text, fmt, ap) == -1)
		abort();
	tui_model_add(m, b, m->clock(NULL), kind, NULL, text);
	free(text);
}

void
tui_model_info(struct tui_model *m, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tui_model_vinfo(m, m->view, TUI_LINE_INFO, fmt, ap);
	va_end(ap);
}

void
tui_model_info_to(struct tui_model *m, struct tui_buffer *b,
    enum tui_line_kind kind, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tui_model_vinfo(m, b, kind, fmt, ap);
	va_end(ap);
}

void
tui_model_show(struct tui_model *m, struct tui_buffer *b)
{
	if (m->view != NULL && m->view != b)
		tui_buffer_mark(m->view);
	m->view = b;
	b->unread = 0;
	b->highlights = 0;
	m->dirty = true;
}

void
tui_model_clear_users(struct tui_model *m)
{
	tui_strv_free(m->users, m->nusers);
	m->users = NULL;
	m->nusers = 0;
	m->sel_users = 0;
}

void
tui_model_init(struct tui_model *m, const char *server)
{
	memset(m, 0, sizeof *m);
	m->server = tui_sanitise(server);
	m->clock = time;
	tui_edit_init(&m->edit);
	m->width = 80;
	m->page = 10;
	m->left_shown = m->right_shown = true;
	m->pace_tokens = TUI_PASTE_BURST;
	m->view = tui_model_buffer_new(m, TUI_BUF_STATUS, NULL);
	m->dirty = true;
}

void
tui_model_free(struct tui_model *m)
{
	size_t	i;

	for (i = 0; i < m->nbufs; i++)
		tui_buffer_free(m->bufs[i]);
	free(m->bufs);
	tui_strv_free(m->rooms, m->nrooms);
	tui_strv_free(m->users, m->nusers);
	tui_pending_clear(m);
	tui_request_drop_all(m);
	tui_request_pace_drop(m);
	tui_paste_drop(m);
	tui_history_free(m);
	free(m->out);
	free(m->paced);
	free(m->server);
	free(m->own_id);
	free(m->token);
	free(m->epoch);
	free(m->own_name);
	free(m->want_name);
	tui_names_free(m);
	free(m->room);
	free(m->rejoin);
	free(m->stash);
	tui_edit_free(&m->edit);
	memset(m, 0, sizeof *m);
}

void
tui_model_set_token(struct tui_model *m, const char *token)
{
	tui_set(&m->token, token);
}

void
tui_model_set_name(struct tui_model *m, const char *name)
{
	tui_set(&m->want_name, name);
}

void
tui_model_set_bell(struct tui_model *m, bool on)
{
	m->bell_off = !on;
	if (!on)
		m->bell = false;
}

void
tui_model_opened(struct tui_model *m)
{
	m->conn = TUI_CONN_CONNECTING;
	m->dirty = true;
}

void
tui_model_closed(struct tui_model *m, const char *why)
{
	bool	was = m->conn != TUI_CONN_DISCONNECTED;
	size_t	n;

	m->conn = TUI_CONN_DISCONNECTED;
	m->hello_wait = false;
	tui_set(&m->own_id, NULL);
	tui_history_closed(m);
	/* Remember the room to rejoin; everything else is the server's. */
	if (m->room != NULL)
		tui_set(&m->rejoin, m->room);
	tui_set(&m->room, NULL);
	tui_strv_free(m->users, m->nusers);
	m->users = NULL;
	m->nusers = 0;
	m->sel_users = 0;
	tui_pending_clear(m);
	tui_request_drop_all(m);
	if ((n = tui_request_pace_drop(m)) > 0)
		tui_model_info(m, "%zu pasted lines not sent", n);
	if (was) {
		tui_model_info_to(m, m->bufs[0], TUI_LINE_ERROR,
		    "disconnected from %s%s%s", m->server,
		    why != NULL ? ": " : "", why != NULL ? why : "");
		if (m->view != m->bufs[0])
			tui_model_info(m, "disconnected from %s", m->server);
	} else if (!m->failed) {
		/* Say why once, not on every retry. */
		tui_model_info_to(m, m->bufs[0], TUI_LINE_ERROR,
		    "cannot connect to %s%s%s (retrying)", m->server,
		    why != NULL ? ": " : "", why != NULL ? why : "");
	}
	m->failed = !was;
	m->dirty = true;
}

void
tui_model_closed_code(struct tui_model *m, const char *why, unsigned code)
{
	static const char	 said[] = "-- replaced by another connection "
	    "to this session; not reconnecting (/reconnect to take it "
	    "back) --";

	if (code != PROTO_CLOSE_REPLACED) {
		tui_model_closed(m, why);
		return;
	}
	/* Both would take the session back from each other, forever. */
	m->hold = true;
	tui_model_closed(m, "replaced");
	tui_model_info_to(m, m->bufs[0], TUI_LINE_ERROR, "%s", said);
	if (m->view != m->bufs[0])
		tui_model_info(m, "%s", said);
}

void
tui_model_tick(struct tui_model *m)
{
	tui_request_sync(m);
}

unsigned
tui_model_backoff_ms(unsigned attempt, uint32_t rnd)
{
	unsigned	base = TUI_BACKOFF_MIN_MS;

	while (attempt-- > 0 && base < TUI_BACKOFF_MAX_MS)
		base *= 2;
	if (base > TUI_BACKOFF_MAX_MS)
		base = TUI_BACKOFF_MAX_MS;
	/* "Equal jitter": somewhere in [base / 2, base]. */
	return (base / 2 + rnd % (base / 2 + 1));
}

bool
tui_model_close(struct tui_model *m, struct tui_buffer *b)
{
	size_t	i;

	if (b->type == TUI_BUF_STATUS || (b->type == TUI_BUF_ROOM &&
	    tui_streq(b->name, m->room)))
		return (false);
	for (i = 0; i < m->nbufs && m->bufs[i] != b; i++)
		;
	if (i == m->nbufs)
		return (false);
	memmove(m->bufs + i, m->bufs + i + 1,
	    (m->nbufs - i - 1) * sizeof *m->bufs);
	m->nbufs--;
	if (m->view == b) {
		m->view = NULL;
		tui_model_show(m, m->bufs[0]);
	}
	tui_buffer_free(b);
	m->dirty = true;
	return (true);
}
