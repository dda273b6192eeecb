/*
 * registry-redis: the registry (registry.h) in Redis, for several nodes.
 * Every operation is one Lua script (redis-lua.h) that changes the shared
 * state, numbers and PUBLISHes its events; a node delivers room events
 * only as they come back on its subscriptions, its own requests' too, so
 * every member on every node sees one order per room.  A node subscribes
 * to a room before its first local join there, and an operation is done
 * only once the events it published to this node have arrived.
 */
#ifndef CHAT_REGISTRY_REDIS_H
#define CHAT_REGISTRY_REDIS_H

#include <stdint.h>

#include "registry.h"

struct event_base;
struct redis_conn;

/* rc is not owned; it must load redis_lua (redis-lua.h).  db: the
 * database number, which names the channels (pub/sub ignores databases).
 * history_max: room messages kept per room (the store's --history). */
struct registry	*registry_redis_new(struct event_base *,
		    struct redis_conn *rc, int db, unsigned history_max,
		    uint64_t session_ttl_ms, reg_event_cb event, void *arg);
/*
 * After each "up" of the connection: take a new node number, subscribe
 * to its channel, start the liveness key.  done(arg, 1) once serving,
 * done(arg, 0) if Redis failed first.
 */
void		 registry_redis_up(struct registry *,
		    void (*done)(void *, int), void *arg);
/* A message on one of the connection's channels (redis_conn_ops.message
 * of the owner passes it on). */
void		 registry_redis_message(struct registry *, const char *channel,
		    size_t chlen, const char *data, size_t len);
/*
 * A place in this node's order of completions, for an operation of
 * another layer (the Redis store) that must not overtake the registry's
 * (a history reply before the requester's own echo): hold when it starts,
 * release with its completion, which then runs in turn (at once if the
 * registry is gone; fn NULL: nothing to run).  hold: NULL when out of
 * memory (no ordering then).
 */
void		*registry_redis_hold(struct registry *);
void		 registry_redis_release(void *hold, reg_done_cb fn, void *arg);
/* After each "down": operations waiting on events fail (REG_ERR_DOWN),
 * subscriptions are forgotten, the liveness key lapses. */
void		 registry_redis_down(struct registry *);

#endif
