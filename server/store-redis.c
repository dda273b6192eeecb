/*
 * store-redis: store.h on Redis (see store-redis.h, redis-lua.h).
 *
 * Every operation is one command or one script on the node's command
 * link, so completions come in the order the operations started.  Redis
 * acknowledges a write once it is applied (and, with appendonly yes, in
 * the AOF before the reply is sent): a kill -9 of Redis after the reply
 * loses nothing.  No reply (Redis down, timed out) is STORE_ERR_DOWN;
 * an error reply is STORE_ERR_IO, logged.
 */
#include <sys/queue.h>
#include <sys/random.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis-conn.h"
#include "redis-lua.h"
#include "registry-redis.h"
#include "store-redis.h"
#include "store-util.h"
#include "util.h"

enum sop {
	SOP_ID_NEXT,
	SOP_SESSION_CREATE,
	SOP_SESSION_RESUME,
	SOP_SESSION_CLAIM,
	SOP_SESSION_RELEASE,
	SOP_NAME_SET,
	SOP_HISTORY_APPEND,
	SOP_HISTORY_QUERY,
	SOP_EPOCH,
};

struct store_redis;

/* An operation in flight.  Orphaned (st NULL) when the store is
 * destroyed first: its reply, when it comes, is dropped. */
struct sreq {
	TAILQ_ENTRY(sreq)	 entry;
	struct store_redis	*st;
	enum sop		 op;
	store_done_cb		 done;
	void			(*sync_done)(void *, int);
	void			*arg;
	int			 reverse;	/* history page came newest first */
	void			*hold;		/* its turn among the registry's */
};

/* A completion waiting for its turn, with a copy of its result. */
struct sreq_late {
	store_done_cb		 done;
	void			*arg;
	struct store_result	 res;
};

struct store_redis {
	struct store		 s;
	struct redis_conn	*rc;
	struct registry		*order;		/* NULL: our own order only */
	char			 epoch[64];
	TAILQ_HEAD(, sreq)	 pending;
};

#define SR(s)	((struct store_redis *)(s))

static void
sreq_late(void *arg, const struct reg_result *rres)
{
	struct sreq_late	*l = arg;

	(void)rres;
	l->done(l->arg, &l->res);
	store_result_free_msgs(&l->res);
	free(l);
}

static void
sreq_finish(struct sreq *q, const struct store_result *res)
{
	struct sreq_late	*l;

	if (q->st == NULL) {			/* orphaned by destroy */
		if (q->hold != NULL)
			registry_redis_release(q->hold, NULL, NULL);
		free(q);
		return;
	}
	TAILQ_REMOVE(&q->st->pending, q, entry);
	if (q->hold == NULL) {
		q->done(q->arg, res);
	} else if ((l = calloc(1, sizeof *l)) != NULL &&
	    store_result_copy(&l->res, res) == 0) {
		l->done = q->done;
		l->arg = q->arg;
		registry_redis_release(q->hold, sreq_late, l);
	} else {
		/* Out of memory: now rather than never. */
		free(l);
		registry_redis_release(q->hold, NULL, NULL);
		q->done(q->arg, res);
	}
	free(q);
}

static void
sreq_fail(struct sreq *q, enum store_status status)
{
	struct store_result	res;

	memset(&res, 0, sizeof res);
	res.status = status;
	sreq_finish(q, &res);
}

static struct sreq *
sreq_new(struct store *s, enum sop op, store_done_cb done, void *arg)
{
	struct sreq	*q;

	if ((q = calloc(1, sizeof *q)) == NULL) {
		struct store_result	res = { .status = STORE_ERR_NOMEM };

		done(arg, &res);
		return NULL;
	}
	q->st = SR(s);
	q->op = op;
	q->done = done;
	q->arg = arg;
	if (SR(s)->order != NULL)
		q->hold = registry_redis_hold(SR(s)->order);
	TAILQ_INSERT_TAIL(&SR(s)->pending, q, entry);
	return q;
}

/* "seq\nts\nid\nname\ntext": one history entry as stored. */
static int
parse_entry(const char *p, size_t len, struct store_msg *m)
{
	const char	*end = p + len, *nl;
	char		*num_end;
	int		 field;

	memset(m, 0, sizeof *m);
	for (field = 0; field < 4; field++) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			return -1;
		switch (field) {
		case 0:
			m->seq = strtoull(p, &num_end, 10);
			if (num_end != nl)
				return -1;
			break;
		case 1:
			m->ts = strtoull(p, &num_end, 10);
			if (num_end != nl)
				return -1;
			break;
		case 2:
			if ((size_t)(nl - p) >= sizeof m->user_id)
				return -1;
			memcpy(m->user_id, p, nl - p);
			break;
		case 3:
			if ((size_t)(nl - p) >= sizeof m->name)
				return -1;
			memcpy(m->name, p, nl - p);
			break;
		}
		p = nl + 1;
	}
	m->text = p;
	m->text_len = end - p;
	return 0;
}

static void
reply_history(struct sreq *q, const redisReply *r, struct store_result *res)
{
	struct store_msg	*msgs;
	size_t			 i, j;

	if (r->type != REDIS_REPLY_ARRAY) {
		res->status = STORE_ERR_IO;
		return;
	}
	if (r->elements == 0)
		return;
	if ((msgs = calloc(r->elements, sizeof *msgs)) == NULL) {
		res->status = STORE_ERR_NOMEM;
		return;
	}
	for (i = 0; i < r->elements; i++) {
		j = q->reverse ? r->elements - 1 - i : i;
		if (r->element[j]->type != REDIS_REPLY_STRING ||
		    parse_entry(r->element[j]->str, r->element[j]->len,
		    &msgs[i]) != 0) {
			log_warn("redis: a damaged history entry");
			free(msgs);
			res->status = STORE_ERR_IO;
			return;
		}
	}
	res->msgs = msgs;
	res->n = r->elements;
	sreq_finish(q, res);
	free(msgs);
}

static void
sreq_reply(void *arg, const redisReply *r)
{
	struct sreq		*q = arg;
	struct store_result	 res;

	memset(&res, 0, sizeof res);
	if (r == NULL) {
		sreq_fail(q, STORE_ERR_DOWN);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("redis: store operation %d: %s", (int)q->op, r->str);
		sreq_fail(q, STORE_ERR_IO);
		return;
	}
	if (q->op == SOP_EPOCH) {
		if (q->st != NULL && r->type == REDIS_REPLY_STRING &&
		    r->len > 0 && r->len < sizeof q->st->epoch) {
			memcpy(q->st->epoch, r->str, r->len);
			q->st->epoch[r->len] = '\0';
		}
		if (q->st != NULL) {
			TAILQ_REMOVE(&q->st->pending, q, entry);
			q->sync_done(q->arg, r->type == REDIS_REPLY_STRING);
		}
		free(q);
		return;
	}
	switch (q->op) {
	case SOP_SESSION_CREATE:
		if (r->type != REDIS_REPLY_INTEGER || r->integer < 1)
			res.status = STORE_ERR_IO;
		else
			res.holder = (uint64_t)r->integer;
		break;
	case SOP_ID_NEXT:
		if (r->type != REDIS_REPLY_INTEGER || r->integer < 1)
			res.status = STORE_ERR_IO;
		else
			res.id = (uint64_t)r->integer - 1;
		break;
	case SOP_SESSION_RESUME:
		if (r->type == REDIS_REPLY_NIL) {
			res.status = STORE_ERR_NOT_FOUND;
		} else if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
		    r->element[0]->len >= sizeof res.user_id ||
		    r->element[1]->len >= sizeof res.name ||
		    r->element[2]->type != REDIS_REPLY_INTEGER ||
		    r->element[3]->type != REDIS_REPLY_INTEGER ||
		    r->element[3]->integer < 1) {
			res.status = STORE_ERR_IO;
		} else {
			res.held = r->element[2]->integer != 0;
			res.holder = (uint64_t)r->element[3]->integer;
			memcpy(res.user_id, r->element[0]->str,
			    r->element[0]->len);
			memcpy(res.name, r->element[1]->str,
			    r->element[1]->len);
		}
		break;
	case SOP_NAME_SET:
		if (r->type != REDIS_REPLY_INTEGER)
			res.status = STORE_ERR_IO;
		else if (r->integer == 0)
			res.status = STORE_ERR_TAKEN;
		else if (r->integer < 0)
			res.status = STORE_ERR_NOT_FOUND;
		break;
	case SOP_HISTORY_APPEND:
		if (r->type != REDIS_REPLY_INTEGER || r->integer < 1)
			res.status = STORE_ERR_IO;
		else
			res.seq = (uint64_t)r->integer;
		break;
	case SOP_HISTORY_QUERY:
		reply_history(q, r, &res);
		if (res.status == STORE_OK && res.n > 0)
			return;		/* finished there */
		break;
	default:
		break;
	}
	sreq_finish(q, &res);
}

/* Run script with keys then args, every one a (pointer, length). */
static void
sreq_eval(struct store *s, struct sreq *q, enum redis_lua script, int nkeys,
    int argc, const char **argv, const size_t *lens)
{
	if (q == NULL)
		return;
	if (redis_conn_eval(SR(s)->rc, script, nkeys, argc, argv, lens,
	    sreq_reply, q) != 0)
		sreq_fail(q, STORE_ERR_DOWN);
}

static void
sr_id_next(struct store *s, store_done_cb done, void *arg)
{
	struct sreq	*q = sreq_new(s, SOP_ID_NEXT, done, arg);

	if (q != NULL && redis_conn_command(SR(s)->rc, sreq_reply, q,
	    "INCR chat:next_id") != 0)
		sreq_fail(q, STORE_ERR_DOWN);
}

#define TOK_KEY_LEN	(9 + CHAT_TOKEN_HASH_SIZE)

static void
tok_key(char key[TOK_KEY_LEN], const unsigned char *hash)
{
	memcpy(key, "chat:tok:", 9);
	memcpy(key + 9, hash, CHAT_TOKEN_HASH_SIZE);
}

static void
sr_session_create(struct store *s, const char *id,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	char		 tk[TOK_KEY_LEN], uk[16 + CHAT_ID_SIZE];
	const char	*argv[4] = { tk, uk, id, (const char *)hash };
	size_t		 lens[4];

	(void)now;
	tok_key(tk, hash);
	lens[0] = sizeof tk;
	lens[1] = snprintf(uk, sizeof uk, "chat:user:%s", id);
	lens[2] = strlen(id);
	lens[3] = CHAT_TOKEN_HASH_SIZE;
	sreq_eval(s, sreq_new(s, SOP_SESSION_CREATE, done, arg),
	    RL_SESSION_CREATE, 2, 4, argv, lens);
}

static void
sr_session_resume(struct store *s,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	char		 tk[TOK_KEY_LEN], n[24];
	const char	*argv[2] = { tk, n };
	size_t		 lens[2];

	tok_key(tk, hash);
	lens[0] = sizeof tk;
	lens[1] = snprintf(n, sizeof n, "%" PRIu64, now);
	sreq_eval(s, sreq_new(s, SOP_SESSION_RESUME, done, arg),
	    RL_SESSION_RESUME, 1, 2, argv, lens);
}

static void
sr_session_claim(struct store *s, const char *id, uint64_t holder,
    uint64_t now, store_done_cb done, void *arg)
{
	char		 uk[16 + CHAT_ID_SIZE], h[24];
	const char	*argv[2] = { uk, h };

	(void)now;
	snprintf(uk, sizeof uk, "chat:user:%s", id);
	snprintf(h, sizeof h, "%" PRIu64, holder);
	sreq_eval(s, sreq_new(s, SOP_SESSION_CLAIM, done, arg),
	    RL_SESSION_CLAIM, 1, 2, argv, NULL);
}

static void
sr_session_release(struct store *s, const char *id, uint64_t holder,
    uint64_t now, store_done_cb done, void *arg)
{
	char		 uk[16 + CHAT_ID_SIZE], n[24], ttl[24], h[24];
	const char	*argv[4] = { uk, n, ttl, h };

	snprintf(uk, sizeof uk, "chat:user:%s", id);
	snprintf(n, sizeof n, "%" PRIu64, now);
	snprintf(ttl, sizeof ttl, "%" PRIu64, s->session_ttl_ms);
	snprintf(h, sizeof h, "%" PRIu64, holder);
	sreq_eval(s, sreq_new(s, SOP_SESSION_RELEASE, done, arg),
	    RL_SESSION_RELEASE, 1, 4, argv, NULL);
}

static void
sr_name_set(struct store *s, const char *id, const char *name, uint64_t now,
    store_done_cb done, void *arg)
{
	char		 uk[16 + CHAT_ID_SIZE], n[24], fold[CHAT_NAME_MAX + 1];
	const char	*argv[5] = { uk, id, name, fold, n };
	size_t		 i;

	snprintf(uk, sizeof uk, "chat:user:%s", id);
	snprintf(n, sizeof n, "%" PRIu64, now);
	for (i = 0; name[i] != '\0' && i < CHAT_NAME_MAX; i++)
		fold[i] = (char)tolower((unsigned char)name[i]);
	fold[i] = '\0';
	sreq_eval(s, sreq_new(s, SOP_NAME_SET, done, arg), RL_NAME_SET, 1, 5,
	    argv, NULL);
}

static char *
hist_key(const char *room, size_t len, size_t *keylen)
{
	char	*k;

	if ((k = malloc(10 + len)) == NULL)
		return NULL;
	memcpy(k, "chat:hist:", 10);
	memcpy(k + 10, room, len);
	*keylen = 10 + len;
	return k;
}

static void
sr_history_append(struct store *s, const char *room,
    const struct store_msg *m, store_done_cb done, void *arg)
{
	char		*hk, ts[24], keep[16];
	const char	*argv[7];
	size_t		 lens[7];
	struct sreq	*q;

	if ((q = sreq_new(s, SOP_HISTORY_APPEND, done, arg)) == NULL)
		return;
	if ((hk = hist_key(room, strlen(room), &lens[1])) == NULL) {
		sreq_fail(q, STORE_ERR_NOMEM);
		return;
	}
	argv[0] = "chat:seq";
	lens[0] = 8;
	argv[1] = hk;
	argv[2] = ts;
	lens[2] = snprintf(ts, sizeof ts, "%" PRIu64, m->ts);
	argv[3] = m->user_id;
	lens[3] = strlen(m->user_id);
	argv[4] = m->name;
	lens[4] = strlen(m->name);
	argv[5] = m->text;
	lens[5] = m->text_len;
	argv[6] = keep;
	lens[6] = snprintf(keep, sizeof keep, "%u", s->history_max);
	sreq_eval(s, q, RL_HISTORY_APPEND, 2, 7, argv, lens);
	free(hk);
}

static void
sr_history_query(struct store *s, const struct store_query *qy,
    store_done_cb done, void *arg)
{
	char		*hk, lo[24], hi[24], lim[16];
	const char	*argv[7];
	size_t		 lens[7];
	struct sreq	*q;

	if ((q = sreq_new(s, SOP_HISTORY_QUERY, done, arg)) == NULL)
		return;
	if ((hk = hist_key(qy->room, qy->room_len, &lens[1])) == NULL) {
		sreq_fail(q, STORE_ERR_NOMEM);
		return;
	}
	/* after: the first K newer, ascending; otherwise the latest K
	 * (older than before), descending, turned around in the reply. */
	if (qy->has_after) {
		argv[0] = "ZRANGEBYSCORE";
		snprintf(lo, sizeof lo, "(%" PRIu64, qy->after);
		if (qy->has_before)
			snprintf(hi, sizeof hi, "(%" PRIu64, qy->before);
		else
			snprintf(hi, sizeof hi, "+inf");
		argv[2] = lo;
		argv[3] = hi;
	} else {
		argv[0] = "ZREVRANGEBYSCORE";
		q->reverse = 1;
		if (qy->has_before)
			snprintf(hi, sizeof hi, "(%" PRIu64, qy->before);
		else
			snprintf(hi, sizeof hi, "+inf");
		snprintf(lo, sizeof lo, "-inf");
		argv[2] = hi;
		argv[3] = lo;
	}
	argv[1] = hk;
	argv[4] = "LIMIT";
	argv[5] = "0";
	argv[6] = lim;
	snprintf(lim, sizeof lim, "%u", qy->limit);
	lens[0] = strlen(argv[0]);
	lens[2] = strlen(argv[2]);
	lens[3] = strlen(argv[3]);
	lens[4] = 5;
	lens[5] = 1;
	lens[6] = strlen(lim);
	if (redis_conn_commandv(SR(s)->rc, sreq_reply, q, 7, argv, lens) != 0)
		sreq_fail(q, STORE_ERR_DOWN);
	free(hk);
}

static const char *
sr_epoch(struct store *s)
{
	return SR(s)->epoch;
}

static void
sr_destroy(struct store *s)
{
	struct store_redis	*st = SR(s);
	struct sreq		*q;

	/* Complete what is pending; its late replies are dropped. */
	while ((q = TAILQ_FIRST(&st->pending)) != NULL) {
		struct store_result	res = { .status = STORE_ERR_DOWN };

		TAILQ_REMOVE(&st->pending, q, entry);
		q->st = NULL;
		if (q->hold != NULL) {
			registry_redis_release(q->hold, NULL, NULL);
			q->hold = NULL;
		}
		if (q->op == SOP_EPOCH)
			q->sync_done(q->arg, 0);
		else
			q->done(q->arg, &res);
	}
	free(st);
}

static const struct store_ops store_redis_ops = {
	"redis",
	sr_id_next,
	sr_session_create,
	sr_session_resume,
	sr_session_claim,
	sr_session_release,
	sr_name_set,
	sr_history_append,
	sr_history_query,
	sr_epoch,
	sr_destroy,
};

void
store_redis_sync(struct store *s, void (*done)(void *, int), void *arg)
{
	struct store_redis	*st = SR(s);
	struct sreq		*q;
	unsigned char		 rnd[12];
	char			 cand[2 * sizeof rnd + 1];
	const char		*argv[2] = { "chat:epoch", cand };
	size_t			 i;

	if ((q = calloc(1, sizeof *q)) == NULL) {
		done(arg, 0);
		return;
	}
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		free(q);
		done(arg, 0);
		return;
	}
	for (i = 0; i < sizeof rnd; i++)
		snprintf(cand + 2 * i, 3, "%02x", rnd[i]);
	q->st = st;
	q->op = SOP_EPOCH;
	q->sync_done = done;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&st->pending, q, entry);
	if (redis_conn_eval(st->rc, RL_EPOCH, 1, 2, argv, NULL, sreq_reply,
	    q) != 0) {
		TAILQ_REMOVE(&st->pending, q, entry);
		free(q);
		done(arg, 0);
	}
}

void
store_redis_order(struct store *s, struct registry *reg)
{
	SR(s)->order = reg;
}

struct store *
store_redis_new(struct redis_conn *rc, unsigned history_max,
    uint64_t session_ttl_ms)
{
	struct store_redis	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->s.ops = &store_redis_ops;
	st->s.history_max = history_max;
	st->s.session_ttl_ms = session_ttl_ms;
	st->rc = rc;
	/* Until the first sync: never empty, never a real epoch. */
	snprintf(st->epoch, sizeof st->epoch, "unsynced");
	TAILQ_INIT(&st->pending);
	return &st->s;
}
