/*
 * Server messages in, model state out.  After each change of membership
 * (ours or someone else's) the model asks again for the room list and the
 * participants, so the panes converge on the server's state instead of
 * guessing it.
 */
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"

time_t
tui_handle_when(struct tui_model *m, const struct proto_msg *msg)
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

/* Our id is settled (hello answered, or not understood): go on. */
static void
tui_handle_ready(struct tui_model *m)
{
	m->conn = TUI_CONN_CONNECTED;
	tui_model_info_to(m, m->bufs[0], TUI_LINE_INFO,
	    "connected to %s as id %s", m->server, m->own_id);
	if (m->view != m->bufs[0])
		tui_model_info(m, "connected as id %s", m->own_id);
	tui_request_sync(m);
	if (m->rejoin != NULL)
		tui_request_queue(m, PROTO_JOIN, m->rejoin, NULL, NULL);
}

/* Version 2: resume our session (or start one) before anything else. */
static void
tui_handle_say_hello(struct tui_model *m)
{
	tui_request_queue(m, PROTO_HELLO, NULL, NULL, NULL);
	if (m->token != NULL)
		m->out[m->nout - 1].token = tui_xstrdup(m->token);
	m->hello_wait = true;
}

static void
tui_handle_connection(struct tui_model *m, const struct proto_msg *msg)
{
	if (msg->user_id == NULL)
		return;
	tui_set(&m->own_id, msg->user_id);
	tui_handle_say_hello(m);
}

static void
tui_handle_hello(struct tui_model *m, const struct proto_msg *msg)
{
	if (!m->hello_wait || msg->user_id == NULL)
		return;
	m->hello_wait = false;
	m->v1 = false;
	tui_set(&m->own_id, msg->user_id);
	if (msg->token != NULL && !tui_streq(msg->token, m->token)) {
		tui_set(&m->token, msg->token);
		m->token_dirty = true;
	}
	tui_history_hello(m, msg->epoch);
	if (msg->epoch != NULL)
		tui_set(&m->epoch, msg->epoch);
	tui_set(&m->own_name, msg->name != NULL && *msg->name != '\0' ?
	    msg->name : NULL);
	tui_names_note(m, msg->user_id, msg->name != NULL ? msg->name : "");
	tui_handle_ready(m);
	/* The name asked for (-n, config), unless we have it already. */
	if (m->want_name != NULL && (m->own_name == NULL ||
	    strcmp(m->own_name, m->want_name) != 0))
		tui_request_nick(m, m->want_name);
}

static void
tui_handle_nick(struct tui_model *m, const struct proto_msg *msg)
{
	const char		*old;
	char			*was;
	struct tui_buffer	*b;

	if (msg->user_id == NULL || msg->name == NULL)
		return;
	old = tui_model_who(m, msg->user_id);
	was = tui_xstrdup(old);
	tui_names_note(m, msg->user_id, msg->name);
	if (tui_streq(msg->user_id, m->own_id)) {
		tui_set(&m->own_name, *msg->name != '\0' ? msg->name : NULL);
		if (*msg->name != '\0')
			tui_model_info(m, "you are now known as %s",
			    msg->name);
		else
			tui_model_info(m, "you have no name now: id %s",
			    m->own_id);
	} else if (msg->room != NULL && tui_streq(m->room, msg->room)) {
		b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
		tui_model_info_to(m, b, TUI_LINE_INFO, "%s is now known as %s",
		    was, tui_model_who(m, msg->user_id));
	}
	free(was);
	m->dirty = true;
}

/* An error while hello is awaited is the answer to it. */
static bool
tui_handle_hello_error(struct tui_model *m, const char *text)
{
	if (!m->hello_wait)
		return (false);
	m->hello_wait = false;
	if (strcmp(text, PROTO_ERR_INVALID_TOKEN) == 0 && m->token != NULL) {
		/* Expired, or another server's: start a new session. */
		tui_model_info_to(m, m->bufs[0], TUI_LINE_ERROR,
		    "session on %s expired: starting a new one", m->server);
		tui_set(&m->token, NULL);
		m->token_dirty = true;
		tui_handle_say_hello(m);
		return (true);
	}
	if (strcmp(text, "unknown action: hello") == 0) {
		m->v1 = true;
		if (!m->v1_said)
			tui_model_info_to(m, m->bufs[0], TUI_LINE_INFO,
			    "%s speaks protocol version 1: no names, history "
			    "or sessions; going on with ids", m->server);
		m->v1_said = true;
	} else
		tui_model_info_to(m, m->bufs[0], TUI_LINE_ERROR,
		    "hello: %s", text);
	tui_handle_ready(m);
	return (true);
}

/* A join or leave with no user_id, or our own, is the reply to us. */
static bool
tui_handle_is_own(struct tui_model *m, const struct proto_msg *msg)
{
	return (msg->user_id == NULL || tui_streq(msg->user_id, m->own_id));
}

static void
tui_handle_join(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b, *joined = NULL;

	if (msg->room == NULL)
		return;
	if (tui_handle_is_own(m, msg)) {
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
		if (!same)
			joined = b;
	} else {
		if (tui_streq(m->room, msg->room)) {
			b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
			tui_names_note(m, msg->user_id, msg->name);
			tui_model_add_event(m, b, tui_handle_when(m, msg),
			    TUI_LINE_JOIN, tui_model_who(m, msg->user_id),
			    "joined");
		}
	}
	tui_request_sync(m);
	if (joined != NULL)
		tui_history_joined(m, joined);
}

static void
tui_handle_leave(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b;

	if (msg->room == NULL)
		return;
	if (tui_handle_is_own(m, msg)) {
		b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
		tui_model_info_to(m, b, TUI_LINE_LEAVE, "you left %s",
		    msg->room);
		if (tui_streq(m->room, msg->room)) {
			tui_set(&m->room, NULL);
			tui_model_clear_users(m);
		}
		tui_history_left(m, msg->room);
		tui_set(&m->rejoin, NULL);
	} else if (tui_streq(m->room, msg->room)) {
		b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
		tui_names_note(m, msg->user_id, msg->name);
		tui_model_add_event(m, b, tui_handle_when(m, msg),
		    TUI_LINE_LEAVE, tui_model_who(m, msg->user_id), "left");
	}
	tui_request_sync(m);
}

static void
tui_handle_room_message(struct tui_model *m, const struct proto_msg *msg)
{
	struct tui_buffer	*b;
	bool			 own;

	if (msg->room == NULL || msg->message == NULL)
		return;
	own = tui_streq(msg->user_id, m->own_id);
	tui_names_note(m, msg->user_id, msg->name);
	b = tui_model_get(m, TUI_BUF_ROOM, msg->room);
	if (tui_history_live(m, b, msg))
		return;		/* after the missed lines, or seen */
	tui_model_add_len(m, b, tui_handle_when(m, msg),
	    own ? TUI_LINE_OWN : TUI_LINE_MSG,
	    msg->user_id != NULL ? tui_model_who(m, msg->user_id) : "?",
	    msg->message,
	    msg->message_len);
	if (b != m->view && !own)
		b->unread++;
	if (!own)
		tui_mention_note(m, b, TUI_LINE_MSG, msg->message,
		    msg->message_len);
}

static void
tui_handle_private(struct tui_model *m, const struct proto_msg *msg)
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
	when = tui_handle_when(m, msg);
	tui_names_note(m, msg->user_id, msg->name);
	b = tui_model_get(m, TUI_BUF_PM, msg->user_id);
	tui_model_add_len(m, b, when, kind, tui_model_who(m, msg->user_id),
	    msg->message,
	    msg->message_len);
	/* Only in its own conversation: the pane and bar count it. */
	if (b != m->view && kind == TUI_LINE_PM_IN)
		b->unread++;
	tui_mention_note(m, b, kind, msg->message, msg->message_len);
}

/* Parse "user T is not on the server" / "room R does not exist". */
static char *
tui_handle_error_arg(const char *text, const char *pre, const char *post)
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
tui_handle_error(struct tui_model *m, const struct proto_msg *msg)
{
	const char	*text = msg->message != NULL ? msg->message : "error";
	char		*arg;

	if (tui_handle_hello_error(m, text))
		return;
	tui_history_error(m, text);

	/* Some request was dropped; do not wait for its reply. */
	if (strcmp(text, PROTO_ERR_RATE_LIMIT) == 0)
		tui_pending_forget_auto(m);

	if ((arg = tui_handle_error_arg(text, "user ", " is not on the server"))
	    != NULL) {
		struct tui_buffer	*b;

		tui_pending_take(m, TUI_PENDING_PM, arg, NULL);
		/* A conversation opened with no one: no junk entry left. */
		if ((b = tui_model_find(m, TUI_BUF_PM, arg)) != NULL &&
		    b->nlines == 0)
			tui_model_close(m, b);
		free(arg);
	} else if ((arg = tui_handle_error_arg(text, "room ",
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
	tui_model_add(m, m->view, m->clock(NULL), TUI_LINE_ERROR, NULL, text);
}

/* "a, b, c" of a whole list, for printing (malloc'd). */
static char *
tui_handle_join_list(char *const *v, size_t n)
{
	size_t	 i, len = 1, used = 0, l;
	char	*buf;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	buf = tui_xmalloc(len);
	for (i = 0; i < n; i++) {
		if (i > 0) {
			memcpy(buf + used, ", ", 2);
			used += 2;
		}
		l = strlen(v[i]);
		memcpy(buf + used, v[i], l);
		used += l;
	}
	buf[used] = '\0';
	return (buf);
}

static void
tui_handle_rooms(struct tui_model *m, const struct proto_msg *msg)
{
	char	*text;

	tui_strv_free(m->rooms, m->nrooms);
	m->rooms = tui_strv_copy(msg->list, msg->nlist);
	m->nrooms = msg->nlist;
	m->dirty = true;
	tui_pending_take(m, TUI_PENDING_AUTO_ROOMS, NULL, NULL);
	if (tui_pending_take(m, TUI_PENDING_ROOMS, NULL, NULL)) {
		text = tui_handle_join_list(m->rooms, m->nrooms);
		if (m->nrooms == 0)
			tui_model_info(m, "no rooms");
		else
			tui_model_info(m, "rooms: %s", text);
		free(text);
	}
}

static void
tui_handle_participants(struct tui_model *m, const struct proto_msg *msg)
{
	char	*text;

	if (msg->room == NULL)
		return;
	tui_pending_take(m, TUI_PENDING_PARTS, msg->room, NULL);
	for (size_t i = 0; msg->list2 != NULL && i < msg->nlist &&
	    i < msg->nlist2; i++)
		tui_names_note(m, msg->list[i], msg->list2[i]);
	if (tui_streq(msg->room, m->room)) {
		tui_strv_free(m->users, m->nusers);
		m->users = tui_strv_copy(msg->list, msg->nlist);
		m->nusers = msg->nlist;
		if (m->sel_users >= m->nusers)
			m->sel_users = m->nusers > 0 ? m->nusers - 1 : 0;
		m->dirty = true;
	}
	if (tui_pending_take(m, TUI_PENDING_WHO, msg->room, NULL)) {
		char	**who = tui_xmalloc(msg->nlist * sizeof *who);

		for (size_t i = 0; i < msg->nlist; i++)
			who[i] = (char *)tui_model_who(m, msg->list[i]);
		text = tui_handle_join_list(who, msg->nlist);
		free(who);
		tui_model_info(m, "in %s: %s", msg->room, text);
		free(text);
	}
}

void
tui_model_message(struct tui_model *m, const struct proto_msg *msg)
{
	switch (msg->action) {
	case PROTO_CONNECTION:
		tui_handle_connection(m, msg);
		break;
	case PROTO_JOIN:
		tui_handle_join(m, msg);
		break;
	case PROTO_LEAVE:
		tui_handle_leave(m, msg);
		break;
	case PROTO_ROOM_MESSAGE:
		tui_handle_room_message(m, msg);
		break;
	case PROTO_PRIVATE_MESSAGE:
		tui_handle_private(m, msg);
		break;
	case PROTO_ERROR:
		tui_handle_error(m, msg);
		break;
	case PROTO_ROOMS:
		tui_handle_rooms(m, msg);
		break;
	case PROTO_PARTICIPANTS:
		tui_handle_participants(m, msg);
		break;
	case PROTO_HELLO:
		tui_handle_hello(m, msg);
		break;
	case PROTO_NICK:
		tui_handle_nick(m, msg);
		break;
	case PROTO_HISTORY:
		tui_history_reply(m, msg);
		break;
	case PROTO_UNKNOWN:
		break;		/* newer server: ignore what we do not know */
	}
}
