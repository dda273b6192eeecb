/*
 * Sessions: the chat code's state for one connection on this node, and
 * this node's index of them.
 *
 * A session holds the connection id, the user it speaks for (id and
 * current name), its protocol version, the room it is in as this node has
 * seen it in the registry's events, flood control, and its queue of
 * requests.  One request per session is in flight at a time: the others
 * wait in arrival order, so every client's replies keep the order of its
 * requests even though registry and store operations complete later.
 *
 * A session whose connection closed is "gone": it sends nothing, but lives
 * until its request in flight and its own offline operation complete, so
 * no completion ever finds freed memory.
 *
 * Nothing here knows JSON, the registry or the store; server-chat.c drives
 * it.  All on the libevent thread.
 */
#ifndef CHAT_SERVER_SESSION_H
#define CHAT_SERVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "chat-limits.h"
#include "registry.h"

/* One queued request: the text frame as received. */
enum session_req_kind {
	SESSION_REQ_TEXT,
	SESSION_REQ_BINARY,		/* answer: binary not supported */
	SESSION_REQ_RATE,		/* answer: rate limit exceeded */
};

struct session_req {
	struct session_req	*next;
	enum session_req_kind	 kind;
	size_t			 len;
	char			 buf[];		/* len bytes + NUL */
};

struct session {
	void			*chat;		/* the owner, for callbacks */
	uint64_t		 conn;		/* bridge connection id */
	struct reg_user		 user;		/* id "" until the store gave one */
	unsigned		 version;	/* 1, or 2 after a hello */
	bool			 hello_closed;	/* a request other than a failed
						 * hello was handled */
	bool			 online;	/* registry knows it (online done) */
	bool			 has_token;	/* a store session exists */
	bool			 claim;		/* hello: claim it once online */
	bool			 busy;		/* a request is in flight */
	bool			 running;	/* the queue is being worked */
	bool			 replied;	/* its reply went out (in an event) */
	bool			 gone;		/* connection closed */
	bool			 replaced;	/* kicked: ignore it from now on */
	bool			 in_room;
	/* The request in flight: what its answer repeats (a target, name or
	 * room as requested, or a new token), and who it becomes (hello). */
	char			*req_str;
	size_t			 req_len;
	struct reg_user		 next_user;
	uint64_t		 holder;	/* has_token: the store's number
						 * of this connection's hold */
	char			 room[CHAT_ROOM_NAME_MAX + 1];
	char			 addr[CHAT_ADDR_SIZE];	/* peer, for the log */

	/* flood control (server-chat.c) */
	double			 tokens;
	uint64_t		 tokens_ms;
	unsigned		 strikes;

	struct session_req	*q_head;
	struct session_req     **q_tail;
	size_t			 q_len;

	UT_hash_handle		 hh;		/* sessions by conn */
};

struct sessions {
	struct session		*by_conn;
	unsigned		 live;		/* not gone */
};

struct session	*session_new(struct sessions *, uint64_t conn);
struct session	*session_find(struct sessions *, uint64_t conn);
void		 session_free(struct sessions *, struct session *);
void		 session_free_all(struct sessions *);

/* Queue a copy of a request; -1 when out of memory. */
int		 session_push(struct session *, enum session_req_kind,
		    const char *buf, size_t len);
/* The oldest queued request (the caller frees it), or NULL. */
struct session_req *session_pop(struct session *);

/*
 * This node's index from room to its local connections in it, split by
 * protocol version so an event is encoded once per version and each list
 * handed to the bridge as it is.  Kept from the registry's events, whatever
 * the back end.
 */
struct local_room {
	char			*name;
	uint64_t		*conns[2];	/* [0]: version 1, [1]: version 2 */
	size_t			 n[2];
	size_t			 cap[2];
	UT_hash_handle		 hh;
};

struct local_rooms {
	struct local_room	*by_name;
};

struct local_room *local_room_find(struct local_rooms *, const char *name);
/* -1 when out of memory (nothing changed then). */
int		 local_room_add(struct local_rooms *, const char *name,
		    uint64_t conn, unsigned version);
void		 local_room_del(struct local_rooms *, const char *name,
		    uint64_t conn, unsigned version);
void		 local_rooms_free(struct local_rooms *);

#endif
