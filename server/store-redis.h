/*
 * store-redis: the store (store.h) in Redis, shared by every node of a
 * cluster, over the node's one redis-conn (so store and registry commands
 * keep one order).  Keys and scripts: redis-lua.h.
 */
#ifndef CHAT_STORE_REDIS_H
#define CHAT_STORE_REDIS_H

#include <stdint.h>

#include "store.h"

struct redis_conn;

/* rc is not owned; it must load redis_lua (redis-lua.h). */
struct store	*store_redis_new(struct redis_conn *rc, unsigned history_max,
		    uint64_t session_ttl_ms);
/*
 * After each "up" of the connection, before serving: read the epoch, or
 * start one if Redis has none (a new or emptied Redis).  done(arg, 1) once
 * the store has it, done(arg, 0) if Redis failed first.
 */
void		 store_redis_sync(struct store *, void (*done)(void *, int),
		    void *arg);
/* Complete in turn with reg's operations (registry_redis_hold): the
 * node's one order of completions across both layers. */
struct registry;
void		 store_redis_order(struct store *, struct registry *reg);

#endif
