/*
 * Protocol dispatch (doc/protocol.md, versions 1 and 2): decode and
 * validate a request, start the registry or store operation it asks for,
 * and encode its answer when that completes.  One request per session is
 * in flight; the rest wait in its queue (server-session.h).  Room events,
 * and the replies built from them, are in server-chat-event.c.
 *
 * Every request gets exactly one answer: a reply, an error, or (when even
 * that cannot be encoded) a close with 1011.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "server-cluster.h"
#include "server-chat-int.h"
#include "server-metrics.h"
#include "util.h"

static void	chat_run(struct chat *, struct session *);

struct reg_where
chat_at(struct chat *c, const struct session *s)
{
	struct reg_where	w = { c->reg->node, s->conn };

	return w;
}

const char *
chat_session_id(const struct session *s)
{
	return s->user.id[0] != '\0' ? s->user.id : "-";
}

char *
chat_u64(char *buf, uint64_t v)
{
	snprintf(buf, CHAT_ID_SIZE, "%llu", (unsigned long long)v);
	return buf;
}

uint64_t
chat_wall(struct chat *c)
{
	return c->io.wall_ms != NULL ? c->io.wall_ms(c->io.arg) :
	    util_epoch_ms();
}

struct frame *
chat_frame(const struct proto_msg *msg)
{
	size_t	 len = 0;
	char	*json = proto_encode(msg, &len);

	return frame_from_string(json, len);
}

static void
chat_send_one(struct chat *c, struct session *s, const struct proto_msg *msg,
    int reply)
{
	struct frame	*f;

	if (s->gone || s->replaced)
		return;
	if ((f = chat_frame(msg)) == NULL) {
		chat_fail(c, s, "out of memory");
		return;
	}
	/* A reply never closes s as a slow consumer (server-lws.c). */
	f->reply = reply;
	c->io.send(c->io.arg, f, &s->conn, 1);
	frame_unref(f);
}

/* What cannot be answered ends the session: a close (1011), then silence,
 * so the client never sees a request without its answer. */
void
chat_fail(struct chat *c, struct session *s, const char *reason)
{
	c->io.close(c->io.arg, s->conn, 1011, reason);
	s->replaced = true;
}

void
chat_reply(struct chat *c, struct session *s, const struct proto_msg *msg)
{
	chat_send_one(c, s, msg, 1);
}

void
chat_deliver(struct chat *c, struct session *s, const struct proto_msg *msg)
{
	chat_send_one(c, s, msg, 0);
}

void
chat_error_len(struct chat *c, struct session *s, const char *text,
    size_t len)
{
	struct proto_msg	msg = { .action = PROTO_ERROR };

	msg.message = (char *)text;
	msg.message_len = len;
	metrics_error(text, len);
	chat_reply(c, s, &msg);
}

void
chat_error(struct chat *c, struct session *s, const char *text)
{
	chat_error_len(c, s, text, 0);
}

/* "pre" + what (len bytes, may hold NUL) + "post", as an error. */
void
chat_error_fmt(struct chat *c, struct session *s, const char *pre,
    const char *what, size_t len, const char *post)
{
	size_t	 a = strlen(pre), b = strlen(post);
	char	*text;

	if ((text = malloc(a + len + b + 1)) == NULL) {
		chat_error(c, s, "out of memory");
		return;
	}
	memcpy(text, pre, a);
	memcpy(text + a, what, len);
	memcpy(text + a + len, post, b + 1);
	chat_error_len(c, s, text, a + len + b);
	free(text);
}

/* Keep a copy of what the answer will repeat. */
int
chat_stash(struct session *s, const char *str, size_t len)
{
	free(s->req_str);
	s->req_len = 0;
	if ((s->req_str = malloc(len + 1)) == NULL)
		return -1;
	memcpy(s->req_str, str, len);
	s->req_str[len] = '\0';
	s->req_len = len;
	return 0;
}

/* The request in flight is answered: on to the next. */
void
chat_done(struct chat *c, struct session *s)
{
	free(s->req_str);
	s->req_str = NULL;
	s->req_len = 0;
	s->busy = false;
	chat_run(c, s);
}

void
chat_status_error(struct chat *c, struct session *s, int down)
{
	chat_error(c, s, down ? "service unavailable" : "out of memory");
}


/* Closed sessions: leave the registry, release the store session, free. */
static void
chat_offline_done(void *arg, const struct reg_result *res)
{
	CHAT_CB_START(arg);
	(void)res;
	s->online = false;
	chat_done(c, s);
}

static void
chat_release_done(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	(void)res;
	s->has_token = false;
	chat_done(c, s);
}

/* One step of a closed session's way out; 1 when it is freed. */
static int
chat_teardown(struct chat *c, struct session *s)
{
	s->busy = true;
	if (s->online) {
		c->reg->ops->offline(c->reg, s->user.id, chat_at(c, s),
		    chat_offline_done, s);
		return 0;
	}
	if (s->has_token) {
		c->store->ops->session_release(c->store, s->user.id,
		    s->holder, chat_wall(c), chat_release_done, s);
		return 0;
	}
	free(s->req_str);
	session_free(&c->sessions, s);
	if (HASH_COUNT(c->sessions.by_conn) == 0 && c->io.idle != NULL)
		c->io.idle(c->io.arg);
	return 1;
}

/* join, leave, room_message, nick: the reply came in an event, or is
 * built here (join of the room one is in; nick outside a room). */
static void
chat_join_done(void *arg, const struct reg_result *res)
{
	struct proto_msg	msg = { .action = PROTO_JOIN };

	CHAT_CB_START(arg);
	if (res->status != REG_OK)
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
	else if (!s->replied) {
		msg.room = s->req_str;
		chat_reply(c, s, &msg);
	}
	chat_done(c, s);
}

static void
chat_leave_done(void *arg, const struct reg_result *res)
{
	CHAT_CB_START(arg);
	if (res->status == REG_ERR_NOT_IN_ROOM)
		chat_error(c, s, PROTO_ERR_NOT_IN_ROOM_LEAVE);
	else if (res->status != REG_OK)
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
	chat_done(c, s);
}

/* Not the session's request in flight any more (see chat_dispatch). */
static void
chat_room_message_done(void *arg, const struct reg_result *res)
{
	CHAT_CB_START(arg);
	if (res->status == REG_ERR_NOT_IN_ROOM)
		chat_error(c, s, PROTO_ERR_NOT_IN_ROOM);
	else if (res->status != REG_OK)
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
}

static void
chat_private_done(void *arg, const struct reg_result *res)
{
	CHAT_CB_START(arg);
	if (res->status == REG_ERR_NO_USER)
		chat_error_fmt(c, s, "user ", s->req_str, s->req_len,
		    " is not on the server");
	else if (res->status != REG_OK)
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
	chat_done(c, s);
}

static void
chat_private(struct chat *c, struct session *s, const struct proto_msg *req)
{
	const char	*to = req->user_id != NULL ? req->user_id : req->name;
	size_t		 len = req->user_id != NULL ? req->user_id_len :
			    req->name_len;

	if (chat_stash(s, to, len) == -1) {
		chat_error(c, s, "out of memory");
		chat_done(c, s);
		return;
	}
	/* Ids are decimal and names plain ASCII: one holding U+0000 (or a
	 * name too long to be one) is nobody. */
	if (memchr(to, '\0', len) != NULL ||
	    (req->user_id == NULL && len > CHAT_NAME_MAX)) {
		chat_private_done(s, &(struct reg_result){
		    .status = REG_ERR_NO_USER });
		return;
	}
	c->reg->ops->private_message(c->reg, &s->user, req->user_id,
	    req->user_id == NULL ? req->name : NULL, req->message,
	    req->message_len, chat_wall(c), chat_at(c, s), chat_private_done,
	    s);
}

static void
chat_rooms_done(void *arg, const struct reg_result *res)
{
	struct proto_msg	msg = { .action = PROTO_ROOMS };

	CHAT_CB_START(arg);
	if (res->status != REG_OK)
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
	else {
		msg.list = (char **)res->names;
		msg.nlist = res->n;
		msg.has_list = true;
		chat_reply(c, s, &msg);
	}
	chat_done(c, s);
}

static void
chat_participants_done(void *arg, const struct reg_result *res)
{
	struct proto_msg	  msg = { .action = PROTO_PARTICIPANTS };
	char			**ids = NULL, **names = NULL;
	size_t			  i;

	CHAT_CB_START(arg);
	if (res->status == REG_ERR_NO_ROOM) {
		chat_error_fmt(c, s, "room ", s->req_str, s->req_len,
		    " does not exist");
		goto out;
	}
	if (res->status != REG_OK ||
	    (ids = malloc((res->n + 1) * sizeof *ids)) == NULL ||
	    (names = malloc((res->n + 1) * sizeof *names)) == NULL) {
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
		goto out;
	}
	for (i = 0; i < res->n; i++) {
		ids[i] = (char *)res->users[i].id;
		names[i] = (char *)res->users[i].name;
	}
	msg.room = s->req_str;
	msg.list = ids;
	msg.nlist = res->n;
	msg.has_list = true;
	if (s->version >= 2) {
		msg.list2 = names;
		msg.nlist2 = res->n;
		msg.has_list2 = true;
	}
	chat_reply(c, s, &msg);
out:
	free(ids);
	free(names);
	chat_done(c, s);
}

/* Start the operation a decoded request asks for. */
static void
chat_dispatch(struct chat *c, struct session *s, const struct proto_msg *req)
{
	const char	*room = req->room;

	switch (req->action) {
	case PROTO_JOIN:
	case PROTO_PARTICIPANTS:
		if (chat_stash(s, room, req->room_len) == -1) {
			chat_error(c, s, "out of memory");
			chat_done(c, s);
		} else if (req->action == PROTO_JOIN)
			c->reg->ops->join(c->reg, &s->user, room,
			    chat_at(c, s), chat_join_done, s);
		else
			c->reg->ops->participants(c->reg, room,
			    chat_participants_done, s);
		break;
	case PROTO_LEAVE:
		c->reg->ops->leave(c->reg, &s->user, chat_at(c, s),
		    chat_leave_done, s);
		break;
	case PROTO_PRIVATE_MESSAGE:
		chat_private(c, s, req);
		break;
	case PROTO_ROOM_MESSAGE:
		/*
		 * Pipelined: the session goes on without waiting for the
		 * store to have the message (a commit, a loop pass later),
		 * or a sender could get one message a pass through.  Its
		 * answer still comes in turn: completions come in the order
		 * the operations were started (registry.h), and its own
		 * copy in the room's order.
		 */
		c->reg->ops->room_message(c->reg, &s->user, req->message,
		    req->message_len, chat_wall(c), chat_at(c, s),
		    chat_room_message_done, s);
		chat_done(c, s);
		break;
	case PROTO_ROOMS:
		c->reg->ops->rooms(c->reg, chat_rooms_done, s);
		break;
	case PROTO_HELLO:
		chat_hello(c, s, req);
		break;
	case PROTO_NICK:
		chat_nick(c, s, req);
		break;
	case PROTO_HISTORY:
		chat_history(c, s, req);
		break;
	default:
		chat_done(c, s);	/* the decoder only returns requests */
		break;
	}
}

/* Handle one request; it ends in exactly one chat_done(). */
static void
chat_handle(struct chat *c, struct session *s, enum session_req_kind kind,
    const char *buf, size_t len)
{
	struct proto_msg	 req;
	char			*error;
	size_t			 error_len;

	s->busy = true;
	s->replied = false;
	if (kind == SESSION_REQ_BINARY) {
		metrics_request(PROTO_UNKNOWN);
		chat_error(c, s, PROTO_ERR_BINARY);
		chat_done(c, s);
		return;
	}
	if (kind == SESSION_REQ_RATE) {
		s->hello_closed = true;
		chat_error(c, s, PROTO_ERR_RATE_LIMIT);
		chat_done(c, s);
		return;
	}
	if (proto_decode_request_v(buf, len, c->cfg->max_message, s->version,
	    &req, &error, &error_len) == -1) {
		metrics_request(PROTO_UNKNOWN);
		if (error != NULL && strcmp(error, PROTO_ERR_INVALID_TOKEN) == 0 &&
		    s->hello_closed) {
			/* Any later hello, whatever its token. */
			chat_error(c, s, PROTO_ERR_HELLO_FIRST);
		} else if (error != NULL) {
			/* A failed hello keeps the door open; nothing else. */
			if (strcmp(error, PROTO_ERR_INVALID_TOKEN) != 0)
				s->hello_closed = true;
			chat_error_len(c, s, error, error_len);
		} else {
			s->hello_closed = true;
			chat_error(c, s, "out of memory");
		}
		free(error);
		chat_done(c, s);
		return;
	}
	metrics_request(req.action);
	if (req.action != PROTO_HELLO)
		s->hello_closed = true;
	/* The decoder checked the protocol's 64 bytes; the server may be
	 * configured to allow less (history takes any string). */
	if (req.room != NULL && req.action != PROTO_HISTORY &&
	    req.room_len > c->cfg->max_room_name) {
		chat_error(c, s, PROTO_ERR_INVALID_ROOM);
		chat_done(c, s);
	} else
		chat_dispatch(c, s, &req);
	proto_msg_free(&req);
}

/* Work the queue until a request is in flight or it is empty. */
static void
chat_run(struct chat *c, struct session *s)
{
	struct session_req	*r;

	if (s->running)
		return;
	s->running = true;
	while (!s->busy) {
		if (s->gone) {
			if (chat_teardown(c, s))
				return;		/* freed */
			continue;
		}
		if (s->replaced || (r = session_pop(s)) == NULL)
			break;
		chat_handle(c, s, r->kind, r->buf, r->len);
		free(r);
	}
	s->running = false;
}

/*
 * Token bucket per connection.  Over the limit a request is refused with an
 * error; a client that keeps flooding (CHAT_RATE_STRIKES_MAX refusals
 * without once letting its bucket fill up again) is closed.
 */
static int
chat_rate_ok(struct chat *c, struct session *s)
{
	uint64_t	now;

	if (c->cfg->rate <= 0)
		return 1;
	now = c->io.now_ms(c->io.arg);
	s->tokens += (double)(now - s->tokens_ms) * c->cfg->rate / 1000.0;
	s->tokens_ms = now;
	if (s->tokens >= c->cfg->burst) {
		s->tokens = c->cfg->burst;
		s->strikes = 0;
	}
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return 1;
	}
	if (++s->strikes >= CHAT_RATE_STRIKES_MAX) {
		c->io.close(c->io.arg, s->conn, 1008, PROTO_ERR_RATE_LIMIT);
		s->replaced = true;
		return -1;
	}
	metrics_rate_limited(s->conn, chat_session_id(s), s->strikes);
	return 0;
}

/* A request arrives: answer it now if the session is idle, else queue. */
static void
chat_request(struct chat *c, uint64_t conn, enum session_req_kind kind,
    const char *buf, size_t len)
{
	struct session	*s = session_find(&c->sessions, conn);
	int		 ok;

	if (s == NULL || s->gone || s->replaced)
		return;
	if ((ok = chat_rate_ok(c, s)) == -1)
		return;
	if (!ok)
		kind = SESSION_REQ_RATE;
	if (!s->busy && s->q_head == NULL && !s->running) {
		chat_handle(c, s, kind, buf, len);
		return;
	}
	if (session_push(s, kind, buf, len) == -1) {
		chat_fail(c, s, "out of memory");
	}
}

static void
chat_online_done(void *arg, const struct reg_result *res)
{
	struct proto_msg	msg = { .action = PROTO_CONNECTION };

	CHAT_CB_START(arg);
	if (res->status != REG_OK) {
		chat_fail(c, s, "registry failure");
	} else {
		s->online = true;
		msg.user_id = s->user.id;
		chat_reply(c, s, &msg);
		if (!s->gone)
			log_event(1, "open", "conn=%llu user=%s addr=%s",
			    (unsigned long long)s->conn, s->user.id, s->addr);
	}
	chat_done(c, s);
}

static void
chat_id_done(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	if (res->status != STORE_OK) {
		chat_fail(c, s, "store failure");
		chat_done(c, s);
		return;
	}
	chat_u64(s->user.id, res->id);
	if (s->gone) {
		chat_done(c, s);
		return;
	}
	c->reg->ops->online(c->reg, &s->user, chat_at(c, s), chat_online_done,
	    s);
}

void
chat_opened(struct chat *c, uint64_t conn, const char *addr)
{
	struct session	*s;

	if ((s = session_new(&c->sessions, conn)) == NULL) {
		c->io.close(c->io.arg, conn, 1011, "out of memory");
		return;
	}
	s->chat = c;
	s->tokens = c->cfg->burst;
	s->tokens_ms = c->io.now_ms(c->io.arg);
	s->busy = true;
	if (addr != NULL)
		snprintf(s->addr, sizeof s->addr, "%s", addr);
	metrics_user_version(0, 1);
	c->store->ops->id_next(c->store, chat_id_done, s);
}

void
chat_message(struct chat *c, uint64_t conn, const char *buf, size_t len)
{
	chat_request(c, conn, SESSION_REQ_TEXT, buf, len);
}

void
chat_binary(struct chat *c, uint64_t conn)
{
	chat_request(c, conn, SESSION_REQ_BINARY, NULL, 0);
}

void
chat_closed(struct chat *c, uint64_t conn)
{
	struct session	*s = session_find(&c->sessions, conn);

	if (s == NULL || s->gone)
		return;
	metrics_user_version((int)s->version, 0);
	s->gone = true;
	c->sessions.live--;
	/* Out of the fan-out at once; the registry's leave follows. */
	if (s->in_room) {
		local_room_del(&c->rooms, s->room, s->conn, s->version);
		s->in_room = false;
	}
	chat_run(c, s);
}

unsigned
chat_users(struct chat *c)
{
	return HASH_COUNT(c->sessions.by_conn);
}

/*
 * --redis: Redis lost (or back).  No split view: every client is closed
 * with 1013 and comes back (resuming its session) once the node serves
 * again; meanwhile the server refuses upgrades with 503.
 */
static void
chat_serving(void *arg, int yes)
{
	struct chat	*c = arg;
	struct session	*s, *tmp;

	if (c->serving != NULL)
		c->serving(c->serving_arg, yes);
	if (yes)
		return;
	HASH_ITER(hh, c->sessions.by_conn, s, tmp) {
		if (!s->gone)
			c->io.close(c->io.arg, s->conn, 1013,
			    "try again later");
	}
}

void
chat_on_serving(struct chat *c, void (*fn)(void *, int), void *arg)
{
	c->serving = fn;
	c->serving_arg = arg;
}

unsigned
chat_rooms(struct chat *c)
{
	return (unsigned)c->reg->ops->nrooms(c->reg);
}

const char *
chat_user_id(struct chat *c, uint64_t conn)
{
	struct session	*s = session_find(&c->sessions, conn);

	return s != NULL ? chat_session_id(s) : "-";
}

struct chat *
chat_new_on(const struct server_config *cfg, const struct chat_io *io,
    struct registry *reg, struct store *store)
{
	struct chat	*c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		reg->ops->destroy(reg);
		store->ops->destroy(store);
		return NULL;
	}
	c->cfg = cfg;
	c->io = *io;
	c->reg = reg;
	c->store = store;
	reg->event = chat_event;
	reg->event_arg = c;
	return c;
}

/* --redis: the Redis store and registry, on the cluster's connection. */
static struct chat *
chat_new_cluster(const struct server_config *cfg, const struct chat_io *io,
    struct event_base *base, char **error)
{
	struct cluster	*cl;
	struct chat	*c;

	if (cfg->db != NULL) {
		*error = strdup("--db and --redis exclude each other: a "
		    "cluster keeps its state in Redis");
		return NULL;
	}
	if ((cl = cluster_new(base, cfg, error)) == NULL)
		return NULL;
	if ((c = chat_new_on(cfg, io, cluster_registry(cl),
	    cluster_store(cl))) == NULL) {
		cluster_free(cl);
		return NULL;
	}
	c->cluster = cl;
	cluster_on_serving(cl, chat_serving, c);
	return c;
}

struct chat *
chat_new(const struct server_config *cfg, const struct chat_io *io,
    struct event_base *base, int flags, char **error)
{
	struct event_base	*defer = (flags & CHAT_DEFER) ? base : NULL;
	struct registry		*reg;
	struct store		*store;

	*error = NULL;
	if (cfg->redis != NULL)
		return chat_new_cluster(cfg, io, base, error);
	if (cfg->db != NULL)
		store = store_sqlite_new(cfg->db, cfg->history,
		    (uint64_t)cfg->session_ttl * 1000, base, error);
	else
		store = store_mem_new(cfg->history, (uint64_t)cfg->session_ttl * 1000,
		    defer);
	if (store == NULL)
		return NULL;
	if ((reg = registry_mem_new(store, defer, NULL, NULL)) == NULL) {
		store->ops->destroy(store);
		return NULL;
	}
	return chat_new_on(cfg, io, reg, store);
}

void
chat_free(struct chat *c)
{
	struct session	*s, *tmp;

	if (c == NULL)
		return;
	/* Completions that still come find c->closing and do nothing. */
	c->closing = 1;
	c->reg->ops->destroy(c->reg);
	c->store->ops->destroy(c->store);
	cluster_free(c->cluster);	/* after them: their connection */
	HASH_ITER(hh, c->sessions.by_conn, s, tmp)
		free(s->req_str);
	session_free_all(&c->sessions);
	local_rooms_free(&c->rooms);
	free(c);
}
