/*
 * Protocol dispatch (PROTOCOL.md): decode a request, check flood control,
 * apply it to the registry, encode each reply or notification once and hand
 * it to the registry's fan-out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "proto.h"
#include "server-chat.h"
#include "server-metrics.h"
#include "util.h"

struct chat {
	const struct server_config	*cfg;
	struct chat_io			 io;
	struct registry			*reg;
	unsigned			 nusers;
};

struct chat *
chat_new(const struct server_config *cfg, const struct chat_io *io)
{
	struct chat	*c;

	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->cfg = cfg;
	c->io = *io;
	c->reg = registry_mem_new(io->send, io->arg);
	if (c->reg == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
chat_free(struct chat *c)
{
	if (c == NULL)
		return;
	c->reg->ops->destroy(c->reg);
	free(c);
}

unsigned
chat_users(struct chat *c)
{
	return c->nusers;
}

unsigned
chat_rooms(struct chat *c)
{
	const char	**names;

	return (unsigned)c->reg->ops->room_list(c->reg, &names);
}

const char *
chat_user_id(struct chat *c, uint64_t conn)
{
	struct user	*u = c->reg->ops->user_by_conn(c->reg, conn);

	return u != NULL ? u->id : "-";
}

/* Encode msg once into a frame; NULL only when out of memory. */
static struct frame *
chat_frame(const struct proto_msg *msg)
{
	size_t	 len = 0;
	char	*json = proto_encode(msg, &len);

	return frame_from_string(json, len);
}

/* Send an encoded message to one connection on this node. */
static void
chat_reply(struct chat *c, struct user *u, const struct proto_msg *msg)
{
	struct frame	*f;

	if ((f = chat_frame(msg)) == NULL)
		return;
	c->io.send(c->io.arg, f, &u->conn, 1);
	frame_unref(f);
}

/* An error reply; text is len bytes and may hold NUL (0: strlen). */
static void
chat_error_len(struct chat *c, struct user *u, const char *text, size_t len)
{
	struct proto_msg	msg = { .action = PROTO_ERROR };

	msg.message = (char *)text;
	msg.message_len = len;
	metrics_error(text, len);
	chat_reply(c, u, &msg);
}

static void
chat_error(struct chat *c, struct user *u, const char *text)
{
	chat_error_len(c, u, text, 0);
}

static void
chat_publish_room(struct chat *c, struct room *r, const struct proto_msg *msg)
{
	struct frame	*f;

	if ((f = chat_frame(msg)) == NULL)
		return;
	c->reg->ops->publish_room(c->reg, r, f);
	frame_unref(f);
}

/* Take u out of its room, telling the members who stay. */
static void
chat_leave_room(struct chat *c, struct user *u)
{
	struct room		*r = u->room;
	struct proto_msg	 msg = { .action = PROTO_LEAVE };
	int			 others = r->nmembers > 1;

	msg.room = r->name;
	msg.user_id = u->id;
	/* Encode before leaving: the last member's leave frees the room. */
	struct frame *f = others ? chat_frame(&msg) : NULL;
	c->reg->ops->room_leave(c->reg, u);
	if (f != NULL) {
		c->reg->ops->publish_room(c->reg, r, f);
		frame_unref(f);
	}
}

static void
chat_do_join(struct chat *c, struct user *u, const char *name)
{
	struct proto_msg	 msg = { .action = PROTO_JOIN };
	struct room		*r;

	if (u->room != NULL && strcmp(u->room->name, name) == 0)
		goto reply;
	if (u->room != NULL)
		chat_leave_room(c, u);
	r = c->reg->ops->room_find(c->reg, name);
	if (r != NULL) {
		/* Notify before joining: the members are exactly the others. */
		msg.room = r->name;
		msg.user_id = u->id;
		chat_publish_room(c, r, &msg);
	}
	if (c->reg->ops->room_join(c->reg, u, name) == NULL) {
		chat_error(c, u, "out of memory");
		return;
	}
reply:
	msg.room = (char *)name;
	msg.user_id = NULL;
	chat_reply(c, u, &msg);
}

static void
chat_do_leave(struct chat *c, struct user *u)
{
	struct proto_msg	 msg = { .action = PROTO_LEAVE };
	char			*name;

	if (u->room == NULL) {
		chat_error(c, u, PROTO_ERR_NOT_IN_ROOM_LEAVE);
		return;
	}
	if ((name = strdup(u->room->name)) == NULL)
		return;
	chat_leave_room(c, u);
	msg.room = name;
	chat_reply(c, u, &msg);
	free(name);
}

static void
chat_do_private(struct chat *c, struct user *u, struct proto_msg *req)
{
	struct proto_msg	 msg = { .action = PROTO_PRIVATE_MESSAGE };
	struct user		*to;
	static const char	 pre[] = "user ", post[] = " is not on the server";
	struct frame		*f;
	char			*text;
	size_t			 len = req->user_id_len;

	/* Ids are decimal: one holding U+0000 is nobody. */
	to = NULL;
	if (memchr(req->user_id, '\0', len) == NULL)
		to = c->reg->ops->user_find(c->reg, req->user_id);
	if (to == NULL) {
		/* The id as sent, NUL bytes included. */
		if ((text = malloc(sizeof pre + len + sizeof post)) == NULL)
			return;
		memcpy(text, pre, sizeof pre - 1);
		memcpy(text + sizeof pre - 1, req->user_id, len);
		memcpy(text + sizeof pre - 1 + len, post, sizeof post);
		chat_error_len(c, u, text, sizeof pre - 1 + len +
		    sizeof post - 1);
		free(text);
		return;
	}
	msg.user_id = u->id;
	msg.message = req->message;
	msg.message_len = req->message_len;
	if ((f = chat_frame(&msg)) != NULL) {
		c->reg->ops->publish_user(c->reg, to, f);
		frame_unref(f);
	}
	msg.user_id = req->user_id;
	msg.user_id_len = req->user_id_len;
	chat_reply(c, u, &msg);
}

static void
chat_do_room_message(struct chat *c, struct user *u, struct proto_msg *req)
{
	struct proto_msg	msg = { .action = PROTO_ROOM_MESSAGE };

	if (u->room == NULL) {
		chat_error(c, u, PROTO_ERR_NOT_IN_ROOM);
		return;
	}
	msg.room = u->room->name;
	msg.user_id = u->id;
	msg.message = req->message;
	msg.message_len = req->message_len;
	chat_publish_room(c, u->room, &msg);
}

static void
chat_do_rooms(struct chat *c, struct user *u)
{
	struct proto_msg	 msg = { .action = PROTO_ROOMS };
	const char		**names;

	msg.nlist = c->reg->ops->room_list(c->reg, &names);
	msg.list = (char **)names;
	msg.has_list = true;
	chat_reply(c, u, &msg);
}

static void
chat_do_participants(struct chat *c, struct user *u, const char *name)
{
	struct proto_msg	  msg = { .action = PROTO_PARTICIPANTS };
	struct room		 *r;
	char			**ids, text[128];
	size_t			  i;

	r = c->reg->ops->room_find(c->reg, name);
	if (r == NULL) {
		snprintf(text, sizeof text, "room %s does not exist", name);
		chat_error(c, u, text);
		return;
	}
	if ((ids = malloc(r->nmembers * sizeof *ids + 1)) == NULL)
		return;
	for (i = 0; i < r->nmembers; i++)
		ids[i] = r->members[i]->id;
	msg.room = r->name;
	msg.list = ids;
	msg.nlist = r->nmembers;
	msg.has_list = true;
	chat_reply(c, u, &msg);
	free(ids);
}

/*
 * Token bucket per connection.  Over the limit a request is refused with an
 * error; a client that keeps flooding (CHAT_RATE_STRIKES_MAX refusals
 * without once letting its bucket fill up again) is closed.
 */
static int
chat_rate_ok(struct chat *c, struct user *u)
{
	uint64_t	now;

	if (c->cfg->rate <= 0)
		return 1;
	now = c->io.now_ms(c->io.arg);
	u->tokens += (double)(now - u->tokens_ms) * c->cfg->rate / 1000.0;
	u->tokens_ms = now;
	if (u->tokens >= c->cfg->burst) {
		u->tokens = c->cfg->burst;
		u->strikes = 0;
	}
	if (u->tokens >= 1.0) {
		u->tokens -= 1.0;
		return 1;
	}
	if (++u->strikes >= CHAT_RATE_STRIKES_MAX) {
		c->io.close(c->io.arg, u->conn, 1008, PROTO_ERR_RATE_LIMIT);
		return 0;
	}
	metrics_rate_limited(u->conn, u->id, u->strikes);
	chat_error(c, u, PROTO_ERR_RATE_LIMIT);
	return 0;
}

void
chat_opened(struct chat *c, uint64_t conn)
{
	struct proto_msg	 msg = { .action = PROTO_CONNECTION };
	struct user		*u;

	u = c->reg->ops->user_add(c->reg, conn);
	if (u == NULL) {
		c->io.close(c->io.arg, conn, 1011, "out of memory");
		return;
	}
	c->nusers++;
	metrics_user_version(0, 1);
	u->tokens = c->cfg->burst;
	u->tokens_ms = c->io.now_ms(c->io.arg);
	msg.user_id = u->id;
	chat_reply(c, u, &msg);
}

void
chat_message(struct chat *c, uint64_t conn, const char *buf, size_t len)
{
	struct proto_msg	 req;
	struct user		*u;
	char			*error;
	size_t			 error_len;

	if ((u = c->reg->ops->user_by_conn(c->reg, conn)) == NULL)
		return;
	if (!chat_rate_ok(c, u))
		return;
	if (proto_decode_request(buf, len, c->cfg->max_message, &req,
	    &error, &error_len) == -1) {
		metrics_request(PROTO_UNKNOWN);
		if (error != NULL)
			chat_error_len(c, u, error, error_len);
		else
			chat_error(c, u, PROTO_ERR_INVALID_JSON);
		free(error);
		return;
	}
	metrics_request(req.action);
	/* The decoder checked the protocol's 64 bytes; the server may
	 * be configured to allow less. */
	if (req.room != NULL && req.room_len > c->cfg->max_room_name) {
		chat_error(c, u, PROTO_ERR_INVALID_ROOM);
		proto_msg_free(&req);
		return;
	}
	switch (req.action) {
	case PROTO_JOIN:
		chat_do_join(c, u, req.room);
		break;
	case PROTO_LEAVE:
		chat_do_leave(c, u);
		break;
	case PROTO_PRIVATE_MESSAGE:
		chat_do_private(c, u, &req);
		break;
	case PROTO_ROOM_MESSAGE:
		chat_do_room_message(c, u, &req);
		break;
	case PROTO_ROOMS:
		chat_do_rooms(c, u);
		break;
	case PROTO_PARTICIPANTS:
		chat_do_participants(c, u, req.room);
		break;
	default:
		break;	/* the decoder only returns requests */
	}
	proto_msg_free(&req);
}

void
chat_binary(struct chat *c, uint64_t conn)
{
	struct user	*u;

	if ((u = c->reg->ops->user_by_conn(c->reg, conn)) == NULL)
		return;
	if (!chat_rate_ok(c, u))
		return;
	metrics_request(PROTO_UNKNOWN);
	chat_error(c, u, PROTO_ERR_BINARY);
}

void
chat_closed(struct chat *c, uint64_t conn)
{
	struct user	*u;

	if ((u = c->reg->ops->user_by_conn(c->reg, conn)) == NULL)
		return;
	metrics_user_version(1, 0);
	if (u->room != NULL)
		chat_leave_room(c, u);
	c->reg->ops->user_remove(c->reg, u);
	c->nusers--;
}
