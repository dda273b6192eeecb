/*
 * What registry-redis.c (channels, operations, events, node life) and
 * registry-redis-ops.c (the registry operations) share.  Not an interface
 * for anything else.
 */
#ifndef CHAT_REGISTRY_REDIS_INT_H
#define CHAT_REGISTRY_REDIS_INT_H

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>

#include <uthash.h>

#include "redis-conn.h"
#include "redis-lua.h"
#include "registry-redis.h"

struct event;

#define RR_ARGS_MAX	10

enum op_state {
	OP_WAIT_SUB,		/* its room's SUBSCRIBE not confirmed yet */
	OP_SENT,		/* the script's reply not in yet */
	OP_WAIT_EVENTS,		/* its events not all delivered yet */
};

struct registry_redis;
struct rr_chan;

struct rr_op {
	TAILQ_ENTRY(rr_op)	 entry;		/* rr->ops */
	TAILQ_ENTRY(rr_op)	 sub_entry;	/* chan->sub_waiters */
	struct registry_redis	*rr;		/* NULL: orphaned by destroy */
	enum op_state		 state;
	enum redis_lua		 script;
	reg_done_cb		 done;
	void			*arg;
	struct rr_chan		*join_chan;	/* holds its subscription */
	int			 nwaits;
	struct reg_result	 res;
	int			 ready;		/* res final, waits its turn */
	void			*owned;		/* what res points into */
	int			 argc;
	const char		*argv[RR_ARGS_MAX];
	size_t			 lens[RR_ARGS_MAX];
	char			*args;		/* the copies argv points into */
};

struct rr_wait {
	TAILQ_ENTRY(rr_wait)	 entry;
	struct rr_op		*op;
	long long		 cseq;
};

enum chan_state {
	CH_SUBSCRIBING,
	CH_SUBSCRIBED,
};

struct rr_chan {
	UT_hash_handle		 hh;
	struct registry_redis	*rr;
	char			*name;		/* the channel */
	char			*room;		/* NULL: this node's channel */
	enum chan_state		 state;
	long long		 last;		/* cseq delivered; 0: none yet */
	unsigned		 local;		/* this node's members */
	unsigned		 pending;	/* joins in flight */
	unsigned		 busy;		/* delivering: keep it */
	TAILQ_HEAD(, rr_op)	 sub_waiters;
	TAILQ_HEAD(, rr_wait)	 waits;
};

/* A connection of this node that is online (for nusers). */
struct rr_conn {
	UT_hash_handle		 hh;
	uint64_t		 conn;
};

struct registry_redis {
	struct registry		 reg;
	struct event_base	*base;
	struct redis_conn	*rc;
	char			 prefix[32];	/* channels: chat:<db>: */
	unsigned		 history_max;
	uint64_t		 session_ttl_ms;
	struct rr_chan		*chans;
	struct rr_chan		*node_chan;
	struct rr_conn		*conns;
	TAILQ_HEAD(, rr_op)	 ops;		/* in the order started */
	int			 draining;
	struct event		*ev_alive;
	void			(*up_done)(void *, int);
	void			*up_arg;
};

#define RR(r)	((struct registry_redis *)(r))

#define NUM(buf, v)	(snprintf(buf, sizeof buf, "%" PRIu64, (uint64_t)(v)))

struct rr_chan	*chan_find(struct registry_redis *, const char *, size_t);
/* Subscribe to room's channel (NULL room: this node's). */
struct rr_chan	*chan_new(struct registry_redis *, const char *room);
/* argv copied; NULL (done called with REG_ERR_NOMEM) when out of memory. */
struct rr_op	*op_new(struct registry_redis *, enum redis_lua,
		    reg_done_cb, void *, int argc, const char *const *argv,
		    const size_t *lens);
void		 op_send(struct rr_op *);
void		 op_finish(struct rr_op *, enum reg_status);
void		 user_copy(struct reg_user *, const char *id,
		    const char *name);
void		 rr_destroy(struct registry *);

extern const struct registry_ops registry_redis_ops;

#endif
