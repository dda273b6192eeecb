/*
 * The registry (server/registry-mem.c) and the chat dispatch on top of it
 * (server/server-chat.c), driven without sockets: frames sent to each
 * connection are recorded and compared byte for byte.  The dispatch tests
 * run twice: with the memory back ends completing before each call returns,
 * and completing on a later pass of a libevent loop (CHAT_DEFER), which
 * catches code that touches state after starting an operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "registry.h"
#include "server-chat.h"
#include "server-config.h"
#include "store.h"

#define MAXCONN	32
#define MAXMSG	512

/* What each connection received, in order. */
struct sink {
	char		*got[MAXCONN][MAXMSG];
	int		 n[MAXCONN];
	int		 closed[MAXCONN];
	uint64_t	 now;
	size_t		 deliveries;
};

static struct sink	sink;

static void
sink_send(void *arg, struct frame *f, const uint64_t *conns, size_t n)
{
	(void)arg;
	sink.deliveries += n;
	for (size_t i = 0; i < n; i++) {
		assert_true(conns[i] < MAXCONN);
		assert_true(sink.n[conns[i]] < MAXMSG);
		sink.got[conns[i]][sink.n[conns[i]]++] =
		    strdup((char *)FRAME_PAYLOAD(f));
	}
}

static void
sink_close(void *arg, uint64_t conn, uint16_t code, const char *reason)
{
	(void)arg;
	(void)reason;
	sink.closed[conn] = code;
}

static uint64_t
sink_now(void *arg)
{
	(void)arg;
	return sink.now;
}

static void
sink_reset(void)
{
	for (int i = 0; i < MAXCONN; i++) {
		for (int j = 0; j < sink.n[i]; j++)
			free(sink.got[i][j]);
	}
	memset(&sink, 0, sizeof sink);
}

static struct event_base	*loop;		/* deferred mode only */
static int			 deferred;

/* Run the loop until no operation is pending. */
static void
settle(void)
{
	if (loop == NULL)
		return;
	while (event_base_get_num_events(loop, EVENT_BASE_COUNT_ADDED |
	    EVENT_BASE_COUNT_ACTIVE) > 0)
		event_base_loop(loop, EVLOOP_NONBLOCK);
}

/* Pop the oldest frame sent to conn and compare it. */
static void
expect(uint64_t conn, const char *json)
{
	settle();
	assert_true(sink.n[conn] > 0);
	assert_string_equal(sink.got[conn][0], json);
	free(sink.got[conn][0]);
	memmove(&sink.got[conn][0], &sink.got[conn][1],
	    (MAXMSG - 1) * sizeof sink.got[conn][0]);
	sink.n[conn]--;
}

static void
expect_nothing(uint64_t conn)
{
	settle();
	if (sink.n[conn] != 0)
		fail_msg("conn %llu got unexpected %s",
		    (unsigned long long)conn, sink.got[conn][0]);
}

struct fixture {
	struct server_config	 cfg;
	struct chat		*chat;
};

static int
setup(void **state)
{
	static struct fixture	fx;
	struct chat_io		io = { sink_send, sink_close, sink_now, NULL,
				    NULL, NULL };
	char			*error;

	sink_reset();
	config_defaults(&fx.cfg);
	if (deferred)
		assert_non_null(loop = event_base_new());
	fx.chat = chat_new(&fx.cfg, &io, loop, deferred ? CHAT_DEFER : 0,
	    &error);
	assert_non_null(fx.chat);
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	settle();
	chat_free(fx->chat);
	config_free(&fx->cfg);
	sink_reset();
	if (loop != NULL)
		event_base_free(loop);
	loop = NULL;
	return 0;
}

static void
send_req(struct chat *c, uint64_t conn, const char *json)
{
	chat_message(c, conn, json, strlen(json));
}

/* Connect conns 1..n: users "0".."n-1". */
static void
connect_n(struct chat *c, int n)
{
	char	buf[64];

	for (int i = 1; i <= n; i++) {
		chat_opened(c, (uint64_t)i, NULL);
		snprintf(buf, sizeof buf,
		    "{\"action\":\"connection\",\"user_id\":\"%d\"}", i - 1);
		expect((uint64_t)i, buf);
	}
}

/* Connect conns first..last, users first-1..last-1. */
static void
connect_n_from(struct chat *c, int first, int last)
{
	char	buf[64];

	for (int i = first; i <= last; i++) {
		chat_opened(c, (uint64_t)i, NULL);
		snprintf(buf, sizeof buf,
		    "{\"action\":\"connection\",\"user_id\":\"%d\"}", i - 1);
		expect((uint64_t)i, buf);
	}
}

/* Users "0" and "1" (conns 1 and 2) join room "r", with every reply. */
static void
join_two(struct chat *c)
{
	connect_n(c, 2);
	send_req(c, 1, "{\"action\":\"join\",\"room\":\"r\"}");
	send_req(c, 2, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"r\",\"user_id\":\"1\"}");
	expect(2, "{\"action\":\"join\",\"room\":\"r\"}");
}

/* Direct registry calls: the memory variant completes before returning. */
static struct reg_result	last;
static char			last_names[8][8];
static struct reg_user		last_users[16];

static void
reg_done(void *arg, const struct reg_result *res)
{
	(void)arg;
	last = *res;
	for (size_t i = 0; i < res->n && i < 8 && res->names != NULL; i++)
		snprintf(last_names[i], sizeof last_names[i], "%s",
		    res->names[i]);
	for (size_t i = 0; i < res->n && i < 16 && res->users != NULL; i++)
		last_users[i] = res->users[i];
}

static int	nevents;

static void
reg_event(void *arg, const struct reg_event *ev)
{
	(void)arg;
	(void)ev;
	nevents++;
}

static struct reg_user
reg_user_n(int n)
{
	struct reg_user	u;

	memset(&u, 0, sizeof u);
	snprintf(u.id, sizeof u.id, "%d", n);
	return u;
}

static void
test_registry_sorted_members(void **state)
{
	struct store	*st = store_mem_new(10, 1000, NULL);
	struct registry	*reg = registry_mem_new(st, NULL, reg_event, NULL);
	struct reg_where at = { 1, 0 };
	struct reg_user	 u;

	(void)state;
	for (int i = 0; i < 12; i++) {
		u = reg_user_n(i);
		at.conn = 100 + (uint64_t)i;
		reg->ops->online(reg, &u, at, reg_done, NULL);
		assert_int_equal(last.status, REG_OK);
	}
	/* Join in a scrambled order; members stay sorted numerically. */
	int order[12] = { 11, 2, 10, 0, 5, 1, 9, 3, 8, 4, 7, 6 };
	for (int i = 0; i < 12; i++) {
		u = reg_user_n(order[i]);
		nevents = 0;
		reg->ops->join(reg, &u, "r", at, reg_done, NULL);
		assert_int_equal(last.status, REG_OK);
		assert_int_equal(nevents, 1);	/* one join event */
	}
	reg->ops->participants(reg, "r", reg_done, NULL);
	assert_int_equal(last.n, 12);
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(atoi(last_users[i].id), (int)i);
	u = reg_user_n(5);
	reg->ops->leave(reg, &u, at, reg_done, NULL);
	reg->ops->participants(reg, "r", reg_done, NULL);
	assert_int_equal(last.n, 11);
	assert_string_equal(last_users[5].id, "6");
	/* "07" is nobody. */
	reg->ops->private_message(reg, &u, "07", NULL, "x", 1, 0, at,
	    reg_done, NULL);
	assert_int_equal(last.status, REG_ERR_NO_USER);
	/* Offline from a connection it is no longer on: nothing happens. */
	at.conn = 999;
	reg->ops->offline(reg, "3", at, reg_done, NULL);
	assert_int_equal(reg->ops->nusers(reg), 12);
	for (int i = 0; i < 12; i++) {
		at.conn = 100 + (uint64_t)i;
		u = reg_user_n(i);
		reg->ops->offline(reg, u.id, at, reg_done, NULL);
	}
	assert_int_equal(reg->ops->nusers(reg), 0);
	reg->ops->participants(reg, "r", reg_done, NULL);
	assert_int_equal(last.status, REG_ERR_NO_ROOM);
	reg->ops->destroy(reg);
	st->ops->destroy(st);
}

static void
test_registry_room_list_sorted(void **state)
{
	struct store	*st = store_mem_new(10, 1000, NULL);
	struct registry	*reg = registry_mem_new(st, NULL, reg_event, NULL);
	struct reg_where at = { 1, 0 };
	const char	*want[] = { "B", "a", "b", "\xc3\xa9" };
	const char	*rooms[] = { "\xc3\xa9", "b", "a", "B" };
	struct reg_user	 u;

	(void)state;
	for (int i = 0; i < 4; i++) {
		u = reg_user_n(i);
		at.conn = (uint64_t)i + 1;
		reg->ops->online(reg, &u, at, reg_done, NULL);
		reg->ops->join(reg, &u, rooms[i], at, reg_done, NULL);
	}
	reg->ops->rooms(reg, reg_done, NULL);
	assert_int_equal(last.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(last_names[i], want[i]);
	/* The last member leaving removes the room. */
	u = reg_user_n(1);
	reg->ops->leave(reg, &u, at, reg_done, NULL);
	reg->ops->rooms(reg, reg_done, NULL);
	assert_int_equal(last.n, 3);
	assert_string_equal(last_names[2], "\xc3\xa9");
	reg->ops->participants(reg, "b", reg_done, NULL);
	assert_int_equal(last.status, REG_ERR_NO_ROOM);
	reg->ops->destroy(reg);
	st->ops->destroy(st);
}

static void
test_chat_join_notifies_others(void **state)
{
	struct fixture	*fx = *state;

	connect_n(fx->chat, 3);
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"r\"}");
	send_req(fx->chat, 2, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"r\",\"user_id\":\"1\"}");
	expect(2, "{\"action\":\"join\",\"room\":\"r\"}");
	expect_nothing(1);
	expect_nothing(2);
	expect_nothing(3);
	/* Joining the room you are in: the reply again, nothing else. */
	send_req(fx->chat, 2, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(2, "{\"action\":\"join\",\"room\":\"r\"}");
	expect_nothing(1);
}

static void
test_chat_auto_leave(void **state)
{
	struct fixture	*fx = *state;

	connect_n(fx->chat, 3);
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"a\"}");
	send_req(fx->chat, 2, "{\"action\":\"join\",\"room\":\"a\"}");
	send_req(fx->chat, 3, "{\"action\":\"join\",\"room\":\"b\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"a\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"a\",\"user_id\":\"1\"}");
	expect(2, "{\"action\":\"join\",\"room\":\"a\"}");
	expect(3, "{\"action\":\"join\",\"room\":\"b\"}");
	/* 1 moves from a to b: a's member told of the leave, b's of the join,
	 * the mover gets only the join reply. */
	send_req(fx->chat, 2, "{\"action\":\"join\",\"room\":\"b\"}");
	expect(1, "{\"action\":\"leave\",\"room\":\"a\",\"user_id\":\"1\"}");
	expect(3, "{\"action\":\"join\",\"room\":\"b\",\"user_id\":\"1\"}");
	expect(2, "{\"action\":\"join\",\"room\":\"b\"}");
	expect_nothing(2);
	send_req(fx->chat, 1, "{\"action\":\"participants\",\"room\":\"b\"}");
	expect(1, "{\"action\":\"participants\",\"room\":\"b\","
	    "\"participants\":[\"1\",\"2\"]}");
	/* The last member moving away removes the room. */
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"c\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"c\"}");
	send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
	expect(1, "{\"action\":\"rooms\",\"rooms\":[\"b\",\"c\"]}");
	send_req(fx->chat, 1, "{\"action\":\"participants\",\"room\":\"a\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"room a does not exist\"}");
}

static void
test_chat_leave_and_errors(void **state)
{
	struct fixture	*fx = *state;

	connect_n(fx->chat, 2);
	send_req(fx->chat, 1, "{\"action\":\"leave\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"user was not in a room\"}");
	send_req(fx->chat, 1, "{\"action\":\"room_message\",\"message\":\"x\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"user is not in a room\"}");
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"r\"}");
	send_req(fx->chat, 2, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"r\",\"user_id\":\"1\"}");
	expect(2, "{\"action\":\"join\",\"room\":\"r\"}");
	send_req(fx->chat, 1, "{\"action\":\"leave\"}");
	expect(2, "{\"action\":\"leave\",\"room\":\"r\",\"user_id\":\"0\"}");
	expect(1, "{\"action\":\"leave\",\"room\":\"r\"}");
	expect_nothing(1);
	send_req(fx->chat, 1, "nope");
	expect(1, "{\"action\":\"error\",\"message\":\"invalid JSON\"}");
	expect_nothing(2);
}

static void
test_chat_room_message_order_and_sender(void **state)
{
	struct fixture	*fx = *state;

	join_two(fx->chat);
	/* A forged user_id is ignored: the sender is the connection. */
	sink.deliveries = 0;
	send_req(fx->chat, 2,
	    "{\"action\":\"room_message\",\"user_id\":\"0\",\"message\":\"a\"}");
	send_req(fx->chat, 1, "{\"action\":\"room_message\",\"message\":\" \"}");
	settle();
	assert_int_equal(sink.deliveries, 4);
	for (uint64_t c = 1; c <= 2; c++) {
		expect(c, "{\"action\":\"room_message\",\"room\":\"r\","
		    "\"user_id\":\"1\",\"message\":\"a\"}");
		expect(c, "{\"action\":\"room_message\",\"room\":\"r\","
		    "\"user_id\":\"0\",\"message\":\" \"}");
	}
}

static void
test_chat_private_messages(void **state)
{
	struct fixture	*fx = *state;

	connect_n(fx->chat, 3);
	send_req(fx->chat, 1,
	    "{\"action\":\"private_message\",\"user_id\":\"1\",\"message\":\"hi\"}");
	expect(2, "{\"action\":\"private_message\",\"user_id\":\"0\",\"message\":\"hi\"}");
	expect(1, "{\"action\":\"private_message\",\"user_id\":\"1\",\"message\":\"hi\"}");
	expect_nothing(3);
	/* To yourself: the delivery and the echo. */
	send_req(fx->chat, 3,
	    "{\"action\":\"private_message\",\"user_id\":\"2\",\"message\":\"me\"}");
	expect(3, "{\"action\":\"private_message\",\"user_id\":\"2\",\"message\":\"me\"}");
	expect(3, "{\"action\":\"private_message\",\"user_id\":\"2\",\"message\":\"me\"}");
	/* Ids are strings: "01" is nobody. */
	send_req(fx->chat, 1,
	    "{\"action\":\"private_message\",\"user_id\":\"01\",\"message\":\"x\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"user 01 is not on the server\"}");
	expect_nothing(2);
	/* A closed connection is no longer reachable. */
	chat_closed(fx->chat, 2);
	send_req(fx->chat, 1,
	    "{\"action\":\"private_message\",\"user_id\":\"1\",\"message\":\"x\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"user 1 is not on the server\"}");
}

/* U+0000 is data: delivered byte-exact, and named verbatim in errors. */
static void
test_chat_nul(void **state)
{
	struct fixture	*fx = *state;

	join_two(fx->chat);
	send_req(fx->chat, 1,
	    "{\"action\":\"room_message\",\"message\":\"a\\u0000b\"}");
	for (uint64_t c = 1; c <= 2; c++)
		expect(c, "{\"action\":\"room_message\",\"room\":\"r\","
		    "\"user_id\":\"0\",\"message\":\"a\\u0000b\"}");
	send_req(fx->chat, 2, "{\"action\":\"room_message\",\"message\":"
	    "\"\\u0000\"}");
	for (uint64_t c = 1; c <= 2; c++)
		expect(c, "{\"action\":\"room_message\",\"room\":\"r\","
		    "\"user_id\":\"1\",\"message\":\"\\u0000\"}");
	/* A private message: the delivery and the echo. */
	send_req(fx->chat, 1, "{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"\\u0000x\\u0000\"}");
	expect(2, "{\"action\":\"private_message\",\"user_id\":\"0\","
	    "\"message\":\"\\u0000x\\u0000\"}");
	expect(1, "{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"\\u0000x\\u0000\"}");
	/* "1\0" is not user "1". */
	send_req(fx->chat, 1, "{\"action\":\"private_message\","
	    "\"user_id\":\"1\\u0000\",\"message\":\"m\"}");
	expect(1, "{\"action\":\"error\","
	    "\"message\":\"user 1\\u0000 is not on the server\"}");
	send_req(fx->chat, 1, "{\"action\":\"private_message\","
	    "\"user_id\":\"\\u0000\",\"message\":\"m\"}");
	expect(1, "{\"action\":\"error\","
	    "\"message\":\"user \\u0000 is not on the server\"}");
	/* "rooms\0x" is not "rooms". */
	send_req(fx->chat, 1, "{\"action\":\"rooms\\u0000x\"}");
	expect(1, "{\"action\":\"error\","
	    "\"message\":\"unknown action: rooms\\u0000x\"}");
	/* Nor is the key "room\0" the key "room". */
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\\u0000\":\"r\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"missing field: room\"}");
	/* In a room name it is a control character. */
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"r\\u0000\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"invalid room name\"}");
	expect_nothing(1);
	expect_nothing(2);
}

static void
test_chat_disconnect_is_leave(void **state)
{
	struct fixture	*fx = *state;

	join_two(fx->chat);
	chat_closed(fx->chat, 1);
	expect(2, "{\"action\":\"leave\",\"room\":\"r\",\"user_id\":\"0\"}");
	settle();
	assert_int_equal(chat_users(fx->chat), 1);
	chat_closed(fx->chat, 2);
	settle();
	assert_int_equal(chat_users(fx->chat), 0);
	/* Ids are never reused. */
	chat_opened(fx->chat, 5, NULL);
	expect(5, "{\"action\":\"connection\",\"user_id\":\"2\"}");
}

static void
test_chat_rate_limit(void **state)
{
	struct fixture	*fx = *state;
	int		 errors = 0;

	connect_n(fx->chat, 1);
	/* Burst 50 at time 0: the 51st is refused. */
	for (int i = 0; i < 51; i++)
		send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
	for (int i = 0; i < 50; i++)
		expect(1, "{\"action\":\"rooms\",\"rooms\":[]}");
	expect(1, "{\"action\":\"error\",\"message\":\"rate limit exceeded\"}");
	/* 20/s: after 100 ms two more are allowed. */
	sink.now += 100;
	send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
	send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
	send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
	expect(1, "{\"action\":\"rooms\",\"rooms\":[]}");
	expect(1, "{\"action\":\"rooms\",\"rooms\":[]}");
	expect(1, "{\"action\":\"error\",\"message\":\"rate limit exceeded\"}");
	assert_int_equal(sink.closed[1], 0);
	/* Keep flooding: closed with 1008. */
	for (int i = 0; i < 200 && sink.closed[1] == 0; i++) {
		send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
		errors++;
	}
	assert_int_equal(sink.closed[1], 1008);
	assert_true(errors < 200);
}

static void
test_chat_room_name_limit(void **state)
{
	struct fixture	*fx = *state;

	fx->cfg.max_room_name = 3;
	connect_n(fx->chat, 1);
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"abcd\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"invalid room name\"}");
	send_req(fx->chat, 1,
	    "{\"action\":\"participants\",\"room\":\"abcd\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"invalid room name\"}");
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"abc\"}");
	expect(1, "{\"action\":\"join\",\"room\":\"abc\"}");
	expect_nothing(1);
}

/*
 * A registry that fails chosen operations with REG_ERR_NOMEM, around the
 * memory one: what the dispatch does when a back end runs out of memory
 * (issue 9: a join was announced and then failed; some requests got no
 * answer at all).  Every request must get exactly one answer, and a
 * failed change must not be announced.
 */
enum {
	FAIL_JOIN = 1, FAIL_LEAVE = 2, FAIL_MSG = 4, FAIL_PM = 8,
	FAIL_ROOMS = 16, FAIL_PARTICIPANTS = 32,
};

struct failreg {
	struct registry	 reg;
	struct registry	*in;
	unsigned	 fail;
};

static struct failreg	failreg;

#define FR(r)	(((struct failreg *)(void *)(r))->in)
#define FR_FAIL(r, what, done, arg) do {				\
	if (((struct failreg *)(void *)(r))->fail & (what)) {		\
		struct reg_result res_ = { .status = REG_ERR_NOMEM };	\
		(done)((arg), &res_);					\
		return;							\
	}								\
} while (0)

static void
fr_event(void *arg, const struct reg_event *ev)
{
	struct failreg	*f = arg;

	f->reg.event(f->reg.event_arg, ev);
}

static void
fr_online(struct registry *r, const struct reg_user *u, struct reg_where at,
    reg_done_cb done, void *arg)
{
	FR(r)->ops->online(FR(r), u, at, done, arg);
}

static void
fr_offline(struct registry *r, const char *id, struct reg_where at,
    reg_done_cb done, void *arg)
{
	FR(r)->ops->offline(FR(r), id, at, done, arg);
}

static void
fr_join(struct registry *r, const struct reg_user *u, const char *room,
    struct reg_where o, reg_done_cb done, void *arg)
{
	FR_FAIL(r, FAIL_JOIN, done, arg);
	FR(r)->ops->join(FR(r), u, room, o, done, arg);
}

static void
fr_leave(struct registry *r, const struct reg_user *u, struct reg_where o,
    reg_done_cb done, void *arg)
{
	FR_FAIL(r, FAIL_LEAVE, done, arg);
	FR(r)->ops->leave(FR(r), u, o, done, arg);
}

static void
fr_room_message(struct registry *r, const struct reg_user *u,
    const char *text, size_t len, uint64_t ts, struct reg_where o,
    reg_done_cb done, void *arg)
{
	FR_FAIL(r, FAIL_MSG, done, arg);
	FR(r)->ops->room_message(FR(r), u, text, len, ts, o, done, arg);
}

static void
fr_private_message(struct registry *r, const struct reg_user *from,
    const char *to_id, const char *to_name, const char *text, size_t len,
    uint64_t ts, struct reg_where o, reg_done_cb done, void *arg)
{
	FR_FAIL(r, FAIL_PM, done, arg);
	FR(r)->ops->private_message(FR(r), from, to_id, to_name, text, len,
	    ts, o, done, arg);
}

static void
fr_nick(struct registry *r, const struct reg_user *u, struct reg_where o,
    reg_done_cb done, void *arg)
{
	FR(r)->ops->nick(FR(r), u, o, done, arg);
}

static void
fr_rooms(struct registry *r, reg_done_cb done, void *arg)
{
	FR_FAIL(r, FAIL_ROOMS, done, arg);
	FR(r)->ops->rooms(FR(r), done, arg);
}

static void
fr_participants(struct registry *r, const char *room, reg_done_cb done,
    void *arg)
{
	FR_FAIL(r, FAIL_PARTICIPANTS, done, arg);
	FR(r)->ops->participants(FR(r), room, done, arg);
}

static size_t
fr_nusers(struct registry *r)
{
	return FR(r)->ops->nusers(FR(r));
}

static size_t
fr_nrooms(struct registry *r)
{
	return FR(r)->ops->nrooms(FR(r));
}

static void
fr_destroy(struct registry *r)
{
	FR(r)->ops->destroy(FR(r));
}

static const struct registry_ops fr_ops = {
	.name = "failing", .online = fr_online, .offline = fr_offline,
	.join = fr_join, .leave = fr_leave, .room_message = fr_room_message,
	.private_message = fr_private_message, .nick = fr_nick,
	.rooms = fr_rooms, .participants = fr_participants,
	.nusers = fr_nusers, .nrooms = fr_nrooms, .destroy = fr_destroy,
};

static int
setup_failing(void **state)
{
	static struct fixture	fx;
	struct chat_io		io = { sink_send, sink_close, sink_now, NULL,
				    NULL, NULL };
	struct store		*st;

	sink_reset();
	config_defaults(&fx.cfg);
	assert_non_null(st = store_mem_new(10, 1000, NULL));
	memset(&failreg, 0, sizeof failreg);
	failreg.reg.ops = &fr_ops;
	failreg.reg.node = 1;
	assert_non_null(failreg.in = registry_mem_new(st, NULL, fr_event,
	    &failreg));
	assert_non_null(fx.chat = chat_new_on(&fx.cfg, &io, &failreg.reg,
	    st));
	*state = &fx;
	return 0;
}

static void
test_chat_out_of_memory(void **state)
{
	struct fixture	*fx = *state;

	join_two(fx->chat);
	connect_n_from(fx->chat, 3, 3);
	/* A join that fails is not announced, and is answered once. */
	failreg.fail = FAIL_JOIN;
	send_req(fx->chat, 3, "{\"action\":\"join\",\"room\":\"r\"}");
	expect(3, "{\"action\":\"error\",\"message\":\"out of memory\"}");
	send_req(fx->chat, 1, "{\"action\":\"join\",\"room\":\"s\"}");
	expect(1, "{\"action\":\"error\",\"message\":\"out of memory\"}");
	expect_nothing(1);
	expect_nothing(2);
	expect_nothing(3);
	/* The failed move left user 0 in r. */
	failreg.fail = 0;
	send_req(fx->chat, 1, "{\"action\":\"room_message\",\"message\":\"m\"}");
	for (uint64_t c = 1; c <= 2; c++)
		expect(c, "{\"action\":\"room_message\",\"room\":\"r\","
		    "\"user_id\":\"0\",\"message\":\"m\"}");
	/* Every other request: exactly one answer each, in order. */
	failreg.fail = FAIL_LEAVE | FAIL_MSG | FAIL_PM | FAIL_ROOMS |
	    FAIL_PARTICIPANTS;
	send_req(fx->chat, 1, "{\"action\":\"leave\"}");
	send_req(fx->chat, 1, "{\"action\":\"room_message\",\"message\":\"x\"}");
	send_req(fx->chat, 1, "{\"action\":\"private_message\","
	    "\"user_id\":\"1\",\"message\":\"x\"}");
	send_req(fx->chat, 1, "{\"action\":\"rooms\"}");
	send_req(fx->chat, 1, "{\"action\":\"participants\",\"room\":\"r\"}");
	for (int i = 0; i < 5; i++)
		expect(1, "{\"action\":\"error\",\"message\":\"out of memory\"}");
	expect_nothing(1);
	expect_nothing(2);
	failreg.fail = 0;
	send_req(fx->chat, 1, "{\"action\":\"participants\",\"room\":\"r\"}");
	expect(1, "{\"action\":\"participants\",\"room\":\"r\","
	    "\"participants\":[\"0\",\"1\"]}");
}

#define CHAT_TESTS(setup, teardown) \
	cmocka_unit_test_setup_teardown(test_chat_join_notifies_others,	\
	    setup, teardown),						\
	cmocka_unit_test_setup_teardown(test_chat_auto_leave, setup,	\
	    teardown),							\
	cmocka_unit_test_setup_teardown(test_chat_leave_and_errors,	\
	    setup, teardown),						\
	cmocka_unit_test_setup_teardown(				\
	    test_chat_room_message_order_and_sender, setup, teardown),	\
	cmocka_unit_test_setup_teardown(test_chat_private_messages,	\
	    setup, teardown),						\
	cmocka_unit_test_setup_teardown(test_chat_nul, setup,		\
	    teardown),							\
	cmocka_unit_test_setup_teardown(test_chat_disconnect_is_leave,	\
	    setup, teardown),						\
	cmocka_unit_test_setup_teardown(test_chat_rate_limit, setup,	\
	    teardown),							\
	cmocka_unit_test_setup_teardown(test_chat_room_name_limit,	\
	    setup, teardown)

static int
setup_deferred(void **state)
{
	deferred = 1;
	return setup(state);
}

static int
teardown_deferred(void **state)
{
	int	rc = teardown(state);

	deferred = 0;
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_sorted_members),
		cmocka_unit_test(test_registry_room_list_sorted),
		CHAT_TESTS(setup, teardown),
		CHAT_TESTS(setup_deferred, teardown_deferred),
		cmocka_unit_test_setup_teardown(test_chat_out_of_memory,
		    setup_failing, teardown),
	};

	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
