/*
 * Sessions by connection id, their request queues, and the node's index
 * from room to its local connections (server-session.h).
 */
#include <stdlib.h>
#include <string.h>

#include "server-session.h"

struct session *
session_new(struct sessions *t, uint64_t conn)
{
	struct session	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->conn = conn;
	s->version = 1;
	s->q_tail = &s->q_head;
	HASH_ADD(hh, t->by_conn, conn, sizeof s->conn, s);
	t->live++;
	return s;
}

struct session *
session_find(struct sessions *t, uint64_t conn)
{
	struct session	*s;

	HASH_FIND(hh, t->by_conn, &conn, sizeof conn, s);
	return s;
}

void
session_free(struct sessions *t, struct session *s)
{
	struct session_req	*r;

	while ((r = session_pop(s)) != NULL)
		free(r);
	if (!s->gone)
		t->live--;
	HASH_DEL(t->by_conn, s);
	free(s);
}

void
session_free_all(struct sessions *t)
{
	struct session	*s, *tmp;

	HASH_ITER(hh, t->by_conn, s, tmp)
		session_free(t, s);
}

int
session_push(struct session *s, enum session_req_kind kind, const char *buf,
    size_t len)
{
	struct session_req	*r;

	if ((r = malloc(sizeof *r + len + 1)) == NULL)
		return -1;
	r->next = NULL;
	r->kind = kind;
	r->len = len;
	if (len > 0)
		memcpy(r->buf, buf, len);
	r->buf[len] = '\0';
	*s->q_tail = r;
	s->q_tail = &r->next;
	s->q_len++;
	return 0;
}

struct session_req *
session_pop(struct session *s)
{
	struct session_req	*r = s->q_head;

	if (r == NULL)
		return NULL;
	if ((s->q_head = r->next) == NULL)
		s->q_tail = &s->q_head;
	s->q_len--;
	return r;
}

struct local_room *
local_room_find(struct local_rooms *t, const char *name)
{
	struct local_room	*lr;

	HASH_FIND_STR(t->by_name, name, lr);
	return lr;
}

int
local_room_add(struct local_rooms *t, const char *name, uint64_t conn,
    unsigned version)
{
	struct local_room	*lr;
	uint64_t		*conns;
	unsigned		 v = version >= 2;
	size_t			 cap;

	if ((lr = local_room_find(t, name)) == NULL) {
		if ((lr = calloc(1, sizeof *lr)) == NULL)
			return -1;
		if ((lr->name = strdup(name)) == NULL) {
			free(lr);
			return -1;
		}
		HASH_ADD_KEYPTR(hh, t->by_name, lr->name, strlen(lr->name),
		    lr);
	}
	if (lr->n[v] == lr->cap[v]) {
		cap = lr->cap[v] != 0 ? lr->cap[v] * 2 : 4;
		if ((conns = realloc(lr->conns[v], cap * sizeof *conns)) ==
		    NULL) {
			if (lr->n[0] + lr->n[1] == 0)
				local_room_del(t, name, conn, version);
			return -1;
		}
		lr->conns[v] = conns;
		lr->cap[v] = cap;
	}
	lr->conns[v][lr->n[v]++] = conn;
	return 0;
}

static void
local_room_free(struct local_room *lr)
{
	free(lr->name);
	free(lr->conns[0]);
	free(lr->conns[1]);
	free(lr);
}

void
local_room_del(struct local_rooms *t, const char *name, uint64_t conn,
    unsigned version)
{
	struct local_room	*lr;
	unsigned		 v = version >= 2;
	size_t			 i;

	if ((lr = local_room_find(t, name)) == NULL)
		return;
	/* Order within a room's list does not matter: swap in the last. */
	for (i = 0; i < lr->n[v]; i++) {
		if (lr->conns[v][i] == conn) {
			lr->conns[v][i] = lr->conns[v][--lr->n[v]];
			break;
		}
	}
	if (lr->n[0] + lr->n[1] == 0) {
		HASH_DEL(t->by_name, lr);
		local_room_free(lr);
	}
}

void
local_rooms_free(struct local_rooms *t)
{
	struct local_room	*lr, *tmp;

	HASH_ITER(hh, t->by_name, lr, tmp) {
		HASH_DEL(t->by_name, lr);
		local_room_free(lr);
	}
}
