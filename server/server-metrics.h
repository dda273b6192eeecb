/*
 * What an operator sees: counters kept where the work happens, and the
 * --metrics ADDR:PORT endpoint (libevent's evhttp, on the main loop) that
 * serves them to Prometheus (/metrics) with a health check (/healthz).
 *
 * Threads: every counter has one writer thread and is bumped with a plain
 * relaxed load and store (no lock, no locked instruction).  The libevent
 * thread writes the chat counters, the lws thread the connection counters;
 * the scrape runs on the libevent thread and reads them all.  Only the
 * store functions may be called from any thread.
 */
#ifndef CHAT_SERVER_METRICS_H
#define CHAT_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct event_base;
struct evbuffer;

/* Why a connection ended: the label of chat_closed_total. */
enum metrics_close {
	METRICS_CLOSE_CLIENT,		/* the client sent a close frame */
	METRICS_CLOSE_LOST,		/* ended without one: TCP dropped,
					 * protocol error, failed write */
	METRICS_CLOSE_PING_TIMEOUT,	/* silent past --ping-timeout */
	METRICS_CLOSE_SLOW_CONSUMER,	/* outbound queue over --max-queue */
	METRICS_CLOSE_FRAME_TOO_BIG,	/* message over --max-frame */
	METRICS_CLOSE_RATE_LIMIT,	/* kept flooding */
	METRICS_CLOSE_REPLACED,		/* its session resumed elsewhere */
	METRICS_CLOSE_SHUTDOWN,		/* the server is stopping */
	METRICS_CLOSE_ERROR,		/* server-side failure (memory) */
	METRICS_NCLOSE
};

/* --- libevent thread (server-chat.c and chat-server.c) --- */

/* A request handled, by action; PROTO_UNKNOWN: refused by the decoder, or
 * a binary frame ("invalid"). */
void	metrics_request(enum proto_action);
/* An error reply: counted by kind, from its text (never kept or shown). */
void	metrics_error(const char *text, size_t len);
/* A user's protocol version changed: 0 -> 1 on connect, 1 -> 2 on hello,
 * v -> 0 on close. */
void	metrics_user_version(int from, int to);
/* A request refused by flood control; strikes as in server-chat.c. */
void	metrics_rate_limited(uint64_t conn, const char *user_id,
	    unsigned strikes);

/* --- lws thread (server-lws.c) --- */

void	metrics_connection(int delta);
void	metrics_deliveries(size_t n);
void	metrics_closed(enum metrics_close);
const char *metrics_close_name(enum metrics_close);
/* The reason for a close the chat logic asked for, by its close code. */
enum metrics_close metrics_close_for_code(uint16_t code);

/* --- stores (SQLite, Redis): any thread --- */

/* Monotonic nanoseconds, to time an operation with. */
uint64_t metrics_clock_ns(void);
/* One store operation (a commit, a round trip) took this long. */
void	metrics_store_observe(uint64_t start_ns);
void	metrics_store_seconds(double seconds);
/* Count and log a store error: store "sqlite" or "redis", op a fixed word. */
void	metrics_store_error(const char *store, const char *op,
	    const char *detail);
/* A store became reachable (up) or not; logged once per change. */
void	metrics_store_state(const char *store, int up, const char *detail);

/*
 * /healthz asks every check; one failing (returning -1 with a reason in
 * why) makes it 503 with that reason.  A store registers one that says
 * whether it is reachable.  Libevent thread.
 */
typedef int	(*metrics_health_cb)(void *arg, char *why, size_t size);
int	metrics_health_add(metrics_health_cb, void *arg);
void	metrics_health_clear(void);

/* --- the endpoint --- */

/* Gauges read when scraped: rooms of the chat. */
struct metrics_source {
	unsigned	(*rooms)(void *arg);
	void		 *arg;
};

/* The exposition text of every metric, appended to out. */
int	metrics_render(struct evbuffer *out, const struct metrics_source *);

struct metrics_http;
/* Serve addrport ("127.0.0.1:9100", "[::1]:9100"); NULL (logged) if not. */
struct metrics_http *metrics_http_new(struct event_base *,
	    const char *addrport, const struct metrics_source *);
void	metrics_http_free(struct metrics_http *);
/* Split "host:port" / "[v6]:port"; 0 if well formed (numeric address). */
int	metrics_parse_addr(const char *addrport, char *host, size_t size,
	    int *port);

#endif
