/*
 * (Being replaced by registry.h; kept until the dispatch moves over.)
 * The registry: users, rooms, membership, and fan-out of frames to them.
 *
 * This is the one interface between the protocol code (server-chat.c) and
 * where chat state lives.  The in-memory back end (registry-mem.c) is the
 * only one today; a SQLite back end (rooms, id counter, history) and a Redis
 * pub/sub back end (several nodes) implement the same ops.  Delivery to the
 * sockets of this node goes through the deliver callback given at creation.
 *
 * Every call runs on the libevent thread.
 */
#ifndef CHAT_REGISTRY_V1_H
#define CHAT_REGISTRY_V1_H

#include <stddef.h>
#include <stdint.h>

#include "bridge.h"

struct room;

/* Per-connection state, owned by the registry. */
struct user {
	char		 id[24];	/* decimal, as on the wire */
	uint64_t	 num;		/* the same id as a number */
	uint64_t	 conn;		/* bridge connection id */
	struct room	*room;		/* NULL when in no room */
	size_t		 room_pos;	/* index in room->members */

	/* flood control (server-chat.c) */
	double		 tokens;
	uint64_t	 tokens_ms;
	unsigned	 strikes;

	void		*be;		/* back-end private */
};

struct room {
	char		*name;
	struct user    **members;	/* sorted by id, numerically */
	uint64_t	*conns;		/* members[i]->conn, same order */
	size_t		 nmembers;
	size_t		 cap;
	void		*be;		/* back-end private */
};

/* Send f to the given connections (this node's sockets). */
typedef void (*registry_deliver_cb)(void *arg, struct frame *f,
    const uint64_t *conns, size_t nconns);

struct registry;

struct registry_ops {
	const char	*name;
	/* A new connection: a user with the next id, in no room. */
	struct user	*(*user_add)(struct registry *, uint64_t conn);
	/* A closed connection: the user must already have left its room. */
	void		 (*user_remove)(struct registry *, struct user *);
	struct user	*(*user_find)(struct registry *, const char *id);
	struct user	*(*user_by_conn)(struct registry *, uint64_t conn);

	struct room	*(*room_find)(struct registry *, const char *name);
	/* Put u (in no room) into the named room, creating it. */
	struct room	*(*room_join)(struct registry *, struct user *u,
			    const char *name);
	/* Take u out of its room; an empty room is removed. */
	void		 (*room_leave)(struct registry *, struct user *u);
	/* Every room name, sorted by bytes; *names is valid until the next
	 * registry call. */
	size_t		 (*room_list)(struct registry *, const char ***names);

	/* Fan-out: f to every member of r / to one user. */
	void		 (*publish_room)(struct registry *, struct room *r,
			    struct frame *f);
	void		 (*publish_user)(struct registry *, struct user *u,
			    struct frame *f);

	void		 (*destroy)(struct registry *);
};

struct registry {
	const struct registry_ops *ops;
	registry_deliver_cb	   deliver;
	void			  *deliver_arg;
};

struct registry	*registry_mem_new(registry_deliver_cb deliver, void *arg);

#endif
