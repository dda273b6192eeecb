/*
 * The boundary between the libwebsockets I/O thread and the libevent thread
 * that runs the program's logic.  See bridge.c for why there are two threads.
 *
 * App -> lws: commands (send this frame to these connection ids, close this
 * id, shut down), woken with lws_cancel_service().
 * lws -> app: events (opened, message, closed), woken with an eventfd that
 * libevent watches.
 *
 * Connections are named by a 64-bit id on both sides, never by struct lws *.
 */
#ifndef CHAT_BRIDGE_H
#define CHAT_BRIDGE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "frame.h"

struct event_base;

enum bridge_event_type {
	BRIDGE_OPENED,		/* data: peer address */
	BRIDGE_MESSAGE,		/* data: complete text message */
	BRIDGE_BINARY,		/* a binary message arrived (data dropped) */
	BRIDGE_CLOSED,		/* connection gone (or client: connect failed);
				 * server: data holds "reason=R duration_ms=N" */
};

struct bridge_event {
	struct bridge_event	*next;
	enum bridge_event_type	 type;
	uint64_t		 conn;
	size_t			 len;
	char			 data[];	/* len bytes + NUL */
};

enum bridge_cmd_type {
	BRIDGE_SEND,		/* frame to conns[0..nconns) */
	BRIDGE_CLOSE,		/* close conns[0] with code/reason */
	BRIDGE_SHUTDOWN,	/* close everyone with code/reason, then stop */
	BRIDGE_CONNECT,		/* client: open a connection (data in reason) */
};

struct bridge_cmd {
	struct bridge_cmd	*next;
	enum bridge_cmd_type	 type;
	struct frame		*frame;
	uint16_t		 close_code;
	char			 reason[124];
	size_t			 nconns;
	uint64_t		 conns[];
};

typedef void (*bridge_event_cb)(struct bridge_event *ev, void *arg);
/* Runs in the lws thread for each command; it owns cmd and frees it. */
typedef void (*bridge_cmd_cb)(struct bridge_cmd *cmd, void *arg);

struct bridge;

/* App side. */
struct bridge	*bridge_new(struct event_base *base, bridge_event_cb on_event,
		    void *arg);
/* Start the lws thread: it loops on lws_service(ctx) until bridge_stop(). */
int		 bridge_start(struct bridge *b, struct lws_context *ctx);

/*
 * An lws context built on an event library (its own loop, not lws_service)
 * runs that loop instead: run() until stop() (called from the app thread)
 * makes it return, and calls bridge_flush_events() once per loop pass.
 */
struct bridge_loop {
	void	(*run)(void *arg);
	void	(*stop)(void *arg);
	void	 *arg;
};
int		 bridge_start_loop(struct bridge *b, struct lws_context *ctx,
		    const struct bridge_loop *loop);
/* Ask the lws thread to stop and join it.  Call before destroying ctx. */
void		 bridge_stop(struct bridge *b);
void		 bridge_free(struct bridge *b);

/* Queue frame (a reference is taken) for every id in conns. */
int		 bridge_send(struct bridge *b, struct frame *f,
		    const uint64_t *conns, size_t nconns);
int		 bridge_send_one(struct bridge *b, uint64_t conn,
		    struct frame *f);
int		 bridge_close(struct bridge *b, uint64_t conn, uint16_t code,
		    const char *reason);
int		 bridge_shutdown(struct bridge *b, uint16_t code,
		    const char *reason);
/* Queue any prepared command (the bridge owns it afterwards). */
int		 bridge_push_cmd(struct bridge *b, struct bridge_cmd *cmd);
struct bridge_cmd *bridge_cmd_new(enum bridge_cmd_type type, size_t nconns);

/* lws side (call only from the lws thread). */
void		 bridge_post(struct bridge *b, enum bridge_event_type type,
		    uint64_t conn, const void *data, size_t len);
/* Drain every queued command (FIFO) into cb; call on EVENT_WAIT_CANCELLED. */
void		 bridge_drain_cmds(struct bridge *b, bridge_cmd_cb cb,
		    void *arg);
/* Hand the events posted in this loop pass to the app (lws thread). */
void		 bridge_flush_events(struct bridge *b);

#endif
