/*
 * redis-conn: one logical connection to Redis on the libevent loop, made
 * of two hiredis contexts: one for commands and Lua scripts, one for
 * SUBSCRIBE (a subscribed context takes no other command).  It connects,
 * loads the scripts, watches Redis with a PING and per-command deadlines,
 * and when anything fails drops both contexts, reports "down" and
 * reconnects with a capped, jittered backoff.
 *
 * States: DOWN (waiting out the backoff) -> CONNECTING (both contexts
 * connecting, SELECT and SCRIPT LOAD in flight, under one deadline) ->
 * UP -> on any failure DOWN again.  Commands are accepted only when UP.
 *
 * Callbacks are never called from inside the function that starts the
 * operation.  A command's callback runs exactly once: with Redis's reply
 * (error replies included) or with NULL when the outcome is unknown (the
 * link failed, timed out, or was freed); a command that got NULL may or
 * may not have run.  All NULL callbacks of a failure run before the owner
 * hears "down".
 */
#ifndef CHAT_REDIS_CONN_H
#define CHAT_REDIS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "redis-addr.h"

struct event_base;

struct redis_conn_ops {
	/* Up (1) or down (0).  After a down every subscription is gone. */
	void	(*state)(void *arg, int up);
	/* A message on a subscribed channel, in Redis's order. */
	void	(*message)(void *arg, const char *channel, size_t chlen,
		    const char *data, size_t len);
};

/* Timing, in milliseconds (defaults in chat-limits.h). */
struct redis_conn_timing {
	unsigned	 connect_ms;	/* connect + handshake deadline */
	unsigned	 command_ms;	/* a reply's deadline */
	unsigned	 heartbeat_ms;	/* PING period when up */
	unsigned	 backoff_min_ms;
	unsigned	 backoff_max_ms;
};

typedef void redis_reply_fn(void *arg, const redisReply *);
typedef void redis_subscribed_fn(void *arg, int ok);

struct redis_conn;

void	redis_conn_timing_defaults(struct redis_conn_timing *);
/* scripts: Lua sources, loaded on every (re)connect; kept by reference. */
struct redis_conn *redis_conn_new(struct event_base *,
	    const struct redis_addr *, const struct redis_conn_timing *,
	    const char *const *scripts, size_t nscripts,
	    const struct redis_conn_ops *, void *arg);
/* Start connecting (and keep reconnecting until freed). */
void	redis_conn_start(struct redis_conn *);
/* Pending callbacks get NULL, subscription callbacks 0; no state report.
 * Not from inside one of this connection's callbacks. */
void	redis_conn_free(struct redis_conn *);
int	redis_conn_up(const struct redis_conn *);
/* Drop the connection now (e.g. a gap in a channel's events): "down",
 * then reconnect as after any failure. */
void	redis_conn_reset(struct redis_conn *, const char *why);
/* Times it went up, for logs and tests. */
uint64_t redis_conn_ups(const struct redis_conn *);

/* A command; 0, or -1 when not up (fn is then never called). */
int	redis_conn_command(struct redis_conn *, redis_reply_fn *, void *,
	    const char *fmt, ...);
int	redis_conn_commandv(struct redis_conn *, redis_reply_fn *, void *,
	    int argc, const char **argv, const size_t *lens);
/*
 * EVALSHA of script number `script` with nkeys keys first in argv.  A
 * NOSCRIPT error (SCRIPT FLUSH under us) is never retried, which could
 * reorder it behind later commands: the connection goes down and up
 * again, reloading the scripts, and fn gets NULL.
 */
int	redis_conn_eval(struct redis_conn *, size_t script, int nkeys,
	    int argc, const char **argv, const size_t *lens,
	    redis_reply_fn *, void *);
/*
 * SUBSCRIBE; fn(arg, 1) once Redis confirms (messages published after that
 * reach ops->message), fn(arg, 0) if the connection goes down first.
 * Subscribing to a channel already subscribed or pending is an error (-1).
 */
int	redis_conn_subscribe(struct redis_conn *, const char *channel,
	    redis_subscribed_fn *, void *);
/* UNSUBSCRIBE; a pending subscribe's callback is then never called. */
int	redis_conn_unsubscribe(struct redis_conn *, const char *channel);

#endif
