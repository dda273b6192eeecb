/*
 * The chat-tui model.  Everything the user sees is derived from what the
 * server said: the current room is set by the join reply, the room list by
 * the rooms reply, the participants by the participants reply.  After each
 * change of membership (ours or someone else's) the model asks again for
 * the room list and the participants, so the panes converge on the
 * server's state instead of guessing it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-model.h"
#include "tui-text.h"

/* What we asked for and have not seen answered yet. */
enum tui_pending_type {
	TUI_PENDING_PM,		/* a PM we sent: its echo looks like a delivery */
	TUI_PENDING_WHO,	/* /who: print the participants reply */
	TUI_PENDING_PARTS,	/* automatic participants request */
	TUI_PENDING_AUTO_ROOMS,	/* automatic rooms request */
	TUI_PENDING_ROOMS,	/* /rooms: print the rooms reply */
};

struct tui_pending {
	struct tui_pending	*next;
	enum tui_pending_type	 type;
	char			*a;	/* PM target or room */
	char			*b;	/* PM text */
};

static const char *const tui_model_commands[] = {
	"/help", "/join", "/leave", "/msg", "/quit", "/rooms", "/who",
};
#define TUI_NCOMMANDS (sizeof tui_model_commands / sizeof *tui_model_commands)

const char *const tui_model_help[] = {
	"Keys",
	"  F1  Alt-h        this help",
	"  F2  Alt-j        join the highlighted room, or ask for a name",
	"  F3  Alt-l        leave the current room",
	"  F4  Alt-m        message the highlighted user, or ask for an id",
	"  F10 Ctrl-Q Alt-q quit",
	"  Ctrl-O Alt-Right focus: input -> rooms -> users; Alt-Left back",
	"  Esc              back to the input line, cancel a prompt",
	"  Up/Down Enter    select and act in the focused list",
	"  PgUp/PgDn        scroll the messages",
	"  Alt-1..9 Alt-a   left pane entry 1..9; next with unread",
	"  Input: Up/Down history, Tab completes, Left/Right Home/End",
	"         Backspace Delete Ctrl-U Ctrl-W edit",
	"Commands",
	"  /join ROOM  /leave  /msg ID TEXT  /rooms  /who [ROOM]",
	"  /help  /quit;  other text goes to the room or @ID shown",
	NULL
};

static void *
tui_xmalloc(size_t n)
{
	void	*p;

	if ((p = calloc(1, n == 0 ? 1 : n)) == NULL)
		abort();
	return (p);
}

static char *
tui_xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		abort();
	return (p);
}

static char *
tui_sanitise(const char *s)
{
	char	*p;

	if ((p = tui_text_sanitise(s, strlen(s), 1)) == NULL)
		abort();
	return (p);
}

static void
tui_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? tui_xstrdup(value) : NULL;
}

static bool
tui_streq(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
tui_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
tui_strv_copy(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	c = tui_xmalloc(n * sizeof *c);
	for (i = 0; i < n; i++)
		c[i] = tui_xstrdup(v[i] != NULL ? v[i] : "");
	return (c);
}

/* Buffers. */

static struct tui_buffer *
tui_buffer_new(struct tui_model *m, enum tui_buf_type type, const char *name)
{
	struct tui_buffer	*b;
	char			 label[CHAT_ROOM_NAME_MAX * 4 + 8];
	char			*clean;

	b = tui_xmalloc(sizeof *b);
	b->type = type;
	b->name = name != NULL ? tui_xstrdup(name) : NULL;
	clean = tui_text_sanitise(name != NULL ? name : "", name != NULL ?
	    strlen(name) : 0, 0);
	if (clean == NULL)
		abort();
	switch (type) {
	case TUI_BUF_STATUS:
		snprintf(label, sizeof label, "status");
		break;
	case TUI_BUF_ROOM:
		snprintf(label, sizeof label, "%s", clean);
		break;
	case TUI_BUF_PM:
		snprintf(label, sizeof label, "@%s", clean);
		break;
	}
	free(clean);
	b->label = tui_xstrdup(label);

	m->bufs = realloc(m->bufs, (m->nbufs + 1) * sizeof *m->bufs);
	if (m->bufs == NULL)
		abort();
	m->bufs[m->nbufs++] = b;
	return (b);
}

static void
tui_line_clear(struct tui_line *l)
{
	free(l->who);
	free(l->text);
	memset(l, 0, sizeof *l);
}

static void
tui_buffer_free(struct tui_buffer *b)
{
	size_t	i;

	for (i = 0; i < b->nlines; i++)
		tui_line_clear(&b->lines[(b->first + i) % b->cap]);
	free(b->lines);
	free(b->name);
	free(b->label);
	free(b);
}

const struct tui_line *
tui_model_line(const struct tui_buffer *b, size_t i)
{
	if (i >= b->nlines)
		return (NULL);
	return (&b->lines[(b->first + i) % b->cap]);
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

static struct tui_buffer *
tui_model_get(struct tui_model *m, enum tui_buf_type type, const char *name)
{
	struct tui_buffer	*b;

	if ((b = tui_model_find(m, type, name)) == NULL)
		b = tui_buffer_new(m, type, name);
	return (b);
}

/*
 * Append a line; the oldest goes once the ring is full.  text is text_len
 * bytes (it may hold NULs, shown inert like other controls), or a C string
 * when text_len is 0.
 */
static void
tui_buffer_add_len(struct tui_model *m, struct tui_buffer *b, time_t when,
    enum tui_line_kind kind, const char *who, const char *text,
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
		nl = tui_xmalloc(ncap * sizeof *nl);
		for (i = 0; i < b->nlines; i++)
			nl[i] = b->lines[(b->first + i) % b->cap];
		free(b->lines);
		b->lines = nl;
		b->cap = ncap;
		b->first = 0;
	}
	if (b->nlines == b->cap) {
		tui_line_clear(&b->lines[b->first]);
		b->first = (b->first + 1) % b->cap;
		b->nlines--;
	}
	l = &b->lines[(b->first + b->nlines) % b->cap];
	b->nlines++;
	l->when = when;
	l->kind = kind;
	l->who = who != NULL ? tui_sanitise(who) : NULL;
	if (text == NULL)
		text = "";
	if (text_len == 0)
		text_len = strlen(text);
	if ((l->text = tui_text_sanitise(text, text_len, 1)) == NULL)
		abort();
	m->dirty = true;
}

static void
tui_buffer_add(struct tui_model *m, struct tui_buffer *b, time_t when,
    enum tui_line_kind kind, const char *who, const char *text)
{
	tui_buffer_add_len(m, b, when, kind, who, text, 0);
}

static time_t
tui_model_when(struct tui_model *m, const struct proto_msg *msg)
{
	const char	*p;
	long long	 ms = 0;

	/* The server's "ts" extension, when present and sane. */
	if (msg != NULL && msg->ts != NULL && *msg->ts != '\0') {
		for (p = msg->ts; *p >= '0' && *p <= '9'; p++) {
			if (ms > 1000000000000000LL)
				break;
			ms = ms * 10 + (*p - '0');
		}
		if (*p == '\0' && ms > 0)
			return ((time_t)(ms / 1000));
	}
	return (m->clock(NULL));
}

static void
tui_model_vinfo(struct tui_model *m, struct tui_buffer *b,
    enum tui_line_kind kind, const char *fmt, va_list ap)
{
	char	text[TUI_INPUT_MAX + 256];

	vsnprintf(text, sizeof text, fmt, ap);
	tui_buffer_add(m, b, m->clock(NULL), kind, NULL, text);
}

void
tui_model_info(struct tui_model *m, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tui_model_vinfo(m, m->view, TUI_LINE_INFO, fmt, ap);
	va_end(ap);
}

static void
tui_model_info_to(struct tui_model *m, struct tui_buffer *b,
    enum tui_line_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
tui_model_info_to(struct tui_model *m, struct tui_buffer *b,
    enum tui_line_kind kind, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tui_model_vinfo(m, b, kind, fmt, ap);
	va_end(ap);
}

static void
tui_model_show(struct tui_model *m, struct tui_buffer *b)
{
	m->view = b;
	b->unread = 0;
	m->dirty = true;
}

/* Pending replies. */

static void
tui_pending_add(struct tui_model *m, enum tui_pending_type type,
    const char *a, const char *b)
{
	struct tui_pending	*p, **pp;

	p = tui_xmalloc(sizeof *p);
	p->type = type;
	p->a = a != NULL ? tui_xstrdup(a) : NULL;
	p->b = b != NULL ? tui_xstrdup(b) : NULL;
	for (pp = &m->pending; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = p;
}

/* Remove the oldest pending entry of type matching a (and b if given). */
static bool
tui_pending_take(struct tui_model *m, enum tui_pending_type type,
    const char *a, const char *b)
{
	struct tui_pending	*p, **pp;

	for (pp = &m->pending; (p = *pp) != NULL; pp = &p->next) {
		if (p->type != type)
			continue;
		if (a != NULL && !tui_streq(p->a, a))
			continue;
		if (b != NULL && !tui_streq(p->b, b))
			continue;
		*pp = p->next;
		free(p->a);
		free(p->b);
		free(p);
		return (true);
	}
	return (false);
}

static bool
tui_pending_has(struct tui_model *m, enum tui_pending_type type,
    const char *a)
{
	struct tui_pending	*p;

	for (p = m->pending; p != NULL; p = p->next) {
		if (p->type == type && (a == NULL || tui_streq(p->a, a)))
			return (true);
	}
	return (false);
}

/* Forget automatic requests (their replies may never come). */
static void
tui_pending_forget_auto(struct tui_model *m)
{
	while (tui_pending_take(m, TUI_PENDING_PARTS, NULL, NULL))
		;
	while (tui_pending_take(m, TUI_PENDING_AUTO_ROOMS, NULL, NULL))
		;
}

static void
tui_pending_clear(struct tui_model *m)
{
	struct tui_pending	*p;

	while ((p = m->pending) != NULL) {
		m->pending = p->next;
		free(p->a);
		free(p->b);
		free(p);
	}
}

/* Requests. */

static void
tui_model_queue(struct tui_model *m, enum proto_action action,
    const char *room, const char *user_id, const char *message)
{
	struct proto_msg	*r;

	if (m->nout == m->outcap) {
		m->outcap = m->outcap == 0 ? 8 : m->outcap * 2;
		m->out = realloc(m->out, m->outcap * sizeof *m->out);
		if (m->out == NULL)
			abort();
	}
	r = &m->out[m->nout++];
	memset(r, 0, sizeof *r);
	r->action = action;
	r->room = room != NULL ? tui_xstrdup(room) : NULL;
	r->user_id = user_id != NULL ? tui_xstrdup(user_id) : NULL;
	if (message != NULL) {
		r->message = tui_xstrdup(message);
		r->message_len = strlen(message);
	}
}

bool
tui_model_pop_request(struct tui_model *m, struct proto_msg *out)
{
	if (m->nout == 0)
		return (false);
	*out = m->out[0];
	memmove(m->out, m->out + 1, (m->nout - 1) * sizeof *m->out);
	m->nout--;
	return (true);
}

void
tui_model_request_free(struct proto_msg *msg)
{
	free(msg->room);
	free(msg->user_id);
	free(msg->message);
	memset(msg, 0, sizeof *msg);
}

static void
tui_model_drop_requests(struct tui_model *m)
{
	while (m->nout > 0)
		tui_model_request_free(&m->out[--m->nout]);
}

/* A request the user asked for: say so if it cannot go out. */
static bool
tui_model_online(struct tui_model *m)
{
	if (m->conn == TUI_CONN_CONNECTED)
		return (true);
	tui_model_info(m, "not connected to %s", m->server);
	return (false);
}

/*
 * Ask for the room list and our room's participants, unless the same
 * request is still unanswered: the server answers in order, so that reply
 * will already include whatever made us ask again.  This keeps a burst of
 * joins and leaves from turning into a burst of requests.
 */
static void
tui_model_sync(struct tui_model *m)
{
	if (m->conn != TUI_CONN_CONNECTED)
		return;
	if (!tui_pending_has(m, TUI_PENDING_AUTO_ROOMS, NULL)) {
		tui_model_queue(m, PROTO_ROOMS, NULL, NULL, NULL);
		tui_pending_add(m, TUI_PENDING_AUTO_ROOMS, NULL, NULL);
	}
	if (m->room != NULL && !tui_pending_has(m, TUI_PENDING_PARTS,
	    m->room)) {
		tui_model_queue(m, PROTO_PARTICIPANTS, m->room, NULL, NULL);
		tui_pending_add(m, TUI_PENDING_PARTS, m->room, NULL);
	}
}

void
tui_model_init(struct tui_model *m, const char *server)
{
	memset(m, 0, sizeof *m);
	m->server = tui_sanitise(server);
	m->clock = time;
	tui_edit_init(&m->edit);
	m->view = tui_buffer_new(m, TUI_BUF_STATUS, NULL);
	m->page = 10;
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
	tui_model_drop_requests(m);
	free(m->out);
	free(m->server);
	free(m->own_id);
	free(m->room);
	free(m->rejoin);
	free(m->stash);
	tui_edit_free(&m->edit);
	memset(m, 0, sizeof *m);
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

	m->conn = TUI_CONN_DISCONNECTED;
	tui_set(&m->own_id, NULL);
	/* Remember the room to rejoin; everything else is the server's. */
	if (m->room != NULL)
		tui_set(&m->rejoin, m->room);
	tui_set(&m->room, NULL);
	tui_strv_free(m->users, m->nusers);
	m->users = NULL;
	m->nusers = 0;
	m->sel_users = 0;
	tui_pending_clear(m);
	tui_model_drop_requests(m);
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
tui_model_tick(struct tui_model *m)
{
	tui_model_sync(m);
}

/* Server messages. */

static void
tui_model_on_connection(struct tui_model *m, const struct proto_msg *msg)
{
	if (msg->user_id == NULL)
		return;
	tui_set(&m->own_id, msg->user_id);
	m->conn = TUI_CONN_CONNECTED;
	tui_model_info_to(m, m->bufs[0], TUI_LINE_INFO,
	    "connected to %s as id %s", m->server, msg->user_id);
	if (m->view != m->bufs[0])
		tui_model_info(m, "connected as id %s", msg->user_id);
	tui_model_sync(m);
	if (m->rejoin != NULL)
		tui_model_queue(m, PROTO_JOIN, m->rejoin, NULL, NULL);
}

/* A join or leave with no user_id, or our own, is the reply to us. */
static bool
tui_model_is_own(struct tui_model *m, const struct proto_msg *msg)
{
	return (msg->user_id == NULL || tui_streq(msg->user_id, m->own_id));
}

static void
tui_model_clear_users(struct tui_model *m)
{
	tui_strv_free(m->users, m->nusers);
	m->users = NULL;
	m->nusers = 0;
	m->sel_users = 0;
}

static void
tui_model_on_join(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b;

	if (msg->room == NULL)
		return;
	if (tui_model_is_own(m, msg)) {
		bool same = tui_streq(m->room, msg->room);

		tui_set(&m->room, msg->room);
		tui_set(&m->rejoin, msg->room);
		b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
		if (!same) {
			tui_model_clear_users(m);
			tui_model_info_to(m, b, TUI_LINE_JOIN, "you joined %s",
			    msg->room);
		}
		/*
		 * Show the room the user asked for; after an automatic
		 * rejoin, only if no private conversation is being read.
		 */
		if (m->follow || m->view->type != TUI_BUF_PM)
			tui_model_show(m, b);
		m->follow = false;
	} else {
		if (tui_streq(m->room, msg->room)) {
			b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
			tui_buffer_add(m, b, tui_model_when(m, msg),
			    TUI_LINE_JOIN, msg->user_id, "joined");
		}
	}
	tui_model_sync(m);
}

static void
tui_model_on_leave(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b;

	if (msg->room == NULL)
		return;
	if (tui_model_is_own(m, msg)) {
		b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
		tui_model_info_to(m, b, TUI_LINE_LEAVE, "you left %s",
		    msg->room);
		if (tui_streq(m->room, msg->room)) {
			tui_set(&m->room, NULL);
			tui_model_clear_users(m);
		}
		tui_set(&m->rejoin, NULL);
	} else if (tui_streq(m->room, msg->room)) {
		b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
		tui_buffer_add(m, b, tui_model_when(m, msg), TUI_LINE_LEAVE,
		    msg->user_id, "left");
	}
	tui_model_sync(m);
}

static void
tui_model_on_room_message(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b;
	bool			 own;

	if (msg->room == NULL || msg->message == NULL)
		return;
	own = tui_streq(msg->user_id, m->own_id);
	b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
	tui_buffer_add_len(m, b, tui_model_when(m, msg),
	    own ? TUI_LINE_OWN : TUI_LINE_MSG,
	    msg->user_id != NULL ? msg->user_id : "?", msg->message,
	    msg->message_len);
	if (b != m->view && !own)
		b->unread++;
}

static void
tui_model_on_private(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b;
	enum tui_line_kind	 kind;
	time_t			 when;

	if (msg->user_id == NULL || msg->message == NULL)
		return;
	/*
	 * The echo of our PM and a PM to us look the same; the echo is the
	 * one that matches a PM we sent and have not seen echoed.
	 */
	if (tui_pending_take(m, TUI_PENDING_PM, msg->user_id, msg->message))
		kind = TUI_LINE_PM_OUT;
	else
		kind = TUI_LINE_PM_IN;
	when = tui_model_when(m, msg);
	b = tui_model_get(m, TUI_BUF_PM, msg->user_id);
	tui_buffer_add_len(m, b, when, kind, msg->user_id, msg->message,
	    msg->message_len);
	if (b != m->view) {
		/* Show it where the user is looking, too. */
		tui_buffer_add_len(m, m->view, when, kind, msg->user_id,
		    msg->message, msg->message_len);
		if (kind == TUI_LINE_PM_IN)
			b->unread++;
	}
}

/* Parse "user T is not on the server" / "room R does not exist". */
static char *
tui_model_error_arg(const char *text, const char *pre, const char *post)
{
	size_t	tlen = strlen(text), plen = strlen(pre), slen = strlen(post);
	char	*arg;

	if (tlen <= plen + slen || strncmp(text, pre, plen) != 0 ||
	    strcmp(text + tlen - slen, post) != 0)
		return (NULL);
	arg = tui_xmalloc(tlen - plen - slen + 1);
	memcpy(arg, text + plen, tlen - plen - slen);
	return (arg);
}

static void
tui_model_on_error(struct tui_model *m, const struct proto_msg *msg)
{
	const char	*text = msg->message != NULL ? msg->message : "error";
	char		*arg;

	/* Some request was dropped; do not wait for its reply. */
	if (strcmp(text, PROTO_ERR_RATE_LIMIT) == 0)
		tui_pending_forget_auto(m);

	if ((arg = tui_model_error_arg(text, "user ", " is not on the server"))
	    != NULL) {
		tui_pending_take(m, TUI_PENDING_PM, arg, NULL);
		free(arg);
	} else if ((arg = tui_model_error_arg(text, "room ",
	    " does not exist")) != NULL) {
		bool who = tui_pending_take(m, TUI_PENDING_WHO, arg, NULL);

		/* Our own sync raced with the room going away: not news. */
		if (!who && tui_pending_take(m, TUI_PENDING_PARTS, arg, NULL)) {
			if (tui_streq(arg, m->room))
				tui_model_clear_users(m);
			free(arg);
			m->dirty = true;
			return;
		}
		free(arg);
	}
	tui_buffer_add(m, m->view, m->clock(NULL), TUI_LINE_ERROR, NULL, text);
}

/* "a, b, c" of a list, for printing. */
static void
tui_model_join_list(char *const *v, size_t n, char *buf, size_t len)
{
	size_t	i, used = 0;
	int	w;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    v[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void
tui_model_on_rooms(struct tui_model *m, const struct proto_msg *msg)
{
	char	text[TUI_INPUT_MAX];

	tui_strv_free(m->rooms, m->nrooms);
	m->rooms = tui_strv_copy(msg->list, msg->nlist);
	m->nrooms = msg->nlist;
	m->dirty = true;
	tui_pending_take(m, TUI_PENDING_AUTO_ROOMS, NULL, NULL);
	if (tui_pending_take(m, TUI_PENDING_ROOMS, NULL, NULL)) {
		tui_model_join_list(m->rooms, m->nrooms, text, sizeof text);
		if (m->nrooms == 0)
			tui_model_info(m, "no rooms");
		else
			tui_model_info(m, "rooms: %s", text);
	}
}

static void
tui_model_on_participants(struct tui_model *m, const struct proto_msg *msg)
{
	char	text[TUI_INPUT_MAX];

	if (msg->room == NULL)
		return;
	tui_pending_take(m, TUI_PENDING_PARTS, msg->room, NULL);
	if (tui_streq(msg->room, m->room)) {
		tui_strv_free(m->users, m->nusers);
		m->users = tui_strv_copy(msg->list, msg->nlist);
		m->nusers = msg->nlist;
		if (m->sel_users >= m->nusers)
			m->sel_users = m->nusers > 0 ? m->nusers - 1 : 0;
		m->dirty = true;
	}
	if (tui_pending_take(m, TUI_PENDING_WHO, msg->room, NULL)) {
		tui_model_join_list(msg->list, msg->nlist, text, sizeof text);
		tui_model_info(m, "in %s: %s", msg->room, text);
	}
}

void
tui_model_message(struct tui_model *m, const struct proto_msg *msg)
{
	switch (msg->action) {
	case PROTO_CONNECTION:
		tui_model_on_connection(m, msg);
		break;
	case PROTO_JOIN:
		tui_model_on_join(m, msg);
		break;
	case PROTO_LEAVE:
		tui_model_on_leave(m, msg);
		break;
	case PROTO_ROOM_MESSAGE:
		tui_model_on_room_message(m, msg);
		break;
	case PROTO_PRIVATE_MESSAGE:
		tui_model_on_private(m, msg);
		break;
	case PROTO_ERROR:
		tui_model_on_error(m, msg);
		break;
	case PROTO_ROOMS:
		tui_model_on_rooms(m, msg);
		break;
	case PROTO_PARTICIPANTS:
		tui_model_on_participants(m, msg);
		break;
	case PROTO_HELLO:	/* version 2: chat-tui does not opt in */
	case PROTO_NICK:
	case PROTO_HISTORY:
	case PROTO_UNKNOWN:
		break;		/* newer server: ignore what we do not know */
	}
}

/* Left pane. */

static int
tui_model_idcmp(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	/* Numeric order for decimal ids: shorter is smaller. */
	if (la != lb)
		return (la < lb ? -1 : 1);
	return (strcmp(a, b));
}

size_t
tui_model_entries(const struct tui_model *m, struct tui_entry *out,
    size_t max)
{
	size_t			 n = 0, i, j;
	struct tui_entry	 e;
	bool			 room_listed = false;
	struct tui_buffer	*pms[256];
	size_t			 npms = 0;

#define TUI_ENTRY_ADD(e) do {			\
	if (n < max)				\
		out[n] = (e);			\
	n++;					\
} while (0)

	memset(&e, 0, sizeof e);
	e.type = TUI_BUF_STATUS;
	e.buf = m->bufs[0];
	e.unread = m->bufs[0]->unread;
	e.viewed = m->view == m->bufs[0];
	TUI_ENTRY_ADD(e);

	for (i = 0; i < m->nrooms; i++) {
		if (tui_streq(m->rooms[i], m->room))
			room_listed = true;
	}
	for (i = 0; i <= m->nrooms; i++) {
		const char *name;

		if (i == m->nrooms) {
			/* Our room even when the last list predates it. */
			if (room_listed || m->room == NULL)
				break;
			name = m->room;
		} else
			name = m->rooms[i];
		memset(&e, 0, sizeof e);
		e.type = TUI_BUF_ROOM;
		e.name = name;
		e.buf = tui_model_find(m, TUI_BUF_ROOM, name);
		e.unread = e.buf != NULL ? e.buf->unread : 0;
		e.current = tui_streq(name, m->room);
		e.viewed = e.buf != NULL && e.buf == m->view;
		TUI_ENTRY_ADD(e);
	}

	for (i = 0; i < m->nbufs && npms < 256; i++) {
		if (m->bufs[i]->type != TUI_BUF_PM)
			continue;
		/* Insertion sort by id. */
		for (j = npms; j > 0 && tui_model_idcmp(pms[j - 1]->name,
		    m->bufs[i]->name) > 0; j--)
			pms[j] = pms[j - 1];
		pms[j] = m->bufs[i];
		npms++;
	}
	for (i = 0; i < npms; i++) {
		memset(&e, 0, sizeof e);
		e.type = TUI_BUF_PM;
		e.name = pms[i]->name;
		e.buf = pms[i];
		e.unread = pms[i]->unread;
		e.viewed = pms[i] == m->view;
		TUI_ENTRY_ADD(e);
	}
#undef TUI_ENTRY_ADD
	return (n);
}

void
tui_model_status(const struct tui_model *m, char *buf, size_t len)
{
	struct tui_entry	 ents[64];
	size_t			 n, i, used;
	bool			 any = false;
	const char		*state;
	char			*room;
	int			 w;

	switch (m->conn) {
	case TUI_CONN_CONNECTED:
		state = "connected";
		break;
	case TUI_CONN_CONNECTING:
		state = "connecting";
		break;
	default:
		state = "disconnected";
		break;
	}
	room = m->room != NULL ? tui_sanitise(m->room) : NULL;
	w = snprintf(buf, len, "%s | %s | id %s | room %s", m->server, state,
	    m->own_id != NULL ? m->own_id : "-", room != NULL ? room : "-");
	free(room);
	used = w > 0 ? (size_t)w : 0;

	n = tui_model_entries(m, ents, 64);
	if (n > 64)
		n = 64;
	for (i = 0; i < n && used < len; i++) {
		if (ents[i].unread == 0 || ents[i].buf == NULL)
			continue;
		w = snprintf(buf + used, len - used, "%s%s(%u)",
		    any ? " " : " | unread ", ents[i].buf->label,
		    ents[i].unread);
		any = true;
		if (w > 0)
			used += (size_t)w;
	}
	if (used < len)
		snprintf(buf + used, len - used, " | F1 help");
}

const char *
tui_model_prompt(const struct tui_model *m)
{
	switch (m->prompt) {
	case TUI_PROMPT_JOIN:
		return ("join room: ");
	case TUI_PROMPT_PM:
		return ("message id: ");
	default:
		break;
	}
	return ("> ");
}

/* Commands. */

static void
tui_model_join(struct tui_model *m, const char *room)
{
	if (*room == '\0') {
		tui_model_info(m, "usage: /join ROOM");
		return;
	}
	if (tui_model_online(m)) {
		tui_model_queue(m, PROTO_JOIN, room, NULL, NULL);
		m->follow = true;
	}
}

static void
tui_model_leave(struct tui_model *m)
{
	/* Sent even when we think we are in no room: the server decides. */
	if (tui_model_online(m))
		tui_model_queue(m, PROTO_LEAVE, NULL, NULL, NULL);
}

static void
tui_model_open_pm(struct tui_model *m, const char *id)
{
	if (*id == '\0')
		return;
	tui_model_show(m, tui_model_get(m, TUI_BUF_PM, id));
	m->focus = TUI_FOCUS_INPUT;
}

static void
tui_model_send_pm(struct tui_model *m, const char *id, const char *text)
{
	if (!tui_model_online(m))
		return;
	tui_model_queue(m, PROTO_PRIVATE_MESSAGE, NULL, id, text);
	tui_pending_add(m, TUI_PENDING_PM, id, text);
}

/* Split off the first space-separated word of *s. */
static char *
tui_model_word(char **s)
{
	char	*w, *p = *s;

	while (*p == ' ')
		p++;
	w = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return (w);
}

static void
tui_model_trim(char *s)
{
	size_t	len = strlen(s);

	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
}

static void
tui_model_say(struct tui_model *m, const char *text)
{
	struct tui_buffer	*v = m->view;

	if (v->type == TUI_BUF_PM) {
		tui_model_send_pm(m, v->name, text);
		return;
	}
	if (v->type == TUI_BUF_ROOM && !tui_streq(v->name, m->room)) {
		tui_model_info(m, "you are not in %s (/join %s)", v->label,
		    v->label);
		return;
	}
	if (m->room == NULL) {
		tui_model_info(m, "you are not in a room: /join ROOM first");
		return;
	}
	if (tui_model_online(m))
		tui_model_queue(m, PROTO_ROOM_MESSAGE, NULL, NULL, text);
}

static void
tui_model_command(struct tui_model *m, char *line)
{
	char	*rest = line + 1, *cmd, *arg;

	cmd = tui_model_word(&rest);
	if (strcmp(cmd, "join") == 0) {
		while (*rest == ' ')
			rest++;
		tui_model_trim(rest);
		tui_model_join(m, rest);
	} else if (strcmp(cmd, "leave") == 0)
		tui_model_leave(m);
	else if (strcmp(cmd, "msg") == 0) {
		arg = tui_model_word(&rest);
		if (*arg == '\0' || *rest == '\0') {
			tui_model_info(m, "usage: /msg ID TEXT");
			return;
		}
		tui_model_open_pm(m, arg);
		tui_model_send_pm(m, arg, rest);
	} else if (strcmp(cmd, "rooms") == 0) {
		if (tui_model_online(m)) {
			tui_model_queue(m, PROTO_ROOMS, NULL, NULL, NULL);
			tui_pending_add(m, TUI_PENDING_ROOMS, NULL, NULL);
		}
	} else if (strcmp(cmd, "who") == 0) {
		while (*rest == ' ')
			rest++;
		tui_model_trim(rest);
		arg = *rest != '\0' ? rest : m->room;
		if (arg == NULL) {
			tui_model_info(m, "you are not in a room: /who ROOM");
			return;
		}
		if (tui_model_online(m)) {
			tui_model_queue(m, PROTO_PARTICIPANTS, arg, NULL, NULL);
			tui_pending_add(m, TUI_PENDING_WHO, arg, NULL);
		}
	} else if (strcmp(cmd, "help") == 0)
		m->help = true;
	else if (strcmp(cmd, "quit") == 0)
		m->quit = true;
	else
		tui_model_info(m, "unknown command: /%s (F1 or /help)", cmd);
}

static void
tui_model_submit(struct tui_model *m)
{
	char			 line[TUI_INPUT_MAX + 1];
	enum tui_prompt		 prompt = m->prompt;

	memcpy(line, m->edit.buf, m->edit.len + 1);
	tui_edit_clear(&m->edit);
	if (prompt != TUI_PROMPT_NONE) {
		m->prompt = TUI_PROMPT_NONE;
		if (m->stash != NULL) {
			tui_edit_set(&m->edit, m->stash);
			free(m->stash);
			m->stash = NULL;
		}
		tui_model_trim(line);
		if (prompt == TUI_PROMPT_JOIN)
			tui_model_join(m, line + strspn(line, " "));
		else
			tui_model_open_pm(m, line + strspn(line, " "));
		return;
	}
	if (line[0] == '\0')
		return;
	tui_edit_history_add(&m->edit, line);
	if (line[0] == '/' && line[1] == '/')
		tui_model_say(m, line + 1);	/* "//x" sends "/x" */
	else if (line[0] == '/')
		tui_model_command(m, line);
	else
		tui_model_say(m, line);
}

static void
tui_model_start_prompt(struct tui_model *m, enum tui_prompt prompt)
{
	if (m->prompt == TUI_PROMPT_NONE && m->edit.len > 0) {
		free(m->stash);
		m->stash = tui_xstrdup(m->edit.buf);
	}
	tui_edit_clear(&m->edit);
	m->prompt = prompt;
	m->focus = TUI_FOCUS_INPUT;
}

static void
tui_model_cancel_prompt(struct tui_model *m)
{
	if (m->prompt == TUI_PROMPT_NONE)
		return;
	m->prompt = TUI_PROMPT_NONE;
	tui_edit_clear(&m->edit);
	if (m->stash != NULL) {
		tui_edit_set(&m->edit, m->stash);
		free(m->stash);
		m->stash = NULL;
	}
}

static void
tui_model_complete(struct tui_model *m)
{
	const char	**cands;
	size_t		  n = 0, i, start, cap;
	char		  first[16];
	size_t		  flen;
	struct tui_buffer *b;

	if (m->prompt == TUI_PROMPT_JOIN) {
		tui_edit_complete(&m->edit, (const char *const *)m->rooms,
		    m->nrooms);
		return;
	}
	cap = TUI_NCOMMANDS + m->nrooms + m->nusers + m->nbufs;
	cands = tui_xmalloc(cap * sizeof *cands);

	/* Which word is being completed decides what it can be. */
	start = m->edit.cursor;
	while (start > 0 && m->edit.buf[start - 1] != ' ')
		start--;
	flen = strcspn(m->edit.buf, " ");
	if (flen >= sizeof first)
		flen = sizeof first - 1;
	memcpy(first, m->edit.buf, flen);
	first[flen] = '\0';

	if (start == 0 && m->edit.buf[0] == '/' && m->prompt ==
	    TUI_PROMPT_NONE) {
		for (i = 0; i < TUI_NCOMMANDS; i++)
			cands[n++] = tui_model_commands[i];
	} else if (strcmp(first, "/join") == 0 || strcmp(first, "/who") == 0) {
		for (i = 0; i < m->nrooms; i++)
			cands[n++] = m->rooms[i];
	} else {
		for (i = 0; i < m->nusers; i++)
			cands[n++] = m->users[i];
		for (i = 0; i < m->nbufs; i++) {
			b = m->bufs[i];
			if (b->type == TUI_BUF_PM)
				cands[n++] = b->name;
		}
		if (strcmp(first, "/msg") != 0 && m->prompt == TUI_PROMPT_NONE) {
			for (i = 0; i < m->nrooms; i++)
				cands[n++] = m->rooms[i];
		}
	}
	tui_edit_complete(&m->edit, cands, n);
	free(cands);
}

static void
tui_model_activate(struct tui_model *m, const struct tui_entry *e)
{
	switch (e->type) {
	case TUI_BUF_STATUS:
	case TUI_BUF_PM:
		tui_model_show(m, e->buf);
		break;
	case TUI_BUF_ROOM:
		if (e->current && e->buf != NULL)
			tui_model_show(m, e->buf);
		else
			tui_model_join(m, e->name);
		break;
	}
}

static void
tui_model_jump(struct tui_model *m, size_t idx)
{
	struct tui_entry	ents[256];
	size_t			n;

	n = tui_model_entries(m, ents, 256);
	if (n > 256)
		n = 256;
	if (idx >= n)
		return;
	m->sel_left = idx;
	tui_model_activate(m, &ents[idx]);
}

static void
tui_model_next_unread(struct tui_model *m)
{
	struct tui_entry	ents[256];
	size_t			n, i, at = 0;

	n = tui_model_entries(m, ents, 256);
	if (n > 256)
		n = 256;
	for (i = 0; i < n; i++) {
		if (ents[i].viewed)
			at = i;
	}
	for (i = 1; i <= n; i++) {
		size_t k = (at + i) % n;
		if (ents[k].unread > 0 && ents[k].buf != NULL) {
			m->sel_left = k;
			tui_model_show(m, ents[k].buf);
			return;
		}
	}
}

static void
tui_model_scroll(struct tui_model *m, int rows)
{
	int	step = m->page > 2 ? m->page - 1 : 1;

	m->view->scroll += rows * step;
	if (m->view->scroll < 0)
		m->view->scroll = 0;
	m->dirty = true;
}

/* Keys while a list pane has the focus. */
static bool
tui_model_list_key(struct tui_model *m, const struct tui_key *k)
{
	size_t	*sel, n;

	if (m->focus == TUI_FOCUS_ROOMS) {
		sel = &m->sel_left;
		n = tui_model_entries(m, NULL, 0);
	} else {
		sel = &m->sel_users;
		n = m->nusers;
	}
	if (*sel >= n)
		*sel = n > 0 ? n - 1 : 0;
	switch (k->type) {
	case TUI_KEY_UP:
		if (*sel > 0)
			(*sel)--;
		return (true);
	case TUI_KEY_DOWN:
		if (*sel + 1 < n)
			(*sel)++;
		return (true);
	case TUI_KEY_HOME:
		*sel = 0;
		return (true);
	case TUI_KEY_END:
		*sel = n > 0 ? n - 1 : 0;
		return (true);
	case TUI_KEY_ENTER:
		if (n == 0)
			return (true);
		if (m->focus == TUI_FOCUS_ROOMS)
			tui_model_jump(m, *sel);
		else
			tui_model_open_pm(m, m->users[*sel]);
		return (true);
	default:
		return (false);
	}
}

static void
tui_model_edit_key(struct tui_model *m, const struct tui_key *k)
{
	struct tui_edit	*e = &m->edit;

	if (k->type != TUI_KEY_TAB)
		tui_edit_complete_reset(e);
	switch (k->type) {
	case TUI_KEY_CHAR:
		tui_edit_insert_cp(e, k->cp);
		break;
	case TUI_KEY_ENTER:
		tui_model_submit(m);
		break;
	case TUI_KEY_TAB:
		tui_model_complete(m);
		break;
	case TUI_KEY_BACKSPACE:
		tui_edit_backspace(e);
		break;
	case TUI_KEY_DELETE:
		tui_edit_delete(e);
		break;
	case TUI_KEY_LEFT:
		tui_edit_left(e);
		break;
	case TUI_KEY_RIGHT:
		tui_edit_right(e);
		break;
	case TUI_KEY_HOME:
		tui_edit_home(e);
		break;
	case TUI_KEY_END:
		tui_edit_end(e);
		break;
	case TUI_KEY_UP:
		if (m->prompt == TUI_PROMPT_NONE)
			tui_edit_history_up(e);
		break;
	case TUI_KEY_DOWN:
		if (m->prompt == TUI_PROMPT_NONE)
			tui_edit_history_down(e);
		break;
	case TUI_KEY_KILL_LINE:
		tui_edit_kill_line(e);
		break;
	case TUI_KEY_KILL_WORD:
		tui_edit_kill_word(e);
		break;
	default:
		break;
	}
}

void
tui_model_key(struct tui_model *m, const struct tui_key *k)
{
	struct tui_entry	ents[256];
	size_t			n;

	m->dirty = true;
	if (m->help) {
		/* Any key closes the help, and does nothing else. */
		m->help = false;
		return;
	}
	switch (k->type) {
	case TUI_KEY_HELP:
		m->help = true;
		return;
	case TUI_KEY_QUIT:
		m->quit = true;
		return;
	case TUI_KEY_ESC:
		tui_model_cancel_prompt(m);
		m->focus = TUI_FOCUS_INPUT;
		return;
	case TUI_KEY_FOCUS_NEXT:
		m->focus = (m->focus + 1) % 3;
		return;
	case TUI_KEY_FOCUS_PREV:
		m->focus = (m->focus + 2) % 3;
		return;
	case TUI_KEY_PGUP:
		tui_model_scroll(m, 1);
		return;
	case TUI_KEY_PGDN:
		tui_model_scroll(m, -1);
		return;
	case TUI_KEY_JUMP:
		if (k->n >= 1 && k->n <= 9)
			tui_model_jump(m, (size_t)k->n - 1);
		return;
	case TUI_KEY_NEXT_UNREAD:
		tui_model_next_unread(m);
		return;
	case TUI_KEY_JOIN:
		n = tui_model_entries(m, ents, 256);
		if (m->focus == TUI_FOCUS_ROOMS && m->sel_left < n &&
		    m->sel_left < 256 && ents[m->sel_left].type ==
		    TUI_BUF_ROOM)
			tui_model_join(m, ents[m->sel_left].name);
		else
			tui_model_start_prompt(m, TUI_PROMPT_JOIN);
		return;
	case TUI_KEY_LEAVE:
		tui_model_leave(m);
		return;
	case TUI_KEY_PM:
		if (m->focus == TUI_FOCUS_USERS && m->sel_users < m->nusers)
			tui_model_open_pm(m, m->users[m->sel_users]);
		else
			tui_model_start_prompt(m, TUI_PROMPT_PM);
		return;
	default:
		break;
	}
	if (m->focus != TUI_FOCUS_INPUT) {
		if (tui_model_list_key(m, k))
			return;
		if (k->type != TUI_KEY_CHAR)
			return;
		/* Typing in a list goes to the input line. */
		m->focus = TUI_FOCUS_INPUT;
	}
	tui_model_edit_key(m, k);
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
