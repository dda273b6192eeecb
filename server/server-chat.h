/*
 * The chat logic: one request in, replies and notifications out.  It knows
 * the protocol and the registry interface, nothing of sockets or threads,
 * so unit tests and the fuzzer drive it directly.
 */
#ifndef CHAT_SERVER_CHAT_H
#define CHAT_SERVER_CHAT_H

#include <stdint.h>

#include "registry.h"
#include "server-config.h"

/* Where frames and closes go: the bridge in chat-server, a sink in tests. */
struct chat_io {
	registry_deliver_cb	  send;
	void			(*close)(void *arg, uint64_t conn,
				    uint16_t code, const char *reason);
	uint64_t		(*now_ms)(void *arg);
	void			 *arg;
};

struct chat;

struct chat	*chat_new(const struct server_config *cfg,
		    const struct chat_io *io);
void		 chat_free(struct chat *);
unsigned	 chat_users(struct chat *);
unsigned	 chat_rooms(struct chat *);
/* The id of the user on conn, "-" if none (for log lines). */
const char	*chat_user_id(struct chat *, uint64_t conn);

void		 chat_opened(struct chat *, uint64_t conn);
void		 chat_message(struct chat *, uint64_t conn, const char *buf,
		    size_t len);
void		 chat_binary(struct chat *, uint64_t conn);
void		 chat_closed(struct chat *, uint64_t conn);

#endif
