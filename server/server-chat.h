/*
 * The chat logic: requests in, replies and notifications out.  It knows
 * the protocol, the session of each connection and the registry and store
 * interfaces, nothing of sockets or threads, so unit tests and the fuzzer
 * drive it directly.
 */
#ifndef CHAT_SERVER_CHAT_H
#define CHAT_SERVER_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "server-config.h"

struct event_base;

/* Where frames and closes go: the bridge in chat-server, a sink in tests. */
struct chat_io {
	void			(*send)(void *arg, struct frame *f,
				    const uint64_t *conns, size_t nconns);
	void			(*close)(void *arg, uint64_t conn,
				    uint16_t code, const char *reason);
	uint64_t		(*now_ms)(void *arg);	/* monotonic */
	void			 *arg;
	/* Wall clock (ms since 1970) for ts and session expiry; NULL: the
	 * system's. */
	uint64_t		(*wall_ms)(void *arg);
	/* Called when the last session is gone (optional). */
	void			(*idle)(void *arg);
};

/* chat_new flags: complete every back-end operation on a later loop pass
 * (tests: catches code that touches state after starting one). */
#define CHAT_DEFER	0x1

struct chat;

/* base: the loop (NULL only without --db and CHAT_DEFER).  NULL with a
 * message in *error (malloc'd) when the store cannot be opened. */
struct chat	*chat_new(const struct server_config *cfg,
		    const struct chat_io *io, struct event_base *base,
		    int flags, char **error);
/* On back ends made by the caller (tests, other back ends): the chat
 * owns them from here, and sets reg's event callback. */
struct registry;
struct store;
struct chat	*chat_new_on(const struct server_config *cfg,
		    const struct chat_io *io, struct registry *reg,
		    struct store *store);
void		 chat_free(struct chat *);
/* --redis: fn(arg, yes) says whether new connections can be served (until
 * the first yes, they cannot); on a no, every client is being closed. */
void		 chat_on_serving(struct chat *, void (*fn)(void *, int),
		    void *arg);
/* Sessions alive, closed ones still finishing included. */
unsigned	 chat_users(struct chat *);
/* Rooms the registry knows (the rooms gauge of server-metrics.h). */
unsigned	 chat_rooms(struct chat *);
/* The id of the user on conn, "-" if none yet (for log lines). */
const char	*chat_user_id(struct chat *, uint64_t conn);
unsigned	 chat_rooms(struct chat *);
/* The id of the user on conn, "-" if none (for log lines). */
const char	*chat_user_id(struct chat *, uint64_t conn);

/* addr: the peer's address for the event log (NULL: none). */
void		 chat_opened(struct chat *, uint64_t conn, const char *addr);
void		 chat_message(struct chat *, uint64_t conn, const char *buf,
		    size_t len);
void		 chat_binary(struct chat *, uint64_t conn);
void		 chat_closed(struct chat *, uint64_t conn);

#endif
