/*
 * What server-lws.c (connections, queues, the lws thread) and
 * server-lws-gate.c (who may connect) share.  Not an interface for
 * anything else; lws thread only.
 */
#ifndef CHAT_SERVER_LWS_INT_H
#define CHAT_SERVER_LWS_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <libwebsockets.h>
#include <uthash.h>

#include "bridge.h"
#include "server-config.h"
#include "server-lws.h"

struct ip_count {
	char		 addr[48];
	unsigned	 n;
	UT_hash_handle	 hh;
};

/* Per-connection state: lws allocates and zeroes it (the "pss"). */
struct conn {
	uint64_t	 id;		/* 0 until established */
	struct lws	*wsi;
	UT_hash_handle	 hh;

	struct frame   **q;		/* ring of queued frames */
	uint32_t	 qcap;
	uint32_t	 qhead;
	uint32_t	 qlen;
	size_t		 qbytes;
	size_t		 qreplies;	/* of which replies */

	char		*rx;		/* partial message being reassembled */
	size_t		 rxlen;
	int		 rx_binary;
	int		 rx_dropping;	/* binary: count, do not keep */

	uint16_t	 close_code;	/* close once the queue is flushed */
	uint8_t		 close_sent;	/* our close frame is out */
	uint8_t		 close_now;	/* no polite wait: it does not read */
	uint8_t		 dirty;		/* on the list to write this pass */
	uint8_t		 rx_paused;	/* over max_queue: requests not read */
	uint8_t		 why;		/* enum metrics_close + 1, 0: unknown */
	uint64_t	 opened_ms;
	ev_tstamp	 last_rx;	/* when the peer last sent anything */
	char		 close_reason[24];	/* short: held by every conn */
	struct ip_count	*ip;		/* connections from this address */
};

struct server_lws {
	const struct server_config *cfg;
	struct bridge		*bridge;
	struct lws_context	*ctx;
	const char		*web_root;	/* NULL: no web client */
	lws_retry_bo_t		 retry;

	/* Owned by the lws thread. */
	struct conn		*conns;		/* by id */
	struct ip_count		*ips;
	unsigned		 nconns;
	uint64_t		 next_id;
	int			 shutting_down;
	unsigned char		*batch;		/* LWS_PRE + CHAT_WRITE_BATCH */
	struct conn	       **dirty;		/* got frames in this drain */
	size_t			 ndirty;
	size_t			 dirty_cap;

	/* The lws thread's event loop (see server_lws_new). */
	struct ev_loop		*loop;
	ev_prepare		 pass_end;	/* flush events to the app */
	ev_async		 stop;
	ev_timer		 tick;		/* lws timers, see server_tick */

	/* Set by the main thread: --redis and Redis is not there. */
	atomic_int		 unavailable;
};

/* Decide whether an upgrade may proceed: >0 refused with a status sent. */
int		 server_gate_upgrade(struct server_lws *, struct lws *wsi);
/* Connections from addr: counted while open, for --max-clients-per-ip. */
struct ip_count	*server_ip_ref(struct server_lws *, const char *addr);
void		 server_ip_unref(struct server_lws *, struct ip_count *);

#endif
