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

struct cluster;

struct chat {
	const struct server_config	*cfg;
	struct chat_io			 io;
	struct registry			*reg;
	struct store			*store;
	struct sessions			 sessions;
	struct local_rooms		 rooms;
	int				 closing;
	struct cluster			*cluster;	/* --redis */
	void				(*serving)(void *, int);
	void				*serving_arg;
};

/* Where a session is, as the registry names it. */
struct reg_where chat_at(struct chat *, const struct session *);

/* Encode msg once; NULL only when out of memory. */
struct frame	*chat_frame(const struct proto_msg *msg);
/* Close s with 1011 and say nothing more to it: what cannot be answered. */
void		 chat_fail(struct chat *, struct session *, const char *reason);
/* Send to one session (nothing once it is gone or replaced); out of
 * memory closes it with 1011, so no request is left unanswered. */
void		 chat_reply(struct chat *, struct session *,
		    const struct proto_msg *msg);
/* Send to one session what it did not ask for (a private message to it):
 * it counts towards the slow-consumer bound. */
void		 chat_deliver(struct chat *, struct session *,
		    const struct proto_msg *msg);
void		 chat_error_len(struct chat *, struct session *,
		    const char *text, size_t len);
void		 chat_error(struct chat *, struct session *, const char *text);
/* Its user id, "-" until the store gave one (for log lines). */
const char	*chat_session_id(const struct session *);
/* Decimal of v into buf (CHAT_ID_SIZE). */
char		*chat_u64(char *buf, uint64_t v);

/* "pre" + what (len bytes, may hold NUL) + "post", as an error. */
void		 chat_error_fmt(struct chat *, struct session *,
		    const char *pre, const char *what, size_t len,
		    const char *post);
/* "out of memory", or "service unavailable" when the back end is down. */
void		 chat_status_error(struct chat *, struct session *, int down);
/* Keep a copy of what the answer will repeat (s->req_str); -1: no memory. */
int		 chat_stash(struct session *, const char *str, size_t len);
/* The request in flight is answered: on to the next. */
void		 chat_done(struct chat *, struct session *);
/* Wall clock, ms since 1970. */
uint64_t	 chat_wall(struct chat *);

/* Completions: each finds its session alive (sessions outlive their
 * operations) and does nothing while the chat is being freed. */
#define CHAT_CB_START(arg)						\
	struct session	*s = (arg);					\
	struct chat	*c = s->chat;					\
	if (c->closing)							\
		return

/* Version 2 requests (server-chat-v2.c). */
void		 chat_hello(struct chat *, struct session *,
		    const struct proto_msg *);
void		 chat_nick(struct chat *, struct session *,
		    const struct proto_msg *);
void		 chat_history(struct chat *, struct session *,
		    const struct proto_msg *);

/* The registry's event callback (server-chat-event.c). */
void		 chat_event(void *arg, const struct reg_event *ev);

#endif
