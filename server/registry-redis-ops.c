/*
 * registry-redis-ops: the registry's operations on Redis (registry.h):
 * each copies its arguments into an rr_op and runs its script
 * (redis-lua.c); a join first subscribes to its room.
 */
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "registry-redis-int.h"

void
user_copy(struct reg_user *u, const char *id, const char *name)
{
	snprintf(u->id, sizeof u->id, "%s", id);
	snprintf(u->name, sizeof u->name, "%s", name);
}

static void
rr_online(struct registry *reg, const struct reg_user *user,
    struct reg_where at, reg_done_cb done, void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 node[24], conn[24];
	const char		*argv[] = { rr->prefix, user->id, user->name,
				    node, conn };
	struct rr_op		*op;
	struct rr_conn		*c;

	NUM(node, at.node);
	NUM(conn, at.conn);
	if ((op = op_new(rr, RL_REG_ONLINE, done, arg, 5, argv, NULL)) == NULL)
		return;
	HASH_FIND(hh, rr->conns, &at.conn, sizeof at.conn, c);
	if (c == NULL && (c = calloc(1, sizeof *c)) != NULL) {
		c->conn = at.conn;
		HASH_ADD(hh, rr->conns, conn, sizeof c->conn, c);
	}
	op_send(op);
}

static void
rr_offline(struct registry *reg, const char *id, struct reg_where at,
    reg_done_cb done, void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 node[24], conn[24];
	const char		*argv[] = { rr->prefix, id, node, conn };
	struct rr_op		*op;
	struct rr_conn		*c;

	NUM(node, at.node);
	NUM(conn, at.conn);
	HASH_FIND(hh, rr->conns, &at.conn, sizeof at.conn, c);
	if (c != NULL) {
		HASH_DELETE(hh, rr->conns, c);
		free(c);
	}
	if ((op = op_new(rr, RL_REG_OFFLINE, done, arg, 4, argv, NULL)) != NULL)
		op_send(op);
}

static void
rr_join(struct registry *reg, const struct reg_user *user, const char *room,
    struct reg_where origin, reg_done_cb done, void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 node[24], conn[24], *name;
	const char		*argv[] = { rr->prefix, user->id, user->name,
				    room, node, conn };
	struct rr_op		*op;
	struct rr_chan		*ch;

	NUM(node, origin.node);
	NUM(conn, origin.conn);
	if ((op = op_new(rr, RL_REG_JOIN, done, arg, 6, argv, NULL)) == NULL)
		return;
	/* Subscribed before the join happens, so nothing is missed. */
	if (asprintf(&name, "%sr:%s", rr->prefix, room) < 0) {
		op_finish(op, REG_ERR_NOMEM);
		return;
	}
	ch = chan_find(rr, name, strlen(name));
	free(name);
	if (ch == NULL && (ch = chan_new(rr, room)) == NULL) {
		op_finish(op, redis_conn_up(rr->rc) ? REG_ERR_NOMEM :
		    REG_ERR_DOWN);
		return;
	}
	ch->pending++;
	op->join_chan = ch;
	if (ch->state == CH_SUBSCRIBED) {
		op_send(op);
	} else {
		op->state = OP_WAIT_SUB;
		TAILQ_INSERT_TAIL(&ch->sub_waiters, op, sub_entry);
	}
}

static void
rr_simple(struct registry *reg, enum redis_lua script,
    const struct reg_user *user, struct reg_where origin, reg_done_cb done,
    void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 node[24], conn[24];
	const char		*argv[] = { rr->prefix, user->id, user->name,
				    node, conn };
	struct rr_op		*op;

	NUM(node, origin.node);
	NUM(conn, origin.conn);
	if ((op = op_new(rr, script, done, arg, 5, argv, NULL)) != NULL)
		op_send(op);
}

static void
rr_leave(struct registry *reg, const struct reg_user *user,
    struct reg_where origin, reg_done_cb done, void *arg)
{
	rr_simple(reg, RL_REG_LEAVE, user, origin, done, arg);
}

static void
rr_nick(struct registry *reg, const struct reg_user *user,
    struct reg_where origin, reg_done_cb done, void *arg)
{
	rr_simple(reg, RL_REG_NICK, user, origin, done, arg);
}

static void
rr_room_message(struct registry *reg, const struct reg_user *user,
    const char *text, size_t len, uint64_t ts, struct reg_where origin,
    reg_done_cb done, void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 node[24], conn[24], t[24], keep[16];
	const char		*argv[] = { rr->prefix, user->id, user->name,
				    node, conn, t, text, keep };
	size_t			 lens[] = { -1, -1, -1, -1, -1, -1, len, -1 };
	struct rr_op		*op;

	NUM(node, origin.node);
	NUM(conn, origin.conn);
	NUM(t, ts);
	NUM(keep, rr->history_max);
	if ((op = op_new(rr, RL_REG_MESSAGE, done, arg, 8, argv, lens)) ==
	    NULL)
		return;
	op->res.ts = ts;
	op_send(op);
}

static void
rr_private_message(struct registry *reg, const struct reg_user *from,
    const char *to_id, const char *to_name, const char *text, size_t len,
    uint64_t ts, struct reg_where origin, reg_done_cb done, void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 node[24], conn[24], t[24];
	char			 fold[CHAT_NAME_MAX + 1];
	const char		*argv[] = { rr->prefix, from->id, from->name,
				    node, conn, to_id != NULL ? to_id : "",
				    fold, t, text };
	size_t			 lens[] = { -1, -1, -1, -1, -1, -1, -1, -1,
				    len };
	struct rr_op		*op;
	size_t			 i;

	NUM(node, origin.node);
	NUM(conn, origin.conn);
	NUM(t, ts);
	fold[0] = '\0';
	if (to_id == NULL && to_name != NULL) {
		for (i = 0; to_name[i] != '\0' && i < CHAT_NAME_MAX; i++)
			fold[i] = (char)(to_name[i] >= 'A' &&
			    to_name[i] <= 'Z' ? to_name[i] + 32 : to_name[i]);
		fold[i] = '\0';
	}
	if ((op = op_new(rr, RL_REG_PRIVATE, done, arg, 9, argv, lens)) ==
	    NULL)
		return;
	op->res.ts = ts;
	op_send(op);
}

/* ------------------------------------------------------- read-only ops */

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_user(const void *a, const void *b)
{
	const struct reg_user	*x = a, *y = b;
	size_t			 lx = strlen(x->id), ly = strlen(y->id);

	/* Decimal ids without leading zeros: shorter is smaller. */
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
rooms_reply(void *arg, const redisReply *r)
{
	struct rr_op	*op = arg;
	const char	**names;
	char		*p;
	size_t		 i, size;

	if (op->rr == NULL || r == NULL || r->type != REDIS_REPLY_ARRAY) {
		op_finish(op, REG_ERR_DOWN);
		return;
	}
	/* Copied: the completion may wait for earlier operations. */
	size = (r->elements + 1) * sizeof *names;
	for (i = 0; i < r->elements; i++)
		size += r->element[i]->len + 1;
	if ((names = calloc(1, size)) == NULL) {
		op_finish(op, REG_ERR_NOMEM);
		return;
	}
	p = (char *)(names + r->elements + 1);
	for (i = 0; i < r->elements; i++) {
		memcpy(p, r->element[i]->str, r->element[i]->len + 1);
		names[i] = p;
		p += r->element[i]->len + 1;
	}
	qsort(names, r->elements, sizeof *names, cmp_name);
	op->owned = names;
	op->res.names = names;
	op->res.n = r->elements;
	op_finish(op, REG_OK);
}

static void
rr_rooms(struct registry *reg, reg_done_cb done, void *arg)
{
	struct registry_redis	*rr = RR(reg);
	struct rr_op		*op;

	if ((op = op_new(rr, RL_COUNT, done, arg, 0, NULL, NULL)) == NULL)
		return;
	op->state = OP_SENT;
	if (redis_conn_command(rr->rc, rooms_reply, op,
	    "SMEMBERS chat:rooms") != 0)
		op_finish(op, REG_ERR_DOWN);
}

static void
participants_reply(void *arg, const redisReply *r)
{
	struct rr_op		*op = arg;
	const redisReply	*ids, *names;
	struct reg_user		*users;
	size_t			 i;

	if (op->rr == NULL || r == NULL) {
		op_finish(op, REG_ERR_DOWN);
		return;
	}
	if (r->type == REDIS_REPLY_INTEGER) {
		op_finish(op, REG_ERR_NO_ROOM);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->elements != r->element[1]->elements) {
		op_finish(op, REG_ERR_DOWN);
		return;
	}
	ids = r->element[0];
	names = r->element[1];
	if ((users = calloc(ids->elements + 1, sizeof *users)) == NULL) {
		op_finish(op, REG_ERR_NOMEM);
		return;
	}
	for (i = 0; i < ids->elements; i++)
		user_copy(&users[i], ids->element[i]->str,
		    names->element[i]->str != NULL ? names->element[i]->str :
		    "");
	qsort(users, ids->elements, sizeof *users, cmp_user);
	op->owned = users;
	op->res.users = users;
	op->res.n = ids->elements;
	op_finish(op, REG_OK);
}

static void
rr_participants(struct registry *reg, const char *room, reg_done_cb done,
    void *arg)
{
	struct registry_redis	*rr = RR(reg);
	const char		*argv[] = { room };
	struct rr_op		*op;

	if ((op = op_new(rr, RL_REG_PARTICIPANTS, done, arg, 1, argv, NULL)) ==
	    NULL)
		return;
	op->state = OP_SENT;
	if (redis_conn_eval(rr->rc, RL_REG_PARTICIPANTS, 0, 1, op->argv,
	    op->lens, participants_reply, op) != 0)
		op_finish(op, REG_ERR_DOWN);
}

static size_t
rr_nusers(struct registry *reg)
{
	return HASH_COUNT(RR(reg)->conns);
}

static size_t
rr_nrooms(struct registry *reg)
{
	struct rr_chan	*ch, *tmp;
	size_t		 n = 0;

	HASH_ITER(hh, RR(reg)->chans, ch, tmp) {
		if (ch->room != NULL)
			n++;
	}
	return n;
}

const struct registry_ops registry_redis_ops = {
	.name = "redis",
	.online = rr_online,
	.offline = rr_offline,
	.join = rr_join,
	.leave = rr_leave,
	.room_message = rr_room_message,
	.private_message = rr_private_message,
	.nick = rr_nick,
	.rooms = rr_rooms,
	.participants = rr_participants,
	.nusers = rr_nusers,
	.nrooms = rr_nrooms,
	.destroy = rr_destroy,
};
