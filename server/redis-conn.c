/*
 * redis-conn: hiredis 0.14 on the libevent loop, made robust (see
 * redis-conn.h).  hiredis 0.14 has no connect or command timeouts and no
 * reconnect; a context is freed by hiredis itself after its disconnect or
 * failed-connect callback, and every pending callback then gets a NULL
 * reply.  So a context we give up on is detached first (ac->data = NULL)
 * and then freed: its late callbacks see NULL or no owner and do nothing
 * but complete their own requests.
 */
#include <sys/queue.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <uthash.h>

#include "chat-limits.h"
#include "redis-conn.h"
#include "server-metrics.h"
#include "util.h"

enum conn_state {
	CONN_STOPPED,		/* not started, or being freed */
	CONN_DOWN,		/* waiting out the backoff */
	CONN_CONNECTING,	/* contexts connecting, handshake in flight */
	CONN_UP,
};

enum chan_state {
	CHAN_SUBSCRIBING,
	CHAN_SUBSCRIBED,
	CHAN_UNSUBSCRIBING,
};

/* A command in flight on the command context, oldest first. */
struct redis_req {
	TAILQ_ENTRY(redis_req)	 entry;
	struct redis_conn	*conn;
	redis_reply_fn		*fn;
	void			*arg;
	uint64_t		 deadline;	/* ms, monotonic */
	uint64_t		 start_ns;	/* for chat_store_seconds */
	int			 eval;
};

/* A channel of the subscriber context.  Replies to SUBSCRIBE and
 * UNSUBSCRIBE come in the order sent, so counting them tells which
 * confirmation is the last one. */
struct redis_chan {
	UT_hash_handle		 hh;
	char			*name;
	enum chan_state		 state;
	unsigned		 pending_subs;
	unsigned		 pending_unsubs;
	redis_subscribed_fn	*fn;
	void			*arg;
};

struct redis_script {
	struct redis_conn	*conn;
	const char		*src;
	char			 sha[41];
};

struct redis_conn {
	struct event_base	*base;
	struct redis_addr	 addr;
	char			 desc[128];	/* for logs */
	struct redis_conn_timing t;
	const struct redis_conn_ops *ops;
	void			*arg;

	enum conn_state		 state;
	redisAsyncContext	*cmd;		/* commands and scripts */
	redisAsyncContext	*sub;		/* SUBSCRIBE only */
	int			 cmd_ready, sub_ready;
	unsigned		 handshake_left; /* SELECT + SCRIPT LOADs */
	unsigned		 attempts;	/* failures since the last up */
	int			 quiet;		/* failure already logged */
	uint64_t		 ups;
	int			 reported_up;
	uint64_t		 reported_ups;
	unsigned		 seed;

	struct redis_script	*scripts;
	size_t			 nscripts;
	TAILQ_HEAD(, redis_req)	 reqs;
	struct redis_chan	*chans;

	struct event		*ev_phase;	/* backoff / connect / heartbeat */
	struct event		*ev_deadline;	/* the oldest command's */
	struct event		*ev_notify;	/* report up/down, deferred */
};

static void	conn_fail(struct redis_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------- timing */

void
redis_conn_timing_defaults(struct redis_conn_timing *t)
{
	t->connect_ms = CHAT_REDIS_CONNECT_MS;
	t->command_ms = CHAT_REDIS_COMMAND_MS;
	t->heartbeat_ms = CHAT_REDIS_HEARTBEAT_MS;
	t->backoff_min_ms = CHAT_REDIS_BACKOFF_MIN_MS;
	t->backoff_max_ms = CHAT_REDIS_BACKOFF_MAX_MS;
}

static void
timer_in(struct event *ev, uint64_t ms)
{
	struct timeval	tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* Capped exponential backoff with "equal jitter": half fixed, half random,
 * so nodes that lost Redis together do not come back in lockstep. */
static uint64_t
conn_backoff_ms(struct redis_conn *c)
{
	uint64_t	d = c->t.backoff_min_ms;
	unsigned	i;

	for (i = 0; i < c->attempts && d < c->t.backoff_max_ms; i++)
		d *= 2;
	if (d > c->t.backoff_max_ms)
		d = c->t.backoff_max_ms;
	return d / 2 + (uint64_t)rand_r(&c->seed) % (d / 2 + 1);
}

/* ---------------------------------------------------------- up / down */

static void
conn_notify(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;
	int			 up = c->state == CONN_UP;

	(void)fd;
	(void)what;
	/* A flap between two notifications is still a down: subscriptions
	 * were lost. */
	if (c->reported_up && (!up || c->reported_ups != c->ups)) {
		c->reported_up = 0;
		c->ops->state(c->arg, 0);
		up = c->state == CONN_UP;
	}
	if (up && !c->reported_up) {
		c->reported_up = 1;
		c->reported_ups = c->ups;
		c->ops->state(c->arg, 1);
	}
}

static void
conn_check_up(struct redis_conn *c)
{
	if (c->state != CONN_CONNECTING || !c->cmd_ready || !c->sub_ready ||
	    c->handshake_left > 0)
		return;
	c->state = CONN_UP;
	c->attempts = 0;
	c->quiet = 0;
	c->ups++;
	log_info("redis: connected to %s", c->desc);
	timer_in(c->ev_phase, c->t.heartbeat_ms);
	event_active(c->ev_notify, EV_TIMEOUT, 0);
}

/* Detach and free a context: hiredis runs its pending callbacks with NULL
 * now, or, from inside one of its callbacks, as soon as that returns. */
static void
conn_drop(redisAsyncContext **acp)
{
	redisAsyncContext	*ac = *acp;

	if (ac == NULL)
		return;
	*acp = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
}

/* Forget every channel; pending subscribers hear 0. */
static void
conn_drop_chans(struct redis_conn *c)
{
	struct redis_chan	*ch, *tmp, *list = c->chans;

	c->chans = NULL;
	HASH_ITER(hh, list, ch, tmp) {
		HASH_DELETE(hh, list, ch);
		if (ch->state == CHAN_SUBSCRIBING && ch->fn != NULL)
			ch->fn(ch->arg, 0);
		free(ch->name);
		free(ch);
	}
}

static void
conn_fail(struct redis_conn *c, const char *fmt, ...)
{
	char		 why[256];
	va_list		 ap;
	uint64_t	 delay;

	if (c->state != CONN_CONNECTING && c->state != CONN_UP)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	delay = conn_backoff_ms(c);
	if (c->attempts < UINT_MAX)
		c->attempts++;
	if (!c->quiet)
		log_warn("redis: %s: %s; retrying, backing off up to %u ms",
		    c->desc, why, c->t.backoff_max_ms);
	else
		log_debug("redis: %s: %s; retry in %llu ms", c->desc, why,
		    (unsigned long long)delay);
	c->quiet = 1;
	c->state = CONN_DOWN;
	c->cmd_ready = c->sub_ready = 0;
	evtimer_del(c->ev_deadline);
	conn_drop(&c->cmd);
	conn_drop(&c->sub);
	conn_drop_chans(c);
	timer_in(c->ev_phase, delay);
	event_active(c->ev_notify, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------ commands */

static void
req_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_req	*q = privdata;
	struct redis_conn	*c = q->conn;
	const redisReply	*r = reply;

	(void)ac;
	TAILQ_REMOVE(&c->reqs, q, entry);
	if (r != NULL)
		metrics_store_observe(q->start_ns);
	if (q->eval && r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		/* Not run; a retry now would run after later commands. */
		q->fn(q->arg, NULL);
		free(q);
		conn_fail(c, "%s", r->str);
		return;
	}
	q->fn(q->arg, r);
	free(q);
}

static void
conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;
	struct redis_req	*q = TAILQ_FIRST(&c->reqs);
	uint64_t		 now = util_now_ms();

	(void)fd;
	(void)what;
	if (q == NULL || c->state != CONN_UP)
		return;
	if (q->deadline <= now) {
		conn_fail(c, "no reply within %u ms", c->t.command_ms);
		return;
	}
	timer_in(c->ev_deadline, q->deadline - now);
}

static struct redis_req *
req_new(struct redis_conn *c, redis_reply_fn *fn, void *arg)
{
	struct redis_req	*q;

	if (c->state != CONN_UP || (q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	q->conn = c;
	q->fn = fn;
	q->arg = arg;
	q->deadline = util_now_ms() + c->t.command_ms;
	q->start_ns = metrics_clock_ns();
	return q;
}

/* The command is queued in hiredis: track it and its deadline. */
static void
req_track(struct redis_conn *c, struct redis_req *q)
{
	TAILQ_INSERT_TAIL(&c->reqs, q, entry);
	if (!evtimer_pending(c->ev_deadline, NULL))
		timer_in(c->ev_deadline, c->t.command_ms);
}

int
redis_conn_commandv(struct redis_conn *c, redis_reply_fn *fn, void *arg,
    int argc, const char **argv, const size_t *lens)
{
	struct redis_req	*q;

	if ((q = req_new(c, fn, arg)) == NULL)
		return -1;
	if (redisAsyncCommandArgv(c->cmd, req_reply, q, argc, argv,
	    lens) != REDIS_OK) {
		free(q);
		return -1;
	}
	req_track(c, q);
	return 0;
}

int
redis_conn_command(struct redis_conn *c, redis_reply_fn *fn, void *arg,
    const char *fmt, ...)
{
	struct redis_req	*q;
	va_list			 ap;
	int			 rc;

	if ((q = req_new(c, fn, arg)) == NULL)
		return -1;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(c->cmd, req_reply, q, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		free(q);
		return -1;
	}
	req_track(c, q);
	return 0;
}

int
redis_conn_eval(struct redis_conn *c, size_t script, int nkeys, int argc,
    const char **argv, const size_t *lens, redis_reply_fn *fn, void *arg)
{
	struct redis_req	*q;
	const char		**av;
	size_t			*al;
	char			 nk[16];
	int			 i, rc;

	if (script >= c->nscripts || argc < 0 || nkeys > argc ||
	    (q = req_new(c, fn, arg)) == NULL)
		return -1;
	av = calloc(argc + 3, sizeof *av);
	al = calloc(argc + 3, sizeof *al);
	rc = REDIS_ERR;
	if (av != NULL && al != NULL) {
		snprintf(nk, sizeof nk, "%d", nkeys);
		av[0] = "EVALSHA";
		al[0] = 7;
		av[1] = c->scripts[script].sha;
		al[1] = 40;
		av[2] = nk;
		al[2] = strlen(nk);
		for (i = 0; i < argc; i++) {
			av[i + 3] = argv[i];
			al[i + 3] = lens != NULL ? lens[i] : strlen(argv[i]);
		}
		q->eval = 1;
		rc = redisAsyncCommandArgv(c->cmd, req_reply, q, argc + 3,
		    av, al);
	}
	free(av);
	free(al);
	if (rc != REDIS_OK) {
		free(q);
		return -1;
	}
	req_track(c, q);
	return 0;
}

static void
heartbeat_reply(void *arg, const redisReply *r)
{
	struct redis_conn	*c = arg;

	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		conn_fail(c, "PING: %s", r->str);
}

/* ---------------------------------------------------------- handshake */

static void
select_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_conn	*c = privdata;
	const redisReply	*r = reply;

	if (r == NULL || ac->data == NULL)
		return;			/* a context given up on */
	if (r->type == REDIS_REPLY_ERROR) {
		conn_fail(c, "SELECT %d: %s", c->addr.db, r->str);
		return;
	}
	c->handshake_left--;
	conn_check_up(c);
}

static void
script_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_script	*s = privdata;
	struct redis_conn	*c = s->conn;
	const redisReply	*r = reply;

	if (r == NULL || ac->data == NULL)
		return;
	if (r->type != REDIS_REPLY_STRING || r->len != 40) {
		conn_fail(c, "SCRIPT LOAD: %s", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
		return;
	}
	memcpy(s->sha, r->str, 40);
	s->sha[40] = '\0';
	c->handshake_left--;
	conn_check_up(c);
}

static void
ctx_connected(const redisAsyncContext *ac, int status)
{
	struct redis_conn	*c = ac->data;

	if (c == NULL)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees this context when we return. */
		if (ac == c->cmd)
			c->cmd = NULL;
		else
			c->sub = NULL;
		conn_fail(c, "connect: %s", ac->errstr);
		return;
	}
	if (ac == c->cmd)
		c->cmd_ready = 1;
	else
		c->sub_ready = 1;
	conn_check_up(c);
}

static void
ctx_disconnected(const redisAsyncContext *ac, int status)
{
	struct redis_conn	*c = ac->data;

	(void)status;
	if (c == NULL)
		return;
	/* hiredis frees this context when we return. */
	if (ac == c->cmd)
		c->cmd = NULL;
	else
		c->sub = NULL;
	conn_fail(c, "connection lost: %s", ac->err ? ac->errstr :
	    "closed by the server");
}

static redisAsyncContext *
ctx_open(struct redis_conn *c)
{
	redisAsyncContext	*ac;

	/* A host name is resolved here, blocking: use an address. */
	if (c->addr.path != NULL)
		ac = redisAsyncConnectUnix(c->addr.path);
	else
		ac = redisAsyncConnect(c->addr.host, c->addr.port);
	if (ac == NULL) {
		conn_fail(c, "out of memory");
		return NULL;
	}
	if (ac->err) {
		conn_fail(c, "connect: %s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = c;
	if (redisLibeventAttach(ac, c->base) != REDIS_OK) {
		redisAsyncFree(ac);
		conn_fail(c, "cannot attach to the event loop");
		return NULL;
	}
	redisAsyncSetConnectCallback(ac, ctx_connected);
	redisAsyncSetDisconnectCallback(ac, ctx_disconnected);
	return ac;
}

static void
conn_connect(struct redis_conn *c)
{
	size_t	i;

	c->state = CONN_CONNECTING;
	c->cmd_ready = c->sub_ready = 0;
	c->handshake_left = 0;
	timer_in(c->ev_phase, c->t.connect_ms);
	if ((c->cmd = ctx_open(c)) == NULL || (c->sub = ctx_open(c)) == NULL)
		return;
	/* Queued until connected; Redis answers them in order. */
	if (c->addr.db != 0) {
		if (redisAsyncCommand(c->cmd, select_reply, c, "SELECT %d",
		    c->addr.db) != REDIS_OK) {
			conn_fail(c, "SELECT: cannot queue");
			return;
		}
		c->handshake_left++;
	}
	for (i = 0; i < c->nscripts; i++) {
		if (redisAsyncCommand(c->cmd, script_reply, &c->scripts[i],
		    "SCRIPT LOAD %s", c->scripts[i].src) != REDIS_OK) {
			conn_fail(c, "SCRIPT LOAD: cannot queue");
			return;
		}
		c->handshake_left++;
	}
}

static void
conn_phase(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CONN_DOWN:
		conn_connect(c);
		break;
	case CONN_CONNECTING:
		conn_fail(c, "not ready within %u ms", c->t.connect_ms);
		break;
	case CONN_UP:
		/* An idle link still notices a Redis that stopped. */
		if (redis_conn_command(c, heartbeat_reply, c, "PING") == 0)
			timer_in(c->ev_phase, c->t.heartbeat_ms);
		break;
	case CONN_STOPPED:
		break;
	}
}

/* --------------------------------------------------------------- pub/sub */

static void
sub_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_conn	*c = privdata;
	const redisReply	*r = reply;
	struct redis_chan	*ch;
	const redisReply	*kind, *name;

	if (r == NULL || ac->data == NULL)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		conn_fail(c, "subscriber: unexpected reply%s%s",
		    r->type == REDIS_REPLY_ERROR ? ": " : "",
		    r->type == REDIS_REPLY_ERROR ? r->str : "");
		return;
	}
	kind = r->element[0];
	name = r->element[1];
	HASH_FIND(hh, c->chans, name->str, name->len, ch);
	if (ch == NULL)
		return;
	if (strcmp(kind->str, "message") == 0) {
		if (ch->state == CHAN_SUBSCRIBED &&
		    r->element[2]->type == REDIS_REPLY_STRING)
			c->ops->message(c->arg, name->str, name->len,
			    r->element[2]->str, r->element[2]->len);
	} else if (strcmp(kind->str, "subscribe") == 0) {
		if (ch->pending_subs > 0 && --ch->pending_subs == 0 &&
		    ch->state == CHAN_SUBSCRIBING) {
			ch->state = CHAN_SUBSCRIBED;
			if (ch->fn != NULL)
				ch->fn(ch->arg, 1);
		}
	} else if (strcmp(kind->str, "unsubscribe") == 0) {
		if (ch->pending_unsubs > 0)
			ch->pending_unsubs--;
		if (ch->state == CHAN_UNSUBSCRIBING &&
		    ch->pending_unsubs == 0 && ch->pending_subs == 0) {
			HASH_DELETE(hh, c->chans, ch);
			free(ch->name);
			free(ch);
		}
	}
}

int
redis_conn_subscribe(struct redis_conn *c, const char *channel,
    redis_subscribed_fn *fn, void *arg)
{
	struct redis_chan	*ch;
	size_t			 len = strlen(channel);

	if (c->state != CONN_UP)
		return -1;
	HASH_FIND(hh, c->chans, channel, len, ch);
	if (ch != NULL && ch->state != CHAN_UNSUBSCRIBING)
		return -1;
	if (redisAsyncCommand(c->sub, sub_reply, c, "SUBSCRIBE %b", channel,
	    len) != REDIS_OK)
		return -1;
	if (ch == NULL) {
		if ((ch = calloc(1, sizeof *ch)) == NULL ||
		    (ch->name = strdup(channel)) == NULL) {
			free(ch);
			conn_fail(c, "out of memory");
			return -1;
		}
		HASH_ADD_KEYPTR(hh, c->chans, ch->name, len, ch);
	}
	ch->state = CHAN_SUBSCRIBING;
	ch->pending_subs++;
	ch->fn = fn;
	ch->arg = arg;
	return 0;
}

int
redis_conn_unsubscribe(struct redis_conn *c, const char *channel)
{
	struct redis_chan	*ch;
	size_t			 len = strlen(channel);

	if (c->state != CONN_UP)
		return -1;
	HASH_FIND(hh, c->chans, channel, len, ch);
	if (ch == NULL || ch->state == CHAN_UNSUBSCRIBING)
		return -1;
	if (redisAsyncCommand(c->sub, NULL, NULL, "UNSUBSCRIBE %b", channel,
	    len) != REDIS_OK)
		return -1;
	ch->state = CHAN_UNSUBSCRIBING;
	ch->pending_unsubs++;
	ch->fn = NULL;
	return 0;
}

/* --------------------------------------------------------------- life */

struct redis_conn *
redis_conn_new(struct event_base *base, const struct redis_addr *addr,
    const struct redis_conn_timing *t, const char *const *scripts,
    size_t nscripts, const struct redis_conn_ops *ops, void *arg)
{
	struct redis_conn	*c;
	size_t			 i;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->base = base;
	c->ops = ops;
	c->arg = arg;
	if (t != NULL)
		c->t = *t;
	else
		redis_conn_timing_defaults(&c->t);
	if (c->t.backoff_min_ms < 2)
		c->t.backoff_min_ms = 2;
	if (c->t.backoff_max_ms < c->t.backoff_min_ms)
		c->t.backoff_max_ms = c->t.backoff_min_ms;
	c->seed = (unsigned)getpid() ^ (unsigned)util_now_ms();
	TAILQ_INIT(&c->reqs);
	c->addr.port = addr->port;
	c->addr.db = addr->db;
	if (addr->path != NULL) {
		c->addr.path = strdup(addr->path);
		snprintf(c->desc, sizeof c->desc, "unix:%s", addr->path);
	} else {
		c->addr.host = strdup(addr->host);
		snprintf(c->desc, sizeof c->desc, "redis://%s:%d/%d",
		    addr->host, addr->port, addr->db);
	}
	c->nscripts = nscripts;
	c->scripts = calloc(nscripts + 1, sizeof *c->scripts);
	c->ev_phase = evtimer_new(base, conn_phase, c);
	c->ev_deadline = evtimer_new(base, conn_deadline, c);
	c->ev_notify = event_new(base, -1, 0, conn_notify, c);
	if ((c->addr.path == NULL && c->addr.host == NULL) ||
	    c->scripts == NULL || c->ev_phase == NULL ||
	    c->ev_deadline == NULL || c->ev_notify == NULL) {
		redis_conn_free(c);
		return NULL;
	}
	for (i = 0; i < nscripts; i++) {
		c->scripts[i].conn = c;
		c->scripts[i].src = scripts[i];
	}
	return c;
}

void
redis_conn_start(struct redis_conn *c)
{
	if (c->state == CONN_STOPPED)
		conn_connect(c);
}

void
redis_conn_free(struct redis_conn *c)
{
	if (c == NULL)
		return;
	c->state = CONN_STOPPED;
	conn_drop(&c->cmd);
	conn_drop(&c->sub);
	conn_drop_chans(c);
	if (c->ev_phase != NULL)
		event_free(c->ev_phase);
	if (c->ev_deadline != NULL)
		event_free(c->ev_deadline);
	if (c->ev_notify != NULL)
		event_free(c->ev_notify);
	free(c->scripts);
	redis_addr_free(&c->addr);
	free(c);
}

void
redis_conn_reset(struct redis_conn *c, const char *why)
{
	conn_fail(c, "%s", why);
}

int
redis_conn_up(const struct redis_conn *c)
{
	return c->state == CONN_UP;
}

uint64_t
redis_conn_ups(const struct redis_conn *c)
{
	return c->ups;
}
