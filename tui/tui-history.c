/*
 * Room history (protocol version 2).  A room's buffer holds one unbroken
 * run of the room's messages, seq_old to seq_new, so a duplicate is simply
 * a seq inside that run: older pages go on top (a join shows the latest
 * page, PgUp past the top asks for the one before it), and what was missed
 * while away goes at the bottom.  That catch-up pages with "after" until
 * the server has no more, while the room's live messages wait for it, so
 * the missed lines come in order, once, under one divider line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"

/* What was missed while away, gathered before any of it is shown. */
struct tui_catchup {
	char			*room;
	bool			 lost;	/* epoch changed: the latest page */
	bool			 gone;	/* disconnected (else: we left) */
	bool			 wait;	/* a page is asked for */
	unsigned		 retries;	/* after errors */
	unsigned		 stale;	/* full pages with nothing new */
	uint64_t		 last;	/* newest seq gathered */
	struct proto_msg	*got;	/* missed room messages, in order */
	size_t			 ngot;
	struct proto_msg	*held;	/* live ones meanwhile */
	size_t			 nheld;
};

enum tui_history_ask {
	TUI_ASK_LATEST,
	TUI_ASK_BEFORE,
	TUI_ASK_AFTER,
};

/* A seq (decimal, 64 bits); 0 when absent or not one. */
static uint64_t
tui_history_seq(const char *s)
{
	uint64_t	v = 0;

	if (s == NULL || *s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return (0);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return (v);
}

/* History can be asked for: connected to a version 2 server. */
static bool
tui_history_on(const struct tui_model *m)
{
	return (m->conn == TUI_CONN_CONNECTED && !m->v1 && m->epoch != NULL);
}

/* Ask for a page of room: the latest, or before or after seq. */
static void
tui_history_ask(struct tui_model *m, const char *room,
    enum tui_history_ask ask, uint64_t seq)
{
	struct proto_msg	*r;
	char			 num[32];

	tui_request_queue(m, PROTO_HISTORY, room, NULL, NULL);
	r = &m->out[m->nout - 1];
	snprintf(num, sizeof num, "%d", TUI_ROOM_HISTORY_PAGE);
	r->limit = tui_xstrdup(num);
	snprintf(num, sizeof num, "%llu", (unsigned long long)seq);
	if (ask == TUI_ASK_BEFORE)
		r->before = tui_xstrdup(num);
	else if (ask == TUI_ASK_AFTER)
		r->after = tui_xstrdup(num);
}

/* The catch-up's next page. */
static void
tui_history_catchup_ask(struct tui_model *m)
{
	struct tui_catchup	*c = m->catchup;

	tui_history_ask(m, c->room, c->lost ? TUI_ASK_LATEST : TUI_ASK_AFTER,
	    c->last);
	c->wait = true;
}

static void
tui_history_catchup_free(struct tui_catchup *c)
{
	size_t	i;

	for (i = 0; i < c->ngot; i++)
		proto_msg_free(&c->got[i]);
	for (i = 0; i < c->nheld; i++)
		proto_msg_free(&c->held[i]);
	free(c->got);
	free(c->held);
	free(c->room);
	free(c);
}

/*
 * Forget the catch-up under way (we left, or the link went): the buffer's
 * seqs are as before it, so the next join asks for the same again.
 */
static void
tui_history_stop(struct tui_model *m)
{
	struct tui_buffer	*b;

	if (m->catchup == NULL)
		return;
	if (m->catchup->lost && (b = tui_model_find(m, TUI_BUF_ROOM,
	    m->catchup->room)) != NULL)
		b->hist_lost = true;
	tui_history_catchup_free(m->catchup);
	m->catchup = NULL;
}

/* A copy of a room message, as tui_model_message takes it. */
static void
tui_history_keep(struct proto_msg **v, size_t *n, const char *room,
    const char *seq, const char *ts, const char *user_id, const char *name,
    const char *message, size_t message_len)
{
	struct proto_msg	*c;

	if ((*v = realloc(*v, (*n + 1) * sizeof **v)) == NULL)
		abort();
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof *c);
	c->action = PROTO_ROOM_MESSAGE;
	c->room = tui_xstrdup(room);
	c->seq = seq != NULL ? tui_xstrdup(seq) : NULL;
	c->ts = ts != NULL ? tui_xstrdup(ts) : NULL;
	c->user_id = user_id != NULL ? tui_xstrdup(user_id) : NULL;
	c->name = name != NULL ? tui_xstrdup(name) : NULL;
	c->message = tui_xmalloc(message_len + 1);
	memcpy(c->message, message, message_len);
	c->message_len = message_len;
}

void
tui_history_hello(struct tui_model *m, const char *epoch)
{
	struct tui_buffer	*b;
	size_t			 i;
	bool			 any = false;

	if (m->epoch == NULL || epoch == NULL || strcmp(m->epoch, epoch) == 0)
		return;
	/* Seqs of another epoch mean nothing now. */
	for (i = 0; i < m->nbufs; i++) {
		b = m->bufs[i];
		if (b->type != TUI_BUF_ROOM || b->seq_new == 0)
			continue;
		b->seq_old = b->seq_new = 0;
		b->hist_more = false;
		b->hist_lost = true;
		any = true;
	}
	if (any)
		tui_model_info_to(m, m->bufs[0], TUI_LINE_ERROR,
		    "%s lost its history: rooms show the latest again",
		    m->server);
}

void
tui_history_joined(struct tui_model *m, struct tui_buffer *b)
{
	struct tui_catchup	*c;

	tui_history_stop(m);
	if (!tui_history_on(m))
		return;
	if (b->seq_new == 0 && !b->hist_lost) {
		/* New to this room: its latest page, on top. */
		b->hist_wait = TUI_HIST_LATEST;
		tui_history_ask(m, b->name, TUI_ASK_LATEST, 0);
		return;
	}
	c = tui_xmalloc(sizeof *c);
	c->room = tui_xstrdup(b->name);
	c->lost = b->hist_lost;
	c->gone = b->hist_gone;
	c->last = b->seq_new;
	b->hist_lost = b->hist_gone = false;
	m->catchup = c;
	tui_history_catchup_ask(m);
}

void
tui_history_left(struct tui_model *m, const char *room)
{
	if (m->catchup != NULL && tui_streq(m->catchup->room, room))
		tui_history_stop(m);
}

void
tui_history_closed(struct tui_model *m)
{
	struct tui_buffer	*b;
	size_t			 i;

	tui_history_stop(m);
	for (i = 0; i < m->nbufs; i++) {
		b = m->bufs[i];
		b->hist_wait = TUI_HIST_NONE;
		if (b->type == TUI_BUF_ROOM && tui_streq(b->name, m->room))
			b->hist_gone = true;
	}
}

void
tui_history_free(struct tui_model *m)
{
	tui_history_stop(m);
}

bool
tui_history_live(struct tui_model *m, struct tui_buffer *b,
    const struct proto_msg *msg)
{
	struct tui_catchup	*c = m->catchup;
	uint64_t		 seq = tui_history_seq(msg->seq);

	if (c != NULL && tui_streq(c->room, msg->room)) {
		/* After the missed lines; more than fits comes again. */
		if (c->nheld < TUI_SCROLLBACK_MAX)
			tui_history_keep(&c->held, &c->nheld, msg->room,
			    msg->seq, msg->ts, msg->user_id, msg->name,
			    msg->message, msg->message_len);
		return (true);
	}
	if (seq == 0)
		return (false);
	if (b->seq_new != 0 && seq <= b->seq_new)
		return (true);		/* shown already */
	b->seq_new = seq;
	if (b->seq_old == 0)
		b->seq_old = seq;
	return (false);
}

/*
 * Show what the catch-up gathered, then what waited for it; error: why it
 * could not gather all.
 */
static void
tui_history_catchup_done(struct tui_model *m, const char *error)
{
	struct tui_catchup	*c = m->catchup;
	struct tui_buffer	*b;
	size_t			 i;

	m->catchup = NULL;
	b = tui_model_get(m, TUI_BUF_ROOM, c->room);
	if (error != NULL)
		tui_model_info_to(m, b, TUI_LINE_ERROR,
		    "cannot fetch the missed messages: %s", error);
	else if (c->lost) {
		b->hist_more = false;
		tui_model_info_to(m, b, TUI_LINE_DIVIDER,
		    "-- history was lost: the latest %zu message%s --",
		    c->ngot, c->ngot == 1 ? "" : "s");
	} else if (c->ngot == 0)
		tui_model_info_to(m, b, TUI_LINE_DIVIDER, "-- no messages %s --",
		    c->gone ? "while disconnected" : "since you left");
	else
		tui_model_info_to(m, b, TUI_LINE_DIVIDER, "-- %zu message%s %s --",
		    c->ngot, c->ngot == 1 ? "" : "s",
		    c->gone ? "while disconnected" : "since you left");
	/* As if they came now: counted unread, duplicates dropped. */
	for (i = 0; i < c->ngot; i++)
		tui_model_message(m, &c->got[i]);
	for (i = 0; i < c->nheld; i++)
		tui_model_message(m, &c->held[i]);
	tui_history_catchup_free(c);
}

/* A page of the catch-up: gather it, and ask for more until done. */
static void
tui_history_catchup_page(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_catchup	*c = m->catchup;
	const struct proto_entry *e;
	uint64_t		 seq;
	size_t			 i;
	bool			 moved = false;

	c->wait = false;
	for (i = 0; i < msg->nentries; i++) {
		e = &msg->entries[i];
		seq = tui_history_seq(e->seq);
		if (seq == 0 || seq <= c->last)
			continue;
		if (c->ngot == TUI_SCROLLBACK_MAX)
			break;
		tui_history_keep(&c->got, &c->ngot, c->room, e->seq, e->ts,
		    e->user_id, e->name, e->message, e->message_len);
		c->last = seq;
		moved = true;
	}
	/*
	 * A full page: there may be more.  One with nothing new is the
	 * answer to a request asked again after an error; a few of those
	 * in a row, and the server is not moving on.
	 */
	if (moved)
		c->stale = 0;
	if (!c->lost && msg->nentries >= TUI_ROOM_HISTORY_PAGE &&
	    c->ngot < TUI_SCROLLBACK_MAX &&
	    (moved || c->stale++ < TUI_ROOM_HISTORY_RETRIES))
		tui_history_catchup_ask(m);
	else
		tui_history_catchup_done(m, NULL);
}

/* A page before what b holds (or the latest): on top, newest first. */
static void
tui_history_page(struct tui_model *m, struct tui_buffer *b,
    const struct proto_msg *msg)
{
	const struct proto_entry *e;
	struct proto_msg	 when = { .action = PROTO_ROOM_MESSAGE };
	time_t			 today = m->clock(NULL);
	bool			 latest = b->hist_wait == TUI_HIST_LATEST;
	bool			 full = false, own;
	size_t			 i, kept = 0;
	uint64_t		 seq;

	b->hist_wait = TUI_HIST_NONE;
	for (i = msg->nentries; i-- > 0 && !full;) {
		e = &msg->entries[i];
		seq = tui_history_seq(e->seq);
		if (seq == 0 || (b->seq_old != 0 && seq >= b->seq_old))
			continue;
		/* What was said before we came, above a divider. */
		if (kept == 0 && latest && tui_buffer_insert(b, true, 0, today,
		    TUI_LINE_DIVIDER, NULL, "-- end of history --", 0) == NULL)
			break;
		when.ts = (char *)e->ts;
		own = tui_streq(e->user_id, m->own_id);
		if (tui_buffer_insert(b, true, today, tui_handle_when(m, &when),
		    own ? TUI_LINE_OWN : TUI_LINE_MSG,
		    e->name != NULL ? e->name : e->user_id, e->message,
		    e->message_len) == NULL) {
			full = true;
			break;
		}
		kept++;
		b->seq_old = seq;
		if (b->seq_new == 0)
			b->seq_new = seq;
	}
	b->hist_more = !full && kept > 0 &&
	    msg->nentries >= TUI_ROOM_HISTORY_PAGE;
	if (!latest && !full && !b->hist_more)
		tui_buffer_insert(b, true, 0, today, TUI_LINE_DIVIDER, NULL,
		    "-- start of history --", 0);
	m->dirty = true;
}

void
tui_history_reply(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_catchup	*c = m->catchup;
	struct tui_buffer	*b;

	if (msg->room == NULL)
		return;
	if (c != NULL && c->wait && tui_streq(c->room, msg->room)) {
		tui_history_catchup_page(m, msg);
		return;
	}
	/* Only what we asked for: anything else is ignored. */
	b = tui_model_find(m, TUI_BUF_ROOM, msg->room);
	if (b != NULL && b->hist_wait != TUI_HIST_NONE)
		tui_history_page(m, b, msg);
}

void
tui_history_error(struct tui_model *m, const char *text)
{
	struct tui_catchup	*c = m->catchup;
	size_t			 i;

	/* The errors a history request can get (besides bad requests). */
	if (strcmp(text, PROTO_ERR_RATE_LIMIT) != 0 &&
	    strcmp(text, "service unavailable") != 0 &&
	    strcmp(text, "out of memory") != 0)
		return;
	/* A page may be lost: PgUp asks again. */
	for (i = 0; i < m->nbufs; i++)
		m->bufs[i]->hist_wait = TUI_HIST_NONE;
	if (c == NULL || !c->wait)
		return;
	if (c->retries++ < TUI_ROOM_HISTORY_RETRIES) {
		tui_history_catchup_ask(m);
		return;
	}
	tui_history_catchup_done(m, text);
}

void
tui_history_scrolled(struct tui_model *m)
{
	struct tui_buffer	*b = m->view;

	if (!tui_history_on(m) || b->type != TUI_BUF_ROOM || !b->hist_more ||
	    b->hist_wait != TUI_HIST_NONE || b->seq_old == 0 ||
	    (m->catchup != NULL && tui_streq(m->catchup->room, b->name)))
		return;
	/* Only once the top of what is loaded is in sight. */
	if ((long)b->scroll < (long)b->nrows - m->page)
		return;
	b->hist_wait = TUI_HIST_BEFORE;
	tui_history_ask(m, b->name, TUI_ASK_BEFORE, b->seq_old);
}
