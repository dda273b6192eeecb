/*
 * The registry in one process: hash tables (uthash) for online users by
 * id and by name, rooms by name, each room's members sorted by id.
 *
 * State changes at once; what an operation emits (events, then its
 * completion) goes through one FIFO.  An entry waits there while its store
 * write is pending (a room message is delivered only once the store has
 * it), and everything behind it waits too, so events leave in the order
 * the state changed, which is each room's one total order.  With a defer
 * loop the FIFO is drained on a later loop pass, never inside the call.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <uthash.h>

#include "registry.h"
#include "store.h"
#include "util.h"

#define MEM_NODE	1

struct mem_room;

struct mem_user {
	struct reg_user		 u;
	char			 lname[CHAT_NAME_MAX + 1];	/* lowercase */
	uint64_t		 num;
	struct reg_where	 at;
	struct mem_room		*room;
	size_t			 room_pos;
	UT_hash_handle		 hh_id;
	UT_hash_handle		 hh_name;
};

struct mem_room {
	char			*name;
	struct mem_user	       **members;	/* sorted by num */
	size_t			 n, cap;
	UT_hash_handle		 hh;
};

/* One thing to hand out: an event, or an operation's completion. */
struct mem_out {
	struct mem_out		*next;
	struct mem_registry	*owner;		/* NULL: orphaned by destroy */
	int			 ready;
	int			 is_event;
	int			 dropped;	/* event the store refused */
	struct mem_out		*reply;		/* room message: completion */
	struct reg_event	 ev;
	reg_done_cb		 done;
	void			*arg;
	struct reg_result	 res;
	char			*room;		/* owned copies */
	char			*text;
	char		       **names;
	struct reg_user		*users;
};

struct mem_registry {
	struct registry		 reg;
	struct store		*store;
	struct mem_user		*by_id;
	struct mem_user		*by_name;
	struct mem_room		*rooms;
	size_t			 nusers;

	struct mem_out		*out_head;
	struct mem_out	       **out_tail;
	int			 flushing;
	struct event		*defer;		/* drains the FIFO later */
};

#define MEM(reg)	((struct mem_registry *)(reg))

static void
mem_out_free(struct mem_out *o)
{
	size_t	i;

	free(o->room);
	free(o->text);
	if (o->names != NULL) {
		for (i = 0; i < o->res.n; i++)
			free(o->names[i]);
		free(o->names);
	}
	free(o->users);
	free(o);
}

/* Hand out every ready entry at the head of the FIFO, in order. */
static void
mem_flush(struct mem_registry *m)
{
	struct mem_out	*o;

	if (m->flushing)
		return;
	m->flushing = 1;
	while ((o = m->out_head) != NULL && o->ready) {
		if ((m->out_head = o->next) == NULL)
			m->out_tail = &m->out_head;
		if (o->is_event) {
			if (!o->dropped)
				m->reg.event(m->reg.event_arg, &o->ev);
		} else
			o->done(o->arg, &o->res);
		mem_out_free(o);
	}
	m->flushing = 0;
}

static void
mem_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mem_flush(arg);
}

static void
mem_kick(struct mem_registry *m)
{
	static const struct timeval	 zero = { 0, 0 };

	if (m->defer != NULL) {
		if (m->out_head != NULL && m->out_head->ready)
			evtimer_add(m->defer, &zero);
	} else
		mem_flush(m);
}

static void
mem_push(struct mem_registry *m, struct mem_out *o)
{
	o->next = NULL;
	*m->out_tail = o;
	m->out_tail = &o->next;
}

static struct mem_out *
mem_out_new(void)
{
	return calloc(1, sizeof(struct mem_out));
}

/* Queue an event; its strings are copied.  -1 when out of memory. */
static struct mem_out *
mem_event(struct mem_registry *m, const struct reg_event *ev)
{
	struct mem_out	*o;

	if ((o = mem_out_new()) == NULL)
		return NULL;
	o->is_event = 1;
	o->ready = 1;
	o->ev = *ev;
	if (ev->room != NULL && (o->room = strdup(ev->room)) == NULL)
		goto fail;
	o->ev.room = o->room;
	if (ev->text != NULL) {
		if ((o->text = malloc(ev->text_len + 1)) == NULL)
			goto fail;
		memcpy(o->text, ev->text, ev->text_len);
		o->text[ev->text_len] = '\0';
		o->ev.text = o->text;
	}
	mem_push(m, o);
	return o;
fail:
	mem_out_free(o);
	return NULL;
}

/* Queue the completion (behind the op's events) and drain. */
static void
mem_done(struct mem_registry *m, struct mem_out *o, reg_done_cb done,
    void *arg)
{
	o->done = done;
	o->arg = arg;
	o->ready = 1;
	mem_push(m, o);
	mem_kick(m);
}

/* Complete at once with status: used before anything changed. */
static void
mem_fail(struct mem_registry *m, struct mem_out *o, enum reg_status st,
    reg_done_cb done, void *arg)
{
	if (o == NULL) {
		struct reg_result	res = { .status = st };

		done(arg, &res);
		return;
	}
	o->res.status = st;
	mem_done(m, o, done, arg);
}

static struct mem_user *
mem_find(struct mem_registry *m, const char *id)
{
	struct mem_user	*mu;

	HASH_FIND(hh_id, m->by_id, id, strlen(id), mu);
	return mu;
}

static void
mem_lower(char *dst, const char *src)
{
	while (*src != '\0')
		*dst++ = (char)tolower((unsigned char)*src++);
	*dst = '\0';
}

static void
mem_set_name(struct mem_registry *m, struct mem_user *mu, const char *name)
{
	if (mu->u.name[0] != '\0')
		HASH_DELETE(hh_name, m->by_name, mu);
	snprintf(mu->u.name, sizeof mu->u.name, "%s", name);
	mem_lower(mu->lname, mu->u.name);
	if (mu->lname[0] != '\0')
		HASH_ADD(hh_name, m->by_name, lname[0], strlen(mu->lname), mu);
}

/* First index whose member id is not below num. */
static size_t
mem_lower_bound(struct mem_room *r, uint64_t num)
{
	size_t	lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->members[mid]->num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
mem_room_free(struct mem_room *r)
{
	free(r->name);
	free(r->members);
	free(r);
}

/* The room, created if need be, with room for one more member. */
static struct mem_room *
mem_room_reserve(struct mem_registry *m, const char *name)
{
	struct mem_room	 *r;
	struct mem_user	**members;
	size_t		  cap;

	HASH_FIND_STR(m->rooms, name, r);
	if (r == NULL) {
		if ((r = calloc(1, sizeof *r)) == NULL)
			return NULL;
		if ((r->name = strdup(name)) == NULL) {
			free(r);
			return NULL;
		}
		HASH_ADD_KEYPTR(hh, m->rooms, r->name, strlen(r->name), r);
	}
	if (r->n == r->cap) {
		cap = r->cap != 0 ? r->cap * 2 : 4;
		members = realloc(r->members, cap * sizeof *members);
		if (members == NULL) {
			if (r->n == 0) {
				HASH_DEL(m->rooms, r);
				mem_room_free(r);
			}
			return NULL;
		}
		r->members = members;
		r->cap = cap;
	}
	return r;
}

static void
mem_room_add(struct mem_room *r, struct mem_user *mu)
{
	size_t	pos = mem_lower_bound(r, mu->num), i;

	memmove(&r->members[pos + 1], &r->members[pos],
	    (r->n - pos) * sizeof r->members[0]);
	r->members[pos] = mu;
	r->n++;
	for (i = pos; i < r->n; i++)
		r->members[i]->room_pos = i;
	mu->room = r;
}

/* Take mu out of its room, queueing the leave event (ev preallocated). */
static void
mem_room_remove(struct mem_registry *m, struct mem_user *mu,
    struct mem_out *ev, struct reg_where origin, unsigned flags)
{
	struct mem_room	*r = mu->room;
	size_t		 pos = mu->room_pos, i;

	ev->is_event = 1;
	ev->ready = 1;
	ev->ev.type = REG_EV_LEAVE;
	ev->ev.flags = flags;
	ev->ev.user = mu->u;
	ev->ev.user_at = mu->at;
	ev->ev.origin = origin;
	ev->room = r->name;		/* the room's own copy moves over */
	ev->ev.room = ev->room;
	mem_push(m, ev);

	memmove(&r->members[pos], &r->members[pos + 1],
	    (r->n - pos - 1) * sizeof r->members[0]);
	r->n--;
	for (i = pos; i < r->n; i++)
		r->members[i]->room_pos = i;
	mu->room = NULL;
	if (r->n == 0) {
		HASH_DEL(m->rooms, r);
		r->name = NULL;
		mem_room_free(r);
	} else if ((ev->room = strdup(r->name)) == NULL) {
		/* Keep the room's name; the event borrows nothing freed. */
		ev->room = NULL;
		ev->ev.room = r->name;
	} else
		ev->ev.room = ev->room;
}

static void
mem_online(struct registry *reg, const struct reg_user *user,
    struct reg_where at, reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu;
	struct mem_out		*d, *leave = NULL, *kick = NULL;
	struct reg_event	 ev;

	if ((d = mem_out_new()) == NULL)
		goto nomem;
	mu = mem_find(m, user->id);
	if (mu != NULL) {
		if ((leave = mem_out_new()) == NULL ||
		    (kick = mem_out_new()) == NULL)
			goto nomem;
		if (mu->room != NULL)
			mem_room_remove(m, mu, leave, at, 0);
		else
			free(leave);
		kick->is_event = 1;
		kick->ready = 1;
		memset(&ev, 0, sizeof ev);
		kick->ev.type = REG_EV_KICK;
		kick->ev.user = *user;
		kick->ev.user_at = at;
		kick->ev.target = mu->u;
		kick->ev.target_at = mu->at;
		kick->ev.origin = at;
		mem_push(m, kick);
	} else {
		if ((mu = calloc(1, sizeof *mu)) == NULL)
			goto nomem;
		snprintf(mu->u.id, sizeof mu->u.id, "%s", user->id);
		mu->num = strtoull(user->id, NULL, 10);
		HASH_ADD(hh_id, m->by_id, u.id[0], strlen(mu->u.id), mu);
		m->nusers++;
	}
	mu->at = at;
	mem_set_name(m, mu, user->name);
	mem_done(m, d, done, arg);
	return;
nomem:
	free(leave);
	free(kick);
	mem_fail(m, d, REG_ERR_NOMEM, done, arg);
}

static void
mem_offline(struct registry *reg, const char *id, struct reg_where at,
    reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu = mem_find(m, id);
	struct mem_out		*d, *leave;
	struct reg_where	 none = { 0, 0 };

	if ((d = mem_out_new()) == NULL ||
	    (leave = mem_out_new()) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	if (mu != NULL && mu->at.node == at.node && mu->at.conn == at.conn) {
		if (mu->room != NULL)
			mem_room_remove(m, mu, leave, none, 0);
		else
			free(leave);
		mem_set_name(m, mu, "");
		HASH_DELETE(hh_id, m->by_id, mu);
		free(mu);
		m->nusers--;
	} else
		free(leave);
	mem_done(m, d, done, arg);
}

static void
mem_join(struct registry *reg, const struct reg_user *user,
    const char *room, struct reg_where origin, reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu = mem_find(m, user->id);
	struct mem_out		*d, *leave = NULL, *join = NULL;
	struct mem_room		*r;
	struct reg_event	 ev;

	if ((d = mem_out_new()) == NULL || mu == NULL)
		goto nomem;
	if (mu->room != NULL && strcmp(mu->room->name, room) == 0) {
		mem_done(m, d, done, arg);
		return;
	}
	/* Everything that can fail, before anything changes or is told. */
	if ((leave = mem_out_new()) == NULL)
		goto nomem;
	memset(&ev, 0, sizeof ev);
	ev.type = REG_EV_JOIN;
	ev.flags = REG_EV_REPLY;
	ev.room = room;
	ev.user = mu->u;
	ev.user_at = mu->at;
	ev.origin = origin;
	if ((join = mem_out_new()) == NULL ||
	    (join->room = strdup(room)) == NULL)
		goto nomem;
	if ((r = mem_room_reserve(m, room)) == NULL)
		goto nomem;
	if (mu->room != NULL) {
		mem_room_remove(m, mu, leave, origin, 0);
		/* The old room may have been the new one's neighbour in the
		 * hash; r is still valid: only mu's old room can go. */
	} else
		free(leave);
	join->is_event = 1;
	join->ready = 1;
	join->ev = ev;
	join->ev.room = join->room;
	mem_push(m, join);
	mem_room_add(r, mu);
	mem_done(m, d, done, arg);
	return;
nomem:
	free(leave);
	if (join != NULL)
		mem_out_free(join);
	mem_fail(m, d, REG_ERR_NOMEM, done, arg);
}

static void
mem_leave(struct registry *reg, const struct reg_user *user,
    struct reg_where origin, reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu = mem_find(m, user->id);
	struct mem_out		*d, *leave;

	if ((d = mem_out_new()) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	if (mu == NULL || mu->room == NULL) {
		mem_fail(m, d, REG_ERR_NOT_IN_ROOM, done, arg);
		return;
	}
	if ((leave = mem_out_new()) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	mem_room_remove(m, mu, leave, origin, REG_EV_REPLY);
	mem_done(m, d, done, arg);
}

/* The store has the message: its event may go, with the seq.  One it
 * could not store goes to nobody; the sender is told instead. */
static void
mem_appended(void *arg, const struct store_result *res)
{
	struct mem_out		*o = arg;
	struct mem_registry	*m = o->owner;

	if (m == NULL) {
		mem_out_free(o);
		return;
	}
	if (res->status != STORE_OK) {
		log_warn("history: message %llu not stored, not delivered",
		    (unsigned long long)res->seq);
		o->dropped = 1;
		o->reply->res.status = res->status == STORE_ERR_NOMEM ?
		    REG_ERR_NOMEM : REG_ERR_DOWN;
	}
	o->ev.seq = res->seq;
	o->ready = 1;
	mem_kick(m);
}

static void
mem_room_message(struct registry *reg, const struct reg_user *user,
    const char *text, size_t len, uint64_t ts, struct reg_where origin,
    reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu = mem_find(m, user->id);
	struct mem_out		*d, *o;
	struct reg_event	 ev;
	struct store_msg	 sm;

	if ((d = mem_out_new()) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	if (mu == NULL || mu->room == NULL) {
		mem_fail(m, d, REG_ERR_NOT_IN_ROOM, done, arg);
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.type = REG_EV_MESSAGE;
	ev.room = mu->room->name;
	ev.user = mu->u;
	ev.user_at = mu->at;
	ev.origin = origin;
	ev.text = text;
	ev.text_len = len;
	ev.ts = ts;
	if ((o = mem_event(m, &ev)) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	o->ready = 0;
	o->reply = d;
	d->res.ts = ts;
	mem_done(m, d, done, arg);	/* waits behind the event */

	memset(&sm, 0, sizeof sm);
	sm.ts = ts;
	memcpy(sm.user_id, mu->u.id, sizeof sm.user_id);
	memcpy(sm.name, mu->u.name, sizeof sm.name);
	sm.text = text;
	sm.text_len = len;
	o->owner = m;
	m->store->ops->history_append(m->store, o->ev.room, &sm,
	    mem_appended, o);
}

static void
mem_private_message(struct registry *reg, const struct reg_user *from,
    const char *to_id, const char *to_name, const char *text, size_t len,
    uint64_t ts, struct reg_where origin, reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*to = NULL, *mu = mem_find(m, from->id);
	struct mem_out		*d;
	struct reg_event	 ev;
	char			 lname[CHAT_NAME_MAX + 1];

	if ((d = mem_out_new()) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	if (to_id != NULL)
		to = mem_find(m, to_id);
	else if (to_name != NULL && strlen(to_name) <= CHAT_NAME_MAX) {
		mem_lower(lname, to_name);
		HASH_FIND(hh_name, m->by_name, lname, strlen(lname), to);
	}
	if (to == NULL) {
		mem_fail(m, d, REG_ERR_NO_USER, done, arg);
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.type = REG_EV_PRIVATE;
	ev.flags = REG_EV_REPLY;
	ev.user = mu != NULL ? mu->u : *from;
	if (mu != NULL)
		ev.user_at = mu->at;
	ev.target = to->u;
	ev.target_at = to->at;
	ev.origin = origin;
	ev.text = text;
	ev.text_len = len;
	ev.ts = ts;
	if (mem_event(m, &ev) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	d->res.target = to->u;
	d->res.ts = ts;
	mem_done(m, d, done, arg);
}

static void
mem_nick(struct registry *reg, const struct reg_user *user,
    struct reg_where origin, reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu = mem_find(m, user->id);
	struct mem_out		*d;
	struct reg_event	 ev;

	if ((d = mem_out_new()) == NULL || mu == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	if (mu->room != NULL) {
		memset(&ev, 0, sizeof ev);
		ev.type = REG_EV_NICK;
		ev.flags = REG_EV_REPLY;
		ev.room = mu->room->name;
		ev.user = *user;
		ev.user_at = mu->at;
		ev.origin = origin;
		if (mem_event(m, &ev) == NULL) {
			mem_fail(m, d, REG_ERR_NOMEM, done, arg);
			return;
		}
	}
	mem_set_name(m, mu, user->name);
	mem_done(m, d, done, arg);
}

static int
mem_name_cmp(const void *a, const void *b)
{
	/* strcmp compares as unsigned char: byte order. */
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
mem_rooms(struct registry *reg, reg_done_cb done, void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_room		*r, *tmp;
	struct mem_out		*d;
	size_t			 n = HASH_COUNT(m->rooms), i = 0;

	if ((d = mem_out_new()) == NULL ||
	    (d->names = calloc(n + 1, sizeof *d->names)) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	HASH_ITER(hh, m->rooms, r, tmp) {
		if ((d->names[i] = strdup(r->name)) == NULL) {
			d->res.n = i;
			mem_fail(m, d, REG_ERR_NOMEM, done, arg);
			return;
		}
		i++;
	}
	d->res.n = n;
	if (n > 1)
		qsort(d->names, n, sizeof *d->names, mem_name_cmp);
	d->res.names = (const char *const *)d->names;
	mem_done(m, d, done, arg);
}

static void
mem_participants(struct registry *reg, const char *room, reg_done_cb done,
    void *arg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_room		*r;
	struct mem_out		*d;
	size_t			 i;

	if ((d = mem_out_new()) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	HASH_FIND_STR(m->rooms, room, r);
	if (r == NULL) {
		mem_fail(m, d, REG_ERR_NO_ROOM, done, arg);
		return;
	}
	if ((d->users = malloc((r->n + 1) * sizeof *d->users)) == NULL) {
		mem_fail(m, d, REG_ERR_NOMEM, done, arg);
		return;
	}
	for (i = 0; i < r->n; i++)
		d->users[i] = r->members[i]->u;
	d->res.users = d->users;
	d->res.n = r->n;
	mem_done(m, d, done, arg);
}

static size_t
mem_nusers(struct registry *reg)
{
	return MEM(reg)->nusers;
}

static size_t
mem_nrooms(struct registry *reg)
{
	return HASH_COUNT(MEM(reg)->rooms);
}

static void
mem_destroy(struct registry *reg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu, *utmp;
	struct mem_room		*r, *rtmp;
	struct mem_out		*o;

	/* Undelivered output is dropped: nobody is left to receive it.
	 * A message the store still holds is freed when the store
	 * completes it (stores complete everything on destroy). */
	while ((o = m->out_head) != NULL) {
		m->out_head = o->next;
		if (o->owner != NULL && !o->ready)
			o->owner = NULL;
		else
			mem_out_free(o);
	}
	HASH_ITER(hh, m->rooms, r, rtmp) {
		HASH_DEL(m->rooms, r);
		mem_room_free(r);
	}
	HASH_CLEAR(hh_name, m->by_name);
	HASH_ITER(hh_id, m->by_id, mu, utmp) {
		HASH_DELETE(hh_id, m->by_id, mu);
		free(mu);
	}
	if (m->defer != NULL)
		event_free(m->defer);
	free(m);
}

static const struct registry_ops mem_ops = {
	.name = "memory",
	.online = mem_online,
	.offline = mem_offline,
	.join = mem_join,
	.leave = mem_leave,
	.room_message = mem_room_message,
	.private_message = mem_private_message,
	.nick = mem_nick,
	.rooms = mem_rooms,
	.participants = mem_participants,
	.nusers = mem_nusers,
	.nrooms = mem_nrooms,
	.destroy = mem_destroy,
};

struct registry *
registry_mem_new(struct store *store, struct event_base *defer,
    reg_event_cb event, void *arg)
{
	struct mem_registry	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->reg.ops = &mem_ops;
	m->reg.node = MEM_NODE;
	m->reg.event = event;
	m->reg.event_arg = arg;
	m->store = store;
	m->out_tail = &m->out_head;
	if (defer != NULL &&
	    (m->defer = evtimer_new(defer, mem_defer_cb, m)) == NULL) {
		free(m);
		return NULL;
	}
	return &m->reg;
}
