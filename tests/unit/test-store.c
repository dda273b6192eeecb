/*
 * The store variants (server/store-mem.c, server/store-sqlite.c,
 * server/store-redis.c) through the one interface of server/store.h: every
 * test body runs against each, completions awaited on a real libevent loop
 * (SQLite completes after its commit, a loop pass later; Redis when its
 * reply comes, from a redis-server of the test's own).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "redis-conn.h"
#include "redis-lua.h"
#include "redis-test.h"
#include "store.h"
#include "store-redis.h"
#include "store-util.h"

#define TTL	1000		/* ms */

struct fixture {
	const char		*kind;		/* "memory", "sqlite", "redis" */
	struct event_base	*base;
	struct store		*st;
	char			 dir[64];
	char			 path[128];
	unsigned		 history;
	struct redis_proc	 rp;		/* redis */
	struct redis_addr	 addr;
	struct redis_conn	*rc;
	int			 ups, synced;
};

/* The last completion, copied. */
static struct store_result	got;
static int			ndone;

static void
done(void *arg, const struct store_result *res)
{
	(void)arg;
	store_result_free_msgs(&got);
	assert_int_equal(store_result_copy(&got, res), 0);
	ndone++;
}

/* Run expr (one store operation) and wait for its completion, which
 * may come before it returns (memory) or a loop pass later (SQLite,
 * Redis). */
#define CALL(fx, expr)	do {						\
	int want_ = ndone + 1;						\
	expr;								\
	await_done((fx), want_);					\
} while (0)

static void
await_done(struct fixture *fx, int want)
{
	/* A reply over the network, or SQLite's writer thread. */
	redis_test_run(fx->base, &ndone, want, 3000);
	assert_int_equal(ndone, want);
}

static void
redis_state(void *arg, int up)
{
	struct fixture	*fx = arg;

	fx->ups += up;
}

static void
redis_message(void *arg, const char *ch, size_t chlen, const char *d,
    size_t len)
{
	(void)arg; (void)ch; (void)chlen; (void)d; (void)len;
}

static const struct redis_conn_ops redis_ops = { redis_state, redis_message };

static void
redis_synced(void *arg, int ok)
{
	struct fixture	*fx = arg;

	fx->synced += ok;
}

/* A store on the fixture's own redis-server, its epoch read. */
static struct store *
open_redis(struct fixture *fx)
{
	struct store	*st;
	int		 want = fx->synced + 1;
	char		 url[64], err[128];

	if (fx->rc == NULL) {
		redis_start(&fx->rp);
		snprintf(url, sizeof url, "redis://127.0.0.1:%d",
		    fx->rp.port);
		assert_int_equal(redis_addr_parse(url, &fx->addr, err,
		    sizeof err), 0);
		fx->rc = redis_conn_new(fx->base, &fx->addr, NULL, redis_lua,
		    RL_COUNT, &redis_ops, fx);
		assert_non_null(fx->rc);
		redis_conn_start(fx->rc);
		assert_true(redis_test_run(fx->base, &fx->ups, 1, 3000));
	}
	st = store_redis_new(fx->rc, fx->history, TTL);
	assert_non_null(st);
	store_redis_sync(st, redis_synced, fx);
	assert_true(redis_test_run(fx->base, &fx->synced, want, 3000));
	return st;
}

static struct store *
open_store(struct fixture *fx)
{
	char	*error = NULL;

	if (strcmp(fx->kind, "memory") == 0)
		return store_mem_new(fx->history, TTL, NULL);
	if (strcmp(fx->kind, "redis") == 0)
		return open_redis(fx);
	fx->st = store_sqlite_new(fx->path, fx->history, TTL, fx->base,
	    &error);
	if (fx->st == NULL)
		fail_msg("%s", error);
	return fx->st;
}

static int
setup(void **state, const char *kind, unsigned history)
{
	struct fixture	*fx = calloc(1, sizeof *fx);

	assert_non_null(fx);
	fx->kind = kind;
	fx->history = history;
	assert_non_null(fx->base = event_base_new());
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test-store.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/chat.db", fx->dir);
	assert_non_null(fx->st = open_store(fx));
	*state = fx;
	return 0;
}

static int setup_mem(void **s) { return setup(s, "memory", 5); }
static int setup_sql(void **s) { return setup(s, "sqlite", 5); }
static int setup_sql64(void **s) { return setup(s, "sqlite", 64); }
static int setup_redis(void **s) { return setup(s, "redis", 5); }

static int
teardown(void **state)
{
	struct fixture	*fx = *state;
	char		 wal[160];

	fx->st->ops->destroy(fx->st);
	if (fx->rc != NULL) {
		redis_conn_free(fx->rc);
		redis_addr_free(&fx->addr);
		redis_cleanup(&fx->rp);
	}
	event_base_free(fx->base);
	unlink(fx->path);
	snprintf(wal, sizeof wal, "%s-wal", fx->path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", fx->path);
	unlink(wal);
	rmdir(fx->dir);
	store_result_free_msgs(&got);
	free(fx);
	return 0;
}

static void
hash_of(const char *token, unsigned char hash[CHAT_TOKEN_HASH_SIZE])
{
	store_token_hash(token, strlen(token), hash);
}

static void
test_ids(void **state)
{
	struct fixture	*fx = *state;

	for (uint64_t i = 0; i < 5; i++) {
		CALL(fx, fx->st->ops->id_next(fx->st, done, NULL));
		assert_int_equal(got.status, STORE_OK);
		assert_int_equal(got.id, i);
	}
	assert_true(strlen(fx->st->ops->epoch(fx->st)) > 0);
}

static void
test_sessions(void **state)
{
	struct fixture	*fx = *state;
	struct store	*st = fx->st;
	unsigned char	 h1[CHAT_TOKEN_HASH_SIZE], h2[CHAT_TOKEN_HASH_SIZE];
	uint64_t	 holder;

	hash_of("token-one", h1);
	hash_of("token-two", h2);
	CALL(fx, st->ops->session_create(st, "7", h1, 100, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	holder = got.holder;
	CALL(fx, st->ops->session_resume(st, h2, 100, done, NULL));
	assert_int_equal(got.status, STORE_ERR_NOT_FOUND);
	CALL(fx, st->ops->session_resume(st, h1, 100, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	assert_string_equal(got.user_id, "7");
	assert_string_equal(got.name, "");
	assert_true(got.held);		/* created connected */
	/* Connected: never expires. */
	CALL(fx, st->ops->session_resume(st, h1, 100 + 10 * TTL, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	/* Released at t: alive at t + TTL, gone after. */
	CALL(fx, st->ops->session_release(st, "7", holder, 20000, done,
	    NULL));
	CALL(fx, st->ops->session_resume(st, h1, 20000 + TTL, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	assert_false(got.held);
	CALL(fx, st->ops->session_release(st, "7", got.holder, 30000, done,
	    NULL));
	CALL(fx, st->ops->session_resume(st, h1, 30001 + TTL, done, NULL));
	assert_int_equal(got.status, STORE_ERR_NOT_FOUND);
}

static void
test_names(void **state)
{
	struct fixture	*fx = *state;
	struct store	*st = fx->st;
	unsigned char	 h1[CHAT_TOKEN_HASH_SIZE], h2[CHAT_TOKEN_HASH_SIZE];
	uint64_t	 holder;

	hash_of("a", h1);
	hash_of("b", h2);
	CALL(fx, st->ops->session_create(st, "1", h1, 0, done, NULL));
	holder = got.holder;
	CALL(fx, st->ops->session_create(st, "2", h2, 0, done, NULL));
	CALL(fx, st->ops->name_set(st, "1", "Alice", 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	CALL(fx, st->ops->name_set(st, "2", "aLICE", 0, done, NULL));
	assert_int_equal(got.status, STORE_ERR_TAKEN);
	/* Its own name again, another case. */
	CALL(fx, st->ops->name_set(st, "1", "ALICE", 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	CALL(fx, st->ops->session_resume(st, h1, 0, done, NULL));
	assert_string_equal(got.name, "ALICE");
	/* Reserved while disconnected, free once expired. */
	CALL(fx, st->ops->session_release(st, "1", holder, 1000, done, NULL));
	CALL(fx, st->ops->name_set(st, "2", "alice", 1000 + TTL, done, NULL));
	assert_int_equal(got.status, STORE_ERR_TAKEN);
	CALL(fx, st->ops->name_set(st, "2", "alice", 1001 + TTL, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	/* "" removes it: free for others. */
	CALL(fx, st->ops->name_set(st, "2", "", 2000 + TTL, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	CALL(fx, st->ops->session_resume(st, h2, 2000 + TTL, done, NULL));
	assert_string_equal(got.name, "");
}

/*
 * Only the current holder's release counts: a connection that lost the
 * session to another (which claimed it), or that gave up its resume,
 * releasing late leaves the session connected, its name reserved.
 */
static void
test_holder(void **state)
{
	struct fixture	*fx = *state;
	struct store	*st = fx->st;
	unsigned char	 h[CHAT_TOKEN_HASH_SIZE], h2[CHAT_TOKEN_HASH_SIZE];
	uint64_t	 first, second, third, fourth, t;

	hash_of("held", h);
	hash_of("other", h2);
	CALL(fx, st->ops->session_create(st, "9", h, 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	first = got.holder;
	CALL(fx, st->ops->session_create(st, "8", h2, 0, done, NULL));
	CALL(fx, st->ops->name_set(st, "9", "Holder", 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);

	/* A second connection resumes it, replaces the first, claims it. */
	CALL(fx, st->ops->session_resume(st, h, 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	assert_true(got.held);
	second = got.holder;
	assert_true(second > first);
	CALL(fx, st->ops->session_claim(st, "9", second, 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	/* The first releases after that: nothing changes. */
	CALL(fx, st->ops->session_release(st, "9", first, 1000, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	t = 1001 + TTL;
	CALL(fx, st->ops->name_set(st, "8", "holder", t, done, NULL));
	assert_int_equal(got.status, STORE_ERR_TAKEN);
	/* A third resumes it, but gives up (never claims): its release
	 * changes nothing either, nor does an older claim. */
	CALL(fx, st->ops->session_resume(st, h, t, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	assert_true(got.held);
	assert_string_equal(got.name, "Holder");
	third = got.holder;
	assert_true(third > second);
	CALL(fx, st->ops->session_release(st, "9", third, t, done, NULL));
	CALL(fx, st->ops->session_claim(st, "9", first, t, done, NULL));
	CALL(fx, st->ops->session_release(st, "9", first, t, done, NULL));
	t += TTL + 1;
	CALL(fx, st->ops->name_set(st, "8", "holder", t, done, NULL));
	assert_int_equal(got.status, STORE_ERR_TAKEN);
	/* The holder's own release counts: its TTL runs. */
	CALL(fx, st->ops->session_release(st, "9", second, t, done, NULL));
	CALL(fx, st->ops->session_resume(st, h, t + TTL, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	assert_false(got.held);		/* released, and resumed again */
	fourth = got.holder;
	assert_true(fourth > third);
	/* Holding now without a claim (it was free); a stale release
	 * again changes nothing, its own does. */
	CALL(fx, st->ops->session_release(st, "9", second, t + TTL, done,
	    NULL));
	CALL(fx, st->ops->name_set(st, "8", "holder", t + 3 * TTL, done,
	    NULL));
	assert_int_equal(got.status, STORE_ERR_TAKEN);
	CALL(fx, st->ops->session_release(st, "9", fourth, t + 3 * TTL, done,
	    NULL));
	CALL(fx, st->ops->name_set(st, "8", "holder", t + 4 * TTL + 1, done,
	    NULL));
	assert_int_equal(got.status, STORE_OK);
}

static uint64_t
append(struct fixture *fx, const char *room, const char *text)
{
	struct store_msg	m;

	memset(&m, 0, sizeof m);
	m.ts = 42;
	snprintf(m.user_id, sizeof m.user_id, "3");
	snprintf(m.name, sizeof m.name, "bob");
	m.text = text;
	m.text_len = strlen(text);
	CALL(fx, fx->st->ops->history_append(fx->st, room, &m, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	return got.seq;
}

/* Query and compare the texts (joined with ','). */
static void
query(struct fixture *fx, const char *room, unsigned limit, int has_before,
    uint64_t before, int has_after, uint64_t after, const char *want)
{
	struct store_query	q;
	char			buf[256] = "";

	memset(&q, 0, sizeof q);
	q.room = room;
	q.room_len = strlen(room);
	q.limit = limit;
	q.has_before = has_before;
	q.before = before;
	q.has_after = has_after;
	q.after = after;
	CALL(fx, fx->st->ops->history_query(fx->st, &q, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	for (size_t i = 0; i < got.n; i++) {
		if (i > 0)
			strcat(buf, ",");
		strncat(buf, got.msgs[i].text, got.msgs[i].text_len);
		assert_int_equal(got.msgs[i].ts, 42);
		assert_string_equal(got.msgs[i].user_id, "3");
		assert_string_equal(got.msgs[i].name, "bob");
		if (i > 0)
			assert_true(got.msgs[i].seq > got.msgs[i - 1].seq);
	}
	assert_string_equal(buf, want);
}

static void
test_history(void **state)
{
	struct fixture	*fx = *state;
	uint64_t	 s[7];
	const char	*texts[] = { "a", "b", "c", "d", "e", "f", "g" };

	for (int i = 0; i < 7; i++) {
		s[i] = append(fx, "r", texts[i]);
		if (i > 0)
			assert_true(s[i] > s[i - 1]);
		/* Another room takes seqs too. */
		append(fx, "other", "x");
	}
	/* history 5: the last five of r are kept. */
	query(fx, "r", 50, 0, 0, 0, 0, "c,d,e,f,g");
	query(fx, "r", 2, 0, 0, 0, 0, "f,g");
	query(fx, "r", 2, 1, s[5], 0, 0, "d,e");
	query(fx, "r", 2, 0, 0, 1, s[2], "d,e");
	query(fx, "r", 50, 1, s[6], 1, s[3], "e,f");
	query(fx, "r", 50, 1, 0, 0, 0, "");
	query(fx, "r", 50, 0, 0, 1, UINT64_MAX, "");
	query(fx, "nowhere", 50, 0, 0, 0, 0, "");
	/* A message with U+0000 comes back byte for byte. */
	struct store_msg m = { .ts = 1, .text = "x\0y", .text_len = 3 };
	CALL(fx, fx->st->ops->history_append(fx->st, "nul", &m, done, NULL));
	struct store_query q = { .room = "nul", .room_len = 3, .limit = 5 };
	CALL(fx, fx->st->ops->history_query(fx->st, &q, done, NULL));
	assert_int_equal(got.n, 1);
	assert_int_equal(got.msgs[0].text_len, 3);
	assert_memory_equal(got.msgs[0].text, "x\0y", 3);
}

/*
 * SQLite trims a large history now and then, not each message: every room
 * still stays within a quarter over --history (64 here), even two rooms
 * whose messages alternate, so that a count shared by the server would
 * never come round to one of them.
 */
static void
test_trim_rooms(void **state)
{
	struct fixture		*fx = *state;
	const char		*rooms[] = { "a", "b" };
	struct store_query	 q = { .room_len = 1, .limit = 200 };
	uint64_t		 last[2] = { 0, 0 };

	for (int i = 0; i < 600; i++)
		last[i % 2] = append(fx, rooms[i % 2], "x");
	for (int r = 0; r < 2; r++) {
		q.room = rooms[r];
		CALL(fx, fx->st->ops->history_query(fx->st, &q, done, NULL));
		assert_true(got.n >= 64);
		assert_true(got.n <= 64 + 64 / CHAT_SQLITE_TRIM_SHARE);
		assert_int_equal(got.msgs[got.n - 1].seq, last[r]);
	}
}

/* Completions counted by status. */
static int	nfailed;

static void
done_count(void *arg, const struct store_result *res)
{
	(void)arg;
	if (res->status != STORE_OK)
		nfailed++;
	ndone++;
}

/*
 * SQLite: commits of many pages (300 messages over 150 rooms, the WAL's
 * writes gathered by store-sqlite-vfs.c, past 128 KiB once the rooms'
 * pages no longer fit few), all kept across a reopen.
 */
static void
test_big_commit(void **state)
{
	struct fixture		*fx = *state;
	struct store_msg	 m = { .ts = 42, .user_id = "3", .name = "bob",
				       .text = "hello", .text_len = 5 };
	struct store_query	 q = { .limit = 200 };
	char			 room[16];
	int			 want = ndone;

	nfailed = 0;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 300; i++) {
			snprintf(room, sizeof room, "room-%d", i % 150);
			fx->st->ops->history_append(fx->st, room, &m,
			    done_count, NULL);
		}
		want += 300;
		await_done(fx, want);
		assert_int_equal(nfailed, 0);
	}
	fx->st->ops->destroy(fx->st);
	assert_non_null(fx->st = open_store(fx));
	for (int i = 0; i < 150; i++) {
		snprintf(room, sizeof room, "room-%d", i);
		q.room = room;
		q.room_len = strlen(room);
		CALL(fx, fx->st->ops->history_query(fx->st, &q, done, NULL));
		assert_int_equal(got.n, 40);
		assert_int_equal(got.msgs[got.n - 1].text_len, 5);
	}
}

/* Seqs in the order their completions came. */
static uint64_t	order[2100];
static size_t	norder;

static void
done_order(void *arg, const struct store_result *res)
{
	(void)arg;
	assert_int_equal(res->status, STORE_OK);
	assert_true(norder < sizeof order / sizeof order[0]);
	order[norder++] = res->seq;
	ndone++;
}

static void
append_later(evutil_socket_t fd, short what, void *arg)
{
	struct fixture		*fx = arg;
	struct store_msg	 m = { .user_id = "1", .text = "later",
				       .text_len = 5 };

	(void)fd;
	(void)what;
	fx->st->ops->history_append(fx->st, "small", &m, done_order, NULL);
}

/*
 * Completions come in the order their operations started, whichever
 * thread runs them: for SQLite, a big batch goes to the writer thread and
 * the small ones started while it runs queue behind it, where on an idle
 * writer they would run on this thread.
 */
static void
test_order(void **state)
{
	struct fixture		*fx = *state;
	struct store_msg	 m = { .user_id = "1", .text = "big",
				       .text_len = 3 };
	struct timeval		 later[] = { { 0, 0 }, { 0, 1000 },
				    { 0, 5000 } };
	int			 want = ndone + 2000 + 3 + 1;
	size_t			 i;

	norder = 0;
	for (i = 0; i < 2000; i++)
		fx->st->ops->history_append(fx->st, "big", &m, done_order,
		    NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(event_base_once(fx->base, -1, EV_TIMEOUT,
		    append_later, fx, &later[i]), 0);
	await_done(fx, want - 1);
	append_later(-1, 0, fx);	/* the writer idle now */
	await_done(fx, want);
	assert_int_equal(norder, 2004);
	for (i = 1; i < norder; i++)
		assert_true(order[i] > order[i - 1]);
}

/* SQLite and Redis: everything survives a reopen (for Redis: a new store
 * object, as after a restart of the node). */
static void
test_reopen(void **state)
{
	struct fixture	*fx = *state;
	unsigned char	 h[CHAT_TOKEN_HASH_SIZE];
	char		 epoch[64];
	uint64_t	 seq;

	hash_of("keep", h);
	CALL(fx, fx->st->ops->id_next(fx->st, done, NULL));
	CALL(fx, fx->st->ops->session_create(fx->st, "0", h, 0, done, NULL));
	CALL(fx, fx->st->ops->name_set(fx->st, "0", "Keeper", 0, done, NULL));
	seq = append(fx, "r", "kept");
	snprintf(epoch, sizeof epoch, "%s", fx->st->ops->epoch(fx->st));
	fx->st->ops->destroy(fx->st);
	assert_non_null(fx->st = open_store(fx));
	assert_string_equal(fx->st->ops->epoch(fx->st), epoch);
	CALL(fx, fx->st->ops->id_next(fx->st, done, NULL));
	assert_int_equal(got.id, 1);
	CALL(fx, fx->st->ops->session_resume(fx->st, h, 0, done, NULL));
	assert_int_equal(got.status, STORE_OK);
	assert_string_equal(got.name, "Keeper");
	query(fx, "r", 50, 0, 0, 0, 0, "kept");
	assert_true(append(fx, "r", "next") > seq);
}

#define EACH(t)	cmocka_unit_test_setup_teardown(t, setup_mem, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_sql, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_redis, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		EACH(test_ids),
		EACH(test_order),
		EACH(test_sessions),
		EACH(test_names),
		EACH(test_holder),
		EACH(test_history),
		cmocka_unit_test_setup_teardown(test_reopen, setup_sql,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trim_rooms, setup_sql64,
		    teardown),
		cmocka_unit_test_setup_teardown(test_big_commit, setup_sql64,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup_redis,
		    teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
