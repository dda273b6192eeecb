/*
 * The store: what outlives a connection.  The user id counter, sessions
 * (a SHA-256 of each token, never the token), names, each room's history
 * with the server-wide seq counter, and the epoch naming that history.
 *
 *   store-mem.c	for the life of the process (a new epoch each start)
 *   store-sqlite.c	--db FILE: one transaction per loop pass (fewer
 *			under load), on a writer thread
 *   (issue 13)		Redis, shared by every node
 *
 * Contract, for every back end:
 * - Every operation completes asynchronously through its callback, called
 *   exactly once on the libevent thread, possibly before the call returns.
 *   Writes complete only once durable (SQLite: committed), so a caller that
 *   waits for history_append before delivering never shows a client a
 *   message a crash could lose, and an id from id_next is never handed out
 *   again.  Completions come in the order the operations were started.
 * - Failures are statuses (STORE_ERR_*); a write error while running is
 *   logged by the back end and reported to the callback, never an abort.
 * - Strings cross by value, copied before an operation returns; pointers
 *   in results are valid only during the callback.
 * - Time is the caller's (ms since 1970), so tests can move it.
 * - A session is held (connected: its TTL does not run) by one holder at
 *   a time, named by a number the store gives out, increasing per
 *   session.  Every connection that got a holder number releases it
 *   once, and a release counts only if it names the current holder: a
 *   connection that lost the session to a later one (on any node)
 *   releasing late changes nothing.
 */
#ifndef CHAT_STORE_H
#define CHAT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat-limits.h"

struct event_base;

enum store_status {
	STORE_OK = 0,
	STORE_ERR_NOT_FOUND,	/* session_resume: unknown or expired token */
	STORE_ERR_TAKEN,	/* name_set: another valid session has it */
	STORE_ERR_NOMEM,
	STORE_ERR_IO,		/* the database refused (logged) */
	STORE_ERR_DOWN,		/* back end unreachable (Redis) */
};

/* One history entry.  name "" when the sender had none. */
struct store_msg {
	uint64_t	 seq;
	uint64_t	 ts;
	char		 user_id[CHAT_ID_SIZE];
	char		 name[CHAT_NAME_MAX + 1];
	const char	*text;		/* may hold NUL */
	size_t		 text_len;
};

struct store_result {
	enum store_status	 status;
	uint64_t		 id;		/* id_next */
	uint64_t		 seq;		/* history_append */
	char			 user_id[CHAT_ID_SIZE];	/* session_resume */
	char			 name[CHAT_NAME_MAX + 1]; /* session_resume */
	bool			 held;		/* session_resume */
	uint64_t		 holder;	/* session_create, _resume */
	const struct store_msg	*msgs;		/* history: oldest first */
	size_t			 n;
};

typedef void (*store_done_cb)(void *arg, const struct store_result *res);

/* A history page (before / after only when has_before / has_after). */
struct store_query {
	const char	*room;
	size_t		 room_len;	/* any bytes, NUL included */
	uint64_t	 before;
	uint64_t	 after;
	bool		 has_before, has_after;
	unsigned	 limit;		/* 1..CHAT_HISTORY_PAGE_MAX */
};

struct store;

struct store_ops {
	const char	*name;

	/* result.id: the next user id, never returned before (ever). */
	void	(*id_next)(struct store *, store_done_cb, void *);

	/* A new session for user id, held now (result.holder), with no
	 * name. */
	void	(*session_create)(struct store *, const char *id,
		    const unsigned char hash[CHAT_TOKEN_HASH_SIZE],
		    uint64_t now, store_done_cb, void *);
	/*
	 * The session of this token hash, if it has not expired: result
	 * user_id, name and a new holder number.  Not held: that holder
	 * holds it from now on.  held (another connection holds it): the
	 * current holder keeps it until the caller, having taken it over
	 * (its holder replaced), calls session_claim; a caller that gives
	 * up instead (its connection closed meanwhile) just releases its
	 * number, which changes nothing.  Otherwise STORE_ERR_NOT_FOUND.
	 */
	void	(*session_resume)(struct store *,
		    const unsigned char hash[CHAT_TOKEN_HASH_SIZE],
		    uint64_t now, store_done_cb, void *);
	/*
	 * holder (from session_resume) holds id's session from now on
	 * (connected), unless a later one already does.  Ordered by holder
	 * number, not by the registry's kicks: two resumes of one token at
	 * once on two nodes can still leave the hold with the one replaced.
	 */
	void	(*session_claim)(struct store *, const char *id,
		    uint64_t holder, uint64_t now, store_done_cb, void *);
	/* If holder holds id's session, it is disconnected as of now: its
	 * TTL runs.  Otherwise nothing (STORE_OK either way). */
	void	(*session_release)(struct store *, const char *id,
		    uint64_t holder, uint64_t now, store_done_cb, void *);
	/*
	 * Give id's session the name (validated by the caller; "" removes
	 * it).  STORE_ERR_TAKEN if another unexpired session's name equals
	 * it ignoring ASCII case.  Expired sessions lose their names here.
	 */
	void	(*name_set)(struct store *, const char *id, const char *name,
		    uint64_t now, store_done_cb, void *);

	/*
	 * Append a room message: the store assigns the next seq (result.seq,
	 * increasing across the server and across restarts within an epoch,
	 * even when no history is kept) and keeps the last --history entries
	 * of the room.  msg->seq is ignored.
	 */
	void	(*history_append)(struct store *, const char *room,
		    const struct store_msg *msg, store_done_cb, void *);
	/* result.msgs: the page q asks for (doc/protocol.md, history). */
	void	(*history_query)(struct store *, const struct store_query *q,
		    store_done_cb, void *);

	/* Non-empty; the same while history is intact. */
	const char *(*epoch)(struct store *);

	/* Completes every pending operation (writes committed if they
	 * can be), then frees the store. */
	void	(*destroy)(struct store *);
};

struct store {
	const struct store_ops	*ops;
	unsigned		 history_max;	/* per room, 0: none */
	uint64_t		 session_ttl_ms;
};

/*
 * With defer non-NULL, completions run on a later pass of that loop
 * instead of before the call returns (tests).
 */
struct store	*store_mem_new(unsigned history_max, uint64_t session_ttl_ms,
		    struct event_base *defer);

/*
 * Open (creating it if missing) the SQLite database at path, on base
 * (each loop pass's operations go to the writer thread as one batch).
 * NULL with a message naming path and the reason in *error (malloc'd)
 * when it cannot be opened, is not a chat-server database, is newer than
 * this program or is in use by another server; nothing is overwritten
 * then.
 */
struct store	*store_sqlite_new(const char *path, unsigned history_max,
		    uint64_t session_ttl_ms, struct event_base *base,
		    char **error);

#endif
