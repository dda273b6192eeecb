/*
 * The in-memory registry: hash tables (uthash) for users by id and by
 * connection and for rooms by name; each room keeps its members sorted by
 * id, with a parallel array of connection ids so a broadcast hands the
 * bridge one ready-made list.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "registry-v1.h"

struct mem_user {
	struct user	 u;
	UT_hash_handle	 hh_id;
	UT_hash_handle	 hh_conn;
};

struct mem_room {
	struct room	 r;
	UT_hash_handle	 hh;
};

struct mem_registry {
	struct registry	 reg;
	struct mem_user	*by_id;
	struct mem_user	*by_conn;
	struct mem_room	*rooms;
	uint64_t	 next_id;

	const char	**sorted;	/* room names, sorted; rebuilt lazily */
	size_t		 nsorted;
	size_t		 sorted_cap;
	int		 sorted_dirty;
};

#define MEM(reg)	((struct mem_registry *)(reg))
#define MEM_USER(up)	((struct mem_user *)(void *)(up))
#define MEM_ROOM(rp)	((struct mem_room *)(void *)(rp))

static struct user *
mem_user_add(struct registry *reg, uint64_t conn)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu;

	mu = calloc(1, sizeof *mu);
	if (mu == NULL)
		return NULL;
	mu->u.num = m->next_id++;
	snprintf(mu->u.id, sizeof mu->u.id, "%llu",
	    (unsigned long long)mu->u.num);
	mu->u.conn = conn;
	HASH_ADD_KEYPTR(hh_id, m->by_id, mu->u.id, strlen(mu->u.id), mu);
	HASH_ADD(hh_conn, m->by_conn, u.conn, sizeof mu->u.conn, mu);
	return &mu->u;
}

static void
mem_user_remove(struct registry *reg, struct user *u)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu = MEM_USER(u);

	if (u->room != NULL)
		reg->ops->room_leave(reg, u);
	HASH_DELETE(hh_id, m->by_id, mu);
	HASH_DELETE(hh_conn, m->by_conn, mu);
	free(mu);
}

static struct user *
mem_user_find(struct registry *reg, const char *id)
{
	struct mem_user	*mu;

	HASH_FIND(hh_id, MEM(reg)->by_id, id, strlen(id), mu);
	return mu != NULL ? &mu->u : NULL;
}

static struct user *
mem_user_by_conn(struct registry *reg, uint64_t conn)
{
	struct mem_user	*mu;

	HASH_FIND(hh_conn, MEM(reg)->by_conn, &conn, sizeof conn, mu);
	return mu != NULL ? &mu->u : NULL;
}

static struct room *
mem_room_find(struct registry *reg, const char *name)
{
	struct mem_room	*mr;

	HASH_FIND_STR(MEM(reg)->rooms, name, mr);
	return mr != NULL ? &mr->r : NULL;
}

/* First index whose member id is not below num. */
static size_t
room_lower_bound(struct room *r, uint64_t num)
{
	size_t	lo = 0, hi = r->nmembers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->members[mid]->num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
room_grow(struct room *r)
{
	struct user	**members;
	uint64_t	 *conns;
	size_t		  cap = r->cap != 0 ? r->cap * 2 : 4;

	members = realloc(r->members, cap * sizeof *members);
	if (members == NULL)
		return -1;
	r->members = members;
	conns = realloc(r->conns, cap * sizeof *conns);
	if (conns == NULL)
		return -1;
	r->conns = conns;
	r->cap = cap;
	return 0;
}

static void
room_free(struct mem_room *mr)
{
	free(mr->r.name);
	free(mr->r.members);
	free(mr->r.conns);
	free(mr);
}

static struct room *
mem_room_join(struct registry *reg, struct user *u, const char *name)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_room		*mr;
	struct room		*r;
	size_t			 pos, i;

	HASH_FIND_STR(m->rooms, name, mr);
	if (mr == NULL) {
		mr = calloc(1, sizeof *mr);
		if (mr == NULL || (mr->r.name = strdup(name)) == NULL) {
			free(mr);
			return NULL;
		}
		HASH_ADD_KEYPTR(hh, m->rooms, mr->r.name, strlen(mr->r.name),
		    mr);
		m->sorted_dirty = 1;
	}
	r = &mr->r;
	if (r->nmembers == r->cap && room_grow(r) == -1) {
		if (r->nmembers == 0) {
			HASH_DEL(m->rooms, mr);
			room_free(mr);
		}
		return NULL;
	}
	pos = room_lower_bound(r, u->num);
	memmove(&r->members[pos + 1], &r->members[pos],
	    (r->nmembers - pos) * sizeof r->members[0]);
	memmove(&r->conns[pos + 1], &r->conns[pos],
	    (r->nmembers - pos) * sizeof r->conns[0]);
	r->members[pos] = u;
	r->conns[pos] = u->conn;
	r->nmembers++;
	for (i = pos; i < r->nmembers; i++)
		r->members[i]->room_pos = i;
	u->room = r;
	return r;
}

static void
mem_room_leave(struct registry *reg, struct user *u)
{
	struct mem_registry	*m = MEM(reg);
	struct room		*r = u->room;
	size_t			 pos, i;

	if (r == NULL)
		return;
	pos = u->room_pos;
	memmove(&r->members[pos], &r->members[pos + 1],
	    (r->nmembers - pos - 1) * sizeof r->members[0]);
	memmove(&r->conns[pos], &r->conns[pos + 1],
	    (r->nmembers - pos - 1) * sizeof r->conns[0]);
	r->nmembers--;
	for (i = pos; i < r->nmembers; i++)
		r->members[i]->room_pos = i;
	u->room = NULL;
	if (r->nmembers == 0) {
		HASH_DEL(m->rooms, MEM_ROOM(r));
		room_free(MEM_ROOM(r));
		m->sorted_dirty = 1;
	}
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t
mem_room_list(struct registry *reg, const char ***names)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_room		*mr, *tmp;
	size_t			 n = HASH_COUNT(m->rooms);

	if (m->sorted_dirty) {
		if (n > m->sorted_cap) {
			const char **s = realloc(m->sorted, n * sizeof *s);
			if (s == NULL) {
				*names = NULL;
				return 0;
			}
			m->sorted = s;
			m->sorted_cap = n;
		}
		m->nsorted = 0;
		HASH_ITER(hh, m->rooms, mr, tmp)
			m->sorted[m->nsorted++] = mr->r.name;
		/* strcmp compares as unsigned char: byte order. */
		if (m->nsorted > 1)
			qsort(m->sorted, m->nsorted, sizeof *m->sorted,
			    name_cmp);
		m->sorted_dirty = 0;
	}
	*names = m->sorted;
	return m->nsorted;
}

static void
mem_publish_room(struct registry *reg, struct room *r, struct frame *f)
{
	reg->deliver(reg->deliver_arg, f, r->conns, r->nmembers);
}

static void
mem_publish_user(struct registry *reg, struct user *u, struct frame *f)
{
	reg->deliver(reg->deliver_arg, f, &u->conn, 1);
}

static void
mem_destroy(struct registry *reg)
{
	struct mem_registry	*m = MEM(reg);
	struct mem_user		*mu, *utmp;
	struct mem_room		*mr, *rtmp;

	HASH_ITER(hh, m->rooms, mr, rtmp) {
		HASH_DEL(m->rooms, mr);
		room_free(mr);
	}
	HASH_CLEAR(hh_conn, m->by_conn);
	HASH_ITER(hh_id, m->by_id, mu, utmp) {
		HASH_DELETE(hh_id, m->by_id, mu);
		free(mu);
	}
	free(m->sorted);
	free(m);
}

static const struct registry_ops mem_ops = {
	.name = "memory",
	.user_add = mem_user_add,
	.user_remove = mem_user_remove,
	.user_find = mem_user_find,
	.user_by_conn = mem_user_by_conn,
	.room_find = mem_room_find,
	.room_join = mem_room_join,
	.room_leave = mem_room_leave,
	.room_list = mem_room_list,
	.publish_room = mem_publish_room,
	.publish_user = mem_publish_user,
	.destroy = mem_destroy,
};

struct registry *
registry_mem_new(registry_deliver_cb deliver, void *arg)
{
	struct mem_registry	*m;

	m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->reg.ops = &mem_ops;
	m->reg.deliver = deliver;
	m->reg.deliver_arg = arg;
	return &m->reg;
}
