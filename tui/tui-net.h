/*
 * The client's WebSocket: libwebsockets' client API in its own thread,
 * behind shared/bridge.h, with reconnection (exponential backoff with
 * jitter) driven from the libevent thread.
 */
#ifndef TUI_NET_H
#define TUI_NET_H

#include <stddef.h>

#include "proto.h"
#include "tui-url.h"

struct event_base;
struct tui_net;

struct tui_net_cbs {
	void	(*opened)(void *arg);
	void	(*message)(const char *buf, size_t len, void *arg);
	/*
	 * code: the server's WebSocket close code (0: none sent);
	 * retry_ms: when the next attempt starts (0: none, quitting).
	 */
	void	(*closed)(const char *why, unsigned code, unsigned retry_ms,
		    void *arg);
	void	*arg;
};

/* ca: CA file for wss:// (NULL: the system store).  NULL on failure. */
struct tui_net	*tui_net_new(struct event_base *base, const struct tui_url *u,
		    const char *ca, const struct tui_net_cbs *cbs);
/* Start the lws thread and the first connection attempt. */
int		 tui_net_start(struct tui_net *n);
/* Encode and queue a request; dropped when not connected. */
int		 tui_net_send(struct tui_net *n, const struct proto_msg *msg);
/* Close cleanly (1000) and stop reconnecting; closed() follows. */
void		 tui_net_close(struct tui_net *n);
int		 tui_net_connected(const struct tui_net *n);
/* No retry until tui_net_reconnect (after a "replaced" close). */
void		 tui_net_hold(struct tui_net *n);
/* Connect again now: drop the connection if there is one. */
void		 tui_net_reconnect(struct tui_net *n);
void		 tui_net_free(struct tui_net *n);

#endif
