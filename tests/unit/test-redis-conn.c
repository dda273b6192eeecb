/*
 * server/redis-conn.c against a real redis-server of our own (a free
 * loopback port, a temporary directory, stopped by PID): connect, scripts,
 * pub/sub, Redis killed and restarted, SCRIPT FLUSH, SIGSTOP past the
 * deadlines, a peer that accepts and never answers.  And --redis URLs.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "redis-conn.h"
#include "redis-test.h"
#include "util.h"

/* ------------------------------------------------------ the fixture */

#define SCRIPT_ECHO	0
#define SCRIPT_INCR	1
static const char *const scripts[] = {
	"return ARGV[1]",
	"return redis.call('INCR', KEYS[1])",
};

#define MAXLOG	64

struct fx {
	struct event_base	*base;
	struct redis_proc	 rp;
	struct redis_addr	 addr;
	struct redis_conn	*rc;
	struct redis_conn_timing t;
	int			 ups, downs;
	char			*msgs[MAXLOG];
	int			 nmsgs;
};

/* What one command got back. */
struct res {
	int		 done;
	int		 null;
	int		 type;
	long long	 integer;
	char		 str[128];
};

static void
on_state(void *arg, int up)
{
	struct fx	*fx = arg;

	if (up)
		fx->ups++;
	else
		fx->downs++;
}

static void
on_message(void *arg, const char *ch, size_t chlen, const char *data,
    size_t len)
{
	struct fx	*fx = arg;

	assert_true(fx->nmsgs < MAXLOG);
	assert_int_not_equal(asprintf(&fx->msgs[fx->nmsgs++], "%.*s:%.*s",
	    (int)chlen, ch, (int)len, data), -1);
}

static const struct redis_conn_ops ops = { on_state, on_message };

static void
on_reply(void *arg, const redisReply *r)
{
	struct res	*res = arg;

	assert_int_equal(res->done, 0);		/* exactly once */
	res->done = 1;
	if (r == NULL) {
		res->null = 1;
		return;
	}
	res->type = r->type;
	res->integer = r->integer;
	if (r->str != NULL)
		snprintf(res->str, sizeof res->str, "%s", r->str);
}

static void
on_subscribed(void *arg, int ok)
{
	int	*state = arg;

	*state = ok ? 1 : -1;
}

static int
fx_setup(void **st)
{
	struct fx	*fx = calloc(1, sizeof *fx);
	char		 url[64], err[256];

	assert_non_null(fx);
	fx->base = event_base_new();
	redis_start(&fx->rp);
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", fx->rp.port);
	assert_int_equal(redis_addr_parse(url, &fx->addr, err, sizeof err), 0);
	redis_test_timing(&fx->t);
	*st = fx;
	return 0;
}

static int
fx_teardown(void **st)
{
	struct fx	*fx = *st;
	int		 i;

	redis_conn_free(fx->rc);
	redis_addr_free(&fx->addr);
	redis_cleanup(&fx->rp);
	for (i = 0; i < fx->nmsgs; i++)
		free(fx->msgs[i]);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static void
fx_new_conn(struct fx *fx)
{
	fx->rc = redis_conn_new(fx->base, &fx->addr, &fx->t, scripts,
	    sizeof scripts / sizeof scripts[0], &ops, fx);
	assert_non_null(fx->rc);
	redis_conn_start(fx->rc);
}

/* Run the loop until *flag reaches want or ms (scaled) pass; 1 if so. */
static int
run_until(struct fx *fx, const int *flag, int want, unsigned ms)
{
	return redis_test_run(fx->base, flag, want, ms);
}

static void
run_for(struct fx *fx, unsigned ms)
{
	int	never = 0;

	run_until(fx, &never, 1, ms);
}

static void
fx_up(struct fx *fx)
{
	int	want = fx->ups + 1;

	if (fx->rc == NULL)
		fx_new_conn(fx);
	assert_true(run_until(fx, &fx->ups, want, 3000));
	assert_true(redis_conn_up(fx->rc));
}

static void
command_ok(struct fx *fx, struct res *res)
{
	assert_true(run_until(fx, &res->done, 1, 3000));
	assert_int_equal(res->null, 0);
}

/* --------------------------------------------------------------- tests */

static void
test_url(void **st)
{
	struct redis_addr	a;
	char			err[256];

	(void)st;
	assert_int_equal(redis_addr_parse("redis://127.0.0.1:6380/3", &a,
	    err, sizeof err), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 6380);
	assert_int_equal(a.db, 3);
	assert_null(a.path);
	redis_addr_free(&a);
	assert_int_equal(redis_addr_parse("redis://localhost", &a, err,
	    sizeof err), 0);
	assert_string_equal(a.host, "localhost");
	assert_int_equal(a.port, 6379);
	assert_int_equal(a.db, 0);
	redis_addr_free(&a);
	assert_int_equal(redis_addr_parse("redis://[::1]:7000/", &a, err,
	    sizeof err), 0);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 7000);
	redis_addr_free(&a);
	assert_int_equal(redis_addr_parse("unix:/run/redis/redis.sock", &a,
	    err, sizeof err), 0);
	assert_string_equal(a.path, "/run/redis/redis.sock");
	assert_null(a.host);
	redis_addr_free(&a);

#define BAD(url, msg) do {						\
	assert_int_equal(redis_addr_parse(url, &a, err, sizeof err), -1); \
	assert_string_equal(err, msg);					\
} while (0)
	BAD("http://x:1", "http://x:1: expected redis://HOST[:PORT][/DB] "
	    "or unix:/PATH");
	BAD("redis://", "redis://: no host");
	BAD("redis://:6379", "redis://:6379: no host");
	BAD("redis://h:0", "redis://h:0: bad port");
	BAD("redis://h:65536", "redis://h:65536: bad port");
	BAD("redis://h:12x", "redis://h:12x: bad port");
	BAD("redis://h:", "redis://h:: bad port");
	BAD("redis://h/x", "redis://h/x: bad database number (0-65535)");
	BAD("redis://h/-1", "redis://h/-1: bad database number (0-65535)");
	BAD("redis://h/65536", "redis://h/65536: bad database number "
	    "(0-65535)");
	BAD("redis://h/1/2", "redis://h/1/2: bad database number (0-65535)");
	BAD("redis://u:p@h", "redis://u:p@h: credentials and options in the "
	    "URL are not supported");
	BAD("redis://[::1", "redis://[::1: missing ]");
	BAD("redis://[::1]x", "redis://[::1]x: unexpected \"x\"");
	BAD("unix:sock", "unix:sock: unix: needs an absolute path");
	BAD("unix:/a/very/long/path/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "unix:/a/very/long/path/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: "
	    "socket path too long");
#undef BAD
}

static void
test_command_and_scripts(void **st)
{
	struct fx		*fx = *st;
	struct res		 a = { 0 }, b = { 0 }, e = { 0 };
	const char		*argv[] = { "counter" };
	const char		*echo[] = { "hello" };

	fx_new_conn(fx);
	/* Not up yet: refused, and the callback is never called. */
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a, "PING"),
	    -1);
	fx_up(fx);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "SET %s %b", "k", "v\0w", (size_t)3), 0);
	assert_int_equal(a.done, 0);		/* never synchronously */
	command_ok(fx, &a);
	assert_string_equal(a.str, "OK");
	memset(&a, 0, sizeof a);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "STRLEN k"), 0);
	command_ok(fx, &a);
	assert_int_equal(a.integer, 3);
	/* Error replies are replies. */
	memset(&a, 0, sizeof a);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "NOSUCHCOMMAND"), 0);
	command_ok(fx, &a);
	assert_int_equal(a.type, REDIS_REPLY_ERROR);
	assert_true(redis_conn_up(fx->rc));

	assert_int_equal(redis_conn_eval(fx->rc, SCRIPT_INCR, 1, 1, argv,
	    NULL, on_reply, &b), 0);
	assert_int_equal(redis_conn_eval(fx->rc, SCRIPT_ECHO, 0, 1, echo,
	    NULL, on_reply, &e), 0);
	assert_int_equal(redis_conn_eval(fx->rc, 2, 0, 0, NULL, NULL,
	    on_reply, &e), -1);		/* no such script */
	command_ok(fx, &b);
	command_ok(fx, &e);
	assert_int_equal(b.type, REDIS_REPLY_INTEGER);
	assert_int_equal(b.integer, 1);
	assert_string_equal(e.str, "hello");
	assert_int_equal(fx->downs, 0);
}

static void
test_select_db(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 };
	redisReply	*r;

	fx->addr.db = 5;
	fx_up(fx);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "SET indb5 yes"), 0);
	command_ok(fx, &a);
	r = redis_cmd(&fx->rp, "EXISTS indb5");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	r = redis_cmd(&fx->rp, "EVAL %s 0", "redis.call('SELECT', 5) "
	    "return redis.call('EXISTS', 'indb5')");
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
	/* A database that does not exist: SELECT fails, never up. */
	redis_conn_free(fx->rc);
	fx->rc = NULL;
	fx->addr.db = 4000;
	fx->ups = 0;
	fx_new_conn(fx);
	run_for(fx, 300);
	assert_int_equal(fx->ups, 0);
	assert_false(redis_conn_up(fx->rc));
}

static void
test_unix_socket(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 };
	char		 url[160], err[256];

	redis_addr_free(&fx->addr);
	snprintf(url, sizeof url, "unix:%s", fx->rp.sock);
	assert_int_equal(redis_addr_parse(url, &fx->addr, err, sizeof err), 0);
	fx_up(fx);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a, "PING"), 0);
	command_ok(fx, &a);
	assert_string_equal(a.str, "PONG");
}

/* Redis killed: pending commands get NULL, then "down"; Redis back on the
 * same port: "up" again, and the scripts work (they were reloaded: a new
 * Redis has none). */
static void
test_restart(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 }, b = { 0 };
	const char	*echo[] = { "again" };
	int		 sub = 0;

	fx_up(fx);
	assert_int_equal(redis_conn_subscribe(fx->rc, "ch", on_subscribed,
	    &sub), 0);
	assert_true(run_until(fx, &sub, 1, 4000));
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "BLPOP nothing 0"), 0);
	redis_kill(&fx->rp);
	assert_true(run_until(fx, &fx->downs, 1, 4000));
	assert_int_equal(a.done, 1);
	assert_int_equal(a.null, 1);
	assert_false(redis_conn_up(fx->rc));
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &b, "PING"),
	    -1);
	/* Retrying with backoff while Redis is away: still down. */
	run_for(fx, 300);
	assert_int_equal(fx->ups, 1);
	assert_int_equal(fx->downs, 1);
	redis_start(&fx->rp);
	assert_true(run_until(fx, &fx->ups, 2, 3000));
	assert_int_equal(redis_conn_eval(fx->rc, SCRIPT_ECHO, 0, 1, echo,
	    NULL, on_reply, &b), 0);
	command_ok(fx, &b);
	assert_string_equal(b.str, "again");
	/* Subscriptions were dropped with the link: subscribe again. */
	assert_int_equal(redis_conn_subscribe(fx->rc, "ch", on_subscribed,
	    &sub), 0);
	sub = 0;
	assert_true(run_until(fx, &sub, 1, 4000));
	assert_int_equal(redis_conn_ups(fx->rc), 2);
}

/* SCRIPT FLUSH under us: EVALSHA gets NOSCRIPT; never retried (it would
 * run after later commands): NULL, down, up with the scripts reloaded. */
static void
test_noscript(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 }, b = { 0 }, c = { 0 };
	const char	*argv[] = { "n" };
	redisReply	*r;

	fx_up(fx);
	r = redis_cmd(&fx->rp, "SCRIPT FLUSH");
	freeReplyObject(r);
	assert_int_equal(redis_conn_eval(fx->rc, SCRIPT_INCR, 1, 1, argv,
	    NULL, on_reply, &a), 0);
	assert_int_equal(redis_conn_eval(fx->rc, SCRIPT_INCR, 1, 1, argv,
	    NULL, on_reply, &b), 0);
	assert_true(run_until(fx, &a.done, 1, 4000));
	assert_true(run_until(fx, &b.done, 1, 4000));
	assert_int_equal(a.null, 1);
	assert_int_equal(b.null, 1);
	assert_true(run_until(fx, &fx->downs, 1, 4000));
	assert_true(run_until(fx, &fx->ups, 2, 3000));
	assert_int_equal(redis_conn_eval(fx->rc, SCRIPT_INCR, 1, 1, argv,
	    NULL, on_reply, &c), 0);
	command_ok(fx, &c);
	assert_int_equal(c.integer, 1);		/* the two never ran */
}

/* SIGSTOP past the command deadline: NULL and down within the deadline
 * plus a heartbeat; SIGCONT: up again. */
static void
test_sigstop(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 };
	uint64_t	 t0;

	fx_up(fx);
	kill(fx->rp.pid, SIGSTOP);
	t0 = util_now_ms();
	/* Idle: the heartbeat notices, after its deadline. */
	assert_true(run_until(fx, &fx->downs, 1, 3000));
	assert_true(util_now_ms() - t0 >= fx->t.command_ms);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a, "PING"),
	    -1);
	/* Still stopped: connects complete (the kernel accepts), the
	 * handshake never answers, so it never comes up. */
	run_for(fx, 800);
	assert_int_equal(fx->ups, 1);
	kill(fx->rp.pid, SIGCONT);
	assert_true(run_until(fx, &fx->ups, 2, 3000));
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a, "PING"), 0);
	command_ok(fx, &a);
	assert_string_equal(a.str, "PONG");
}

/* A command that hangs on a live link (BLPOP): NULL after command_ms. */
static void
test_command_timeout(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 };
	uint64_t	 t0;

	fx_up(fx);
	t0 = util_now_ms();
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "BLPOP nothing 0"), 0);
	assert_true(run_until(fx, &a.done, 1, 4000));
	assert_int_equal(a.null, 1);
	assert_true(util_now_ms() - t0 >= fx->t.command_ms);
	assert_true(run_until(fx, &fx->ups, 2, 3000));
	assert_int_equal(fx->downs, 1);
}

/* Nothing listening at first: retried with backoff, up once it is. */
static void
test_late_redis(void **st)
{
	struct fx	*fx = *st;

	redis_kill(&fx->rp);
	fx_new_conn(fx);
	run_for(fx, 400);
	assert_int_equal(fx->ups, 0);
	assert_int_equal(fx->downs, 0);		/* never up: no down */
	redis_start(&fx->rp);
	fx_up(fx);
}

static void
test_pubsub(void **st)
{
	struct fx	*fx = *st;
	struct res	 p[3];
	int		 s1 = 0, s2 = 0;

	memset(p, 0, sizeof p);
	fx_up(fx);
	assert_int_equal(redis_conn_subscribe(fx->rc, "room:a", on_subscribed,
	    &s1), 0);
	assert_int_equal(redis_conn_subscribe(fx->rc, "room:a", on_subscribed,
	    &s1), -1);			/* already pending */
	assert_int_equal(s1, 0);
	assert_true(run_until(fx, &s1, 1, 4000));
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &p[0],
	    "PUBLISH room:a one"), 0);
	command_ok(fx, &p[0]);
	assert_int_equal(p[0].integer, 1);
	run_until(fx, &fx->nmsgs, 1, 4000);
	assert_int_equal(fx->nmsgs, 1);
	assert_string_equal(fx->msgs[0], "room:a:one");

	/* Unsubscribe then subscribe again before Redis answered: the
	 * channel ends subscribed, and only the last callback runs. */
	assert_int_equal(redis_conn_unsubscribe(fx->rc, "room:a"), 0);
	assert_int_equal(redis_conn_unsubscribe(fx->rc, "room:a"), -1);
	assert_int_equal(redis_conn_subscribe(fx->rc, "room:a", on_subscribed,
	    &s2), 0);
	assert_true(run_until(fx, &s2, 1, 4000));
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &p[1],
	    "PUBLISH room:a two"), 0);
	command_ok(fx, &p[1]);
	assert_int_equal(p[1].integer, 1);
	run_until(fx, &fx->nmsgs, 2, 4000);
	assert_string_equal(fx->msgs[1], "room:a:two");

	/* Unsubscribed: nothing more arrives. */
	assert_int_equal(redis_conn_unsubscribe(fx->rc, "room:a"), 0);
	run_for(fx, 100);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &p[2],
	    "PUBLISH room:a three"), 0);
	command_ok(fx, &p[2]);
	assert_int_equal(p[2].integer, 0);
	run_for(fx, 100);
	assert_int_equal(fx->nmsgs, 2);
	/* Subscribed and then lost with the connection: 0. */
	s1 = 0;
	assert_int_equal(redis_conn_subscribe(fx->rc, "room:b", on_subscribed,
	    &s1), 0);
	redis_kill(&fx->rp);
	assert_true(run_until(fx, &fx->downs, 1, 4000));
	assert_true(s1 != 0);
	assert_int_equal(s1, -1);
}

/* Freed with commands and a subscription pending: each callback once,
 * with NULL / 0 (valgrind: nothing leaks). */
static void
test_free_pending(void **st)
{
	struct fx	*fx = *st;
	struct res	 a = { 0 }, b = { 0 };
	int		 s = 0;

	fx_up(fx);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &a,
	    "BLPOP nothing 0"), 0);
	assert_int_equal(redis_conn_command(fx->rc, on_reply, &b, "PING"), 0);
	assert_int_equal(redis_conn_subscribe(fx->rc, "c", on_subscribed, &s),
	    0);
	redis_conn_free(fx->rc);
	fx->rc = NULL;
	assert_int_equal(a.null, 1);
	assert_int_equal(b.null, 1);
	assert_int_equal(s, -1);
	assert_int_equal(fx->downs, 0);		/* no report when freed */
	run_for(fx, 50);
}

/* A peer that accepts the TCP connection and never answers: the
 * handshake deadline, then retries, never up. */
static void
test_silent_peer(void **st)
{
	struct fx		*fx = *st;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	fx->addr.port = ntohs(sin.sin_port);
	fx_new_conn(fx);
	run_for(fx, fx->t.connect_ms * 2 + 200);
	assert_int_equal(fx->ups, 0);
	assert_false(redis_conn_up(fx->rc));
	redis_conn_free(fx->rc);
	fx->rc = NULL;
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_command_and_scripts),
		T(test_select_db),
		T(test_unix_socket),
		T(test_restart),
		T(test_noscript),
		T(test_sigstop),
		T(test_command_timeout),
		T(test_late_redis),
		T(test_pubsub),
		T(test_free_pending),
		T(test_silent_peer),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	log_verbose = 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
