/*
 * The store in memory, for the life of the process: sessions by token hash,
 * by id and by name, and each room's last history_max messages in a ring.
 * Each start is a new epoch: history did not survive the last one.
 */
#include <sys/random.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <uthash.h>

#include "store.h"
#include "store-util.h"

struct mem_sess {
	unsigned char	 hash[CHAT_TOKEN_HASH_SIZE];
	char		 id[CHAT_ID_SIZE];
	char		 name[CHAT_NAME_MAX + 1];
	char		 lname[CHAT_NAME_MAX + 1];
	int		 connected;
	uint64_t	 holder;	/* holds it while connected */
	uint64_t	 gen;		/* the last holder number given */
	uint64_t	 seen;
	UT_hash_handle	 hh_hash;
	UT_hash_handle	 hh_id;
	UT_hash_handle	 hh_name;
};

struct mem_hist {
	char		*room;
	size_t		 room_len;
	struct store_msg *ring;		/* texts owned */
	size_t		 head, n;	/* oldest at head */
	UT_hash_handle	 hh;
};

/* A completion waiting for the defer loop. */
struct mem_pending {
	struct mem_pending	*next;
	store_done_cb		 done;
	void			*arg;
	struct store_result	 res;	/* msgs and their texts owned */
};

struct mem_store {
	struct store		 st;
	uint64_t		 next_id;
	uint64_t		 next_seq;
	char			 epoch[40];
	struct mem_sess		*by_hash, *by_id, *by_name;
	struct mem_hist		*rooms;

	struct event		*defer;
	struct mem_pending	*p_head, **p_tail;
};

#define MEM(s)	((struct mem_store *)(s))

static void
mem_run_pending(struct mem_store *m)
{
	struct mem_pending	*p;

	while ((p = m->p_head) != NULL) {
		if ((m->p_head = p->next) == NULL)
			m->p_tail = &m->p_head;
		p->done(p->arg, &p->res);
		store_result_free_msgs(&p->res);
		free(p);
	}
}

static void
mem_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mem_run_pending(arg);
}

/* Complete now, or on a later loop pass in defer mode (res copied). */
static void
mem_complete(struct mem_store *m, const struct store_result *res,
    store_done_cb done, void *arg)
{
	static const struct timeval	 zero = { 0, 0 };
	struct mem_pending		*p;

	if (m->defer == NULL || (p = calloc(1, sizeof *p)) == NULL) {
		done(arg, res);
		return;
	}
	p->done = done;
	p->arg = arg;
	if (store_result_copy(&p->res, res) == -1) {
		free(p);
		done(arg, res);
		return;
	}
	*m->p_tail = p;
	m->p_tail = &p->next;
	evtimer_add(m->defer, &zero);
}

static void
mem_status(struct mem_store *m, enum store_status st, store_done_cb done,
    void *arg)
{
	struct store_result	res = { .status = st };

	mem_complete(m, &res, done, arg);
}

static void
mem_id_next(struct store *st, store_done_cb done, void *arg)
{
	struct store_result	res = { .status = STORE_OK };

	res.id = MEM(st)->next_id++;
	mem_complete(MEM(st), &res, done, arg);
}

static void
mem_sess_drop(struct mem_store *m, struct mem_sess *s)
{
	HASH_DELETE(hh_hash, m->by_hash, s);
	HASH_DELETE(hh_id, m->by_id, s);
	if (s->lname[0] != '\0')
		HASH_DELETE(hh_name, m->by_name, s);
	free(s);
}

/* s, unless it has expired (then it is dropped and its name freed). */
static struct mem_sess *
mem_sess_live(struct mem_store *m, struct mem_sess *s, uint64_t now)
{
	if (s != NULL && !s->connected &&
	    now > s->seen && now - s->seen > m->st.session_ttl_ms) {
		mem_sess_drop(m, s);
		return NULL;
	}
	return s;
}

static void
mem_session_create(struct store *st, const char *id,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct mem_sess		*s;
	struct store_result	 res = { .status = STORE_OK };

	if ((s = calloc(1, sizeof *s)) == NULL) {
		mem_status(m, STORE_ERR_NOMEM, done, arg);
		return;
	}
	memcpy(s->hash, hash, sizeof s->hash);
	snprintf(s->id, sizeof s->id, "%s", id);
	s->connected = 1;
	s->holder = s->gen = 1;
	s->seen = now;
	HASH_ADD(hh_hash, m->by_hash, hash[0], sizeof s->hash, s);
	HASH_ADD(hh_id, m->by_id, id[0], strlen(s->id), s);
	res.holder = s->holder;
	mem_complete(m, &res, done, arg);
}

static void
mem_session_resume(struct store *st,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct mem_sess		*s;
	struct store_result	 res = { .status = STORE_OK };

	HASH_FIND(hh_hash, m->by_hash, hash, CHAT_TOKEN_HASH_SIZE, s);
	if ((s = mem_sess_live(m, s, now)) == NULL) {
		mem_status(m, STORE_ERR_NOT_FOUND, done, arg);
		return;
	}
	res.held = s->connected != 0;
	res.holder = ++s->gen;
	if (!res.held)
		s->holder = res.holder;
	s->connected = 1;
	s->seen = now;
	memcpy(res.user_id, s->id, sizeof res.user_id);
	memcpy(res.name, s->name, sizeof res.name);
	mem_complete(m, &res, done, arg);
}

static void
mem_session_claim(struct store *st, const char *id, uint64_t holder,
    uint64_t now, store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct mem_sess		*s;

	HASH_FIND(hh_id, m->by_id, id, strlen(id), s);
	if (s != NULL && holder >= s->holder) {
		s->holder = holder;
		s->connected = 1;
		s->seen = now;
	}
	mem_status(m, STORE_OK, done, arg);
}

static void
mem_session_release(struct store *st, const char *id, uint64_t holder,
    uint64_t now, store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct mem_sess		*s;

	HASH_FIND(hh_id, m->by_id, id, strlen(id), s);
	if (s != NULL && s->connected && s->holder == holder) {
		s->connected = 0;
		s->seen = now;
	}
	mem_status(m, STORE_OK, done, arg);
}

static void
mem_name_set(struct store *st, const char *id, const char *name,
    uint64_t now, store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct mem_sess		*s, *holder;
	char			 lname[CHAT_NAME_MAX + 1];

	HASH_FIND(hh_id, m->by_id, id, strlen(id), s);
	if (s == NULL) {
		mem_status(m, STORE_ERR_NOT_FOUND, done, arg);
		return;
	}
	store_name_fold(lname, name);
	HASH_FIND(hh_name, m->by_name, lname, strlen(lname), holder);
	if (holder != s && mem_sess_live(m, holder, now) != NULL) {
		mem_status(m, STORE_ERR_TAKEN, done, arg);
		return;
	}
	if (s->lname[0] != '\0')
		HASH_DELETE(hh_name, m->by_name, s);
	snprintf(s->name, sizeof s->name, "%s", name);
	memcpy(s->lname, lname, sizeof s->lname);
	if (s->lname[0] != '\0')
		HASH_ADD(hh_name, m->by_name, lname[0], strlen(s->lname), s);
	mem_status(m, STORE_OK, done, arg);
}

static struct mem_hist *
mem_hist_find(struct mem_store *m, const char *room, size_t len)
{
	struct mem_hist	*h;

	HASH_FIND(hh, m->rooms, room, len, h);
	return h;
}

static struct store_msg *
mem_hist_at(struct mem_store *m, struct mem_hist *h, size_t i)
{
	return &h->ring[(h->head + i) % m->st.history_max];
}

static void
mem_history_append(struct store *st, const char *room,
    const struct store_msg *msg, store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct store_result	 res = { .status = STORE_OK };
	struct mem_hist		*h;
	struct store_msg	*e;
	char			*text;
	size_t			 len = strlen(room);

	res.seq = ++m->next_seq;
	if (m->st.history_max == 0)
		goto out;
	if ((h = mem_hist_find(m, room, len)) == NULL) {
		if ((h = calloc(1, sizeof *h)) == NULL ||
		    (h->room = strdup(room)) == NULL ||
		    (h->ring = calloc(m->st.history_max,
		    sizeof *h->ring)) == NULL) {
			if (h != NULL)
				free(h->room);
			free(h);
			res.status = STORE_ERR_NOMEM;
			goto out;
		}
		h->room_len = len;
		HASH_ADD_KEYPTR(hh, m->rooms, h->room, len, h);
	}
	if ((text = malloc(msg->text_len + 1)) == NULL) {
		res.status = STORE_ERR_NOMEM;
		goto out;
	}
	memcpy(text, msg->text, msg->text_len);
	text[msg->text_len] = '\0';
	if (h->n == m->st.history_max) {
		free((char *)mem_hist_at(m, h, 0)->text);
		h->head = (h->head + 1) % m->st.history_max;
		h->n--;
	}
	e = mem_hist_at(m, h, h->n++);
	*e = *msg;
	e->seq = res.seq;
	e->text = text;
out:
	mem_complete(m, &res, done, arg);
}

static void
mem_history_query(struct store *st, const struct store_query *q,
    store_done_cb done, void *arg)
{
	struct mem_store	*m = MEM(st);
	struct store_result	 res = { .status = STORE_OK };
	struct store_msg	*page = NULL;
	struct mem_hist		*h;
	size_t			 lo, hi, i;

	h = mem_hist_find(m, q->room, q->room_len);
	if (h == NULL || h->n == 0)
		goto out;
	/* Entries are in seq order: [lo, hi) is inside the bounds. */
	for (lo = 0; lo < h->n && q->has_after &&
	    mem_hist_at(m, h, lo)->seq <= q->after; lo++)
		;
	for (hi = h->n; hi > lo && q->has_before &&
	    mem_hist_at(m, h, hi - 1)->seq >= q->before; hi--)
		;
	if (hi - lo > q->limit) {
		if (q->has_after)
			hi = lo + q->limit;	/* the first K */
		else
			lo = hi - q->limit;	/* the latest K */
	}
	if (hi == lo)
		goto out;
	if ((page = malloc((hi - lo) * sizeof *page)) == NULL) {
		res.status = STORE_ERR_NOMEM;
		goto out;
	}
	for (i = lo; i < hi; i++)
		page[i - lo] = *mem_hist_at(m, h, i);
	res.msgs = page;
	res.n = hi - lo;
out:
	mem_complete(m, &res, done, arg);
	free(page);
}

static const char *
mem_epoch(struct store *st)
{
	return MEM(st)->epoch;
}

static void
mem_destroy(struct store *st)
{
	struct mem_store	*m = MEM(st);
	struct mem_sess		*s, *stmp;
	struct mem_hist		*h, *htmp;
	size_t			 i;

	mem_run_pending(m);
	HASH_CLEAR(hh_name, m->by_name);
	HASH_CLEAR(hh_id, m->by_id);
	HASH_ITER(hh_hash, m->by_hash, s, stmp) {
		HASH_DELETE(hh_hash, m->by_hash, s);
		free(s);
	}
	HASH_ITER(hh, m->rooms, h, htmp) {
		HASH_DEL(m->rooms, h);
		for (i = 0; i < h->n; i++)
			free((char *)mem_hist_at(m, h, i)->text);
		free(h->ring);
		free(h->room);
		free(h);
	}
	if (m->defer != NULL)
		event_free(m->defer);
	free(m);
}

static const struct store_ops mem_ops = {
	.name = "memory",
	.id_next = mem_id_next,
	.session_create = mem_session_create,
	.session_resume = mem_session_resume,
	.session_claim = mem_session_claim,
	.session_release = mem_session_release,
	.name_set = mem_name_set,
	.history_append = mem_history_append,
	.history_query = mem_history_query,
	.epoch = mem_epoch,
	.destroy = mem_destroy,
};

struct store *
store_mem_new(unsigned history_max, uint64_t session_ttl_ms,
    struct event_base *defer)
{
	struct mem_store	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->st.ops = &mem_ops;
	m->st.history_max = history_max;
	m->st.session_ttl_ms = session_ttl_ms;
	m->p_tail = &m->p_head;
	if (store_new_epoch(m->epoch, sizeof m->epoch) == -1 ||
	    (defer != NULL &&
	    (m->defer = evtimer_new(defer, mem_defer_cb, m)) == NULL)) {
		free(m);
		return NULL;
	}
	return &m->st;
}
