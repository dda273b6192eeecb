/*
 * registry-redis: registry.h on Redis (see registry-redis.h, redis-lua.h).
 *
 * An operation (struct rr_op) goes: [waiting for its room's subscription:
 * joins only] -> sent (one EVALSHA) -> waiting for the events it published
 * to channels this node is subscribed to -> done.  Each channel
 * (struct rr_chan) counts what it delivered (cseq); a script's reply says
 * which cseq it published where, so the operation waits on exactly those.
 * A cseq that skips one is a gap (Redis dropped us as a slow subscriber,
 * say): the whole connection is reset, the node closes its clients, they
 * resume and recover from history.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <uthash.h>

#include "chat-limits.h"
#include "registry-redis-int.h"
#include "util.h"

static void	up_finish(struct registry_redis *, int);

/* ------------------------------------------------------------ channels */

struct rr_chan *
chan_find(struct registry_redis *rr, const char *name, size_t len)
{
	struct rr_chan	*ch;

	HASH_FIND(hh, rr->chans, name, len, ch);
	return ch;
}

static void
chan_subscribed(void *arg, int ok)
{
	struct rr_chan	*ch = arg;
	struct rr_op	*op;

	if (!ok)
		return;		/* down: registry_redis_down cleans up */
	ch->state = CH_SUBSCRIBED;
	if (ch == ch->rr->node_chan)
		up_finish(ch->rr, 1);
	while ((op = TAILQ_FIRST(&ch->sub_waiters)) != NULL) {
		TAILQ_REMOVE(&ch->sub_waiters, op, sub_entry);
		op_send(op);
	}
}

struct rr_chan *
chan_new(struct registry_redis *rr, const char *room)
{
	struct rr_chan	*ch;
	int		 len;

	if ((ch = calloc(1, sizeof *ch)) == NULL)
		return NULL;
	ch->rr = rr;
	if (room != NULL) {
		len = asprintf(&ch->name, "%sr:%s", rr->prefix, room);
		ch->room = strdup(room);
	} else {
		len = asprintf(&ch->name, "%sn:%" PRIu64, rr->prefix,
		    rr->reg.node);
	}
	if (len < 0 || (room != NULL && ch->room == NULL)) {
		if (len >= 0)
			free(ch->name);
		free(ch->room);
		free(ch);
		return NULL;
	}
	TAILQ_INIT(&ch->sub_waiters);
	TAILQ_INIT(&ch->waits);
	ch->state = CH_SUBSCRIBING;
	if (redis_conn_subscribe(rr->rc, ch->name, chan_subscribed, ch) != 0) {
		free(ch->name);
		free(ch->room);
		free(ch);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, rr->chans, ch->name, strlen(ch->name), ch);
	return ch;
}

static void
chan_free(struct registry_redis *rr, struct rr_chan *ch, int unsubscribe)
{
	struct rr_wait	*w;

	HASH_DELETE(hh, rr->chans, ch);
	if (unsubscribe)
		redis_conn_unsubscribe(rr->rc, ch->name);
	while ((w = TAILQ_FIRST(&ch->waits)) != NULL) {
		TAILQ_REMOVE(&ch->waits, w, entry);
		free(w);
	}
	if (ch == rr->node_chan)
		rr->node_chan = NULL;
	free(ch->name);
	free(ch->room);
	free(ch);
}

/* A room nobody here is in or joining any more: unsubscribe. */
static void
chan_maybe_release(struct registry_redis *rr, struct rr_chan *ch)
{
	if (ch->room != NULL && ch->local == 0 && ch->pending == 0 &&
	    ch->busy == 0 &&
	    TAILQ_EMPTY(&ch->waits) && TAILQ_EMPTY(&ch->sub_waiters))
		chan_free(rr, ch, 1);
}

/* ---------------------------------------------------------- operations */

static void
op_free(struct rr_op *op)
{
	free(op->owned);
	free(op->args);
	free(op);
}

/*
 * Completions in the order the operations started (registry.h: the chat
 * pipelines room messages on it): an operation whose result is final
 * waits for those started before it.
 */
static void
op_drain(struct registry_redis *rr)
{
	struct rr_op	*op;

	if (rr->draining)
		return;			/* the outer loop goes on */
	rr->draining = 1;
	while ((op = TAILQ_FIRST(&rr->ops)) != NULL && op->ready) {
		TAILQ_REMOVE(&rr->ops, op, entry);
		op->done(op->arg, &op->res);
		op_free(op);
	}
	rr->draining = 0;
}

static void
hold_noop(void *arg, const struct reg_result *res)
{
	(void)arg;
	(void)res;
}

void *
registry_redis_hold(struct registry *reg)
{
	struct rr_op	*op;

	if ((op = op_new(RR(reg), RL_COUNT, hold_noop, NULL, 0, NULL,
	    NULL)) != NULL)
		op->state = OP_SENT;		/* not ready until released */
	return op;
}

void
registry_redis_release(void *hold, reg_done_cb fn, void *arg)
{
	struct rr_op		*op = hold;
	struct reg_result	 res = { .status = REG_OK };

	if (fn == NULL)
		fn = hold_noop;
	if (op->rr == NULL) {			/* the registry is gone */
		fn(arg, &res);
		op_free(op);
		return;
	}
	op->done = fn;
	op->arg = arg;
	op_finish(op, REG_OK);
}

void
op_finish(struct rr_op *op, enum reg_status status)
{
	struct registry_redis	*rr = op->rr;

	if (rr == NULL) {			/* orphaned */
		op_free(op);
		return;
	}
	if (op->join_chan != NULL) {
		op->join_chan->pending--;
		chan_maybe_release(rr, op->join_chan);
		op->join_chan = NULL;
	}
	op->res.status = status;
	op->ready = 1;
	op_drain(rr);
}

/* A new operation with its arguments copied; NULL (done called with
 * REG_ERR_NOMEM) when out of memory. */
struct rr_op *
op_new(struct registry_redis *rr, enum redis_lua script, reg_done_cb done,
    void *arg, int argc, const char *const *argv, const size_t *lens)
{
	struct rr_op	*op;
	size_t		 total = 0, l[RR_ARGS_MAX];
	char		*p;
	int		 i;

	for (i = 0; i < argc; i++) {
		l[i] = lens != NULL && lens[i] != (size_t)-1 ? lens[i] :
		    strlen(argv[i]);
		total += l[i] + 1;
	}
	if ((op = calloc(1, sizeof *op)) == NULL ||
	    (op->args = malloc(total + 1)) == NULL) {
		struct reg_result	res = { .status = REG_ERR_NOMEM };

		free(op);
		done(arg, &res);
		return NULL;
	}
	op->rr = rr;
	op->script = script;
	op->done = done;
	op->arg = arg;
	op->argc = argc;
	for (p = op->args, i = 0; i < argc; i++) {
		memcpy(p, argv[i], l[i]);
		p[l[i]] = '\0';
		op->argv[i] = p;
		op->lens[i] = l[i];
		p += l[i] + 1;
	}
	TAILQ_INSERT_TAIL(&rr->ops, op, entry);
	return op;
}

/* The events the script published: wait for those on our channels. */
static void
op_wait_events(struct rr_op *op, const redisReply *out)
{
	struct registry_redis	*rr = op->rr;
	struct rr_chan		*ch;
	struct rr_wait		*w;
	size_t			 i;

	for (i = 0; i + 1 < out->elements; i += 2) {
		if (out->element[i]->type != REDIS_REPLY_STRING ||
		    out->element[i + 1]->type != REDIS_REPLY_INTEGER)
			continue;
		ch = chan_find(rr, out->element[i]->str, out->element[i]->len);
		if (ch == NULL || ch->state != CH_SUBSCRIBED ||
		    (ch->last != 0 && ch->last >= out->element[i + 1]->integer))
			continue;
		if ((w = calloc(1, sizeof *w)) == NULL)
			continue;	/* done without waiting, then */
		w->op = op;
		w->cseq = out->element[i + 1]->integer;
		TAILQ_INSERT_TAIL(&ch->waits, w, entry);
		op->nwaits++;
	}
}

static void
op_reply(void *arg, const redisReply *r)
{
	struct rr_op		*op = arg;
	const redisReply	*data;
	const char		*nl;

	if (op->rr == NULL || r == NULL) {
		op_finish(op, REG_ERR_DOWN);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[2]->type != REDIS_REPLY_ARRAY) {
		log_warn("redis: registry script %d: %s", (int)op->script,
		    r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
		op_finish(op, REG_ERR_DOWN);
		return;
	}
	data = r->element[1];
	switch (r->element[0]->integer) {
	case 0:
		break;
	case 1:
		op_finish(op, REG_ERR_NOT_IN_ROOM);
		return;
	default:
		op_finish(op, REG_ERR_NO_USER);
		return;
	}
	if (data->type == REDIS_REPLY_STRING && data->len > 0) {
		if (op->script == RL_REG_MESSAGE || op->script == RL_REG_NODE)
			op->res.seq = strtoull(data->str, NULL, 10);
		else if (op->script == RL_REG_PRIVATE &&
		    (nl = memchr(data->str, '\n', data->len)) != NULL) {
			snprintf(op->res.target.id, sizeof op->res.target.id,
			    "%.*s", (int)(nl - data->str), data->str);
			snprintf(op->res.target.name,
			    sizeof op->res.target.name, "%.*s",
			    (int)(data->str + data->len - nl - 1), nl + 1);
		}
	}
	op_wait_events(op, r->element[2]);
	if (op->nwaits == 0)
		op_finish(op, REG_OK);
	else
		op->state = OP_WAIT_EVENTS;
}

void
op_send(struct rr_op *op)
{
	op->state = OP_SENT;
	if (redis_conn_eval(op->rr->rc, op->script, 0, op->argc, op->argv,
	    op->lens, op_reply, op) != 0)
		op_finish(op, REG_ERR_DOWN);
}

/* ------------------------------------------------------------- events */

/* The fields of an event as published (redis-lua.h). */
enum {
	F_CSEQ, F_TYPE, F_FLAGS, F_ROOM, F_UID, F_UNAME, F_UNODE, F_UCONN,
	F_TID, F_TNAME, F_TNODE, F_TCONN, F_ONODE, F_OCONN, F_SEQ, F_TS,
	F_TEXT, F_COUNT
};

static int
event_parse(char *buf, size_t len, char **f, size_t *textlen)
{
	char	*p = buf, *end = buf + len, *nl;
	int	 i;

	for (i = 0; i < F_TEXT; i++) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			return -1;
		*nl = '\0';
		f[i] = p;
		p = nl + 1;
	}
	f[F_TEXT] = p;
	*textlen = end - p;
	return 0;
}

static void
rr_message(struct registry_redis *rr, const char *channel, size_t chlen,
    const char *data, size_t len)
{
	struct rr_chan		*ch;
	struct rr_wait		*w, *wn;
	struct reg_event	 ev;
	char			*buf, *f[F_COUNT], why[160];
	size_t			 textlen;
	long long		 cseq;
	uint64_t		 unode;

	if ((ch = chan_find(rr, channel, chlen)) == NULL ||
	    ch->state != CH_SUBSCRIBED)
		return;
	if ((buf = malloc(len + 1)) == NULL)
		return;
	memcpy(buf, data, len);
	buf[len] = '\0';
	if (event_parse(buf, len, f, &textlen) != 0) {
		log_warn("redis: a malformed event on %s", ch->name);
		free(buf);
		return;
	}
	cseq = strtoll(f[F_CSEQ], NULL, 10);
	if (ch->last != 0 && cseq != ch->last + 1) {
		snprintf(why, sizeof why, "event %lld on %s after %lld: events "
		    "were lost", cseq, ch->name, ch->last);
		free(buf);
		redis_conn_reset(rr->rc, why);
		return;
	}
	ch->last = cseq;

	memset(&ev, 0, sizeof ev);
	switch (f[F_TYPE][0]) {
	case 'J': ev.type = REG_EV_JOIN; break;
	case 'L': ev.type = REG_EV_LEAVE; break;
	case 'M': ev.type = REG_EV_MESSAGE; break;
	case 'N': ev.type = REG_EV_NICK; break;
	case 'P': ev.type = REG_EV_PRIVATE; break;
	default: ev.type = REG_EV_KICK; break;
	}
	ev.flags = (unsigned)strtoul(f[F_FLAGS], NULL, 10);
	ev.room = f[F_ROOM][0] != '\0' ? f[F_ROOM] : NULL;
	user_copy(&ev.user, f[F_UID], f[F_UNAME]);
	user_copy(&ev.target, f[F_TID], f[F_TNAME]);
	ev.target_at.node = strtoull(f[F_TNODE], NULL, 10);
	ev.target_at.conn = strtoull(f[F_TCONN], NULL, 10);
	ev.origin.node = strtoull(f[F_ONODE], NULL, 10);
	ev.origin.conn = strtoull(f[F_OCONN], NULL, 10);
	ev.seq = strtoull(f[F_SEQ], NULL, 10);
	ev.ts = strtoull(f[F_TS], NULL, 10);
	ev.text = f[F_TEXT];
	ev.text_len = textlen;
	unode = strtoull(f[F_UNODE], NULL, 10);
	ev.user_at.node = unode;
	ev.user_at.conn = strtoull(f[F_UCONN], NULL, 10);

	/* This node's members, for the subscription's lifetime. */
	if (ch->room != NULL && unode == rr->reg.node) {
		if (ev.type == REG_EV_JOIN)
			ch->local++;
		else if (ev.type == REG_EV_LEAVE && ch->local > 0)
			ch->local--;
	}
	if (ev.type == REG_EV_KICK && ev.target_at.node == rr->reg.node) {
		struct rr_conn	*c;

		HASH_FIND(hh, rr->conns, &ev.target_at.conn,
		    sizeof ev.target_at.conn, c);
		if (c != NULL) {
			HASH_DELETE(hh, rr->conns, c);
			free(c);
		}
	}
	ch->busy++;
	rr->reg.event(rr->reg.event_arg, &ev);
	free(buf);

	/* Operations whose events have all arrived are done. */
	for (w = TAILQ_FIRST(&ch->waits); w != NULL; w = wn) {
		wn = TAILQ_NEXT(w, entry);
		if (w->cseq > ch->last)
			continue;
		TAILQ_REMOVE(&ch->waits, w, entry);
		if (--w->op->nwaits == 0)
			op_finish(w->op, REG_OK);
		free(w);
		wn = TAILQ_FIRST(&ch->waits);	/* done may have added */
	}
	ch->busy--;
	chan_maybe_release(rr, ch);
}

void
registry_redis_message(struct registry *reg, const char *channel,
    size_t chlen, const char *data, size_t len)
{
	rr_message(RR(reg), channel, chlen, data, len);
}

/* -------------------------------------------------------- node life */

static void	rr_alive(evutil_socket_t, short, void *);

/* Status 1 of the liveness script: the others took us for dead. */
static void
alive_done(void *arg, const struct reg_result *res)
{
	struct registry_redis	*rr = arg;

	if (res->status == REG_ERR_NOT_IN_ROOM)
		redis_conn_reset(rr->rc, "this node was declared dead");
}

/* Refresh our key, reap the dead: every CHAT_REDIS_ALIVE_MS. */
static void
rr_alive(evutil_socket_t fd, short what, void *arg)
{
	struct registry_redis	*rr = arg;
	char			 node[24], ttl[16], now[24], sttl[24];
	const char		*argv[] = { rr->prefix, node, ttl, now, sttl };
	struct timeval		 tv = { CHAT_REDIS_ALIVE_MS / 1000,
				    (CHAT_REDIS_ALIVE_MS % 1000) * 1000 };
	struct rr_op		*op;

	(void)fd;
	(void)what;
	if (!redis_conn_up(rr->rc))
		return;
	NUM(node, rr->reg.node);
	NUM(ttl, CHAT_REDIS_ALIVE_TTL_MS);
	NUM(now, util_epoch_ms());
	NUM(sttl, rr->session_ttl_ms);
	if ((op = op_new(rr, RL_REG_ALIVE, alive_done, rr, 5, argv,
	    NULL)) == NULL)
		return;
	op_send(op);
	evtimer_add(rr->ev_alive, &tv);
}

static void
up_finish(struct registry_redis *rr, int ok)
{
	void	(*fn)(void *, int) = rr->up_done;

	rr->up_done = NULL;
	if (fn != NULL)
		fn(rr->up_arg, ok);
}

static void
node_done(void *arg, const struct reg_result *res)
{
	struct registry_redis	*rr = arg;

	if (res->status != REG_OK || res->seq == 0) {
		up_finish(rr, 0);
		return;
	}
	rr->reg.node = res->seq;
	log_info("redis: this server is node %" PRIu64, rr->reg.node);
	/* up_done runs once its channel is subscribed (chan_subscribed). */
	if ((rr->node_chan = chan_new(rr, NULL)) == NULL) {
		up_finish(rr, 0);
		return;
	}
	rr_alive(-1, 0, rr);
}

void
registry_redis_up(struct registry *reg, void (*done)(void *, int), void *arg)
{
	struct registry_redis	*rr = RR(reg);
	char			 ttl[16];
	const char		*argv[] = { rr->prefix, ttl };
	struct rr_op		*op;

	rr->up_done = done;
	rr->up_arg = arg;
	NUM(ttl, CHAT_REDIS_ALIVE_TTL_MS);
	if ((op = op_new(rr, RL_REG_NODE, node_done, rr, 2, argv, NULL)) !=
	    NULL)
		op_send(op);
}

void
registry_redis_down(struct registry *reg)
{
	struct registry_redis	*rr = RR(reg);
	struct rr_chan		*ch, *tmp;
	struct rr_op		*op, *next;
	struct rr_conn		*c, *ctmp;

	evtimer_del(rr->ev_alive);
	up_finish(rr, 0);
	/* What waits on subscriptions or events now never gets them; what
	 * was sent already got its NULL reply from redis-conn. */
	for (op = TAILQ_FIRST(&rr->ops); op != NULL; op = next) {
		next = TAILQ_NEXT(op, entry);
		if (op->join_chan != NULL) {
			op->join_chan->pending--;
			op->join_chan = NULL;
		}
		if (op->state == OP_SENT || op->ready)
			continue;
		op->res.status = REG_ERR_DOWN;
		op->ready = 1;
	}
	op_drain(rr);
	HASH_ITER(hh, rr->chans, ch, tmp)
		chan_free(rr, ch, 0);
	HASH_ITER(hh, rr->conns, c, ctmp) {
		HASH_DELETE(hh, rr->conns, c);
		free(c);
	}
}

void
rr_destroy(struct registry *reg)
{
	struct registry_redis	*rr = RR(reg);
	struct rr_op		*op;
	struct rr_chan		*ch, *tmp;

	/* Leave Redis tidy if it is there. */
	if (redis_conn_up(rr->rc)) {
		HASH_ITER(hh, rr->chans, ch, tmp)
			redis_conn_unsubscribe(rr->rc, ch->name);
	}
	registry_redis_down(reg);
	/* The rest complete now, in order; the replies of those still sent
	 * find them orphaned. */
	while ((op = TAILQ_FIRST(&rr->ops)) != NULL) {
		TAILQ_REMOVE(&rr->ops, op, entry);
		if (!op->ready)
			op->res.status = REG_ERR_DOWN;
		op->done(op->arg, &op->res);
		if (op->ready) {
			op_free(op);
		} else {
			op->rr = NULL;
			free(op->owned);
			op->owned = NULL;
		}
	}
	event_free(rr->ev_alive);
	free(rr);
}

struct registry *
registry_redis_new(struct event_base *base, struct redis_conn *rc, int db,
    unsigned history_max, uint64_t session_ttl_ms, reg_event_cb event,
    void *arg)
{
	struct registry_redis	*rr;

	if ((rr = calloc(1, sizeof *rr)) == NULL)
		return NULL;
	if ((rr->ev_alive = evtimer_new(base, rr_alive, rr)) == NULL) {
		free(rr);
		return NULL;
	}
	rr->reg.ops = &registry_redis_ops;
	rr->reg.event = event;
	rr->reg.event_arg = arg;
	rr->base = base;
	rr->rc = rc;
	rr->history_max = history_max;
	rr->session_ttl_ms = session_ttl_ms;
	snprintf(rr->prefix, sizeof rr->prefix, "chat:%d:", db);
	TAILQ_INIT(&rr->ops);
	return &rr->reg;
}
