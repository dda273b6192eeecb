/*
 * server/store-redis.c on a real redis-server of its own: ids across
 * nodes, sessions and their expiry on the caller's clock, names, history
 * pages and retention, the epoch, Redis down, AOF restart, destroy with
 * operations pending.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "redis-conn.h"
#include "redis-lua.h"
#include "redis-test.h"
#include "store-redis.h"
#include "util.h"

#define TTL	10000
#define T0	1700000000000ULL

/* What operations completed with, in completion order. */
#define MAXDONE	64
struct got {
	int			 n;
	int			 order[MAXDONE];	/* the tags, as completed */
	struct store_result	 res[MAXDONE];
	char			 text[MAXDONE][8][64];
};

struct fx {
	struct event_base	*base;
	struct redis_proc	 rp;
	struct redis_addr	 addr;
	struct redis_conn	*rc[2];		/* two nodes */
	struct store		*st[2];
	int			 ups[2];
	int			 synced;
	struct got		 got;
};

struct tag {
	struct fx	*fx;
	int		 tag;
};

static void
on_state(void *arg, int up)
{
	int	*ups = arg;

	if (up)
		(*ups)++;
}

static void
on_message(void *arg, const char *ch, size_t chlen, const char *d, size_t n)
{
	(void)arg; (void)ch; (void)chlen; (void)d; (void)n;
}

static const struct redis_conn_ops ops = { on_state, on_message };

static struct tag	tags[MAXDONE];

static void
on_done(void *arg, const struct store_result *res)
{
	struct tag	*t = arg;
	struct got	*g = &t->fx->got;
	size_t		 i;

	assert_true(g->n < MAXDONE);
	g->order[g->n] = t->tag;
	g->res[g->n] = *res;
	g->res[g->n].msgs = NULL;
	for (i = 0; i < res->n && i < 8; i++)
		snprintf(g->text[g->n][i], sizeof g->text[0][0],
		    "%" PRIu64 "|%" PRIu64 "|%s|%s|%.*s", res->msgs[i].seq,
		    res->msgs[i].ts, res->msgs[i].user_id, res->msgs[i].name,
		    (int)res->msgs[i].text_len, res->msgs[i].text);
	g->n++;
}

static void
on_synced(void *arg, int ok)
{
	struct fx	*fx = arg;

	fx->synced += ok ? 1 : 100;
}

static struct tag *
T(struct fx *fx, int tag)
{
	tags[tag].fx = fx;
	tags[tag].tag = tag;
	return &tags[tag];
}

static void
fx_node(struct fx *fx, int i, unsigned history)
{
	int			 want = fx->synced + 1;
	struct redis_conn_timing t;

	redis_test_timing(&t);
	fx->rc[i] = redis_conn_new(fx->base, &fx->addr, &t, redis_lua,
	    RL_COUNT, &ops, &fx->ups[i]);
	assert_non_null(fx->rc[i]);
	redis_conn_start(fx->rc[i]);
	assert_true(redis_test_run(fx->base, &fx->ups[i], 1, 3000));
	fx->st[i] = store_redis_new(fx->rc[i], history, TTL);
	assert_non_null(fx->st[i]);
	store_redis_sync(fx->st[i], on_synced, fx);
	assert_true(redis_test_run(fx->base, &fx->synced, want, 3000));
	assert_int_equal(fx->synced, want);
}

static int
setup_aof(void **state, int aof)
{
	struct fx	*fx = calloc(1, sizeof *fx);
	char		 url[64], err[128];

	assert_non_null(fx);
	fx->base = event_base_new();
	fx->rp.aof = aof;
	redis_start(&fx->rp);
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", fx->rp.port);
	assert_int_equal(redis_addr_parse(url, &fx->addr, err, sizeof err), 0);
	fx_node(fx, 0, 3);
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	return setup_aof(state, 0);
}

static int
setup_with_aof(void **state)
{
	return setup_aof(state, 1);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;
	int		 i;

	for (i = 0; i < 2; i++) {
		if (fx->st[i] != NULL)
			fx->st[i]->ops->destroy(fx->st[i]);
		redis_conn_free(fx->rc[i]);
	}
	redis_addr_free(&fx->addr);
	redis_cleanup(&fx->rp);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

/* Wait for n completions in all. */
static void
wait_done(struct fx *fx, int n)
{
	assert_true(redis_test_run(fx->base, &fx->got.n, n, 3000));
	assert_int_equal(fx->got.n, n);
}

static const unsigned char H1[CHAT_TOKEN_HASH_SIZE] = { 1, 2, 3, 0, 5 };
static const unsigned char H2[CHAT_TOKEN_HASH_SIZE] = { 9, 9, 9, 0, 9 };
static const unsigned char H3[CHAT_TOKEN_HASH_SIZE] = { 7 };

static void
test_ids_across_nodes(void **state)
{
	struct fx	*fx = *state;
	struct store	*a, *b;
	int		 i;

	fx_node(fx, 1, 3);
	a = fx->st[0];
	b = fx->st[1];
	a->ops->id_next(a, on_done, T(fx, 0));
	b->ops->id_next(b, on_done, T(fx, 1));
	a->ops->id_next(a, on_done, T(fx, 2));
	wait_done(fx, 3);
	/* From 0, each once, whichever node asked. */
	uint64_t seen = 0;
	for (i = 0; i < 3; i++) {
		assert_int_equal(fx->got.res[i].status, STORE_OK);
		assert_true(fx->got.res[i].id < 3);
		seen |= 1u << fx->got.res[i].id;
	}
	assert_int_equal(seen, 7);
	/* a's two in the order asked. */
	uint64_t id_of[3];
	for (i = 0; i < 3; i++)
		id_of[fx->got.order[i]] = fx->got.res[i].id;
	assert_true(id_of[0] < id_of[2]);
	/* The same epoch on both nodes. */
	assert_string_equal(a->ops->epoch(a), b->ops->epoch(b));
	assert_true(strlen(a->ops->epoch(a)) > 0);
}

static void
test_sessions(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->st[0];

	s->ops->session_create(s, "5", H1, T0, on_done, T(fx, 0));
	s->ops->session_resume(s, H1, T0, on_done, T(fx, 1));
	s->ops->session_resume(s, H2, T0, on_done, T(fx, 2));
	s->ops->name_set(s, "5", "Alice", T0, on_done, T(fx, 3));
	/* Released: resumable until ttl has passed, by the caller's clock. */
	/* (The holders: 1 created it, 2 resumed it and never claimed it,
	 * 3 resumed it released.) */
	s->ops->session_release(s, "5", 1, T0, on_done, T(fx, 4));
	s->ops->session_resume(s, H1, T0 + TTL - 1, on_done, T(fx, 5));
	s->ops->session_release(s, "5", 3, T0 + TTL, on_done, T(fx, 6));
	s->ops->session_resume(s, H1, T0 + 2 * TTL + 1, on_done, T(fx, 7));
	s->ops->session_resume(s, H1, T0 + 2 * TTL + 2, on_done, T(fx, 8));
	wait_done(fx, 9);
	for (int i = 0; i < 9; i++)
		assert_int_equal(fx->got.order[i], i);	/* in order */
	assert_int_equal(fx->got.res[0].status, STORE_OK);
	assert_int_equal(fx->got.res[0].holder, 1);
	assert_int_equal(fx->got.res[1].status, STORE_OK);
	assert_int_equal(fx->got.res[1].holder, 2);
	assert_string_equal(fx->got.res[1].user_id, "5");
	assert_string_equal(fx->got.res[1].name, "");
	assert_int_equal(fx->got.res[2].status, STORE_ERR_NOT_FOUND);
	assert_int_equal(fx->got.res[3].status, STORE_OK);
	assert_int_equal(fx->got.res[5].status, STORE_OK);
	assert_string_equal(fx->got.res[5].user_id, "5");
	assert_string_equal(fx->got.res[5].name, "Alice");
	assert_int_equal(fx->got.res[5].holder, 3);
	assert_int_equal(fx->got.res[7].status, STORE_ERR_NOT_FOUND);
	assert_int_equal(fx->got.res[8].status, STORE_ERR_NOT_FOUND);
}

static void
test_names(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->st[0];

	s->ops->session_create(s, "1", H1, T0, on_done, T(fx, 0));
	s->ops->session_create(s, "2", H2, T0, on_done, T(fx, 1));
	s->ops->name_set(s, "1", "alice", T0, on_done, T(fx, 2));
	s->ops->name_set(s, "2", "ALICE", T0, on_done, T(fx, 3));	/* taken */
	s->ops->name_set(s, "1", "Alice", T0, on_done, T(fx, 4));	/* own */
	s->ops->name_set(s, "1", "bob", T0, on_done, T(fx, 5));
	s->ops->name_set(s, "2", "alice", T0, on_done, T(fx, 6));	/* freed */
	s->ops->name_set(s, "2", "", T0, on_done, T(fx, 7));		/* drop */
	s->ops->name_set(s, "1", "Alice", T0, on_done, T(fx, 8));
	/* 1 disconnects: its name stays reserved until it expires. */
	s->ops->session_release(s, "1", 1, T0, on_done, T(fx, 9));
	s->ops->name_set(s, "2", "alice", T0 + TTL - 1, on_done, T(fx, 10));
	s->ops->name_set(s, "2", "alice", T0 + TTL + 1, on_done, T(fx, 11));
	s->ops->session_resume(s, H1, T0 + TTL + 2, on_done, T(fx, 12));
	s->ops->name_set(s, "99", "zed", T0, on_done, T(fx, 13));	/* none */
	wait_done(fx, 14);
	assert_int_equal(fx->got.res[2].status, STORE_OK);
	assert_int_equal(fx->got.res[3].status, STORE_ERR_TAKEN);
	assert_int_equal(fx->got.res[4].status, STORE_OK);
	assert_int_equal(fx->got.res[5].status, STORE_OK);
	assert_int_equal(fx->got.res[6].status, STORE_OK);
	assert_int_equal(fx->got.res[7].status, STORE_OK);
	assert_int_equal(fx->got.res[8].status, STORE_OK);
	assert_int_equal(fx->got.res[10].status, STORE_ERR_TAKEN);
	assert_int_equal(fx->got.res[11].status, STORE_OK);
	assert_int_equal(fx->got.res[12].status, STORE_ERR_NOT_FOUND);
	assert_int_not_equal(fx->got.res[13].status, STORE_OK);
}

static void
append(struct fx *fx, struct store *s, const char *room, const char *id,
    const char *name, const char *text, size_t len, uint64_t ts, int tag)
{
	struct store_msg	m;

	memset(&m, 0, sizeof m);
	snprintf(m.user_id, sizeof m.user_id, "%s", id);
	snprintf(m.name, sizeof m.name, "%s", name);
	m.text = text;
	m.text_len = len;
	m.ts = ts;
	m.seq = 12345;			/* ignored */
	s->ops->history_append(s, room, &m, on_done, T(fx, tag));
}

static void
query(struct fx *fx, struct store *s, const char *room, size_t room_len,
    int64_t before, int64_t after, unsigned limit, int tag)
{
	struct store_query	q;

	memset(&q, 0, sizeof q);
	q.room = room;
	q.room_len = room_len;
	q.has_before = before >= 0;
	q.before = before >= 0 ? (uint64_t)before : 0;
	q.has_after = after >= 0;
	q.after = after >= 0 ? (uint64_t)after : 0;
	q.limit = limit;
	s->ops->history_query(s, &q, on_done, T(fx, tag));
}

static void
test_history(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->st[0];		/* keeps 3 per room */
	uint64_t	 seq[5];
	int		 i;

	append(fx, s, "r", "1", "alice", "one", 3, 100, 0);
	append(fx, s, "other", "2", "", "x", 1, 101, 1);
	append(fx, s, "r", "2", "", "t\0o\nw", 5, 102, 2);
	append(fx, s, "r", "1", "alice", "three", 5, 103, 3);
	append(fx, s, "r", "3", "c", "four", 4, 104, 4);
	wait_done(fx, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(fx->got.res[i].status, STORE_OK);
		seq[i] = fx->got.res[i].seq;
		if (i > 0)
			assert_true(seq[i] > seq[i - 1]);
	}
	query(fx, s, "r", 1, -1, -1, 50, 5);		/* latest: the 3 kept */
	query(fx, s, "r", 1, -1, -1, 2, 6);		/* latest 2 */
	query(fx, s, "r", 1, (int64_t)seq[4], -1, 1, 7);  /* before */
	query(fx, s, "r", 1, -1, (int64_t)seq[2], 5, 8);  /* after */
	query(fx, s, "r", 1, (int64_t)seq[4], (int64_t)seq[0], 5, 9);
	query(fx, s, "nothing", 7, -1, -1, 5, 10);
	query(fx, s, "r\0x", 3, -1, -1, 5, 11);		/* another room */
	wait_done(fx, 12);
	char	 e2[64], e3[64], e4[64];
	snprintf(e2, sizeof e2, "%" PRIu64 "|102|2||t", seq[2]);
	snprintf(e3, sizeof e3, "%" PRIu64 "|103|1|alice|three", seq[3]);
	snprintf(e4, sizeof e4, "%" PRIu64 "|104|3|c|four", seq[4]);
	assert_int_equal(fx->got.res[5].n, 3);
	/* "t\0o\nw" is printed up to its NUL by %.*s: the length is kept */
	assert_string_equal(fx->got.text[5][0], e2);
	assert_string_equal(fx->got.text[5][1], e3);
	assert_string_equal(fx->got.text[5][2], e4);
	assert_int_equal(fx->got.res[6].n, 2);
	assert_string_equal(fx->got.text[6][0], e3);
	assert_string_equal(fx->got.text[6][1], e4);
	assert_int_equal(fx->got.res[7].n, 1);
	assert_string_equal(fx->got.text[7][0], e3);
	assert_int_equal(fx->got.res[8].n, 2);
	assert_string_equal(fx->got.text[8][0], e3);
	assert_int_equal(fx->got.res[9].n, 2);
	assert_string_equal(fx->got.text[9][0], e2);
	assert_string_equal(fx->got.text[9][1], e3);
	assert_int_equal(fx->got.res[10].status, STORE_OK);
	assert_int_equal(fx->got.res[10].n, 0);
	assert_int_equal(fx->got.res[11].n, 0);
}

/* A text with NUL and newlines comes back byte for byte. */
static struct store_result	last;
static char			last_text[32];

static void
on_done_keep(void *arg, const struct store_result *res)
{
	int	*n = arg;

	last = *res;
	if (res->n == 1) {
		assert_true(res->msgs[0].text_len < sizeof last_text);
		memcpy(last_text, res->msgs[0].text, res->msgs[0].text_len);
	}
	(*n)++;
}

static void
test_history_bytes(void **state)
{
	struct fx		*fx = *state;
	struct store		*s = fx->st[0];
	struct store_msg	 m = { .user_id = "7", .text = "a\0b\nc\n",
				    .text_len = 6, .ts = 1 };
	struct store_query	 q = { .room = "r", .room_len = 1,
				    .limit = 1 };
	int			 n = 0;

	s->ops->history_append(s, "r", &m, on_done_keep, &n);
	s->ops->history_query(s, &q, on_done_keep, &n);
	assert_true(redis_test_run(fx->base, &n, 2, 3000));
	assert_int_equal(last.n, 1);
	assert_memory_equal(last_text, "a\0b\nc\n", 6);
}

/* --history 0: seq still assigned, nothing kept. */
static void
test_history_none(void **state)
{
	struct fx	*fx = *state;

	fx->st[0]->history_max = 0;
	append(fx, fx->st[0], "r", "1", "", "gone", 4, 1, 0);
	append(fx, fx->st[0], "r", "1", "", "gone", 4, 2, 1);
	query(fx, fx->st[0], "r", 1, -1, -1, 10, 2);
	wait_done(fx, 3);
	assert_true(fx->got.res[1].seq > fx->got.res[0].seq);
	assert_int_equal(fx->got.res[2].n, 0);
}

/* An emptied Redis (restarted without persistence): a new epoch. */
static void
test_epoch_changes_with_data_loss(void **state)
{
	struct fx	*fx = *state;
	char		 before[64];
	int		 want;

	snprintf(before, sizeof before, "%s", fx->st[0]->ops->epoch(
	    fx->st[0]));
	redis_kill(&fx->rp);
	redis_start(&fx->rp);
	assert_true(redis_test_run(fx->base, &fx->ups[0], 2, 5000));
	want = fx->synced + 1;
	store_redis_sync(fx->st[0], on_synced, fx);
	assert_true(redis_test_run(fx->base, &fx->synced, want, 3000));
	assert_string_not_equal(before, fx->st[0]->ops->epoch(fx->st[0]));
}

/* appendonly yes: kill -9 and restart keep ids, sessions, names, history
 * and the epoch. */
static void
test_aof_restart(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->st[0];
	char		 epoch[64];
	int		 want;

	s->ops->id_next(s, on_done, T(fx, 0));
	s->ops->session_create(s, "0", H3, T0, on_done, T(fx, 1));
	s->ops->name_set(s, "0", "keeper", T0, on_done, T(fx, 2));
	append(fx, s, "r", "0", "keeper", "kept", 4, 5, 3);
	wait_done(fx, 4);
	snprintf(epoch, sizeof epoch, "%s", s->ops->epoch(s));
	redis_kill(&fx->rp);
	redis_start(&fx->rp);
	assert_true(redis_test_run(fx->base, &fx->ups[0], 2, 5000));
	want = fx->synced + 1;
	store_redis_sync(s, on_synced, fx);
	assert_true(redis_test_run(fx->base, &fx->synced, want, 3000));
	assert_string_equal(epoch, s->ops->epoch(s));
	s->ops->id_next(s, on_done, T(fx, 4));
	s->ops->session_resume(s, H3, T0, on_done, T(fx, 5));
	query(fx, s, "r", 1, -1, -1, 5, 6);
	append(fx, s, "r", "0", "keeper", "next", 4, 6, 7);
	wait_done(fx, 8);
	assert_int_equal(fx->got.res[4].id, fx->got.res[0].id + 1);
	assert_string_equal(fx->got.res[5].name, "keeper");
	assert_int_equal(fx->got.res[6].n, 1);
	assert_true(fx->got.res[7].seq > fx->got.res[3].seq);
}

/* Redis gone: in-flight and new operations fail with STORE_ERR_DOWN, in
 * the order they were started. */
static void
test_down(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->st[0];
	int		 i;

	kill(fx->rp.pid, SIGSTOP);
	s->ops->id_next(s, on_done, T(fx, 0));
	append(fx, s, "r", "1", "", "x", 1, 1, 1);
	s->ops->session_resume(s, H1, T0, on_done, T(fx, 2));
	wait_done(fx, 3);
	s->ops->id_next(s, on_done, T(fx, 3));
	wait_done(fx, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(fx->got.order[i], i);
		assert_int_equal(fx->got.res[i].status, STORE_ERR_DOWN);
	}
	kill(fx->rp.pid, SIGCONT);
	assert_true(redis_test_run(fx->base, &fx->ups[0], 2, 5000));
	s->ops->id_next(s, on_done, T(fx, 4));
	wait_done(fx, 5);
	assert_int_equal(fx->got.res[4].status, STORE_OK);
}

/* Destroyed with operations in flight: each completes once, DOWN. */
static void
test_destroy_pending(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->st[0];

	s->ops->id_next(s, on_done, T(fx, 0));
	append(fx, s, "r", "1", "", "x", 1, 1, 1);
	s->ops->destroy(s);
	fx->st[0] = NULL;
	assert_int_equal(fx->got.n, 2);
	assert_int_equal(fx->got.res[0].status, STORE_ERR_DOWN);
	assert_int_equal(fx->got.res[1].status, STORE_ERR_DOWN);
	/* The replies arrive and are dropped. */
	redis_test_run(fx->base, &fx->got.n, 3, 300);
	assert_int_equal(fx->got.n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define U(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		U(test_ids_across_nodes),
		U(test_sessions),
		U(test_names),
		U(test_history),
		U(test_history_bytes),
		U(test_history_none),
		U(test_epoch_changes_with_data_loss),
		cmocka_unit_test_setup_teardown(test_aof_restart,
		    setup_with_aof, teardown),
		U(test_down),
		U(test_destroy_pending),
#undef U
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
