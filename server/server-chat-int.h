/*
 * What server-chat.c (requests and sessions) and server-chat-event.c (the
 * registry's events) share.  Not an interface for anything else.
 */
#ifndef CHAT_SERVER_CHAT_INT_H
#define CHAT_SERVER_CHAT_INT_H

#include "proto.h"
#include "registry.h"
#include "server-chat.h"
#include "server-session.h"
#include "store.h"

struct chat {
	const struct server_config	*cfg;
	struct chat_io			 io;
	struct registry			*reg;
	struct store			*store;
	struct sessions			 sessions;
	struct local_rooms		 rooms;
	int				 closing;
};

/* Where a session is, as the registry names it. */
struct reg_where chat_at(struct chat *, const struct session *);

/* Encode msg once; NULL only when out of memory. */
struct frame	*chat_frame(const struct proto_msg *msg);
/* Send to one session (nothing once it is gone or replaced); out of
 * memory closes it with 1011, so no request is left unanswered. */
void		 chat_reply(struct chat *, struct session *,
		    const struct proto_msg *msg);
void		 chat_error_len(struct chat *, struct session *,
		    const char *text, size_t len);
void		 chat_error(struct chat *, struct session *, const char *text);
/* Decimal of v into buf (CHAT_ID_SIZE). */
char		*chat_u64(char *buf, uint64_t v);

/* The registry's event callback (server-chat-event.c). */
void		 chat_event(void *arg, const struct reg_event *ev);

#endif
