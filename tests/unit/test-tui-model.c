/*
 * chat-tui model: protocol messages and keys in, state and requests out.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui-config.h"
#include "tui-model.h"
#include "tui-style.h"
#include "tui-test.h"

/* Expect a history request: the latest page, or before or after a seq. */
static void
expect_history(struct tui_model *m, const char *room, const char *before,
    const char *after)
{
	struct proto_msg	r;

	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.action, PROTO_HISTORY);
	assert_string_equal(r.room, room);
	assert_string_equal(r.limit, "50");
	expect_str(r.before, before);
	expect_str(r.after, after);
	tui_model_request_free(&r);
}

/*
 * A history reply for room: n entries with seqs first, first + step, ...
 * from user "1" named "bob" (user "3", ours, when the seq is a multiple
 * of 10), text "m<seq>", time ts0 + seq seconds (ts0 0: no ts).
 */
static void
feed_history(struct tui_model *m, const char *room, size_t n, unsigned first,
    int step, long long ts0)
{
	struct proto_msg	 msg;
	struct proto_entry	*e;
	char			(*num)[3][32];
	size_t			 i;

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_HISTORY;
	msg.room = (char *)room;
	e = calloc(n + 1, sizeof *e);
	num = calloc(n + 1, sizeof *num);
	for (i = 0; i < n; i++) {
		unsigned seq = first + (unsigned)((int)i * step);

		snprintf(num[i][0], sizeof num[i][0], "%u", seq);
		snprintf(num[i][1], sizeof num[i][1], "%lld",
		    (ts0 + seq) * 1000);
		snprintf(num[i][2], sizeof num[i][2], "m%u", seq);
		e[i].seq = num[i][0];
		e[i].ts = ts0 != 0 ? num[i][1] : NULL;
		e[i].user_id = seq % 10 == 0 ? "3" : "1";
		e[i].name = seq % 10 == 0 ? NULL : "bob";
		e[i].message = num[i][2];
		e[i].message_len = strlen(num[i][2]);
	}
	msg.entries = e;
	msg.nentries = n;
	msg.has_entries = true;
	tui_model_message(m, &msg);
	free(e);
	free(num);
}

/*
 * Connected, rooms asked for: /join lobby, up to the server's reply and
 * the rooms and participants it asks for (version 2: the caller expects
 * the history request too).
 */
static void
enter_lobby(struct tui_model *m)
{
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_no_req(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, (char *)NULL);
	enter(m, "/join lobby");
	expect_req(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_no_req(m);
	assert_null(m->room);	/* not before the server says so */
	feed(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
}

/* Join lobby (connected as id 3): the latest page is asked for. */
static void
join_lobby(struct tui_model *m)
{
	tui_model_opened(m);
	assert_int_equal(m->conn, TUI_CONN_CONNECTING);
	greet(m, "3");
	enter_lobby(m);
	expect_history(m, "lobby", NULL, NULL);
	expect_no_req(m);
}

/*
 * After hello on a reconnect: lobby is joined again, up to the rooms and
 * participants asked for.
 */
static void
rejoin_lobby(struct tui_model *m)
{
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_JOIN, "lobby", NULL, NULL);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, (char *)NULL);
	feed(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
}

/* Connected as id to a version 1 server: hello is refused. */
static void
greet_v1(struct tui_model *m, const char *id)
{
	feed(m, PROTO_CONNECTION, NULL, id, NULL);
	expect_hello(m, NULL);
	feed(m, PROTO_ERROR, NULL, NULL, "unknown action: hello");
}

/* Connected as id 3 and in room "lobby" with participants 1 and 3. */
static void
connect_and_join(struct tui_model *m)
{
	join_lobby(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "lobby", (char *)NULL);
	feed(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL, "1", "3",
	    (char *)NULL);
	feed_history(m, "lobby", 0, 0, 0, 0);	/* a new room */
}

static void
test_connect(void **state)
{
	struct tui_model	*m = *state;
	char			 status[256];

	tui_model_status(m, status, sizeof status);
	assert_string_equal(status, "127.0.0.1:8080 | disconnected | F1 help");
	connect_and_join(m);
	assert_string_equal(m->own_id, "3");
	assert_string_equal(m->room, "lobby");
	assert_int_equal(m->nusers, 2);
	assert_string_equal(m->users[1], "3");
	assert_int_equal(m->view->type, TUI_BUF_ROOM);
	assert_string_equal(m->view->name, "lobby");
	tui_model_status(m, status, sizeof status);
	assert_string_equal(status, "127.0.0.1:8080 | connected | id 3 | "
	    "room lobby | F1 help");
	assert_true(m->dirty);
}

static void
test_join_reply_with_own_id(void **state)
{
	struct tui_model	*m = *state;

	greet(m, "5");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, (char *)NULL);
	feed(m, PROTO_JOIN, "a", "5", NULL);	/* extension: own user_id */
	assert_string_equal(m->room, "a");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "a", NULL, NULL);
}

static void
test_notifications_resync(void **state)
{
	struct tui_model	*m = *state;
	const struct tui_line	*l;

	connect_and_join(m);
	feed(m, PROTO_JOIN, "lobby", "7", NULL);
	l = last_line(m->view);
	assert_int_equal(l->kind, TUI_LINE_JOIN);
	assert_string_equal(l->who, "7");
	assert_string_equal(l->text, "joined");
	/* Participants are not guessed: they come from the reply. */
	assert_int_equal(m->nusers, 2);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	expect_no_req(m);
	feed(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL, "1", "3", "7",
	    (char *)NULL);
	assert_int_equal(m->nusers, 3);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "lobby", (char *)NULL);

	feed(m, PROTO_LEAVE, "lobby", "1", NULL);
	l = last_line(m->view);
	assert_int_equal(l->kind, TUI_LINE_LEAVE);
	assert_string_equal(l->body, "7 joined, 1 left");	/* folded */
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	expect_no_req(m);
}

static void
test_own_leave(void **state)
{
	struct tui_model	*m = *state;

	connect_and_join(m);
	key(m, TUI_KEY_LEAVE);
	expect_req(m, PROTO_LEAVE, NULL, NULL, NULL);
	expect_no_req(m);
	assert_string_equal(m->room, "lobby");
	feed(m, PROTO_LEAVE, "lobby", NULL, NULL);
	assert_null(m->room);
	assert_int_equal(m->nusers, 0);
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_LEAVE);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_no_req(m);	/* no room, so no participants */
	/* Typing now says so instead of dropping it. */
	key(m, TUI_KEY_JUMP);	/* n = 0: ignored */
	jump(m, 1);		/* status buffer */
	enter(m, "hello");
	expect_no_req(m);
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_INFO);
	assert_non_null(strstr(last_line(m->view)->text, "not in a room"));
}

static void
test_room_message_and_unread(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby;
	char			 status[256];

	connect_and_join(m);
	lobby = m->view;
	enter(m, "hi all");
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "hi all");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "3", "hi all");
	assert_int_equal(last_line(lobby)->kind, TUI_LINE_OWN);
	assert_int_equal(lobby->unread, 0);

	jump(m, 1);		/* look at the status buffer */
	assert_int_equal(m->view->type, TUI_BUF_STATUS);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hey");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "3", "mine");
	feed(m, PROTO_JOIN, "lobby", "9", NULL);
	feed(m, PROTO_LEAVE, "lobby", "9", NULL);
	/* Own messages and join/leave never count. */
	assert_int_equal(lobby->unread, 1);
	tui_model_status(m, status, sizeof status);
	assert_non_null(strstr(status, "| unread lobby(1) |"));
	/* Narrow: the least useful fields go first, unread stays. */
	tui_model_status_fit(m, 40, status, sizeof status);
	assert_string_equal(status, "connected | room lobby | unread lobby(1)");
	tui_model_status_fit(m, 20, status, sizeof status);
	assert_string_equal(status, "unread lobby(1)");
	tui_model_status_fit(m, 60, status, sizeof status);
	assert_string_equal(status, "connected | id 3 | room lobby | unread "
	    "lobby(1) | F1 help");
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, lobby);
	assert_int_equal(lobby->unread, 0);
}

static void
test_private_messages(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby, *pm;
	struct tui_entry	 e[8];
	size_t			 n;

	connect_and_join(m);
	lobby = m->view;

	/* Incoming: its own conversation @1 with an unread count, only. */
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	pm = tui_model_find(m, TUI_BUF_PM, "1");
	assert_non_null(pm);
	assert_int_equal(pm->unread, 1);
	assert_int_equal(last_line(pm)->kind, TUI_LINE_PM_IN);
	assert_int_not_equal(last_line(lobby)->kind, TUI_LINE_PM_IN);
	assert_int_equal(lobby->unread, 0);

	/* Conversations (status, lobby, @1), then the directory (lobby). */
	n = tui_model_entries(m, e, 8);
	assert_int_equal(n, 4);
	assert_int_equal(tui_model_conversations(m), 3);
	assert_int_equal(e[0].type, TUI_BUF_STATUS);
	assert_int_equal(e[1].type, TUI_BUF_ROOM);
	assert_false(e[1].directory);
	assert_true(e[1].current);
	assert_true(e[1].viewed);
	assert_int_equal(e[2].type, TUI_BUF_PM);
	assert_string_equal(e[2].name, "1");
	assert_int_equal(e[2].unread, 1);
	assert_true(e[3].directory);
	assert_string_equal(e[3].name, "lobby");
	assert_true(e[3].current);
	assert_false(e[3].viewed);

	/* /msg sends and stays; the echo lands in @1, outgoing. */
	enter(m, "/msg 1 back at you");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "back at you");
	assert_ptr_equal(m->view, lobby);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "back at you");
	assert_int_equal(last_line(pm)->kind, TUI_LINE_PM_OUT);
	assert_int_equal(pm->unread, 1);
	assert_int_not_equal(last_line(lobby)->kind, TUI_LINE_PM_OUT);
	/* The next plain line still goes to the room. */
	enter(m, "to the room");
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "to the room");
	/* /query switches. */
	enter(m, "/QUERY 1");
	assert_ptr_equal(m->view, pm);
	assert_int_equal(pm->unread, 0);
	/* The same text again from the peer is incoming. */
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "back at you");
	assert_int_equal(last_line(pm)->kind, TUI_LINE_PM_IN);

	/* Plain text in a PM buffer goes to the peer. */
	enter(m, "more");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "more");
	expect_no_req(m);

	/* A join the user asked for shows the room, even from a PM. */
	enter(m, "/join other");
	expect_req(m, PROTO_JOIN, "other", NULL, NULL);
	feed(m, PROTO_JOIN, "other", NULL, NULL);
	assert_int_equal(m->view->type, TUI_BUF_ROOM);
	assert_string_equal(m->view->name, "other");
	/* An automatic rejoin does not pull the user out of a PM. */
	jump(m, 4);			/* status, lobby, other, @1 */
	assert_int_equal(m->view->type, TUI_BUF_PM);
	tui_model_closed(m, NULL);
	tui_model_opened(m);
	greet(m, "3");
	feed(m, PROTO_JOIN, "other", NULL, NULL);
	assert_int_equal(m->view->type, TUI_BUF_PM);
}

static void
test_pm_to_self_and_unknown(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*pm;

	connect_and_join(m);
	enter(m, "/msg 3 me");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "3", "me");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "3", "me");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "3", "me");
	pm = tui_model_find(m, TUI_BUF_PM, "3");
	assert_int_equal(tui_model_line(pm, 0)->kind, TUI_LINE_PM_OUT);
	assert_int_equal(tui_model_line(pm, 1)->kind, TUI_LINE_PM_IN);

	enter(m, "/msg 42 anyone");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "42", "anyone");
	feed(m, PROTO_ERROR, NULL, NULL, "user 42 is not on the server");
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_ERROR);
	assert_string_equal(last_line(m->view)->text,
	    "user 42 is not on the server");
	/* No junk conversation with someone not there. */
	assert_null(tui_model_find(m, TUI_BUF_PM, "42"));
	/* The pending echo was dropped: a later PM from 42 is incoming. */
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "42", "anyone");
	pm = tui_model_find(m, TUI_BUF_PM, "42");
	assert_int_equal(last_line(pm)->kind, TUI_LINE_PM_IN);
	/* A conversation opened with an id not there goes when told. */
	key(m, TUI_KEY_PM);
	enter(m, "hello");
	assert_string_equal(m->view->name, "hello");
	enter(m, "anyone?");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "hello", "anyone?");
	feed(m, PROTO_ERROR, NULL, NULL, "user hello is not on the server");
	assert_null(tui_model_find(m, TUI_BUF_PM, "hello"));
	assert_int_equal(m->view->type, TUI_BUF_STATUS);
	assert_string_equal(last_line(m->view)->text,
	    "user hello is not on the server");
	/* F4 with something that is no id asks again. */
	key(m, TUI_KEY_PM);
	enter(m, "hello there");
	assert_null(tui_model_find(m, TUI_BUF_PM, "hello"));
	assert_null(tui_model_find(m, TUI_BUF_PM, "hello there"));
	assert_string_equal(last_line(m->view)->text, "usage: /query WHO");
}

static void
test_sanitised_lines(void **state)
{
	struct tui_model	*m = *state;

	connect_and_join(m);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1",
	    "\x1b[2J\x1b]0;title\x07" "bad\xc2\x9b");
	assert_string_equal(last_line(m->view)->text,
	    "^[[2J^[]0;title^Gbad\xef\xbf\xbd");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "\x1b[31m", "x");
	assert_string_equal(last_line(m->view)->who, "^[[31m");

	/* A NUL inside a message is text like any control, not its end. */
	struct proto_msg msg = { .action = PROTO_ROOM_MESSAGE };
	msg.room = "lobby";
	msg.user_id = "1";
	msg.message = "a\0b";
	msg.message_len = 3;
	tui_model_message(m, &msg);
	assert_string_equal(last_line(m->view)->text, "a^@b");
}

static void
test_commands(void **state)
{
	struct tui_model	*m = *state;

	enter(m, "/join lobby");
	expect_no_req(m);	/* not connected: said so locally */
	assert_non_null(strstr(last_line(m->view)->text, "not connected"));
	connect_and_join(m);

	enter(m, "/rooms");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "a", "lobby", (char *)NULL);
	assert_string_equal(last_line(m->view)->text, "rooms: a, lobby");
	assert_int_equal(m->nrooms, 2);

	enter(m, "/who");
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	feed(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL, "1", "3",
	    (char *)NULL);
	assert_string_equal(last_line(m->view)->text, "in lobby: 1, 3");

	enter(m, "/who a");
	expect_req(m, PROTO_PARTICIPANTS, "a", NULL, NULL);
	feed(m, PROTO_PARTICIPANTS, "a", NULL, NULL, "8", (char *)NULL);
	assert_string_equal(last_line(m->view)->text, "in a: 8");
	assert_int_equal(m->nusers, 2);	/* our pane is unchanged */

	enter(m, "/who gone");
	expect_req(m, PROTO_PARTICIPANTS, "gone", NULL, NULL);
	feed(m, PROTO_ERROR, NULL, NULL, "room gone does not exist");
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_ERROR);

	enter(m, "/join   my room  ");
	expect_req(m, PROTO_JOIN, "my room", NULL, NULL);
	enter(m, "/msg");
	expect_no_req(m);
	assert_string_equal(last_line(m->view)->text, "usage: /msg WHO [TEXT]");
	enter(m, "/msg 1");		/* no text: opens the conversation */
	expect_no_req(m);
	assert_int_equal(m->view->type, TUI_BUF_PM);
	assert_string_equal(m->view->name, "1");
	enter(m, "/close");
	assert_int_equal(m->view->type, TUI_BUF_STATUS);
	assert_null(tui_model_find(m, TUI_BUF_PM, "1"));
	enter(m, "/close");		/* not the status buffer */
	assert_non_null(strstr(last_line(m->view)->text, "/close closes"));
	enter(m, "/frob");
	assert_non_null(strstr(last_line(m->view)->text, "unknown command"));
	enter(m, "//slash");
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "/slash");
	enter(m, "/leave");
	expect_req(m, PROTO_LEAVE, NULL, NULL, NULL);
	enter(m, "/help");
	assert_true(m->help);
	type(m, "x");		/* closes the help and nothing else */
	assert_false(m->help);
	assert_string_equal(m->edit.buf, "");
	key(m, TUI_KEY_HELP);
	assert_true(m->help);
	key(m, TUI_KEY_HELP);
	assert_false(m->help);
	enter(m, "/quit");
	assert_true(m->quit);
	expect_no_req(m);
}

static void
test_suppressed_sync_error(void **state)
{
	struct tui_model	*m = *state;
	size_t			 before;

	connect_and_join(m);
	feed(m, PROTO_JOIN, "lobby", "7", NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	before = m->view->nlines;
	/* Our automatic request raced with the room going away. */
	feed(m, PROTO_ERROR, NULL, NULL, "room lobby does not exist");
	assert_int_equal(m->view->nlines, before);
	feed(m, PROTO_ERROR, NULL, NULL, "user is not in a room");
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_ERROR);
}

static void
test_reconnect(void **state)
{
	struct tui_model	*m = *state;
	char			 status[256];

	connect_and_join(m);
	tui_model_closed(m, "connection refused");
	assert_int_equal(m->conn, TUI_CONN_DISCONNECTED);
	assert_null(m->own_id);
	assert_null(m->room);
	assert_int_equal(m->nusers, 0);
	tui_model_status(m, status, sizeof status);
	assert_string_equal(status, "127.0.0.1:8080 | disconnected | F1 help");
	enter(m, "hello?");
	expect_no_req(m);
	tui_model_tick(m);
	expect_no_req(m);

	/* Failed retries are reported once, not every time. */
	{
		struct tui_buffer	*st = m->bufs[0];
		size_t			 n0 = st->nlines;

		tui_model_closed(m, "connection refused");
		tui_model_closed(m, "connection refused");
		assert_int_equal(st->nlines, n0 + 1);
		assert_non_null(strstr(last_line(st)->text, "cannot connect"));
	}

	tui_model_opened(m);
	greet(m, "0");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_no_req(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, (char *)NULL);
	feed(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	expect_history(m, "lobby", NULL, NULL);
	assert_string_equal(m->own_id, "0");
	/* The timer does not repeat a request still unanswered... */
	tui_model_tick(m);
	expect_no_req(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "lobby", (char *)NULL);
	feed(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL, "0", (char *)NULL);
	/* ...but asks again once answered. */
	tui_model_tick(m);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	expect_no_req(m);
}

static void
test_sync_coalesced(void **state)
{
	struct tui_model	*m = *state;

	connect_and_join(m);
	feed(m, PROTO_JOIN, "lobby", "7", NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	/* A burst of notifications while those are unanswered. */
	feed(m, PROTO_JOIN, "lobby", "8", NULL);
	feed(m, PROTO_LEAVE, "lobby", "7", NULL);
	expect_no_req(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "lobby", (char *)NULL);
	feed(m, PROTO_JOIN, "lobby", "9", NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_no_req(m);
	/* A rate-limit error means a reply may never come: ask again. */
	feed(m, PROTO_ERROR, NULL, NULL, "rate limit exceeded");
	feed(m, PROTO_JOIN, "lobby", "10", NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	expect_no_req(m);
}

static void
test_focus_and_lists(void **state)
{
	struct tui_model	*m = *state;

	connect_and_join(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "a", "lobby", (char *)NULL);
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_ROOMS);
	/* status, lobby; directory: a, lobby */
	key(m, TUI_KEY_DOWN);
	key(m, TUI_KEY_ENTER);		/* a conversation: shown, no join */
	expect_no_req(m);
	key(m, TUI_KEY_DOWN);		/* -> a in the directory */
	assert_int_equal(m->sel_left, 2);
	key(m, TUI_KEY_JOIN);		/* F2 joins the highlighted room */
	expect_req(m, PROTO_JOIN, "a", NULL, NULL);
	key(m, TUI_KEY_ENTER);		/* so does Enter */
	expect_req(m, PROTO_JOIN, "a", NULL, NULL);
	key(m, TUI_KEY_DOWN);
	key(m, TUI_KEY_DOWN);
	key(m, TUI_KEY_DOWN);		/* clamped at lobby */
	assert_int_equal(m->sel_left, 3);
	/* Alt-N never reaches the directory, never joins. */
	jump(m, 3);
	expect_no_req(m);
	assert_int_equal(m->view->type, TUI_BUF_ROOM);

	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_USERS);
	key(m, TUI_KEY_DOWN);
	key(m, TUI_KEY_ENTER);		/* PM with participant 3 */
	assert_int_equal(m->view->type, TUI_BUF_PM);
	assert_string_equal(m->view->name, "3");
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	expect_no_req(m);

	key(m, TUI_KEY_FOCUS_PREV);		/* messages, then users */
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_FOCUS_PREV);
	assert_int_equal(m->focus, TUI_FOCUS_USERS);
	key(m, TUI_KEY_UP);
	key(m, TUI_KEY_PM);		/* F4 on participant 1 */
	assert_string_equal(m->view->name, "1");
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_ESC);
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	/* Typing in a list moves to the input. */
	key(m, TUI_KEY_FOCUS_NEXT);
	type(m, "x");
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	assert_string_equal(m->edit.buf, "x");
}

static void
test_prompts(void **state)
{
	struct tui_model	*m = *state;

	connect_and_join(m);
	type(m, "draft");
	key(m, TUI_KEY_JOIN);
	assert_int_equal(m->prompt, TUI_PROMPT_JOIN);
	assert_string_equal(tui_model_prompt(m), "join room: ");
	assert_string_equal(m->edit.buf, "");
	enter(m, "other");
	expect_req(m, PROTO_JOIN, "other", NULL, NULL);
	assert_int_equal(m->prompt, TUI_PROMPT_NONE);
	assert_string_equal(m->edit.buf, "draft");	/* restored */

	key(m, TUI_KEY_PM);
	assert_int_equal(m->prompt, TUI_PROMPT_PM);
	key(m, TUI_KEY_ESC);		/* cancel */
	assert_int_equal(m->prompt, TUI_PROMPT_NONE);
	assert_string_equal(m->edit.buf, "draft");
	key(m, TUI_KEY_KILL_LINE);
	key(m, TUI_KEY_PM);
	enter(m, "1");
	assert_int_equal(m->view->type, TUI_BUF_PM);
	assert_string_equal(m->view->name, "1");
	expect_no_req(m);
	/* Prompt answers do not go into the history. */
	key(m, TUI_KEY_UP);
	assert_string_equal(m->edit.buf, "/join lobby");
}

static void
test_history_and_completion(void **state)
{
	struct tui_model	*m = *state;

	connect_and_join(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "lobby", "lounge", "zoo",
	    (char *)NULL);
	enter(m, "one");
	enter(m, "two");
	key(m, TUI_KEY_UP);
	assert_string_equal(m->edit.buf, "two");
	key(m, TUI_KEY_UP);
	assert_string_equal(m->edit.buf, "one");
	key(m, TUI_KEY_DOWN);
	key(m, TUI_KEY_DOWN);
	assert_string_equal(m->edit.buf, "");

	type(m, "/wh");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/who ");
	type(m, "z");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/who zoo ");
	key(m, TUI_KEY_KILL_LINE);
	type(m, "/msg ");
	key(m, TUI_KEY_TAB);		/* ids 1 and 3: cycles */
	assert_string_equal(m->edit.buf, "/msg 1");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/msg 3");
	key(m, TUI_KEY_KILL_LINE);
	key(m, TUI_KEY_JOIN);
	type(m, "lou");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "lounge ");
}

static void
test_scrollback_bounded(void **state)
{
	struct tui_model	*m = *state;
	char			 text[32];
	int			 i;

	connect_and_join(m);
	for (i = 0; i < TUI_SCROLLBACK_MAX + 100; i++) {
		snprintf(text, sizeof text, "m%d", i);
		feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", text);
	}
	assert_int_equal(m->view->nlines, TUI_SCROLLBACK_MAX);
	snprintf(text, sizeof text, "m%d", TUI_SCROLLBACK_MAX + 99);
	assert_string_equal(last_line(m->view)->text, text);
	assert_string_equal(tui_model_line(m->view, 0)->text, "m100");

	m->page = 11;
	key(m, TUI_KEY_PGUP);
	assert_int_equal(m->view->scroll, 10);
	key(m, TUI_KEY_PGDN);
	key(m, TUI_KEY_PGDN);
	assert_int_equal(m->view->scroll, 0);
}

static void
test_timestamp(void **state)
{
	struct tui_model	*m = *state;
	struct proto_msg	 msg;

	connect_and_join(m);
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOM_MESSAGE;
	msg.room = "lobby";
	msg.user_id = "1";
	msg.message = "t";
	msg.ts = "1700000000123";
	tui_model_message(m, &msg);
	assert_int_equal(last_line(m->view)->when, 1700000000);
	msg.ts = "junk";
	tui_model_message(m, &msg);
	assert_int_equal(last_line(m->view)->when, 1000);
	/* Unknown actions are ignored. */
	msg.action = PROTO_UNKNOWN;
	tui_model_message(m, &msg);
	expect_no_req(m);
}

/*
 * A message that wraps to 152 rows at 100x30 (a pane of 68 x 27) can be
 * scrolled through whole: each row is seen, in order, and the scroll
 * stops at its first row (issue 9 item 2: rows past height + 64 were lost).
 */
static void
test_tall_message(void **state)
{
	struct tui_model	*m = *state;
	struct tui_view_row	 rows[27];
	char			 text[152 * 8 + 1], want[16];
	const struct tui_line	*l;
	size_t			 n, i, seen = 0;
	int			 pages = 0;

	connect_and_join(m);
	tui_model_resize(m, 68, 27);
	for (i = 0; i < 152; i++)
		snprintf(text + i * 8, 9, "row %03zu\n", i + 1);
	text[152 * 8 - 1] = '\0';
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", text);
	l = last_line(m->view);
	assert_int_equal(l->nrows, 152);
	assert_int_equal(l->indent, (int)strlen("00:00 <1> "));

	/* From the bottom up a page at a time, rows seen newest first. */
	for (;;) {
		n = tui_buffer_visible(m->view, 27, rows);
		assert_int_equal(n, 27);
		for (i = n; i > 0; i--) {
			const struct tui_view_row *v = &rows[i - 1];

			if (v->line != l || v->row != 151 - seen)
				continue;
			snprintf(want, sizeof want, "row %03zu", 152 - seen);
			assert_int_equal(strncmp(l->body + l->rows[v->row].off,
			    want, 7), 0);
			seen++;
		}
		if (seen == 152)
			break;
		key(m, TUI_KEY_PGUP);
		assert_true(++pages < 10);
	}
	assert_int_equal(m->view->scroll, (int)m->view->nrows - 27);
	key(m, TUI_KEY_PGUP);		/* clamped: no further */
	assert_int_equal(m->view->scroll, (int)m->view->nrows - 27);

	/* Narrower: wrapped again, the same text in more rows. */
	tui_model_resize(m, 12, 27);
	assert_true(l->nrows > 152);
	assert_true(m->view->scroll <= (int)m->view->nrows - 27);
	tui_model_resize(m, 68, 27);
	assert_int_equal(l->nrows, 152);
}

static void
paste(struct tui_model *m, const char *s)
{
	tui_model_paste(m, s, strlen(s));
}

/* Bracketed paste: one unit, never commands, asked, paced, whole. */
static void
test_paste(void **state)
{
	struct tui_model	*m = *state;
	struct proto_msg	 r;
	char			 text[120 * 9 + 1], want[16], *big;
	size_t			 i, got = 0;
	long long		 t = 5000;

	connect_and_join(m);
	/* One line is typing, even with a slash. */
	paste(m, "/quit now");
	assert_string_equal(m->edit.buf, "/quit now");
	expect_no_req(m);
	key(m, TUI_KEY_KILL_LINE);

	/* A few lines go as they are, commands included as text. */
	paste(m, "/join x\r/quit\r\nhello\n");
	assert_int_equal(m->prompt, TUI_PROMPT_NONE);
	expect_no_req(m);
	assert_true(tui_model_pace(m, t) == -1);
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "/join x");
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "/quit");
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "hello");
	expect_no_req(m);
	assert_false(m->quit);

	/* 120 lines: asked first; Esc drops them. */
	for (i = 0; i < 120; i++)
		snprintf(text + i * 9, 10, "line %03zu\n", i + 1);
	paste(m, text);
	assert_int_equal(m->prompt, TUI_PROMPT_PASTE);
	assert_string_equal(tui_model_prompt(m), "send 120 pasted lines to "
	    "lobby? (Enter: yes, Esc: no) ");
	key(m, TUI_KEY_ESC);
	assert_int_equal(m->prompt, TUI_PROMPT_NONE);
	assert_true(tui_model_pace(m, t += 10000) == -1);
	expect_no_req(m);

	/* Enter sends them, paced: a burst, then TUI_PASTE_RATE a second. */
	type(m, "draft");
	paste(m, text);
	key(m, TUI_KEY_ENTER);
	assert_string_equal(m->edit.buf, "draft");
	assert_int_equal(tui_model_pace(m, t), 1000 / TUI_PASTE_RATE + 1);
	while (tui_model_pop_request(m, &r)) {
		snprintf(want, sizeof want, "line %03zu", ++got);
		assert_string_equal(r.message, want);
		tui_model_request_free(&r);
	}
	assert_int_equal(got, TUI_PASTE_BURST);
	assert_true(tui_model_pace(m, t + 500) > 0);
	while (tui_model_pop_request(m, &r)) {
		snprintf(want, sizeof want, "line %03zu", ++got);
		assert_string_equal(r.message, want);
		tui_model_request_free(&r);
	}
	assert_int_equal(got, TUI_PASTE_BURST + TUI_PASTE_RATE / 2);
	for (t += 1000; got < 120; t += 1000) {
		tui_model_pace(m, t);
		while (tui_model_pop_request(m, &r)) {
			snprintf(want, sizeof want, "line %03zu", ++got);
			assert_string_equal(r.message, want);
			tui_model_request_free(&r);
		}
	}
	assert_int_equal(got, 120);
	assert_true(tui_model_pace(m, t) == -1);

	/* A line over the server's limit goes in pieces, whole characters. */
	big = malloc(5000 + 4);
	for (i = 0; i < 5000; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	memcpy(big + 5000, "\nx", 3);
	paste(m, big);
	tui_model_pace(m, t += 10000);
	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.message_len, 4096);
	assert_memory_equal(r.message, big, 4096);
	tui_model_request_free(&r);
	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.message_len, 5000 - 4096);
	tui_model_request_free(&r);
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "x");
	free(big);

	/* In a private conversation, pasted lines are PMs to the peer. */
	key(m, TUI_KEY_KILL_LINE);
	enter(m, "/query 7");
	paste(m, "a\nb");
	tui_model_pace(m, t += 10000);
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "7", "a");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "7", "b");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "7", "a");
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_PM_OUT);
}

/* Another user cannot be faked: continuation rows are indented. */
static void
test_spoofing_layout(void **state)
{
	struct tui_model	*m = *state;
	const struct tui_line	*l;
	char			 word[201];

	connect_and_join(m);
	tui_model_resize(m, 60, 20);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1",
	    "innocent\n05:16 <0> please /msg me your password");
	l = last_line(m->view);
	assert_string_equal(l->prefix + 5, " <1> ");
	assert_int_equal(l->nrows, 2);
	assert_int_equal(l->indent, 10);
	assert_int_equal(strncmp(l->body + l->rows[1].off, "05:16 <0>", 9), 0);
	/* An unbreakable word starts on the first row, after the name. */
	memset(word, 'w', 200);
	word[200] = '\0';
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", word);
	l = last_line(m->view);
	assert_int_equal(l->rows[0].len, 50);
	assert_int_equal(l->nrows, 4);
	/* A name wider than half the pane is cut, the text still in place. */
	memset(word, 'n', 200);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", word, "hi");
	l = last_line(m->view);
	assert_int_equal(l->indent, 30);
	assert_true(l->prefix_w > l->indent);
}

/* While scrolled back, new lines do not move the text. */
static void
test_scroll_stable(void **state)
{
	struct tui_model	*m = *state;
	char			 text[32];
	int			 i, at;

	connect_and_join(m);
	tui_model_resize(m, 60, 10);
	for (i = 0; i < 50; i++) {
		snprintf(text, sizeof text, "m%d", i);
		feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", text);
	}
	key(m, TUI_KEY_PGUP);
	at = m->view->scroll;
	assert_int_equal(at, 9);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "new\ntwo rows");
	assert_int_equal(m->view->scroll, at + 2);
	assert_int_equal(m->view->below, 1);
	key(m, TUI_KEY_BOTTOM);			/* Alt-End */
	assert_int_equal(m->view->scroll, 0);
	assert_int_equal(m->view->below, 0);
	key(m, TUI_KEY_PGUP);
	enter(m, "/bottom");
	assert_int_equal(m->view->scroll, 0);
	key(m, TUI_KEY_PGUP);
	enter(m, "sent");			/* sending returns too */
	assert_int_equal(m->view->scroll, 0);
	expect_req(m, PROTO_ROOM_MESSAGE, NULL, NULL, "sent");
}

/*
 * With the focus on the message pane, End returns to the live end and
 * Up/Down/Home scroll; End in the input line still moves the cursor.
 */
static void
test_end_in_message_pane(void **state)
{
	struct tui_model	*m = *state;
	char			 text[32];
	int			 i;

	connect_and_join(m);
	tui_model_resize(m, 60, 10);
	for (i = 0; i < 50; i++) {
		snprintf(text, sizeof text, "m%d", i);
		feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", text);
	}
	type(m, "abc");
	key(m, TUI_KEY_HOME);
	key(m, TUI_KEY_PGUP);
	key(m, TUI_KEY_END);			/* input line: the cursor */
	assert_int_equal(m->edit.cursor, 3);
	assert_int_equal(m->view->scroll, 9);
	/* input -> rooms -> users -> messages */
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_UP);
	assert_int_equal(m->view->scroll, 10);
	key(m, TUI_KEY_DOWN);
	key(m, TUI_KEY_DOWN);
	assert_int_equal(m->view->scroll, 8);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "waiting");
	assert_int_equal(m->view->below, 1);
	key(m, TUI_KEY_END);
	assert_int_equal(m->view->scroll, 0);
	assert_int_equal(m->view->below, 0);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_HOME);			/* the oldest row */
	assert_int_equal(m->view->scroll, (int)m->view->nrows - m->page);
	key(m, TUI_KEY_END);
	assert_int_equal(m->view->scroll, 0);
	assert_int_equal(m->edit.cursor, 3);	/* the input untouched */
	/* Alt-Left from the input reaches it too; typing goes back. */
	key(m, TUI_KEY_ESC);
	key(m, TUI_KEY_FOCUS_PREV);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	type(m, "d");
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	assert_string_equal(m->edit.buf, "abcd");
	/* With both side panes hidden, Ctrl-O goes straight to it. */
	tui_model_panes(m, false, false);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
}

/* Is colour c of the 256 a dark blue (unreadable on black)? */
static bool
dark_blue(short c)
{
	int	r, g;

	if (c == 4 || c == 0 || (c >= 16 && c <= 21))
		return (true);
	if (c < 16 || c >= 232)
		return (false);
	r = (c - 16) / 36;
	g = (c - 16) / 6 % 6;
	return (r + g < 2);
}

/*
 * Nick colours: 256-colour palette of distinct colours, none dark blue;
 * names hash stably across the palette; your own name and "*" notices
 * styled apart.
 */
static void
test_nick_colours(void **state)
{
	struct tui_model	*m = *state;
	struct tui_line_style	 st, own;
	bool			 used[TUI_STYLE_NICKS_256] = { false };
	char			 id[16];
	int			 i, j, n = 0;

	for (i = 0; i < TUI_STYLE_NICKS_256; i++) {
		assert_false(dark_blue(tui_style_nicks_256[i]));
		for (j = 0; j < i; j++)
			assert_int_not_equal(tui_style_nicks_256[i],
			    tui_style_nicks_256[j]);
	}
	for (i = 0; i < TUI_STYLE_NICKS_8; i++) {
		/* Not black, blue (unreadable), red (errors), white. */
		assert_true(tui_style_nicks_8[i] != 0 &&
		    tui_style_nicks_8[i] != 1 && tui_style_nicks_8[i] != 4 &&
		    tui_style_nicks_8[i] != 7);
	}
	/* 55 users of a room spread over the palette. */
	for (i = 0; i < 55; i++) {
		snprintf(id, sizeof id, "%d", i);
		j = tui_style_nick(id, TUI_STYLE_NICKS_256);
		assert_in_range(j, 0, TUI_STYLE_NICKS_256 - 1);
		assert_int_equal(j, tui_style_nick(id, TUI_STYLE_NICKS_256));
		if (!used[j])
			n++;
		used[j] = true;
	}
	assert_true(n >= 12);
	assert_in_range(tui_style_nick("bob", TUI_STYLE_NICKS_8), 0,
	    TUI_STYLE_NICKS_8 - 1);

	connect_and_join(m);			/* own id 3 */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hi");
	tui_style_line(last_line(m->view), TUI_STYLE_NICKS_256, &st);
	assert_int_equal(st.who, TUI_STYLE_NICK);
	assert_int_equal(st.nick, tui_style_nick(last_line(m->view)->who,
	    TUI_STYLE_NICKS_256));
	assert_int_equal(st.body, TUI_STYLE_PLAIN);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "3", "mine");
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_OWN);
	tui_style_line(last_line(m->view), TUI_STYLE_NICKS_256, &own);
	assert_int_equal(own.who, TUI_STYLE_OWN);	/* no nick has it */
	assert_int_not_equal(own.who, st.who);
	enter(m, "/nosuchcommand");		/* a "*" notice */
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_INFO);
	tui_style_line(last_line(m->view), TUI_STYLE_NICKS_256, &st);
	assert_int_equal(st.body, TUI_STYLE_NOTICE);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	tui_style_line(last_line(tui_model_find(m, TUI_BUF_PM, "1")),
	    TUI_STYLE_NICKS_256, &st);
	assert_int_equal(st.who, TUI_STYLE_PM);
}

/* The current room, unread conversations and the directory look apart. */
static void
test_entry_styles(void **state)
{
	struct tui_model	*m = *state;
	struct tui_entry	*ents;
	size_t			 n;

	connect_and_join(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "a", "lobby", (char *)NULL);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	ents = tui_model_entries_all(m, &n);
	/* status, lobby, @1; directory: a, lobby */
	assert_int_equal(n, 5);
	assert_int_equal(tui_style_entry(&ents[0]), TUI_ENTRY_PLAIN);
	assert_int_equal(tui_style_entry(&ents[1]), TUI_ENTRY_CURRENT);
	assert_true(ents[1].viewed);
	/* A private message is a highlight (tui-mention.c). */
	assert_int_equal(tui_style_entry(&ents[2]), TUI_ENTRY_HIGHLIGHT);
	assert_false(ents[2].viewed);
	assert_int_equal(tui_style_entry(&ents[3]), TUI_ENTRY_DIRECTORY);
	free(ents);
	/* Shown, @1 is read; unread lobby is told from the viewed @1. */
	jump(m, 3);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hi");
	ents = tui_model_entries_all(m, &n);
	assert_int_equal(tui_style_entry(&ents[1]), TUI_ENTRY_UNREAD);
	assert_int_equal(tui_style_entry(&ents[2]), TUI_ENTRY_PLAIN);
	assert_true(ents[2].viewed);
	free(ents);
}

/* With 34+ conversations the left pane scrolls to keep its entry seen. */
static void
test_left_pane_window(void **state)
{
	struct tui_model	*m = *state;
	struct tui_entry	*ents;
	size_t			 n, nconv, first, at, i;
	char			 id[16];

	connect_and_join(m);
	for (i = 0; i < 34; i++) {
		snprintf(id, sizeof id, "%zu", 100 + i);
		feed(m, PROTO_PRIVATE_MESSAGE, NULL, id, "x");
	}
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "a", "b", "lobby",
	    (char *)NULL);
	ents = tui_model_entries_all(m, &n);
	nconv = tui_model_conversations(m);
	assert_int_equal(nconv, 36);
	/* lobby shown: the top of the pane. */
	assert_int_equal(tui_model_left_first(m, ents, n, 10), 0);
	free(ents);
	/* The last conversation shown: it is the last row in sight. */
	key(m, TUI_KEY_PREV_CONV);
	key(m, TUI_KEY_PREV_CONV);		/* lobby -> status -> @133 */
	assert_string_equal(m->view->name, "133");
	ents = tui_model_entries_all(m, &n);
	first = tui_model_left_first(m, ents, n, 10);
	assert_true(ents[35].viewed);
	assert_int_equal(first, 35 - 10 + 1);
	/* Taller than the entries before it: no scrolling. */
	assert_int_equal(tui_model_left_first(m, ents, n, 40), 0);
	free(ents);
	/* With the focus, the highlight leads, past the directory title. */
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_END);
	ents = tui_model_entries_all(m, &n);
	assert_int_equal(m->sel_left, n - 1);
	at = n;					/* display row, title counted */
	first = tui_model_left_first(m, ents, n, 10);
	assert_int_equal(first, at - 10 + 1);
	free(ents);
	key(m, TUI_KEY_HOME);
	ents = tui_model_entries_all(m, &n);
	assert_int_equal(tui_model_left_first(m, ents, n, 10), 0);
	free(ents);
	for (i = 0; i < 20; i++)
		key(m, TUI_KEY_DOWN);
	ents = tui_model_entries_all(m, &n);
	first = tui_model_left_first(m, ents, n, 10);
	assert_true(first <= 20 && 20 < first + 10);
	free(ents);
}

/* Keys added for IRC users, and panes the terminal hides. */
static void
test_more_keys(void **state)
{
	struct tui_model	*m = *state;
	char			 id[8];
	int			 i;

	connect_and_join(m);
	type(m, "one two three");
	key(m, TUI_KEY_WORD_LEFT);
	key(m, TUI_KEY_WORD_LEFT);
	key(m, TUI_KEY_KILL_END);		/* Ctrl-K */
	assert_string_equal(m->edit.buf, "one ");
	key(m, TUI_KEY_HOME);
	key(m, TUI_KEY_YANK);			/* Ctrl-Y */
	assert_string_equal(m->edit.buf, "two threeone ");
	key(m, TUI_KEY_HOME);
	key(m, TUI_KEY_WORD_RIGHT);
	assert_int_equal(m->edit.cursor, 3);
	key(m, TUI_KEY_KILL_LINE);

	/* Ctrl-N/P and Alt-0 move among conversations, never join. */
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "a", "b", "lobby",
	    (char *)NULL);
	for (i = 1; i <= 9; i++) {
		snprintf(id, sizeof id, "%d", 10 + i);
		feed(m, PROTO_PRIVATE_MESSAGE, NULL, id, "x");
	}
	jump(m, 10);				/* status lobby @11..@19 */
	assert_string_equal(m->view->name, "18");
	key(m, TUI_KEY_NEXT_CONV);
	assert_string_equal(m->view->name, "19");
	key(m, TUI_KEY_NEXT_CONV);		/* wraps, past no directory */
	assert_int_equal(m->view->type, TUI_BUF_STATUS);
	key(m, TUI_KEY_PREV_CONV);
	assert_string_equal(m->view->name, "19");
	expect_no_req(m);

	/* A hidden pane cannot take the focus; the messages always can. */
	tui_model_panes(m, false, false);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	tui_model_panes(m, true, false);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_ROOMS);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
	key(m, TUI_KEY_FOCUS_NEXT);
	tui_model_panes(m, false, false);
	assert_int_equal(m->focus, TUI_FOCUS_INPUT);
}

/* Commands: aliases, any case, the table in the help. */
static void
test_command_table(void **state)
{
	struct tui_model	*m = *state;
	char			**lines;
	size_t			 n, i;
	bool			 query = false, names = false;

	connect_and_join(m);
	enter(m, "/J other room");
	expect_req(m, PROTO_JOIN, "other room", NULL, NULL);
	enter(m, "/List");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	enter(m, "/names");
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	enter(m, "/PART");
	expect_req(m, PROTO_LEAVE, NULL, NULL, NULL);
	feed(m, PROTO_LEAVE, "lobby", NULL, NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	enter(m, "/leave");			/* in no room: said here */
	expect_no_req(m);
	assert_string_equal(last_line(m->view)->text, "you are not in a room");
	enter(m, "/clear");
	assert_int_equal(m->view->nlines, 0);

	n = tui_model_help(&lines);
	for (i = 0; i < n; i++) {
		if (strstr(lines[i], "/query WHO") != NULL)
			query = true;
		if (strstr(lines[i], "/who [ROOM] /names") != NULL)
			names = true;
		free(lines[i]);
	}
	free(lines);
	assert_true(query);
	assert_true(names);

	/* Tab: room names with spaces, each candidate once, at prompts. */
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "my room", "my room",
	    "my rooms", (char *)NULL);
	type(m, "/join my r");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/join my room");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/join my room");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/join my rooms");
	key(m, TUI_KEY_KILL_LINE);
	key(m, TUI_KEY_JOIN);
	type(m, "my");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "my room");
	type(m, "/");
	key(m, TUI_KEY_ESC);
	type(m, "/que");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/query ");
}

/* WeeChat's read marker: where you stopped reading, one per buffer. */
static void
test_read_marker(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby;
	size_t			 i, shown;

	connect_and_join(m);
	lobby = m->view;
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "read");
	jump(m, 1);				/* away to status */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "new one");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "new two");
	assert_int_equal(tui_model_line(lobby, lobby->nlines - 3)->kind,
	    TUI_LINE_MARKER);
	assert_string_equal(tui_model_line(lobby, lobby->nlines - 4)->text,
	    "read");
	jump(m, 2);				/* back: the marker is there */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "seen live");
	assert_int_equal(last_line(lobby)->kind, TUI_LINE_MSG);
	jump(m, 1);				/* away again: it moves */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "later");
	for (i = 0, shown = 0; i < lobby->nlines; i++) {
		const struct tui_line *l = tui_model_line(lobby, i);

		if (l->kind == TUI_LINE_MARKER && !l->hidden) {
			shown++;
			assert_int_equal(l->nrows, 1);
			assert_string_equal(tui_model_line(lobby, i + 1)->text,
			    "later");
		}
	}
	assert_int_equal(shown, 1);
}

/* Floods of joins and leaves fold into one line. */
static void
test_fold_joins(void **state)
{
	struct tui_model	*m = *state;
	size_t			 n0;
	int			 i;
	char			 id[8];

	connect_and_join(m);
	n0 = m->view->nlines;
	feed(m, PROTO_JOIN, "lobby", "7", NULL);
	feed(m, PROTO_JOIN, "lobby", "8", NULL);
	feed(m, PROTO_LEAVE, "lobby", "7", NULL);
	assert_int_equal(m->view->nlines, n0 + 1);
	assert_string_equal(last_line(m->view)->body,
	    "7 joined, 8 joined, 7 left");
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof id, "%d", 20 + i);
		feed(m, PROTO_JOIN, "lobby", id, NULL);
	}
	/* At most 8 to a line. */
	assert_int_equal(m->view->nlines, n0 + 2);
	/* Anything else ends the run. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hi");
	feed(m, PROTO_JOIN, "lobby", "40", NULL);
	assert_string_equal(last_line(m->view)->body, "40 joined");
}

/* A rooms reply with the n names in names. */
static void
feed_rooms(struct tui_model *m, char **names, size_t n)
{
	struct proto_msg	msg;

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOMS;
	msg.list = names;
	msg.nlist = n;
	msg.has_list = true;
	tui_model_message(m, &msg);
}

/*
 * Names from the server are of any size and number (issue 9): Tab after
 * "/join" with two 6,000-byte rooms, 300 rooms and 300 conversations, all
 * reachable and counted.
 */
static void
test_hostile_sizes(void **state)
{
	struct tui_model	*m = *state;
	char			*names[300], id[16], status[4096];
	struct tui_entry	*ents;
	size_t			 n, i;

	connect_and_join(m);
	names[0] = malloc(6001);
	names[1] = malloc(6001);
	memset(names[0], 'r', 6000);
	memset(names[1], 'r', 6000);
	names[0][6000] = names[1][6000] = '\0';
	names[1][5999] = 's';
	feed_rooms(m, names, 2);
	type(m, "/join ");
	key(m, TUI_KEY_TAB);
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/join ");
	key(m, TUI_KEY_KILL_LINE);
	free(names[0]);
	free(names[1]);

	for (i = 0; i < 300; i++) {
		if (asprintf(&names[i], "room%03zu", i) == -1)
			abort();
	}
	feed_rooms(m, names, 300);
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "%zu", 1000 + i);
		feed(m, PROTO_PRIVATE_MESSAGE, NULL, id, "hi");
	}
	ents = tui_model_entries_all(m, &n);
	/* status, lobby, 300 conversations; 300 rooms, lobby (unlisted) */
	assert_int_equal(n, 2 + 300 + 300 + 1);
	assert_string_equal(ents[301].name, "1299");
	assert_string_equal(ents[302].name, "room000");
	assert_string_equal(ents[n - 2].name, "room299");
	assert_string_equal(ents[n - 1].name, "lobby");
	free(ents);
	tui_model_status(m, status, sizeof status);
	assert_non_null(strstr(status, "@1000(1)"));

	/* The last room of the list is reachable from the keyboard. */
	key(m, TUI_KEY_FOCUS_NEXT);
	for (i = 0; i < 601; i++)
		key(m, TUI_KEY_DOWN);
	assert_int_equal(m->sel_left, 601);
	key(m, TUI_KEY_ENTER);
	expect_req(m, PROTO_JOIN, "room299", NULL, NULL);
	key(m, TUI_KEY_JOIN);
	expect_req(m, PROTO_JOIN, "room299", NULL, NULL);

	/* /rooms prints the whole list. */
	key(m, TUI_KEY_ESC);
	enter(m, "/rooms");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	feed_rooms(m, names, 300);
	assert_non_null(strstr(last_line(m->view)->text, ", room299"));
	for (i = 0; i < 300; i++)
		free(names[i]);
}

/* A new session: hello without a token, the token kept for next time. */
static void
test_hello_new_session(void **state)
{
	struct tui_model	*m = *state;

	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "7", NULL);
	expect_hello(m, NULL);
	expect_no_req(m);		/* nothing before hello's reply */
	assert_int_equal(m->conn, TUI_CONN_CONNECTING);
	feed_hello(m, "7", "tok7", "E1", NULL);
	assert_int_equal(m->conn, TUI_CONN_CONNECTED);
	assert_string_equal(m->own_id, "7");
	assert_string_equal(m->token, "tok7");
	assert_string_equal(m->epoch, "E1");
	assert_true(m->token_dirty);
	assert_false(m->v1);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_no_req(m);
}

/* Reconnect and restart: the token resumes the same id, room rejoined. */
static void
test_hello_resume(void **state)
{
	struct tui_model	*m = *state;
	struct tui_model	 again;

	connect_and_join(m);
	m->token_dirty = false;
	tui_model_closed(m, "gone");
	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "12", NULL);	/* a fresh id... */
	expect_hello(m, "TOKEN");
	expect_no_req(m);
	feed_hello(m, "3", "TOKEN", "E1", NULL);	/* ...is ours again */
	assert_string_equal(m->own_id, "3");
	assert_false(m->token_dirty);	/* same token: nothing to save */
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	expect_req(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_no_req(m);
	assert_non_null(strstr(last_line(m->bufs[0])->text,
	    "connected to 127.0.0.1:8080 as id 3"));

	/* A restarted client with the saved token says the same hello. */
	tui_test_init(&again);
	tui_model_set_token(&again, "TOKEN");
	tui_model_opened(&again);
	feed(&again, PROTO_CONNECTION, NULL, "13", NULL);
	expect_hello(&again, "TOKEN");
	feed_hello(&again, "3", "TOKEN", "E1", NULL);
	assert_string_equal(again.own_id, "3");
	tui_model_free(&again);
}

/* An expired token: a new session, the old token dropped. */
static void
test_hello_invalid_token(void **state)
{
	struct tui_model	*m = *state;

	tui_model_set_token(m, "old");
	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "4", NULL);
	expect_hello(m, "old");
	feed(m, PROTO_ERROR, NULL, NULL, "invalid token");
	assert_null(m->token);
	assert_true(m->token_dirty);
	expect_hello(m, NULL);
	expect_no_req(m);
	assert_non_null(strstr(last_line(m->bufs[0])->text, "expired"));
	feed_hello(m, "4", "new", "E1", NULL);
	assert_string_equal(m->token, "new");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
}

/* A version 1 server: said once in the status buffer, ids go on. */
static void
test_hello_v1_fallback(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*st = m->bufs[0];
	size_t			 i, n, said = 0;

	for (n = 0; n < 2; n++) {
		tui_model_opened(m);
		greet_v1(m, n == 0 ? "1" : "2");
		assert_true(m->v1);
		assert_int_equal(m->conn, TUI_CONN_CONNECTED);
		assert_string_equal(m->own_id, n == 0 ? "1" : "2");
		assert_null(m->token);
		assert_false(m->token_dirty);
		expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
		expect_no_req(m);
		tui_model_closed(m, NULL);
	}
	for (i = 0; i < st->nlines; i++) {
		const struct tui_line *l = tui_model_line(st, i);

		assert_null(strstr(l->text, "unknown action"));
		if (strstr(l->text, "protocol version 1") != NULL)
			said++;
	}
	assert_int_equal(said, 1);
}

/* -n: the name is asked for after hello; names replace ids where known. */
static void
test_names(void **state)
{
	struct tui_model	*m = *state;
	struct proto_msg	 r, msg;
	char			*list[2] = { "1", "3" }, *names[2] = { "bob", "alice" };
	char			 status[256];

	tui_model_set_name(m, "alice");
	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "3", NULL);
	expect_hello(m, NULL);
	feed_hello(m, "3", "T", "E1", NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.action, PROTO_NICK);
	assert_string_equal(r.name, "alice");
	tui_model_request_free(&r);
	expect_no_req(m);
	feed_named(m, PROTO_NICK, NULL, "3", "alice", NULL);
	assert_string_equal(m->own_name, "alice");
	assert_string_equal(last_line(m->view)->text,
	    "you are now known as alice");
	tui_model_status(m, status, sizeof status);
	assert_string_equal(status, "127.0.0.1:8080 | connected | "
	    "name alice | id 3 | F1 help");

	/* Resumed with the name already ours: no nick again. */
	tui_model_closed(m, NULL);
	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "9", NULL);
	expect_hello(m, "T");
	feed_hello(m, "3", "T", NULL, "alice");
	enter_lobby(m);
	expect_history(m, "lobby", NULL, NULL);
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_PARTICIPANTS;
	msg.room = "lobby";
	msg.list = list;
	msg.nlist = 2;
	msg.has_list = true;
	msg.list2 = names;
	msg.nlist2 = 2;
	msg.has_list2 = true;
	tui_model_message(m, &msg);
	assert_string_equal(tui_model_who(m, "1"), "bob");
	assert_string_equal(tui_model_who(m, "3"), "alice");
	assert_string_equal(tui_model_who(m, "4"), "4");	/* no name */

	feed_named(m, PROTO_ROOM_MESSAGE, "lobby", "1", "bob", "hi");
	assert_string_equal(last_line(m->view)->who, "bob");
	assert_string_equal(last_line(m->view)->text, "hi");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "4", "anon");
	assert_string_equal(last_line(m->view)->who, "4");

	/* Tab completes names, and ids of users without one. */
	type(m, "/msg bo");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "/msg bob ");
	tui_model_key(m, &(struct tui_key){ .type = TUI_KEY_KILL_LINE });
	type(m, "al");
	key(m, TUI_KEY_TAB);
	assert_string_equal(m->edit.buf, "alice ");
	tui_model_key(m, &(struct tui_key){ .type = TUI_KEY_KILL_LINE });

	/* /msg and /query take a name (any case) or an id. */
	enter(m, "/msg BOB psst");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	enter(m, "/msg 4 psst");
	expect_req(m, PROTO_PRIVATE_MESSAGE, NULL, "4", "psst");
	feed_named(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "bob", "psst");
	assert_non_null(tui_model_find(m, TUI_BUF_PM, "1"));
	assert_string_equal(last_line(tui_model_find(m, TUI_BUF_PM,
	    "1"))->who, "bob");
	enter(m, "/query bob");
	assert_int_equal(m->view->type, TUI_BUF_PM);
	assert_string_equal(m->view->name, "1");
	assert_string_equal(m->view->label, "@bob");

	/* A rename in our room is said there. */
	jump(m, 2);
	feed_named(m, PROTO_NICK, "lobby", "1", "rob", NULL);
	assert_string_equal(last_line(m->view)->text, "bob is now known as rob");
	assert_string_equal(tui_model_who(m, "1"), "rob");
	assert_string_equal(tui_model_find(m, TUI_BUF_PM, "1")->label, "@rob");
	enter(m, "/who");
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	feed(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL, "1", "3", "4",
	    (char *)NULL);
	assert_string_equal(last_line(m->view)->text,
	    "in lobby: rob, alice, 4");
	feed_named(m, PROTO_JOIN, "lobby", "5", "carol", NULL);
	drain(m);	/* the resync */
	assert_string_equal(last_line(m->view)->who, "carol");

	/* /nick: asked; refused as the server says. */
	enter(m, "/nick rob");
	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.action, PROTO_NICK);
	assert_string_equal(r.name, "rob");
	tui_model_request_free(&r);
	feed(m, PROTO_ERROR, NULL, NULL, "name rob is taken");
	assert_int_equal(last_line(m->view)->kind, TUI_LINE_ERROR);
	assert_string_equal(last_line(m->view)->text, "name rob is taken");
	assert_string_equal(m->own_name, "alice");
}

/* A version 1 server has no names: /nick says so, sends nothing. */
static void
test_nick_v1(void **state)
{
	struct tui_model	*m = *state;

	tui_model_opened(m);
	greet_v1(m, "1");
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	enter(m, "/nick alice");
	expect_no_req(m);
	assert_non_null(strstr(last_line(m->view)->text, "no names"));
}

/* The config file: server and name; a bad line is FILE:LINE: why. */
static void
test_config_file(void **state)
{
	struct tui_config	 c;
	char			*err;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(tui_config_load("/nonexistent/chat-tui/config", &c,
	    &err), 0);			/* no file: nothing set */
	assert_null(c.server);
	assert_int_equal(config_text("# mine\n\n  server = 127.0.0.1:9000 "
	    "\nname=alice\n", &c, &err), 0);
	assert_string_equal(c.server, "127.0.0.1:9000");
	assert_string_equal(c.name, "alice");
	tui_config_free(&c);
	assert_int_equal(config_text("name = alice\nname = 1bad\n", &c, &err),
	    -1);
	assert_non_null(strstr(err, ":2: invalid name"));
	free(err);
	tui_config_free(&c);
	assert_int_equal(config_text("colour = red\n", &c, &err), -1);
	assert_non_null(strstr(err, ":1: unknown key"));
	free(err);
	tui_config_free(&c);
}

/* A room message with a seq (version 2). */
static void
feed_seq(struct tui_model *m, const char *room, const char *user,
    const char *text, const char *seq)
{
	struct proto_msg	msg;

	tui_test_msg(&msg, PROTO_ROOM_MESSAGE, room, user, text);
	msg.seq = (char *)seq;
	tui_model_message(m, &msg);
}

/* Line i of b is text (a divider, or a message with that text). */
static void
expect_line(const struct tui_buffer *b, size_t i, enum tui_line_kind kind,
    const char *text)
{
	const struct tui_line	*l = tui_model_line(b, i);

	assert_non_null(l);
	assert_string_equal(l->text, text);
	assert_int_equal(l->kind, kind);
}

/* How many lines of b have this text. */
static size_t
count_lines(const struct tui_buffer *b, const char *text)
{
	size_t	i, n = 0;

	for (i = 0; i < b->nlines; i++)
		if (strcmp(tui_model_line(b, i)->text, text) == 0)
			n++;
	return (n);
}

/*
 * Disconnected, and back in lobby as id 3 on a server of epoch: up to the
 * request for history (the caller expects it).
 */
static void
reconnect_lobby(struct tui_model *m, const char *epoch)
{
	tui_model_closed(m, "gone");
	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "9", NULL);
	expect_hello(m, "TOKEN");
	feed_hello(m, "3", "TOKEN", epoch, NULL);
	rejoin_lobby(m);
	feed(m, PROTO_ROOMS, NULL, NULL, NULL, "lobby", (char *)NULL);
	feed(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL, "1", "3",
	    (char *)NULL);
}

/* Joining shows the latest page above a divider, dated when not today. */
static void
test_history_on_join(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*b;
	const struct tui_line	*l;
	char			 want[64], stamp[32];
	struct tm		 tm;
	time_t			 t;
	size_t			 i;

	join_lobby(m);
	b = m->view;
	/* A live line may come before the page that holds it too. */
	feed_seq(m, "lobby", "1", "m60", "60");
	feed_history(m, "lobby", 50, 11, 1, 3 * 86400);
	assert_int_equal(b->nlines, 52);
	for (i = 0; i < 49; i++) {
		snprintf(want, sizeof want, "m%zu", i + 11);
		l = tui_model_line(b, i);
		assert_string_equal(l->text, want);
		assert_int_equal(l->kind, (i + 11) % 10 == 0 ? TUI_LINE_OWN :
		    TUI_LINE_MSG);
		assert_string_equal(l->who, (i + 11) % 10 == 0 ? "3" : "bob");
		/* The server's time, with the date: not today. */
		assert_int_equal(l->when, 3 * 86400 + (time_t)i + 11);
		t = l->when;
		localtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", &tm);
		snprintf(want, sizeof want, "%s <%s> ", stamp, l->who);
		assert_string_equal(l->prefix, want);
	}
	expect_line(b, 49, TUI_LINE_DIVIDER, "-- end of history --");
	assert_string_equal(tui_model_line(b, 49)->prefix, "");
	expect_line(b, 50, TUI_LINE_JOIN, "you joined lobby");
	expect_line(b, 51, TUI_LINE_MSG, "m60");
	assert_int_equal(count_lines(b, "m60"), 1);
	/* Today's lines keep the short stamp. */
	assert_string_equal(tui_model_line(b, 51)->prefix, "00:16 <1> ");
	assert_true(b->hist_more);
	assert_int_equal(b->unread, 0);
	expect_no_req(m);
}

/* PgUp past the top asks once for the page before; the end stops it. */
static void
test_history_paging(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*b;
	struct proto_msg	 r;
	int			 i, asked = 0;

	join_lobby(m);
	b = m->view;
	feed_history(m, "lobby", 50, 51, 1, 0);
	assert_true(b->hist_more);
	/* Not before the top is in sight, then once, however often. */
	key(m, TUI_KEY_PGUP);
	expect_no_req(m);
	for (i = 0; i < 20; i++) {
		key(m, TUI_KEY_PGUP);
		while (tui_model_pop_request(m, &r)) {
			assert_int_equal(r.action, PROTO_HISTORY);
			assert_string_equal(r.before, "51");
			assert_string_equal(r.limit, "50");
			assert_null(r.after);
			tui_model_request_free(&r);
			asked++;
		}
	}
	assert_int_equal(asked, 1);
	/* A full page (one seq seen already): on top, in order. */
	feed_history(m, "lobby", 50, 2, 1, 0);
	assert_int_equal(count_lines(b, "m51"), 1);
	expect_line(b, 0, TUI_LINE_MSG, "m2");
	expect_line(b, 48, TUI_LINE_OWN, "m50");
	expect_line(b, 49, TUI_LINE_MSG, "m51");
	assert_int_equal(b->seq_old, 2);
	assert_true(b->hist_more);
	/* The view stayed where it was: one more PgUp to see the top. */
	expect_no_req(m);
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_FOCUS_NEXT);
	key(m, TUI_KEY_FOCUS_NEXT);
	assert_int_equal(m->focus, TUI_FOCUS_MESSAGES);
	key(m, TUI_KEY_HOME);
	expect_history(m, "lobby", "2", NULL);
	key(m, TUI_KEY_HOME);
	expect_no_req(m);
	/* The last page: fewer than asked for, and the start is said. */
	feed_history(m, "lobby", 1, 1, 1, 0);
	expect_line(b, 0, TUI_LINE_DIVIDER, "-- start of history --");
	expect_line(b, 1, TUI_LINE_MSG, "m1");
	expect_line(b, 2, TUI_LINE_MSG, "m2");
	assert_false(b->hist_more);
	key(m, TUI_KEY_HOME);
	key(m, TUI_KEY_PGUP);
	expect_no_req(m);
	/* A page nobody asked for is ignored. */
	feed_history(m, "lobby", 3, 200, 1, 0);
	assert_int_equal(count_lines(b, "m200"), 0);
}

/*
 * After a reconnect: what was said meanwhile, paged with "after" until
 * done, under one divider, each line once, and live lines after them.
 */
static void
test_history_reconnect(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*b, *st = m->bufs[0];
	char			 want[16];
	size_t			 i, at;

	connect_and_join(m);
	b = m->view;
	feed_seq(m, "lobby", "1", "m5", "5");
	feed_seq(m, "lobby", "1", "m6", "6");
	feed_seq(m, "lobby", "1", "m6", "6");	/* a duplicate */
	assert_int_equal(count_lines(b, "m6"), 1);
	reconnect_lobby(m, "E1");
	expect_history(m, "lobby", NULL, "6");
	expect_no_req(m);
	/* Live lines wait for the missed ones. */
	feed_seq(m, "lobby", "1", "m120", "120");
	feed_seq(m, "lobby", "1", "m121", "121");
	assert_int_equal(count_lines(b, "m120"), 0);
	feed_history(m, "lobby", 50, 7, 1, 0);
	expect_history(m, "lobby", NULL, "56");
	feed_history(m, "lobby", 50, 57, 1, 0);
	expect_history(m, "lobby", NULL, "106");
	assert_int_equal(count_lines(b, "m7"), 0);
	feed_history(m, "lobby", 14, 107, 1, 0);
	expect_no_req(m);
	assert_null(m->catchup);
	at = b->nlines - 116;
	expect_line(b, at, TUI_LINE_DIVIDER,
	    "-- 114 messages while disconnected --");
	for (i = 7; i <= 121; i++) {
		snprintf(want, sizeof want, "m%zu", i);
		expect_line(b, at + i - 6, i % 10 == 0 ? TUI_LINE_OWN :
		    TUI_LINE_MSG, want);
	}
	assert_int_equal(count_lines(b, "m120"), 1);
	feed_seq(m, "lobby", "1", "m121", "121");
	feed_seq(m, "lobby", "1", "m122", "122");
	assert_int_equal(count_lines(b, "m121"), 1);
	expect_line(b, b->nlines - 1, TUI_LINE_MSG, "m122");
	for (i = 0; i < st->nlines; i++)
		assert_null(strstr(tui_model_line(st, i)->text, "lost"));

	/* Left and back: what was said since, said so. */
	enter(m, "/leave");
	expect_req(m, PROTO_LEAVE, NULL, NULL, NULL);
	feed(m, PROTO_LEAVE, "lobby", NULL, NULL);
	expect_req(m, PROTO_ROOMS, NULL, NULL, NULL);
	enter(m, "/join lobby");
	expect_req(m, PROTO_JOIN, "lobby", NULL, NULL);
	feed(m, PROTO_JOIN, "lobby", NULL, NULL);
	expect_req(m, PROTO_PARTICIPANTS, "lobby", NULL, NULL);
	expect_history(m, "lobby", NULL, "122");
	feed_history(m, "lobby", 0, 0, 0, 0);
	expect_line(b, b->nlines - 1, TUI_LINE_DIVIDER,
	    "-- no messages since you left --");
	expect_no_req(m);
}

/* A server that lost its history (new epoch): said, and the latest shown. */
static void
test_history_epoch_change(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*b, *st = m->bufs[0];

	connect_and_join(m);
	b = m->view;
	feed_seq(m, "lobby", "1", "m5", "5");
	reconnect_lobby(m, "E2");
	assert_int_equal(count_lines(st, "127.0.0.1:8080 lost its history: "
	    "rooms show the latest again"), 1);
	expect_history(m, "lobby", NULL, NULL);	/* not after 5 */
	feed_seq(m, "lobby", "1", "m3", "3");	/* waits */
	feed_history(m, "lobby", 2, 2, 1, 0);
	expect_line(b, b->nlines - 3, TUI_LINE_DIVIDER,
	    "-- history was lost: the latest 2 messages --");
	expect_line(b, b->nlines - 2, TUI_LINE_MSG, "m2");
	expect_line(b, b->nlines - 1, TUI_LINE_MSG, "m3");	/* once */
	assert_int_equal(count_lines(b, "m5"), 1);	/* old lines stay */
	/* Cut off while catching up: the same is asked for again. */
	reconnect_lobby(m, "E3");
	expect_history(m, "lobby", NULL, NULL);
	reconnect_lobby(m, "E3");
	expect_history(m, "lobby", NULL, NULL);
	feed_history(m, "lobby", 2, 2, 1, 0);
	expect_line(b, b->nlines - 1, TUI_LINE_MSG, "m3");
	/* Old seqs mean nothing now: 4 is new. */
	feed_seq(m, "lobby", "1", "m4", "4");
	expect_line(b, b->nlines - 1, TUI_LINE_MSG, "m4");
	/* No paging into another epoch's lines. */
	key(m, TUI_KEY_PGUP);
	key(m, TUI_KEY_PGUP);
	expect_no_req(m);
}

/* A version 1 server: no history requests, ever. */
static void
test_history_v1(void **state)
{
	struct tui_model	*m = *state;

	tui_model_opened(m);
	greet_v1(m, "1");
	enter_lobby(m);
	expect_no_req(m);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "2", "hi");
	key(m, TUI_KEY_PGUP);
	expect_no_req(m);
	tui_model_closed(m, "gone");
	tui_model_opened(m);
	greet_v1(m, "4");
	rejoin_lobby(m);
	expect_no_req(m);
}

/* A catch-up whose page is refused is asked again, then given up. */
static void
test_history_errors(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*b;
	int			 i;

	connect_and_join(m);
	b = m->view;
	feed_seq(m, "lobby", "1", "m5", "5");
	reconnect_lobby(m, "E1");
	expect_history(m, "lobby", NULL, "5");
	feed_seq(m, "lobby", "1", "m9", "9");
	for (i = 0; i < TUI_ROOM_HISTORY_RETRIES; i++) {
		feed(m, PROTO_ERROR, NULL, NULL, "service unavailable");
		expect_history(m, "lobby", NULL, "5");
	}
	feed(m, PROTO_ERROR, NULL, NULL, "service unavailable");
	expect_no_req(m);
	assert_null(m->catchup);
	/* What waited is shown all the same, and the gap is said. */
	expect_line(b, b->nlines - 3, TUI_LINE_ERROR,
	    "cannot fetch the missed messages: service unavailable");
	expect_line(b, b->nlines - 2, TUI_LINE_MSG, "m9");
	expect_line(b, b->nlines - 1, TUI_LINE_ERROR, "service unavailable");
	/* A hostile page that never moves on ends the catch-up too. */
	reconnect_lobby(m, "E1");
	expect_history(m, "lobby", NULL, "9");
	for (i = 0; i < TUI_ROOM_HISTORY_RETRIES; i++) {
		feed_history(m, "lobby", 50, 9, 0, 0);	/* all seen */
		expect_history(m, "lobby", NULL, "9");
	}
	feed_history(m, "lobby", 50, 9, 0, 0);
	expect_no_req(m);
	assert_null(m->catchup);
}

/*
 * A page asked again after an error, whose first answer came all the
 * same: the answers that bring nothing new change nothing.
 */
static void
test_history_retry_dup(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*b;
	char			 want[16];
	size_t			 i;

	connect_and_join(m);
	b = m->view;
	feed_seq(m, "lobby", "1", "m5", "5");
	reconnect_lobby(m, "E1");
	expect_history(m, "lobby", NULL, "5");
	feed(m, PROTO_ERROR, NULL, NULL, PROTO_ERR_RATE_LIMIT);
	expect_history(m, "lobby", NULL, "5");
	feed_history(m, "lobby", 50, 6, 1, 0);
	expect_history(m, "lobby", NULL, "55");
	feed_history(m, "lobby", 50, 6, 1, 0);	/* the second answer */
	expect_history(m, "lobby", NULL, "55");
	feed_history(m, "lobby", 5, 56, 1, 0);
	assert_null(m->catchup);
	feed_history(m, "lobby", 5, 56, 1, 0);	/* ignored */
	expect_no_req(m);
	expect_line(b, b->nlines - 56, TUI_LINE_DIVIDER,
	    "-- 55 messages while disconnected --");
	for (i = 6; i <= 60; i++) {
		snprintf(want, sizeof want, "m%zu", i);
		assert_int_equal(count_lines(b, want), 1);
		expect_line(b, b->nlines - 61 + i, i % 10 == 0 ? TUI_LINE_OWN :
		    TUI_LINE_MSG, want);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tui_test_setup, \
    tui_test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_hello_new_session),
		T(test_hello_resume),
		T(test_hello_invalid_token),
		T(test_hello_v1_fallback),
		T(test_names),
		T(test_nick_v1),
		T(test_config_file),
		T(test_history_on_join),
		T(test_history_paging),
		T(test_history_reconnect),
		T(test_history_epoch_change),
		T(test_history_v1),
		T(test_history_errors),
		T(test_history_retry_dup),
		T(test_connect),
		T(test_join_reply_with_own_id),
		T(test_notifications_resync),
		T(test_own_leave),
		T(test_room_message_and_unread),
		T(test_private_messages),
		T(test_pm_to_self_and_unknown),
		T(test_sanitised_lines),
		T(test_commands),
		T(test_suppressed_sync_error),
		T(test_reconnect),
		T(test_sync_coalesced),
		T(test_focus_and_lists),
		T(test_prompts),
		T(test_history_and_completion),
		T(test_scrollback_bounded),
		T(test_timestamp),
		T(test_hostile_sizes),
		T(test_tall_message),
		T(test_paste),
		T(test_spoofing_layout),
		T(test_scroll_stable),
		T(test_end_in_message_pane),
		T(test_nick_colours),
		T(test_entry_styles),
		T(test_left_pane_window),
		T(test_more_keys),
		T(test_command_table),
		T(test_read_marker),
		T(test_fold_joins),
	};
#undef T

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "en_US.UTF-8");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
