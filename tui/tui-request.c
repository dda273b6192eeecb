/*
 * Requests to the server, queued for the network layer, and the replies
 * still awaited.  The server answers in order but its replies carry no
 * request id, so what a reply means (a /who to print, a PM's echo) is
 * matched against what we asked.
 */
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"

struct tui_pending {
	struct tui_pending	*next;
	enum tui_pending_type	 type;
	char			*a;	/* PM target or room */
	char			*b;	/* PM text */
};

void
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
bool
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

bool
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
void
tui_pending_forget_auto(struct tui_model *m)
{
	while (tui_pending_take(m, TUI_PENDING_PARTS, NULL, NULL))
		;
	while (tui_pending_take(m, TUI_PENDING_AUTO_ROOMS, NULL, NULL))
		;
}

void
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

void
tui_request_queue(struct tui_model *m, enum proto_action action,
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

/* Version 2: ask for name ("" removes ours). */
void
tui_request_nick(struct tui_model *m, const char *name)
{
	tui_request_queue(m, PROTO_NICK, NULL, NULL, NULL);
	m->out[m->nout - 1].name = tui_xstrdup(name);
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
	free(msg->token);
	free(msg->name);
	free(msg->limit);
	free(msg->before);
	free(msg->after);
	memset(msg, 0, sizeof *msg);
}

void
tui_request_drop_all(struct tui_model *m)
{
	while (m->nout > 0)
		tui_model_request_free(&m->out[--m->nout]);
}

/* A request the user asked for: say so if it cannot go out. */
bool
tui_request_online(struct tui_model *m)
{
	if (m->conn == TUI_CONN_CONNECTED)
		return (true);
	if (m->hold)
		tui_model_info(m, "not connected to %s: replaced by another "
		    "connection (/reconnect to take it back)", m->server);
	else
		tui_model_info(m, "not connected to %s", m->server);
	return (false);
}

/*
 * Ask for the room list and our room's participants, unless the same
 * request is still unanswered: the server answers in order, so that reply
 * will already include whatever made us ask again.  This keeps a burst of
 * joins and leaves from turning into a burst of requests.
 */
void
tui_request_sync(struct tui_model *m)
{
	if (m->conn != TUI_CONN_CONNECTED)
		return;
	if (!tui_pending_has(m, TUI_PENDING_AUTO_ROOMS, NULL)) {
		tui_request_queue(m, PROTO_ROOMS, NULL, NULL, NULL);
		tui_pending_add(m, TUI_PENDING_AUTO_ROOMS, NULL, NULL);
	}
	if (m->room != NULL && !tui_pending_has(m, TUI_PENDING_PARTS,
	    m->room)) {
		tui_request_queue(m, PROTO_PARTICIPANTS, m->room, NULL, NULL);
		tui_pending_add(m, TUI_PENDING_PARTS, m->room, NULL);
	}
}

/*
 * Pasted lines wait in their own queue and go out at most TUI_PASTE_RATE
 * a second (token bucket, TUI_PASTE_BURST at once), under the server's
 * rate limit: a flood of them would be refused line by line.
 */
void
tui_request_pace_add(struct tui_model *m, enum proto_action action,
    const char *user_id, const char *message)
{
	struct proto_msg	*r;

	if (m->npaced == m->pacedcap) {
		m->pacedcap = m->pacedcap == 0 ? 16 : m->pacedcap * 2;
		m->paced = realloc(m->paced, m->pacedcap * sizeof *m->paced);
		if (m->paced == NULL)
			abort();
	}
	r = &m->paced[m->npaced++];
	memset(r, 0, sizeof *r);
	r->action = action;
	r->user_id = user_id != NULL ? tui_xstrdup(user_id) : NULL;
	r->message = tui_xstrdup(message);
	r->message_len = strlen(message);
}

int
tui_model_pace(struct tui_model *m, long long now_ms)
{
	struct proto_msg	*r;
	size_t			 i, n;

	if (m->pace_ms == 0 || now_ms < m->pace_ms)
		m->pace_ms = now_ms;
	m->pace_tokens += (double)(now_ms - m->pace_ms) * TUI_PASTE_RATE /
	    1000.0;
	if (m->pace_tokens > TUI_PASTE_BURST)
		m->pace_tokens = TUI_PASTE_BURST;
	m->pace_ms = now_ms;
	if (m->npaced == 0)
		return (-1);
	for (n = 0; n < m->npaced && m->pace_tokens >= 1.0; n++) {
		r = &m->paced[n];
		tui_request_queue(m, r->action, NULL, r->user_id, r->message);
		if (r->action == PROTO_PRIVATE_MESSAGE)
			tui_pending_add(m, TUI_PENDING_PM, r->user_id,
			    r->message);
		tui_model_request_free(r);
		m->pace_tokens -= 1.0;
	}
	memmove(m->paced, m->paced + n, (m->npaced - n) * sizeof *m->paced);
	m->npaced -= n;
	if (m->npaced == 0)
		return (-1);
	i = (size_t)((1.0 - m->pace_tokens) * 1000.0 / TUI_PASTE_RATE) + 1;
	return ((int)i);
}

/* Pasted lines not sent yet are dropped; returns how many. */
size_t
tui_request_pace_drop(struct tui_model *m)
{
	size_t	n = m->npaced;

	while (m->npaced > 0)
		tui_model_request_free(&m->paced[--m->npaced]);
	return (n);
}
