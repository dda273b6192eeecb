/*
 * The registry's events, as they reach this node: keep the node's index
 * from room to local connections, fan each event out to the local members
 * (encoded once per protocol version that needs it, never per recipient),
 * and build the requester's own reply from the event flagged REG_EV_REPLY
 * so it takes its place in the room's order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server-chat-int.h"
#include "util.h"

/* The local session at w, if w is on this node and still speaking. */
static struct session *
chat_local(struct chat *c, struct reg_where w)
{
	struct session	*s;

	if (w.node != c->reg->node)
		return NULL;
	s = session_find(&c->sessions, w.conn);
	return s != NULL && !s->gone && !s->replaced ? s : NULL;
}

/* name for version 2 messages: only when the user has one. */
static char *
chat_name(const struct reg_user *u)
{
	return u->name[0] != '\0' ? (char *)u->name : NULL;
}

/*
 * Send m[v] to the local members of room that speak version v+1, each
 * message encoded once.  skip: a connection left out (0: none).
 */
static void
chat_fanout(struct chat *c, const char *room, const struct proto_msg *m[2],
    uint64_t skip)
{
	struct local_room	*lr = local_room_find(&c->rooms, room);
	struct frame		*f;
	uint64_t		*conns, *sub;
	size_t			 n, i, k;
	unsigned		 v;

	if (lr == NULL)
		return;
	for (v = 0; v < 2; v++) {
		if (m[v] == NULL || (n = lr->n[v]) == 0)
			continue;
		if ((f = chat_frame(m[v])) == NULL) {
			log_warn("room %s: out of memory, event lost", room);
			continue;
		}
		conns = lr->conns[v];
		if (skip != 0 && (sub = malloc(n * sizeof *sub)) != NULL) {
			for (i = k = 0; i < n; i++)
				if (conns[i] != skip)
					sub[k++] = conns[i];
			if (k > 0)
				c->io.send(c->io.arg, f, sub, k);
			free(sub);
		} else if (skip == 0)
			c->io.send(c->io.arg, f, conns, n);
		frame_unref(f);
	}
}

static void
chat_ev_join(struct chat *c, const struct reg_event *ev)
{
	struct proto_msg	 m1 = { .action = PROTO_JOIN }, m2;
	const struct proto_msg	*m[2] = { &m1, &m2 };
	struct session		*s;

	m1.room = (char *)ev->room;
	m1.user_id = (char *)ev->user.id;
	m2 = m1;
	m2.name = chat_name(&ev->user);
	chat_fanout(c, ev->room, m, 0);
	if ((s = chat_local(c, ev->user_at)) == NULL)
		return;
	if (local_room_add(&c->rooms, ev->room, s->conn, s->version) == -1) {
		/* In the room but deaf to it: better to say so. */
		chat_fail(c, s, "out of memory");
		return;
	}
	s->in_room = true;
	snprintf(s->room, sizeof s->room, "%s", ev->room);
	if ((ev->flags & REG_EV_REPLY) && chat_local(c, ev->origin) == s) {
		m1.user_id = NULL;
		chat_reply(c, s, &m1);
		s->replied = true;
	}
}

static void
chat_ev_leave(struct chat *c, const struct reg_event *ev)
{
	struct proto_msg	 m1 = { .action = PROTO_LEAVE }, m2;
	const struct proto_msg	*m[2] = { &m1, &m2 };
	struct session		*s = NULL;

	/* A closed session left the index when it closed (chat_closed). */
	if (ev->user_at.node == c->reg->node)
		s = session_find(&c->sessions, ev->user_at.conn);
	if (s != NULL && s->in_room && strcmp(s->room, ev->room) == 0) {
		local_room_del(&c->rooms, ev->room, s->conn, s->version);
		s->in_room = false;
	}
	m1.room = (char *)ev->room;
	m1.user_id = (char *)ev->user.id;
	m2 = m1;
	m2.name = chat_name(&ev->user);
	chat_fanout(c, ev->room, m, 0);
	if ((ev->flags & REG_EV_REPLY) &&
	    (s = chat_local(c, ev->origin)) != NULL) {
		m1.user_id = NULL;
		chat_reply(c, s, &m1);
		s->replied = true;
	}
}

static void
chat_ev_message(struct chat *c, const struct reg_event *ev)
{
	struct proto_msg	 m1 = { .action = PROTO_ROOM_MESSAGE }, m2;
	const struct proto_msg	*m[2] = { &m1, &m2 };
	char			 ts[CHAT_ID_SIZE], seq[CHAT_ID_SIZE];

	m1.room = (char *)ev->room;
	m1.user_id = (char *)ev->user.id;
	m1.message = (char *)ev->text;
	m1.message_len = ev->text_len;
	m2 = m1;
	m2.name = chat_name(&ev->user);
	m2.ts = chat_u64(ts, ev->ts);
	m2.seq = chat_u64(seq, ev->seq);
	chat_fanout(c, ev->room, m, 0);
}

static void
chat_ev_nick(struct chat *c, const struct reg_event *ev)
{
	struct proto_msg	 m2 = { .action = PROTO_NICK };
	const struct proto_msg	*m[2] = { NULL, &m2 };
	struct session		*s;

	m2.room = (char *)ev->room;
	m2.user_id = (char *)ev->user.id;
	m2.name = (char *)ev->user.name;	/* "" too: a removed name */
	chat_fanout(c, ev->room, m, ev->user_at.node == c->reg->node ?
	    ev->user_at.conn : 0);
	if ((ev->flags & REG_EV_REPLY) &&
	    (s = chat_local(c, ev->origin)) != NULL) {
		m2.room = NULL;
		chat_reply(c, s, &m2);
		s->replied = true;
	}
}

/* A private message: the delivery, then (same node) the sender's echo. */
static void
chat_ev_private(struct chat *c, const struct reg_event *ev)
{
	struct proto_msg	 m = { .action = PROTO_PRIVATE_MESSAGE };
	struct session		*s;
	char			 ts[CHAT_ID_SIZE];

	m.message = (char *)ev->text;
	m.message_len = ev->text_len;
	if ((s = chat_local(c, ev->target_at)) != NULL) {
		m.user_id = (char *)ev->user.id;
		if (s->version >= 2) {
			m.name = chat_name(&ev->user);
			m.ts = chat_u64(ts, ev->ts);
		}
		chat_deliver(c, s, &m);
	}
	if ((ev->flags & REG_EV_REPLY) &&
	    (s = chat_local(c, ev->origin)) != NULL) {
		/* Ids compare as strings: the target's is the one asked for. */
		m.user_id = (char *)ev->target.id;
		m.name = NULL;
		m.ts = NULL;
		if (s->version >= 2) {
			m.name = chat_name(&ev->target);
			m.ts = chat_u64(ts, ev->ts);
		}
		chat_reply(c, s, &m);
		s->replied = true;
	}
}

/* Another connection took this user over: 4000, and nothing more. */
static void
chat_ev_kick(struct chat *c, const struct reg_event *ev)
{
	struct session		*s = chat_local(c, ev->target_at);
	struct session_req	*r;

	if (s == NULL || strcmp(s->user.id, ev->target.id) != 0)
		return;
	if (s->in_room) {
		local_room_del(&c->rooms, s->room, s->conn, s->version);
		s->in_room = false;
	}
	/* Its release, when it closes, counts only if the new connection
	 * never claimed the session (store.h). */
	s->replaced = true;
	while ((r = session_pop(s)) != NULL)
		free(r);
	log_info("user %s: replaced by another connection", s->user.id);
	c->io.close(c->io.arg, s->conn, 4000, "replaced");
}

void
chat_event(void *arg, const struct reg_event *ev)
{
	struct chat	*c = arg;

	if (c->closing)
		return;
	switch (ev->type) {
	case REG_EV_JOIN:
		chat_ev_join(c, ev);
		break;
	case REG_EV_LEAVE:
		chat_ev_leave(c, ev);
		break;
	case REG_EV_MESSAGE:
		chat_ev_message(c, ev);
		break;
	case REG_EV_NICK:
		chat_ev_nick(c, ev);
		break;
	case REG_EV_PRIVATE:
		chat_ev_private(c, ev);
		break;
	case REG_EV_KICK:
		chat_ev_kick(c, ev);
		break;
	}
}
