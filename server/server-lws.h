/* The server's libwebsockets side: everything that runs in the lws thread. */
#ifndef CHAT_SERVER_LWS_H
#define CHAT_SERVER_LWS_H

#include "bridge.h"
#include "server-config.h"

/* The WebSocket endpoint; plain requests elsewhere: server-web.c. */
#define CHAT_PATH	"/chatserver/connect"

struct server_lws;

/* Create the lws context listening as cfg says; NULL (logged) on failure. */
struct server_lws	*server_lws_new(const struct server_config *cfg,
			    struct bridge *b);
/* Start the lws thread (shared/bridge.c) on the server's event loop. */
int			 server_lws_start(struct server_lws *);
/* From the main thread: whether upgrades are served (--redis: only while
 * Redis is there; otherwise 503). */
void			 server_lws_serving(struct server_lws *, int yes);
/* Destroy the context; the bridge thread must have been stopped. */
void			 server_lws_free(struct server_lws *);

#endif
