/*
 * server/registry-redis.c: two nodes (two connections, two registries) on
 * one real redis-server.  Events come back through the subscriptions in
 * one order per room for both nodes; an operation is done only after its
 * events reached its node; private messages and kicks cross nodes; a dead
 * node's users are removed by the survivor; Redis stopped and resumed; a
 * gap in a channel resets the connection.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "redis-conn.h"
#include "redis-lua.h"
#include "redis-test.h"
#include "registry-redis.h"
#include "util.h"

#define MAXEV	256

struct node {
	struct fx		*fx;
	struct redis_conn	*rc;
	struct registry		*reg;
	int			 ups, downs, ready;
	char			*ev[MAXEV];
	int			 nev;
};

struct fx {
	struct event_base	*base;
	struct redis_proc	 rp;
	struct redis_addr	 addr;
	struct node		 n[2];
};

/* One operation's completion. */
struct op {
	struct node		*node;
	int			 done;
	int			 nev_at_done;	/* the node's events by then */
	enum reg_status		 status;
	uint64_t		 seq;
	char			 target[64];
	char			 list[256];
};

static void
on_event(void *arg, const struct reg_event *ev)
{
	struct node	*n = arg;
	static const char types[] = "JLMNPK";

	assert_true(n->nev < MAXEV);
	assert_int_not_equal(asprintf(&n->ev[n->nev++],
	    "%c %s %s/%s tgt=%s/%s@%" PRIu64 " org=%" PRIu64 "%s%s%s%s",
	    types[ev->type], ev->room != NULL ? ev->room : "-", ev->user.id,
	    ev->user.name, ev->target.id, ev->target.name, ev->target_at.node,
	    ev->origin.node, ev->flags & REG_EV_REPLY ? " R" : "",
	    ev->text_len > 0 ? " " : "", ev->text_len > 0 ? ev->text : "",
	    ev->seq > 0 ? " seq" : ""), -1);
}

static void
on_up_done(void *arg, int ok)
{
	struct node	*n = arg;

	if (ok)
		n->ready++;
}

static void
on_state(void *arg, int up)
{
	struct node	*n = arg;

	if (up) {
		n->ups++;
		registry_redis_up(n->reg, on_up_done, n);
	} else {
		n->downs++;
		registry_redis_down(n->reg);
	}
}

static void
on_message(void *arg, const char *ch, size_t chlen, const char *d, size_t len)
{
	struct node	*n = arg;

	registry_redis_message(n->reg, ch, chlen, d, len);
}

static const struct redis_conn_ops ops = { on_state, on_message };

static void
on_done(void *arg, const struct reg_result *res)
{
	struct op	*op = arg;
	size_t		 i;
	int		 len = 0;

	assert_int_equal(op->done, 0);
	op->done = 1;
	op->nev_at_done = op->node->nev;
	op->status = res->status;
	op->seq = res->seq;
	snprintf(op->target, sizeof op->target, "%s/%s", res->target.id,
	    res->target.name);
	for (i = 0; i < res->n; i++) {
		if (res->names != NULL)
			len += snprintf(op->list + len, sizeof op->list - len,
			    "%s,", res->names[i]);
		else if (res->users != NULL)
			len += snprintf(op->list + len, sizeof op->list - len,
			    "%s/%s,", res->users[i].id, res->users[i].name);
	}
}

static void
node_start(struct fx *fx, int i)
{
	struct node		*n = &fx->n[i];
	struct redis_conn_timing t;

	n->fx = fx;
	redis_test_timing(&t);
	n->rc = redis_conn_new(fx->base, &fx->addr, &t, redis_lua, RL_COUNT,
	    &ops, n);
	assert_non_null(n->rc);
	n->reg = registry_redis_new(fx->base, n->rc, 0, 100, 10000, on_event,
	    n);
	assert_non_null(n->reg);
	redis_conn_start(n->rc);
	assert_true(redis_test_run(fx->base, &n->ready, 1, 3000));
	assert_true(n->reg->node > 0);
}

/* Stop a node: the registry first (it may unsubscribe), then its
 * connection.  Without an offline or a leave: as if killed. */
static void
node_kill(struct node *n)
{
	int	i;

	if (n->reg != NULL)
		n->reg->ops->destroy(n->reg);
	redis_conn_free(n->rc);
	n->rc = NULL;
	n->reg = NULL;
	for (i = 0; i < n->nev; i++)
		free(n->ev[i]);
	n->nev = 0;
}

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof *fx);
	char		 url[64], err[128];

	assert_non_null(fx);
	fx->base = event_base_new();
	redis_start(&fx->rp);
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", fx->rp.port);
	assert_int_equal(redis_addr_parse(url, &fx->addr, err, sizeof err), 0);
	node_start(fx, 0);
	node_start(fx, 1);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;
	int		 i;

	for (i = 0; i < 2; i++)
		node_kill(&fx->n[i]);
	redis_addr_free(&fx->addr);
	redis_cleanup(&fx->rp);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static void
wait_op(struct fx *fx, struct op *op)
{
	assert_true(redis_test_run(fx->base, &op->done, 1, 3000));
}

static struct reg_user
U(const char *id, const char *name)
{
	struct reg_user	u;

	memset(&u, 0, sizeof u);
	snprintf(u.id, sizeof u.id, "%s", id);
	snprintf(u.name, sizeof u.name, "%s", name);
	return u;
}

static struct reg_where
AT(struct node *n, uint64_t conn)
{
	struct reg_where	w = { n->reg->node, conn };

	return w;
}

static void
online(struct fx *fx, struct node *n, const char *id, const char *name,
    uint64_t conn)
{
	struct reg_user	u = U(id, name);
	struct op	op = { .node = n };

	n->reg->ops->online(n->reg, &u, AT(n, conn), on_done, &op);
	wait_op(fx, &op);
	assert_int_equal(op.status, REG_OK);
}

static void
join(struct fx *fx, struct node *n, const char *id, const char *name,
    uint64_t conn, const char *room)
{
	struct reg_user	u = U(id, name);
	struct op	op = { .node = n };
	char		want[128];

	n->reg->ops->join(n->reg, &u, room, AT(n, conn), on_done, &op);
	wait_op(fx, &op);
	assert_int_equal(op.status, REG_OK);
	/* Done only once the join came back to this node, as the reply. */
	snprintf(want, sizeof want, "J %s %s/%s tgt=/@0 org=%" PRIu64 " R",
	    room, id, name, n->reg->node);
	assert_true(op.nev_at_done > 0);
	assert_string_equal(n->ev[op.nev_at_done - 1], want);
}

/* Let events in flight arrive. */
static void
settle(struct fx *fx)
{
	int	never = 0;

	redis_test_run(fx->base, &never, 1, 100);
}

static int
count(struct node *n, const char *prefix)
{
	int	i, c = 0;

	for (i = 0; i < n->nev; i++)
		c += strncmp(n->ev[i], prefix, strlen(prefix)) == 0;
	return c;
}

static void
test_join_across_nodes(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0], *b = &fx->n[1];
	struct op	 r = { .node = a }, p = { .node = b }, q = { .node = b };

	assert_int_not_equal(a->reg->node, b->reg->node);
	online(fx, a, "1", "alice", 10);
	online(fx, b, "2", "", 20);
	join(fx, a, "1", "alice", 10, "room");
	join(fx, b, "2", "", 20, "room");
	settle(fx);
	/* a saw both joins, in order; b only its own (it joined second). */
	assert_int_equal(a->nev, 2);
	/* The reply flag travels with the event; origin says whose. */
	assert_string_equal(a->ev[1], "J room 2/ tgt=/@0 org=2 R");
	assert_int_equal(b->nev, 1);
	a->reg->ops->rooms(a->reg, on_done, &r);
	b->reg->ops->participants(b->reg, "room", on_done, &p);
	b->reg->ops->participants(b->reg, "none", on_done, &q);
	wait_op(fx, &r);
	wait_op(fx, &p);
	wait_op(fx, &q);
	assert_string_equal(r.list, "room,");
	assert_string_equal(p.list, "1/alice,2/,");
	assert_int_equal(q.status, REG_ERR_NO_ROOM);
	/* Joining the room one is in: no event, done. */
	struct reg_user u = U("1", "alice");
	struct op	again = { .node = a };
	a->reg->ops->join(a->reg, &u, "room", AT(a, 10), on_done, &again);
	wait_op(fx, &again);
	assert_int_equal(again.status, REG_OK);
	settle(fx);
	assert_int_equal(a->nev, 2);
	assert_int_equal(a->reg->ops->nusers(a->reg), 1);
	assert_int_equal(a->reg->ops->nrooms(a->reg), 1);
}

#define NMSG	40

/* Both nodes send at once: both see one and the same order, seq rising,
 * and each message's done after its own event. */
static void
test_one_order(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0], *b = &fx->n[1];
	struct reg_user	 ua = U("1", "alice"), ub = U("2", "");
	struct op	 msgs[2 * NMSG];
	char		 text[16];
	int		 i, j, base_a, base_b;

	online(fx, a, "1", "alice", 10);
	online(fx, b, "2", "", 20);
	join(fx, a, "1", "alice", 10, "r");
	join(fx, b, "2", "", 20, "r");
	settle(fx);
	base_a = a->nev;
	base_b = b->nev;
	memset(msgs, 0, sizeof msgs);
	for (i = 0; i < NMSG; i++) {
		msgs[2 * i].node = a;
		msgs[2 * i + 1].node = b;
		snprintf(text, sizeof text, "a%d", i);
		a->reg->ops->room_message(a->reg, &ua, text, strlen(text),
		    1000 + i, AT(a, 10), on_done, &msgs[2 * i]);
		snprintf(text, sizeof text, "b%d", i);
		b->reg->ops->room_message(b->reg, &ub, text, strlen(text),
		    2000 + i, AT(b, 20), on_done, &msgs[2 * i + 1]);
	}
	for (i = 0; i < 2 * NMSG; i++) {
		wait_op(fx, &msgs[i]);
		assert_int_equal(msgs[i].status, REG_OK);
		assert_true(msgs[i].seq > 0);
	}
	settle(fx);
	assert_int_equal(a->nev - base_a, 2 * NMSG);
	assert_int_equal(b->nev - base_b, 2 * NMSG);
	for (i = 0; i < 2 * NMSG; i++)
		assert_string_equal(a->ev[base_a + i], b->ev[base_b + i]);
	/* Each op was done after its own event had reached its node. */
	for (i = 0; i < 2 * NMSG; i++) {
		struct node	*n = msgs[i].node;
		char		 want[16];
		int		 found = 0;

		snprintf(want, sizeof want, " %c%d seq", i % 2 ? 'b' : 'a',
		    i / 2);
		for (j = (n == a ? base_a : base_b); j < msgs[i].nev_at_done;
		    j++)
			found |= strstr(n->ev[j], want) != NULL;
		assert_true(found);
	}
}

static void
test_leave_and_move(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0], *b = &fx->n[1];
	struct reg_user	 ua = U("1", ""), ub = U("2", "");
	struct op	 l = { .node = a }, l2 = { .node = a },
			 m = { .node = b }, mv = { .node = b };

	online(fx, a, "1", "", 10);
	online(fx, b, "2", "", 20);
	join(fx, a, "1", "", 10, "r");
	join(fx, b, "2", "", 20, "r");
	a->reg->ops->leave(a->reg, &ua, AT(a, 10), on_done, &l);
	wait_op(fx, &l);
	assert_int_equal(l.status, REG_OK);
	assert_string_equal(a->ev[l.nev_at_done - 1],
	    "L r 1/ tgt=/@0 org=1 R");
	a->reg->ops->leave(a->reg, &ua, AT(a, 10), on_done, &l2);
	wait_op(fx, &l2);
	assert_int_equal(l2.status, REG_ERR_NOT_IN_ROOM);
	/* a has no one in r: unsubscribed, it hears no more of it. */
	settle(fx);
	assert_int_equal(a->reg->ops->nrooms(a->reg), 0);
	int before = a->nev;
	b->reg->ops->room_message(b->reg, &ub, "x", 1, 1, AT(b, 20), on_done,
	    &m);
	wait_op(fx, &m);
	settle(fx);
	assert_int_equal(a->nev, before);
	/* A move is a leave of the old room, then the join, for b. */
	b->reg->ops->join(b->reg, &ub, "r2", AT(b, 20), on_done, &mv);
	wait_op(fx, &mv);
	assert_string_equal(b->ev[mv.nev_at_done - 2],
	    "L r 2/ tgt=/@0 org=2");
	assert_string_equal(b->ev[mv.nev_at_done - 1],
	    "J r2 2/ tgt=/@0 org=2 R");
}

static void
test_private_and_nick(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0], *b = &fx->n[1];
	struct reg_user	 ua = U("1", "alice"), ub = U("2", "Bob");
	struct op	 p1 = { .node = a }, p2 = { .node = a },
			 p3 = { .node = a }, p4 = { .node = b },
			 nk = { .node = b };

	online(fx, a, "1", "alice", 10);
	online(fx, b, "2", "Bob", 20);
	a->reg->ops->private_message(a->reg, &ua, "2", NULL, "hi", 2, 77,
	    AT(a, 10), on_done, &p1);
	wait_op(fx, &p1);
	assert_int_equal(p1.status, REG_OK);
	assert_string_equal(p1.target, "2/Bob");
	/* The echo came to the sender's node before done, flagged. */
	assert_string_equal(a->ev[p1.nev_at_done - 1],
	    "P - 1/alice tgt=2/Bob@2 org=1 R hi");
	settle(fx);
	assert_string_equal(b->ev[b->nev - 1],
	    "P - 1/alice tgt=2/Bob@2 org=1 R hi");
	/* By name, ignoring case; once only when both are on one node. */
	b->reg->ops->private_message(b->reg, &ub, NULL, "ALICE", "yo", 2, 78,
	    AT(b, 20), on_done, &p4);
	wait_op(fx, &p4);
	assert_int_equal(p4.status, REG_OK);
	assert_string_equal(p4.target, "1/alice");
	a->reg->ops->private_message(a->reg, &ua, "1", NULL, "me", 2, 79,
	    AT(a, 10), on_done, &p2);
	wait_op(fx, &p2);
	settle(fx);
	assert_int_equal(count(a, "P - 1/alice tgt=1/alice@1 org=1 R me"), 1);
	a->reg->ops->private_message(a->reg, &ua, NULL, "nobody", "x", 1, 80,
	    AT(a, 10), on_done, &p3);
	wait_op(fx, &p3);
	assert_int_equal(p3.status, REG_ERR_NO_USER);
	/* A new name reaches the room. */
	join(fx, a, "1", "alice", 10, "r");
	join(fx, b, "2", "Bob", 20, "r");
	ub = U("2", "Robert");
	b->reg->ops->nick(b->reg, &ub, AT(b, 20), on_done, &nk);
	wait_op(fx, &nk);
	assert_string_equal(b->ev[nk.nev_at_done - 1],
	    "N r 2/Robert tgt=/@0 org=2 R");
	settle(fx);
	assert_string_equal(a->ev[a->nev - 1], "N r 2/Robert tgt=/@0 org=2 R");
}

/* The same user comes online on the other node: the first connection
 * leaves its room and is kicked, on its node. */
static void
test_replaced(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0], *b = &fx->n[1];
	struct reg_user	 u = U("1", "alice");
	struct op	 on = { .node = b }, off = { .node = a };

	online(fx, a, "1", "alice", 10);
	online(fx, b, "2", "", 20);
	join(fx, a, "1", "alice", 10, "r");
	join(fx, b, "2", "", 20, "r");
	b->reg->ops->online(b->reg, &u, AT(b, 21), on_done, &on);
	wait_op(fx, &on);
	/* b is in r: the leave reached it before done. */
	assert_string_equal(b->ev[on.nev_at_done - 1],
	    "L r 1/alice tgt=/@0 org=2");
	settle(fx);
	assert_string_equal(a->ev[a->nev - 2], "L r 1/alice tgt=/@0 org=2");
	assert_string_equal(a->ev[a->nev - 1],
	    "K - 1/alice tgt=1/alice@1 org=2");
	assert_int_equal(a->reg->ops->nusers(a->reg), 0);
	/* The old connection's offline changes nothing now. */
	a->reg->ops->offline(a->reg, "1", AT(a, 10), on_done, &off);
	wait_op(fx, &off);
	settle(fx);
	assert_string_equal(b->ev[b->nev - 1], "L r 1/alice tgt=/@0 org=2");
}

/* A node dies without a word: the other removes its users from their
 * rooms, with notifications, within 5 s. */
static void
test_dead_node(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0], *b = &fx->n[1];
	struct op	 p = { .node = a };
	uint64_t	 t0;
	int		 want;

	online(fx, a, "1", "", 10);
	online(fx, b, "2", "", 20);
	join(fx, a, "1", "", 10, "r");
	join(fx, b, "2", "", 20, "r");
	settle(fx);
	want = count(a, "L r 2/") + 1;
	node_kill(b);
	t0 = util_now_ms();
	while (count(a, "L r 2/") < want && util_now_ms() - t0 < 8000)
		settle(fx);
	assert_int_equal(count(a, "L r 2/ tgt=/@0 org=0"), 1);
	assert_true(util_now_ms() - t0 < 5000);
	a->reg->ops->participants(a->reg, "r", on_done, &p);
	wait_op(fx, &p);
	assert_string_equal(p.list, "1/,");
}

/* Redis stopped: operations fail with REG_ERR_DOWN; resumed: a new node
 * number, and it works again. */
static void
test_redis_paused(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0];
	struct reg_user	 u = U("1", "");
	struct op	 j = { .node = a }, j2 = { .node = a };
	uint64_t	 old = a->reg->node;

	online(fx, a, "1", "", 10);
	kill(fx->rp.pid, SIGSTOP);
	a->reg->ops->join(a->reg, &u, "r", AT(a, 10), on_done, &j);
	wait_op(fx, &j);
	assert_int_equal(j.status, REG_ERR_DOWN);
	assert_true(a->downs >= 1);
	kill(fx->rp.pid, SIGCONT);
	assert_true(redis_test_run(fx->base, &a->ready, 2, 5000));
	assert_int_not_equal(a->reg->node, old);
	online(fx, a, "1", "", 10);
	a->reg->ops->join(a->reg, &u, "r", AT(a, 10), on_done, &j2);
	wait_op(fx, &j2);
	assert_int_equal(j2.status, REG_OK);
}

/* A channel that skips an event: the connection resets, the node comes
 * back under a new number. */
static void
test_gap(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0];
	redisReply	*r;

	online(fx, a, "1", "", 10);
	join(fx, a, "1", "", 10, "r");
	r = redis_cmd(&fx->rp, "PUBLISH chat:0:r:r %s",
	    "99\nM\n0\nr\n5\n\n1\n1\n\n\n0\n0\n1\n1\n7\n1\nlost");
	freeReplyObject(r);
	assert_true(redis_test_run(fx->base, &a->downs, 1, 3000));
	assert_true(redis_test_run(fx->base, &a->ready, 2, 3000));
}

/* Completions come in the order the operations started (registry.h), so
 * a reply read straight from Redis (rooms) never overtakes an operation
 * that waits for its events (a join waiting for its subscription, a
 * message for its echo). */
static int	done_order[8], ndone_order;

static void
on_done_order(void *arg, const struct reg_result *res)
{
	(void)res;
	done_order[ndone_order++] = (int)(intptr_t)arg;
}

static void
test_completion_order(void **state)
{
	struct fx	*fx = *state;
	struct node	*a = &fx->n[0];
	struct reg_user	 u = U("1", "");

	online(fx, a, "1", "", 10);
	for (int round = 0; round < 20; round++) {
		char	room[16];

		ndone_order = 0;
		snprintf(room, sizeof room, "o%d", round);
		a->reg->ops->join(a->reg, &u, room, AT(a, 10), on_done_order,
		    (void *)(intptr_t)1);
		a->reg->ops->room_message(a->reg, &u, "x", 1, 1, AT(a, 10),
		    on_done_order, (void *)(intptr_t)2);
		a->reg->ops->rooms(a->reg, on_done_order, (void *)(intptr_t)3);
		a->reg->ops->participants(a->reg, room, on_done_order,
		    (void *)(intptr_t)4);
		assert_true(redis_test_run(fx->base, &ndone_order, 4, 3000));
		for (int i = 0; i < 4; i++)
			assert_int_equal(done_order[i], i + 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_join_across_nodes),
		T(test_one_order),
		T(test_leave_and_move),
		T(test_private_and_nick),
		T(test_replaced),
		T(test_dead_node),
		T(test_redis_paused),
		T(test_gap),
		T(test_completion_order),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
