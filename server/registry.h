/*
 * The registry: who is online where, and who is in which room.
 *
 * Every room change is one atomic operation that also assigns the room's
 * next event its place in the room's one total order (and, for a room
 * message, its seq) and emits exactly one event per room it changes.  Room
 * events reach the node only through the event callback given at creation:
 * the node fans them out to its own connections (server-rooms.h) and builds
 * the requester's own reply from the event flagged REG_EV_REPLY, so that
 * reply takes its place in the room's order.  Back ends:
 *
 *   registry-mem.c	one process; history and the seq go to a store
 *			(store.h: memory or SQLite)
 *   (issue 13)		Redis: a Lua script per operation updates the
 *			state, takes the seq, appends history and PUBLISHes
 *			the event; the node hears it on its subscription.
 *
 * Contract, for every back end:
 * - Every operation completes asynchronously: done is called exactly once,
 *   on the libevent thread, possibly before the call returns (memory) or on
 *   a later loop pass (SQLite commit, Redis reply).  A caller must not
 *   touch state it gave away after starting an operation, and must not
 *   assume the completion has or has not run when the call returns.
 * - done is called only after the event callback has run for every event
 *   the operation emitted that this node receives, so a requester whose
 *   reply came in an event has had it when done runs.  The completions of
 *   the operations one node starts come in the order it started them (the
 *   chat code pipelines room messages on that).  Events of one room
 *   reach every node in the same order; events of one operation in the
 *   order listed at the operation.
 * - The node receives every event of each room in which one of its
 *   connections is a member before or after the event, the REG_EV_PRIVATE
 *   events whose target or origin is on this node (once, if both are),
 *   and the REG_EV_KICK events whose target is on this node.
 * - Arguments are copied before an operation returns: the caller may free
 *   them at once.
 * - Users, names and rooms cross this interface by value (ids, strings,
 *   connection ids); no pointer into another layer's memory is kept.
 *   Pointers in events and results are valid only during the callback.
 * - Failures are statuses, never aborts: REG_ERR_NOMEM, or REG_ERR_DOWN
 *   when the back end is unreachable (Redis); the chat code answers the
 *   request with an error and keeps the connection.
 * - Names are unique (ignoring ASCII case) in the store, not here: the
 *   registry only carries each online user's current name.
 */
#ifndef CHAT_REGISTRY_H
#define CHAT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat-limits.h"

struct store;
struct event_base;

/* A user as it crosses layers: id and current name ("" for none). */
struct reg_user {
	char		id[CHAT_ID_SIZE];
	char		name[CHAT_NAME_MAX + 1];
};

/*
 * Where a request came from, or where a user is connected: the node (the
 * registry's own number for this process, reg->node) and the connection
 * id on that node.  Requests carry their origin into the events they
 * cause, so the requester's node can build the reply from the event.
 */
struct reg_where {
	uint64_t	node;
	uint64_t	conn;
};

enum reg_status {
	REG_OK = 0,
	REG_ERR_NOT_IN_ROOM,	/* leave, room_message */
	REG_ERR_NO_ROOM,	/* participants: no such room */
	REG_ERR_NO_USER,	/* private_message: target not online */
	REG_ERR_NOMEM,
	REG_ERR_DOWN,		/* back end unreachable */
};

enum reg_event_type {
	REG_EV_JOIN,		/* user joined room */
	REG_EV_LEAVE,		/* user left room: request, move, disconnect
				 * or replaced */
	REG_EV_MESSAGE,		/* room message from user: seq, ts, text */
	REG_EV_NICK,		/* user, a member of room, has a new name */
	REG_EV_PRIVATE,		/* private message from user to target */
	REG_EV_KICK,		/* target's connection (target_at) was
				 * replaced by another: close it with 4000 */
};

/* The requester's reply is built from this event (join, leave, nick; a
 * private message's echo). */
#define REG_EV_REPLY	0x1

struct reg_event {
	enum reg_event_type	 type;
	unsigned		 flags;		/* REG_EV_REPLY */
	const char		*room;		/* room events; NUL-free */
	struct reg_user		 user;		/* who acted (name as now) */
	struct reg_where	 user_at;	/* where user is (was) connected */
	struct reg_user		 target;	/* PRIVATE, KICK */
	struct reg_where	 target_at;	/* PRIVATE, KICK: where */
	struct reg_where	 origin;	/* the request that caused it;
						 * node 0: none (a disconnect) */
	const char		*text;		/* MESSAGE, PRIVATE; may hold NUL */
	size_t			 text_len;
	uint64_t		 seq;		/* MESSAGE: server-wide, increasing */
	uint64_t		 ts;		/* MESSAGE, PRIVATE: ms since 1970 */
};

typedef void (*reg_event_cb)(void *arg, const struct reg_event *ev);

/* Completion: status, plus what the operation returns (see each op). */
struct reg_result {
	enum reg_status		 status;
	struct reg_user		 target;	/* private_message: resolved */
	uint64_t		 seq;		/* room_message */
	uint64_t		 ts;		/* room/private message, as sent */
	const char *const	*names;		/* rooms: sorted by bytes */
	const struct reg_user	*users;		/* participants: by id, as
						 * numbers */
	size_t			 n;
};

typedef void (*reg_done_cb)(void *arg, const struct reg_result *res);

struct registry;

struct registry_ops {
	const char	*name;

	/*
	 * user is now connected at `at` (its name as the store has it).  If
	 * the same id is online elsewhere, that connection is taken over
	 * atomically: it leaves its room (REG_EV_LEAVE, origin = at) and gets
	 * REG_EV_KICK, both before done.
	 */
	void	(*online)(struct registry *, const struct reg_user *user,
		    struct reg_where at, reg_done_cb, void *);
	/*
	 * The connection `at` of user id is gone: it leaves its room
	 * (REG_EV_LEAVE, origin node 0) and is no longer reachable.  Nothing
	 * happens if id is online somewhere else now (it was replaced).
	 */
	void	(*offline)(struct registry *, const char *id,
		    struct reg_where at, reg_done_cb, void *);

	/*
	 * Join room (1..64 bytes, no NUL).  Already in it: no event.  In
	 * another room: REG_EV_LEAVE of the old room, then REG_EV_JOIN
	 * (REG_EV_REPLY) of the new one, as one atomic change.
	 */
	void	(*join)(struct registry *, const struct reg_user *user,
		    const char *room, struct reg_where origin, reg_done_cb,
		    void *);
	/* REG_EV_LEAVE (REG_EV_REPLY), or REG_ERR_NOT_IN_ROOM. */
	void	(*leave)(struct registry *, const struct reg_user *user,
		    struct reg_where origin, reg_done_cb, void *);
	/*
	 * REG_EV_MESSAGE to the user's room, with the next seq and ts, after
	 * it is in the room's history (a store write completes first), or
	 * REG_ERR_NOT_IN_ROOM, or (no event: nobody sees a message that
	 * was not stored) REG_ERR_DOWN when the store refused the write.
	 * The sender gets its copy as a member.
	 */
	void	(*room_message)(struct registry *, const struct reg_user *user,
		    const char *text, size_t len, uint64_t ts,
		    struct reg_where origin, reg_done_cb, void *);
	/*
	 * To the online user with id to_id, or (to_id NULL) the one whose
	 * name equals to_name ignoring ASCII case: REG_EV_PRIVATE
	 * (REG_EV_REPLY) to the target's and the sender's node,
	 * result.target resolved; or REG_ERR_NO_USER.
	 */
	void	(*private_message)(struct registry *,
		    const struct reg_user *from, const char *to_id,
		    const char *to_name, const char *text, size_t len,
		    uint64_t ts, struct reg_where origin, reg_done_cb, void *);
	/*
	 * user->name is the user's new name (the store has granted it):
	 * REG_EV_NICK (REG_EV_REPLY) to its room if it is in one.
	 */
	void	(*nick)(struct registry *, const struct reg_user *user,
		    struct reg_where origin, reg_done_cb, void *);

	/* result.names: every room, sorted by bytes. */
	void	(*rooms)(struct registry *, reg_done_cb, void *);
	/* result.users: room's members sorted by id, or REG_ERR_NO_ROOM. */
	void	(*participants)(struct registry *, const char *room,
		    reg_done_cb, void *);

	/* Counts for tests and metrics, this node's view. */
	size_t	(*nusers)(struct registry *);
	size_t	(*nrooms)(struct registry *);

	void	(*destroy)(struct registry *);
};

struct registry {
	const struct registry_ops *ops;
	uint64_t		   node;	/* this process, nonzero */
	reg_event_cb		   event;
	void			  *event_arg;
};

/*
 * In one process.  Room messages take their seq from store and complete
 * once it has them (store.h: history_append).  With defer non-NULL every
 * event and completion runs on a later pass of that loop instead of
 * before the call returns (the unit tests run the dispatch both ways).
 */
struct registry	*registry_mem_new(struct store *store, struct event_base *defer,
		    reg_event_cb event, void *arg);

#endif
