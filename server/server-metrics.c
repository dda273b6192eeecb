/*
 * Counters and the metrics endpoint (see server-metrics.h for the threads).
 *
 * The exposition is Prometheus's text format 0.0.4: names chat_*, counters
 * ending in _total, seconds for time, every label value from a fixed list
 * here (an error's text holds user input, so errors are counted by kind).
 */
#include <arpa/inet.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "server-metrics.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

typedef _Atomic uint64_t	counter_t;

/* Single writer: a relaxed load and store, which is a plain add on every
 * CPU we run on; the scrape reads a value that is at worst a moment old. */
#define COUNTER_ADD(c, n) atomic_store_explicit(&(c),			\
	atomic_load_explicit(&(c), memory_order_relaxed) + (n),		\
	memory_order_relaxed)
#define COUNTER_GET(c)	atomic_load_explicit(&(c), memory_order_relaxed)

/* chat_requests_total{action}: every action of doc/protocol.md v1 and v2. */
static const char *const metrics_actions[] = {
	"join", "leave", "room_message", "private_message", "rooms",
	"participants", "hello", "nick", "history", "invalid",
};
#define METRICS_NACTIONS \
	(sizeof metrics_actions / sizeof metrics_actions[0])
#define METRICS_ACTION_INVALID	(METRICS_NACTIONS - 1)

/* chat_error_replies_total{kind}: each error text of doc/protocol.md, by its
 * fixed part (prefix and suffix around the user's words). */
static const struct {
	const char	*kind;
	const char	*prefix;
	const char	*suffix;	/* NULL: the whole text is prefix */
} metrics_errors[] = {
	{ "invalid_json", PROTO_ERR_INVALID_JSON, NULL },
	{ "missing_action", PROTO_ERR_MISSING_ACTION, NULL },
	{ "unknown_action", "unknown action: ", "" },
	{ "missing_field", "missing field: ", "" },
	{ "invalid_room", PROTO_ERR_INVALID_ROOM, NULL },
	{ "invalid_message", PROTO_ERR_INVALID_MESSAGE, NULL },
	{ "not_in_room", PROTO_ERR_NOT_IN_ROOM_LEAVE, NULL },
	{ "not_in_room", PROTO_ERR_NOT_IN_ROOM, NULL },
	{ "no_such_room", "room ", " does not exist" },
	{ "no_such_user", "user ", " is not on the server" },
	{ "binary", PROTO_ERR_BINARY, NULL },
	{ "rate_limit", PROTO_ERR_RATE_LIMIT, NULL },
	{ "hello_not_first", "hello must be the first request", NULL },
	{ "invalid_token", "invalid token", NULL },
	{ "invalid_name", "invalid name", NULL },
	{ "name_taken", "name ", " is taken" },
	{ "invalid_limit", "invalid limit", NULL },
	{ "invalid_seq", "invalid seq", NULL },
	{ "internal", "out of memory", NULL },
};
#define METRICS_NERRORS	(sizeof metrics_errors / sizeof metrics_errors[0])
/* Distinct kinds, in table order, and "other" for a text not listed. */
static const char *const metrics_error_kinds[] = {
	"invalid_json", "missing_action", "unknown_action", "missing_field",
	"invalid_room", "invalid_message", "not_in_room", "no_such_room",
	"no_such_user", "binary", "rate_limit", "hello_not_first",
	"invalid_token", "invalid_name", "name_taken", "invalid_limit",
	"invalid_seq", "internal", "other",
};
#define METRICS_NKINDS \
	(sizeof metrics_error_kinds / sizeof metrics_error_kinds[0])

static const char *const metrics_close_names[METRICS_NCLOSE] = {
	[METRICS_CLOSE_CLIENT] = "client",
	[METRICS_CLOSE_LOST] = "lost",
	[METRICS_CLOSE_PING_TIMEOUT] = "ping_timeout",
	[METRICS_CLOSE_SLOW_CONSUMER] = "slow_consumer",
	[METRICS_CLOSE_FRAME_TOO_BIG] = "frame_too_big",
	[METRICS_CLOSE_RATE_LIMIT] = "rate_limit",
	[METRICS_CLOSE_REPLACED] = "replaced",
	[METRICS_CLOSE_SHUTDOWN] = "shutdown",
	[METRICS_CLOSE_ERROR] = "error",
};

/* chat_store_seconds: upper bounds of the buckets, in seconds. */
static const double metrics_store_bounds[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5,
};
#define METRICS_NBOUNDS \
	(sizeof metrics_store_bounds / sizeof metrics_store_bounds[0])

static const char *const metrics_stores[] = { "sqlite", "redis" };
#define METRICS_NSTORES	(sizeof metrics_stores / sizeof metrics_stores[0])

#define METRICS_HEALTH_MAX	4
#define METRICS_VERSIONS	2	/* protocol versions 1 and 2 */

/* Each thread's counters on cache lines of their own: no line bounces
 * between the two threads' cores on the hot path. */
#define METRICS_LINE	64

static struct {
	/* libevent thread */
	_Alignas(METRICS_LINE) counter_t requests[METRICS_NACTIONS];
	counter_t	errors[METRICS_NKINDS];
	counter_t	users[METRICS_VERSIONS + 1];	/* [0] unused */
	signed char	action_slot[32];	/* enum proto_action -> +1 */

	/* lws thread */
	_Alignas(METRICS_LINE) counter_t connections;
	counter_t	deliveries;
	counter_t	closed[METRICS_NCLOSE];

	/* any thread: atomic adds */
	_Alignas(METRICS_LINE) counter_t store_buckets[METRICS_NBOUNDS + 1];
	counter_t	store_sum_ns;
	counter_t	store_errors[METRICS_NSTORES];
	_Atomic int	store_state[METRICS_NSTORES];	/* 0 ?, 1 up, 2 down */

	struct {
		metrics_health_cb	 cb;
		void			*arg;
	}		health[METRICS_HEALTH_MAX];
	size_t		nhealth;
} metrics;

void
metrics_request(enum proto_action action)
{
	size_t		i;
	signed char	slot;

	if ((size_t)action >= sizeof metrics.action_slot) {
		COUNTER_ADD(metrics.requests[METRICS_ACTION_INVALID], 1);
		return;
	}
	/* Looked up by name once: this file need not follow proto.h's enum. */
	if ((slot = metrics.action_slot[action]) == 0) {
		slot = METRICS_ACTION_INVALID + 1;
		for (i = 0; action != PROTO_UNKNOWN &&
		    i < METRICS_ACTION_INVALID; i++) {
			if (strcmp(proto_action_name(action),
			    metrics_actions[i]) == 0)
				slot = (signed char)(i + 1);
		}
		metrics.action_slot[action] = slot;
	}
	COUNTER_ADD(metrics.requests[slot - 1], 1);
}

static size_t
metrics_kind_index(const char *kind)
{
	size_t	i;

	for (i = 0; i < METRICS_NKINDS - 1; i++) {
		if (strcmp(kind, metrics_error_kinds[i]) == 0)
			break;
	}
	return i;
}

void
metrics_error(const char *text, size_t len)
{
	size_t	i, plen, slen;

	if (len == 0)
		len = strlen(text);
	for (i = 0; i < METRICS_NERRORS; i++) {
		plen = strlen(metrics_errors[i].prefix);
		if (metrics_errors[i].suffix == NULL) {
			if (len == plen &&
			    memcmp(text, metrics_errors[i].prefix, len) == 0)
				break;
			continue;
		}
		slen = strlen(metrics_errors[i].suffix);
		if (len >= plen + slen &&
		    memcmp(text, metrics_errors[i].prefix, plen) == 0 &&
		    memcmp(text + len - slen, metrics_errors[i].suffix,
		    slen) == 0)
			break;
	}
	if (i == METRICS_NERRORS)
		COUNTER_ADD(metrics.errors[METRICS_NKINDS - 1], 1);
	else
		COUNTER_ADD(metrics.errors[metrics_kind_index(
		    metrics_errors[i].kind)], 1);
}

void
metrics_user_version(int from, int to)
{
	if (from >= 1 && from <= METRICS_VERSIONS)
		COUNTER_ADD(metrics.users[from], -1);
	if (to >= 1 && to <= METRICS_VERSIONS)
		COUNTER_ADD(metrics.users[to], 1);
}

void
metrics_rate_limited(uint64_t conn, const char *user_id, unsigned strikes)
{
	/* Once per episode: the first refusal after the bucket was full. */
	if (strikes == 1)
		log_event(1, "rate_limited", "conn=%llu user=%s",
		    (unsigned long long)conn, user_id);
}

void
metrics_connection(int delta)
{
	COUNTER_ADD(metrics.connections, (uint64_t)(int64_t)delta);
}

void
metrics_deliveries(size_t n)
{
	COUNTER_ADD(metrics.deliveries, n);
}

void
metrics_closed(enum metrics_close why)
{
	if ((unsigned)why < METRICS_NCLOSE)
		COUNTER_ADD(metrics.closed[why], 1);
}

const char *
metrics_close_name(enum metrics_close why)
{
	return (unsigned)why < METRICS_NCLOSE ? metrics_close_names[why] :
	    "error";
}

enum metrics_close
metrics_close_for_code(uint16_t code)
{
	switch (code) {
	case 1001:
		return METRICS_CLOSE_SHUTDOWN;
	case 1008:
		return METRICS_CLOSE_RATE_LIMIT;
	case 4000:
		return METRICS_CLOSE_REPLACED;
	default:
		return METRICS_CLOSE_ERROR;
	}
}

uint64_t
metrics_clock_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void
metrics_store_ns(uint64_t ns)
{
	size_t	i;

	for (i = 0; i < METRICS_NBOUNDS; i++) {
		if ((double)ns <= metrics_store_bounds[i] * 1e9)
			break;
	}
	atomic_fetch_add_explicit(&metrics.store_buckets[i], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&metrics.store_sum_ns, ns,
	    memory_order_relaxed);
}

void
metrics_store_observe(uint64_t start_ns)
{
	uint64_t	now = metrics_clock_ns();

	metrics_store_ns(now > start_ns ? now - start_ns : 0);
}

void
metrics_store_seconds(double seconds)
{
	metrics_store_ns(seconds > 0 ? (uint64_t)(seconds * 1e9) : 0);
}

static size_t
metrics_store_index(const char *store)
{
	size_t	i;

	for (i = 0; i < METRICS_NSTORES; i++) {
		if (strcmp(store, metrics_stores[i]) == 0)
			break;
	}
	return i;
}

void
metrics_store_error(const char *store, const char *op, const char *detail)
{
	char	q[256];
	size_t	i = metrics_store_index(store);

	if (i < METRICS_NSTORES)
		atomic_fetch_add_explicit(&metrics.store_errors[i], 1,
		    memory_order_relaxed);
	log_event(0, "store_error", "store=%s op=%s error=%s", store, op,
	    log_quote(q, sizeof q, detail != NULL ? detail : "unknown"));
}

void
metrics_store_state(const char *store, int up, const char *detail)
{
	char	q[256];
	size_t	i = metrics_store_index(store);
	int	state = up ? 1 : 2;

	if (i < METRICS_NSTORES &&
	    atomic_exchange(&metrics.store_state[i], state) == state)
		return;
	if (up)
		log_event(0, "store_up", "store=%s", store);
	else
		log_event(0, "store_down", "store=%s error=%s", store,
		    log_quote(q, sizeof q, detail != NULL ? detail :
		    "unknown"));
}

int
metrics_health_add(metrics_health_cb cb, void *arg)
{
	if (metrics.nhealth == METRICS_HEALTH_MAX)
		return -1;
	metrics.health[metrics.nhealth].cb = cb;
	metrics.health[metrics.nhealth].arg = arg;
	metrics.nhealth++;
	return 0;
}

void
metrics_health_clear(void)
{
	metrics.nhealth = 0;
}

/* ------------------------------------------------------------ rendering */

static void
metrics_head(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

static void
metrics_labelled(struct evbuffer *out, const char *name, const char *label,
    const char *const *values, counter_t *counts, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		evbuffer_add_printf(out, "%s{%s=\"%s\"} %llu\n", name, label,
		    values[i], (unsigned long long)COUNTER_GET(counts[i]));
}

static void
metrics_render_store(struct evbuffer *out)
{
	uint64_t	cum = 0;
	size_t		i;

	metrics_head(out, "chat_store_seconds", "histogram",
	    "Latency of store operations (SQLite commits, Redis round "
	    "trips).");
	for (i = 0; i <= METRICS_NBOUNDS; i++) {
		cum += COUNTER_GET(metrics.store_buckets[i]);
		if (i < METRICS_NBOUNDS)
			evbuffer_add_printf(out,
			    "chat_store_seconds_bucket{le=\"%g\"} %llu\n",
			    metrics_store_bounds[i], (unsigned long long)cum);
		else
			evbuffer_add_printf(out,
			    "chat_store_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	/* The count is the buckets' total, so +Inf == count even while
	 * another thread observes. */
	evbuffer_add_printf(out, "chat_store_seconds_sum %.9f\n"
	    "chat_store_seconds_count %llu\n",
	    (double)COUNTER_GET(metrics.store_sum_ns) / 1e9,
	    (unsigned long long)cum);

	metrics_head(out, "chat_store_errors_total", "counter",
	    "Failed store operations.");
	metrics_labelled(out, "chat_store_errors_total", "store",
	    metrics_stores, metrics.store_errors, METRICS_NSTORES);
	metrics_head(out, "chat_store_up", "gauge",
	    "1 when the store answers, 0 when not (only stores in use).");
	for (i = 0; i < METRICS_NSTORES; i++) {
		int s = atomic_load(&metrics.store_state[i]);
		if (s != 0)
			evbuffer_add_printf(out, "chat_store_up{store=\"%s\"} "
			    "%d\n", metrics_stores[i], s == 1);
	}
}

int
metrics_render(struct evbuffer *out, const struct metrics_source *src)
{
	static const char *const versions[] = { "1", "2" };

	metrics_head(out, "chat_connections", "gauge",
	    "Open WebSocket connections.");
	evbuffer_add_printf(out, "chat_connections %lld\n",
	    (long long)COUNTER_GET(metrics.connections));
	metrics_head(out, "chat_users", "gauge",
	    "Connected users, by protocol version.");
	metrics_labelled(out, "chat_users", "version", versions,
	    metrics.users + 1, METRICS_VERSIONS);
	metrics_head(out, "chat_rooms", "gauge", "Rooms with members.");
	evbuffer_add_printf(out, "chat_rooms %u\n",
	    src != NULL && src->rooms != NULL ? src->rooms(src->arg) : 0);

	metrics_head(out, "chat_requests_total", "counter",
	    "Requests handled, by action; invalid: refused by the decoder "
	    "or binary.");
	metrics_labelled(out, "chat_requests_total", "action",
	    metrics_actions, metrics.requests, METRICS_NACTIONS);
	metrics_head(out, "chat_deliveries_total", "counter",
	    "Frames queued to clients, one per recipient.");
	evbuffer_add_printf(out, "chat_deliveries_total %llu\n",
	    (unsigned long long)COUNTER_GET(metrics.deliveries));
	metrics_head(out, "chat_error_replies_total", "counter",
	    "Error replies sent, by kind.");
	metrics_labelled(out, "chat_error_replies_total", "kind",
	    metrics_error_kinds, metrics.errors, METRICS_NKINDS);
	metrics_head(out, "chat_closed_total", "counter",
	    "Connections ended, by reason.");
	metrics_labelled(out, "chat_closed_total", "reason",
	    metrics_close_names, metrics.closed, METRICS_NCLOSE);

	metrics_render_store(out);

	metrics_head(out, "chat_build_info", "gauge",
	    "The running chat-server's version; always 1.");
	evbuffer_add_printf(out, "chat_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	return 0;
}

/* ------------------------------------------------------------ HTTP */

struct metrics_http {
	struct evhttp		*http;
	struct metrics_source	 src;
};

static void
metrics_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

static void
metrics_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*body = evbuffer_new();

	if (body == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add_printf(body, "%s\n", text);
	metrics_reply(req, code, reason, "text/plain; charset=utf-8", body);
	evbuffer_free(body);
}

static void
metrics_serve(struct evhttp_request *req, void *arg)
{
	struct metrics_http	*mh = arg;
	struct evbuffer		*body = evbuffer_new();

	if (body == NULL || metrics_render(body, &mh->src) == -1) {
		if (body != NULL)
			evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	metrics_reply(req, HTTP_OK, "OK",
	    "text/plain; version=0.0.4; charset=utf-8", body);
	evbuffer_free(body);
}

static void
metrics_healthz(struct evhttp_request *req, void *arg)
{
	char	why[256];
	size_t	i;

	(void)arg;
	for (i = 0; i < metrics.nhealth; i++) {
		snprintf(why, sizeof why, "unavailable");
		if (metrics.health[i].cb(metrics.health[i].arg, why,
		    sizeof why) == -1) {
			metrics_text(req, 503, "Service Unavailable", why);
			return;
		}
	}
	metrics_text(req, HTTP_OK, "OK", "ok");
}

static void
metrics_not_found(struct evhttp_request *req, void *arg)
{
	(void)arg;
	metrics_text(req, HTTP_NOTFOUND, "Not Found", "not found");
}

int
metrics_parse_addr(const char *addrport, char *host, size_t size, int *port)
{
	const char	*colon, *h = addrport, *end;
	unsigned char	 sa[16];
	char		*p;
	long		 n;
	size_t		 hlen;
	int		 v6 = 0;

	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL || end[1] != ':')
			return -1;
		h++;
		colon = end + 1;
		v6 = 1;
	} else {
		if ((colon = strrchr(h, ':')) == NULL)
			return -1;
		end = colon;
	}
	hlen = (size_t)(end - h);
	if (hlen == 0 || hlen >= size || colon[1] < '0' || colon[1] > '9')
		return -1;
	n = strtol(colon + 1, &p, 10);
	if (*p != '\0' || n < 1 || n > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, sa) != 1)
		return -1;
	*port = (int)n;
	return 0;
}

struct metrics_http *
metrics_http_new(struct event_base *base, const char *addrport,
    const struct metrics_source *src)
{
	struct metrics_http	*mh;
	char			 host[64];
	int			 port;

	if (metrics_parse_addr(addrport, host, sizeof host, &port) == -1) {
		log_warn("metrics: bad address %s (want ADDR:PORT)", addrport);
		return NULL;
	}
	if ((mh = calloc(1, sizeof *mh)) == NULL)
		return NULL;
	if (src != NULL)
		mh->src = *src;
	if ((mh->http = evhttp_new(base)) == NULL) {
		free(mh);
		return NULL;
	}
	/* A scrape is a GET with no body; slow or huge requests are cut. */
	evhttp_set_allowed_methods(mh->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(mh->http, 10);
	evhttp_set_max_headers_size(mh->http, 8192);
	evhttp_set_max_body_size(mh->http, 0);
	evhttp_set_cb(mh->http, "/metrics", metrics_serve, mh);
	evhttp_set_cb(mh->http, "/healthz", metrics_healthz, mh);
	evhttp_set_gencb(mh->http, metrics_not_found, mh);
	if (evhttp_bind_socket_with_handle(mh->http, host, (uint16_t)port) ==
	    NULL) {
		log_warn("metrics: cannot listen on %s", addrport);
		metrics_http_free(mh);
		return NULL;
	}
	return mh;
}

void
metrics_http_free(struct metrics_http *mh)
{
	if (mh == NULL)
		return;
	evhttp_free(mh->http);
	free(mh);
}
