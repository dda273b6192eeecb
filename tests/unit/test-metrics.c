/*
 * server/server-metrics.c without a chat server: error kinds, the store
 * histogram, address parsing, and /healthz with a failing store check
 * (what the SQLite and Redis stores register), fetched over real HTTP
 * with libevent's client on one event loop.  log_quote() of shared/util.c.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "server-metrics.h"
#include "util.h"

/* The exposition text as a NUL-terminated string (caller frees). */
static char *
render(void)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*s;

	assert_non_null(b);
	assert_int_equal(metrics_render(b, NULL), 0);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* The value of the sample line starting with key (name and labels). */
static double
sample(const char *key)
{
	char	*s = render(), *p, want[256];
	double	 v = -1;

	snprintf(want, sizeof want, "\n%s ", key);
	p = strstr(s, want);
	if (p != NULL)
		v = strtod(p + strlen(want), NULL);
	free(s);
	if (p == NULL)
		fail_msg("no sample %s", key);
	return v;
}

static double
kind(const char *k)
{
	char	key[128];

	snprintf(key, sizeof key, "chat_error_replies_total{kind=\"%s\"}", k);
	return sample(key);
}

static void
test_error_kinds(void **state)
{
	static const struct {
		const char	*text;
		const char	*kind;
	} cases[] = {
		{ "invalid JSON", "invalid_json" },
		{ "missing action", "missing_action" },
		{ "unknown action: <script>", "unknown_action" },
		{ "missing field: room", "missing_field" },
		{ "invalid room name", "invalid_room" },
		{ "invalid message", "invalid_message" },
		{ "user was not in a room", "not_in_room" },
		{ "user is not in a room", "not_in_room" },
		{ "room a b c does not exist", "no_such_room" },
		{ "user 12 is not on the server", "no_such_user" },
		{ "user alice is not on the server", "no_such_user" },
		{ "binary frames are not supported", "binary" },
		{ "rate limit exceeded", "rate_limit" },
		{ "hello must be the first request", "hello_not_first" },
		{ "invalid token", "invalid_token" },
		{ "invalid name", "invalid_name" },
		{ "name bob is taken", "name_taken" },
		{ "invalid limit", "invalid_limit" },
		{ "invalid seq", "invalid_seq" },
		{ "out of memory", "internal" },
		{ "invalid JSON!", "other" },
		{ "user  is not on the server", "no_such_user" },
		{ "room does not exist", "other" },	/* no name in it */
		{ "something new", "other" },
	};
	size_t	i;
	double	before;
	char	*s;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		before = kind(cases[i].kind);
		metrics_error(cases[i].text, 0);
		if (kind(cases[i].kind) != before + 1)
			fail_msg("\"%s\" not counted as %s", cases[i].text,
			    cases[i].kind);
	}
	/* A text with NUL bytes, by its length. */
	before = kind("unknown_action");
	metrics_error("unknown action: a\0b", 19);
	assert_true(kind("unknown_action") == before + 1);
	/* The user's words never reach the output. */
	s = render();
	assert_null(strstr(s, "script"));
	assert_null(strstr(s, "alice"));
	free(s);
}

static void
test_requests(void **state)
{
	(void)state;
	metrics_request(PROTO_JOIN);
	metrics_request(PROTO_JOIN);
	metrics_request(PROTO_PARTICIPANTS);
	metrics_request(PROTO_UNKNOWN);
	metrics_request((enum proto_action)1000);
	/* Not requests: their names are not action labels. */
	metrics_request(PROTO_ERROR);
	assert_true(sample("chat_requests_total{action=\"join\"}") == 2);
	assert_true(sample("chat_requests_total{action=\"participants\"}") ==
	    1);
	assert_true(sample("chat_requests_total{action=\"invalid\"}") == 3);
	metrics_user_version(0, 1);
	metrics_user_version(0, 1);
	metrics_user_version(1, 2);
	assert_true(sample("chat_users{version=\"1\"}") == 1);
	assert_true(sample("chat_users{version=\"2\"}") == 1);
	metrics_user_version(2, 0);
	metrics_user_version(1, 0);
	assert_true(sample("chat_users{version=\"2\"}") == 0);
	assert_true(sample("chat_users{version=\"1\"}") == 0);
}

static void
test_histogram(void **state)
{
	(void)state;
	metrics_store_seconds(0.00005);
	metrics_store_seconds(0.003);
	metrics_store_seconds(0.005);	/* on a bound: in that bucket */
	metrics_store_seconds(7);	/* past the last bound */
	metrics_store_observe(metrics_clock_ns());
	assert_true(sample("chat_store_seconds_bucket{le=\"0.0001\"}") == 2);
	assert_true(sample("chat_store_seconds_bucket{le=\"0.0025\"}") == 2);
	assert_true(sample("chat_store_seconds_bucket{le=\"0.005\"}") == 4);
	assert_true(sample("chat_store_seconds_bucket{le=\"5\"}") == 4);
	assert_true(sample("chat_store_seconds_bucket{le=\"+Inf\"}") == 5);
	assert_true(sample("chat_store_seconds_count") == 5);
	assert_true(sample("chat_store_seconds_sum") >= 7.00805 &&
	    sample("chat_store_seconds_sum") < 7.1);
	metrics_store_error("redis", "publish", "Connection refused");
	metrics_store_error("sqlite", "commit", "disk I/O error");
	metrics_store_error("sqlite", "commit", "disk I/O error");
	assert_true(sample("chat_store_errors_total{store=\"sqlite\"}") == 2);
	assert_true(sample("chat_store_errors_total{store=\"redis\"}") == 1);
	metrics_store_state("redis", 0, "Connection refused");
	assert_true(sample("chat_store_up{store=\"redis\"}") == 0);
	metrics_store_state("redis", 1, NULL);
	assert_true(sample("chat_store_up{store=\"redis\"}") == 1);
}

static void
test_parse_addr(void **state)
{
	static const char *bad[] = {
		"", "127.0.0.1", ":9100", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:9x", "127.0.0.1:-1",
		"localhost:9100", "[::1]9100", "::1:9100", "[::1]:",
		"[]:9100", "1.2.3:9100", "127.0.0.1:+9100",
	};
	char	host[64];
	int	port;
	size_t	i;

	(void)state;
	assert_int_equal(metrics_parse_addr("127.0.0.1:9100", host,
	    sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9100);
	assert_int_equal(metrics_parse_addr("[::1]:65535", host, sizeof host,
	    &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(metrics_parse_addr("0.0.0.0:1", host, sizeof host,
	    &port), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (metrics_parse_addr(bad[i], host, sizeof host, &port) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
	}
}

static void
test_log_quote(void **state)
{
	char	buf[64];

	(void)state;
	assert_string_equal(log_quote(buf, sizeof buf, "word"), "word");
	assert_string_equal(log_quote(buf, sizeof buf, "disk I/O error"),
	    "\"disk I/O error\"");
	assert_string_equal(log_quote(buf, sizeof buf, "a\"b\\c\nd=e"),
	    "\"a\\\"b\\\\c\\x0ad=e\"");
	assert_string_equal(log_quote(buf, sizeof buf, ""), "\"\"");
	/* Cut short, still one quoted value. */
	log_quote(buf, 10, "a b c d e f g");
	assert_true(strlen(buf) < 10 && buf[0] == '"' &&
	    buf[strlen(buf) - 1] == '"' && strlen(buf) >= 3);
}

/* What fn writes to standard error, as a string (caller frees). */
static char *
stderr_of(void (*fn)(void))
{
	FILE	*tmp = tmpfile();
	char	*out;
	long	 n;
	int	 saved;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved != -1);
	assert_true(dup2(fileno(tmp), 2) != -1);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, 2) != -1);
	close(saved);
	n = ftell(tmp);
	assert_true(n >= 0);
	out = calloc(1, (size_t)n + 1);
	assert_non_null(out);
	rewind(tmp);
	assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return out;
}

static void
store_events(void)
{
	log_verbose = 0;	/* store trouble is logged without -v */
	metrics_store_error("sqlite", "commit", "database is locked");
	metrics_store_state("sqlite", 0, "unable to open database file");
	metrics_store_state("sqlite", 0, "again");	/* no change: quiet */
	metrics_store_state("sqlite", 1, NULL);
	metrics_store_state("sqlite", 1, NULL);
	log_event(1, "open", "conn=%d", 1);		/* needs -v */
	log_verbose = 1;
	log_event(1, "open", "conn=%d user=%s", 2, "7");
	log_event(2, "debug", "%s", "");		/* needs -vv */
	log_verbose = 0;
}

static void
test_event_lines(void **state)
{
	char	*out;

	(void)state;
	out = stderr_of(store_events);
	assert_string_equal(out,
	    "event=store_error store=sqlite op=commit "
	    "error=\"database is locked\"\n"
	    "event=store_down store=sqlite "
	    "error=\"unable to open database file\"\n"
	    "event=store_up store=sqlite\n"
	    "event=open conn=2 user=7\n");
	free(out);
}

/* ------------------------------------------------------------ /healthz */

struct fetch {
	struct event_base	*base;
	int			 status;
	char			 body[256];
};

static void
fetch_done(struct evhttp_request *req, void *arg)
{
	struct fetch	*f = arg;
	struct evbuffer	*b;
	size_t		 n;

	if (req != NULL) {
		f->status = evhttp_request_get_response_code(req);
		b = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(b);
		if (n >= sizeof f->body)
			n = sizeof f->body - 1;
		evbuffer_remove(b, f->body, n);
		f->body[n] = '\0';
	}
	event_base_loopexit(f->base, NULL);
}

/* GET path from the endpoint on port, on the same event loop. */
static void
fetch(struct event_base *base, int port, const char *path, struct fetch *f)
{
	struct evhttp_connection	*conn;
	struct evhttp_request		*req;

	memset(f, 0, sizeof *f);
	f->base = base;
	conn = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    (uint16_t)port);
	assert_non_null(conn);
	req = evhttp_request_new(fetch_done, f);
	assert_non_null(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    "127.0.0.1");
	assert_int_equal(evhttp_make_request(conn, req, EVHTTP_REQ_GET,
	    path), 0);
	event_base_dispatch(base);
	evhttp_connection_free(conn);
}

static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	close(s);
	return ntohs(sin.sin_port);
}

static int	store_up;

static int
store_check(void *arg, char *why, size_t size)
{
	assert_ptr_equal(arg, &store_up);
	if (store_up)
		return 0;
	snprintf(why, size, "redis: connection refused");
	return -1;
}

static void
test_healthz(void **state)
{
	struct event_base	*base = event_base_new();
	struct metrics_http	*mh = NULL;
	struct fetch		 f;
	char			 addr[32];
	int			 port = 0, i;

	(void)state;
	assert_non_null(base);
	for (i = 0; i < 5 && mh == NULL; i++) {
		port = free_port();
		snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
		mh = metrics_http_new(base, addr, NULL);
	}
	assert_non_null(mh);

	fetch(base, port, "/healthz", &f);
	assert_int_equal(f.status, 200);
	assert_string_equal(f.body, "ok\n");

	store_up = 1;
	assert_int_equal(metrics_health_add(store_check, &store_up), 0);
	fetch(base, port, "/healthz", &f);
	assert_int_equal(f.status, 200);
	store_up = 0;
	fetch(base, port, "/healthz", &f);
	assert_int_equal(f.status, 503);
	assert_string_equal(f.body, "redis: connection refused\n");
	store_up = 1;
	fetch(base, port, "/healthz", &f);
	assert_int_equal(f.status, 200);
	metrics_health_clear();

	fetch(base, port, "/metrics", &f);
	assert_int_equal(f.status, 200);
	assert_non_null(strstr(f.body, "# TYPE chat_connections gauge\n"));
	fetch(base, port, "/nope", &f);
	assert_int_equal(f.status, 404);

	metrics_http_free(mh);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_kinds),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_log_quote),
		cmocka_unit_test(test_event_lines),
		cmocka_unit_test(test_healthz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
