/*
 * chat-tui being told: mentions, hotlist levels and Alt-a, the bell, and
 * the "replaced" close (issue 12, "Being told").  The model only: server
 * messages and keys in, state out.
 */
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

/* Connected as id 3, named name (NULL: none), in room (NULL: none). */
static void
connect_as(struct tui_model *m, const char *name, const char *room)
{
	tui_model_opened(m);
	feed(m, PROTO_CONNECTION, NULL, "3", NULL);
	feed_hello(m, "3", "TOKEN", "E1", name);
	assert_int_equal(m->conn, TUI_CONN_CONNECTED);
	if (room != NULL)
		feed(m, PROTO_JOIN, room, NULL, NULL);
	drain(m);
}

/* The left pane entry of buffer b. */
static struct tui_entry
entry_of(struct tui_model *m, const struct tui_buffer *b)
{
	struct tui_entry	*ents, e;
	size_t			 n, i;

	ents = tui_model_entries_all(m, &n);
	for (i = 0; i < n && ents[i].buf != b; i++)
		;
	assert_true(i < n);
	e = ents[i];
	free(ents);
	return (e);
}

static void
test_mention_match(void **state)
{
	static const char	 nul[] = "x\0alice";

	(void)state;
	assert_true(tui_mention_match("alice", 5, "alice"));
	assert_true(tui_mention_match("hi alice", 8, "alice"));
	assert_true(tui_mention_match("@alice hi", 9, "alice"));
	assert_true(tui_mention_match("alice: hi", 9, "alice"));
	assert_true(tui_mention_match("ALICE, hi", 9, "alice"));
	assert_true(tui_mention_match("hi Alice!", 9, "aLiCe"));
	assert_true(tui_mention_match("malice alice", 12, "alice"));
	/* Part of a longer word, or of another name: no. */
	assert_false(tui_mention_match("malice", 6, "alice"));
	assert_false(tui_mention_match("alices", 6, "alice"));
	assert_false(tui_mention_match("alice2 hi", 9, "alice"));
	assert_false(tui_mention_match("alice_b", 7, "alice"));
	assert_false(tui_mention_match("alice-bob", 9, "alice"));
	assert_false(tui_mention_match("bob-alice", 9, "alice"));
	assert_false(tui_mention_match("alic", 4, "alice"));
	assert_false(tui_mention_match("", 0, "alice"));
	/* Names with - and _ are whole words too. */
	assert_true(tui_mention_match("hey al-x_1.", 11, "AL-X_1"));
	assert_false(tui_mention_match("hey al-x_12", 11, "al-x_1"));
	/* UTF-8 around the name ends the word; bytes are never split. */
	assert_true(tui_mention_match("\xc2\xab" "alice\xc2\xbb", 9,
	    "alice"));
	assert_true(tui_mention_match("alice\xe2\x80\x99s turn", 14,
	    "alice"));
	assert_true(tui_mention_match("h\xc3\xa9 alice", 9, "alice"));
	/* Any non-ASCII character does, letters too: names are ASCII. */
	assert_true(tui_mention_match("\xc3\xa9lice", 6, "lice"));
	/* Only len bytes count, NULs included. */
	assert_true(tui_mention_match(nul, sizeof nul - 1, "alice"));
	assert_false(tui_mention_match("hi alice", 7, "alice"));
	/* No name, no mention. */
	assert_false(tui_mention_match("alice", 5, NULL));
	assert_false(tui_mention_match("alice", 5, ""));
}

/* A line that names you is highlighted; yours and others' are not. */
static void
test_mention_line(void **state)
{
	struct tui_model	*m = *state;
	struct tui_line_style	 st;
	struct tui_buffer	*lobby;

	connect_as(m, "alice", "lobby");
	lobby = m->view;
	assert_string_equal(lobby->name, "lobby");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hello ALICE:");
	assert_true(last_line(lobby)->highlight);
	tui_style_line(last_line(lobby), 16, &st);
	assert_int_equal(st.who, TUI_STYLE_HIGHLIGHT);
	assert_int_equal(st.body, TUI_STYLE_MENTION);
	/* Read as it came: no hotlist, no bell. */
	assert_int_equal(lobby->highlights, 0);
	assert_int_equal(entry_of(m, lobby).hot, TUI_HOT_NONE);
	assert_false(m->bell);

	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "malice");
	assert_false(last_line(lobby)->highlight);
	tui_style_line(last_line(lobby), 16, &st);
	assert_int_equal(st.who, TUI_STYLE_NICK);
	assert_int_equal(st.body, TUI_STYLE_PLAIN);
	/* Your own line naming yourself is not news. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "3", "I am alice");
	assert_int_equal(last_line(lobby)->kind, TUI_LINE_OWN);
	assert_false(last_line(lobby)->highlight);
	/* A private message that names you is highlighted as well. */
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "alice?");
	assert_true(last_line(tui_model_find(m, TUI_BUF_PM, "1"))->highlight);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "you?");
	assert_false(last_line(tui_model_find(m, TUI_BUF_PM,
	    "1"))->highlight);
	/* The name that counts is the current one. */
	feed_named(m, PROTO_NICK, NULL, "3", "bob", NULL);
	assert_string_equal(m->own_name, "bob");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "alice");
	assert_false(last_line(lobby)->highlight);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "@bob");
	assert_true(last_line(lobby)->highlight);
}

/* Without a name nothing is a mention (ids are not matched). */
static void
test_mention_no_name(void **state)
{
	struct tui_model	*m = *state;

	connect_as(m, NULL, "lobby");
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "3 is here");
	assert_false(last_line(m->view)->highlight);
}

/* none < unread < highlight; private messages are highlights. */
static void
test_hotlist_levels(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby, *pm;
	struct tui_entry	 e;

	connect_as(m, "alice", "lobby");
	lobby = m->view;
	jump(m, 1);		/* the status buffer */
	assert_ptr_equal(m->view, m->bufs[0]);
	assert_int_equal(entry_of(m, lobby).hot, TUI_HOT_NONE);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hi all");
	e = entry_of(m, lobby);
	assert_int_equal(e.hot, TUI_HOT_UNREAD);
	assert_int_equal(tui_style_entry(&e), TUI_ENTRY_UNREAD);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "alice, look");
	e = entry_of(m, lobby);
	assert_int_equal(e.hot, TUI_HOT_HIGHLIGHT);
	assert_int_equal(e.unread, 2);
	assert_int_equal(tui_style_entry(&e), TUI_ENTRY_HIGHLIGHT);
	/* A plain line after it does not lower the level. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "anyone?");
	assert_int_equal(entry_of(m, lobby).hot, TUI_HOT_HIGHLIGHT);
	/* A private message is a highlight, mention or not. */
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	pm = tui_model_find(m, TUI_BUF_PM, "1");
	e = entry_of(m, pm);
	assert_int_equal(e.hot, TUI_HOT_HIGHLIGHT);
	assert_int_equal(tui_style_entry(&e), TUI_ENTRY_HIGHLIGHT);
	/* Shown is read: back to none. */
	jump(m, 2);
	assert_ptr_equal(m->view, lobby);
	e = entry_of(m, lobby);
	assert_int_equal(e.hot, TUI_HOT_NONE);
	assert_int_equal(tui_style_entry(&e), TUI_ENTRY_CURRENT);
	assert_int_equal(entry_of(m, pm).hot, TUI_HOT_HIGHLIGHT);
	/* Directory entries have no level. */
	assert_int_equal(tui_mention_level(0, 0), TUI_HOT_NONE);
	assert_int_equal(tui_mention_level(3, 0), TUI_HOT_UNREAD);
	assert_int_equal(tui_mention_level(3, 1), TUI_HOT_HIGHLIGHT);
}

/*
 * Alt-a: highlights first, then plain unread, each in list order from
 * the conversation shown; nothing left, it stays.
 */
static void
test_alt_a_order(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby, *dev, *pm2, *pm4;

	connect_as(m, "alice", "lobby");
	lobby = m->view;
	feed(m, PROTO_JOIN, "dev", NULL, NULL);
	dev = m->view;
	assert_string_equal(dev->name, "dev");
	drain(m);
	jump(m, 1);		/* status, lobby, dev */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "plain");
	feed(m, PROTO_ROOM_MESSAGE, "dev", "1", "plain too");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "4", "psst");
	feed(m, PROTO_ROOM_MESSAGE, "dev", "1", "alice: here");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "2", "psst");
	pm2 = tui_model_find(m, TUI_BUF_PM, "2");
	pm4 = tui_model_find(m, TUI_BUF_PM, "4");
	/* status, lobby (unread), dev (highlight), @2, @4 (highlights). */
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, dev);
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, pm2);
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, pm4);
	/* Only plain unread left: lobby, though it comes before. */
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, lobby);
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, lobby);
	/* A highlight behind a plain unread one still goes first. */
	feed(m, PROTO_ROOM_MESSAGE, "dev", "1", "plain");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "2", "again");
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, pm2);
	key(m, TUI_KEY_NEXT_UNREAD);
	assert_ptr_equal(m->view, dev);
}

/*
 * The bell: a mention or a private message not in view asks for it
 * (tui-ui.c rings it once at the next draw); one in view, a plain line
 * or your own never does.
 */
static void
test_bell(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby;

	connect_as(m, "alice", "lobby");
	lobby = m->view;
	assert_false(m->bell);
	/* In view: highlighted, not rung. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "alice: hi");
	assert_true(last_line(lobby)->highlight);
	assert_false(m->bell);
	jump(m, 1);
	/* Elsewhere: a plain line is only unread. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "hi all");
	assert_false(m->bell);
	/* Your own lines never, mention or not. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "3", "alice here");
	assert_false(m->bell);
	/* A mention rings. */
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "where is @alice");
	assert_true(m->bell);
	m->bell = false;
	/* A private message rings, mention or not. */
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	assert_true(m->bell);
	m->bell = false;
	/* Not while it is the conversation shown. */
	enter(m, "/query 1");
	assert_string_equal(m->view->name, "1");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst again, alice");
	assert_false(m->bell);
	/* The echo of your own private message never. */
	enter(m, "/msg 1 yes?");
	drain(m);
	jump(m, 1);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "yes?");
	assert_int_equal(last_line(tui_model_find(m, TUI_BUF_PM,
	    "1"))->kind, TUI_LINE_PM_OUT);
	assert_false(m->bell);
	/* Without a name only private messages ring. */
	connect_as(m, NULL, NULL);
	assert_null(m->own_name);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "alice?");
	assert_false(m->bell);
}

/* bell = off: still highlighted and in the hotlist, never rung. */
static void
test_bell_off(void **state)
{
	struct tui_model	*m = *state;
	struct tui_buffer	*lobby;

	tui_model_set_bell(m, false);
	connect_as(m, "alice", "lobby");
	lobby = m->view;
	jump(m, 1);
	feed(m, PROTO_ROOM_MESSAGE, "lobby", "1", "alice!");
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	assert_false(m->bell);
	assert_true(last_line(lobby)->highlight);
	assert_int_equal(entry_of(m, lobby).hot, TUI_HOT_HIGHLIGHT);
	/* And on again. */
	tui_model_set_bell(m, true);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	assert_true(m->bell);
	/* Off drops a ring not drawn yet. */
	tui_model_set_bell(m, false);
	assert_false(m->bell);
	/* /bell says and sets it for this run. */
	enter(m, "/bell");
	assert_string_equal(last_line(m->view)->text, "the bell is off");
	enter(m, "/BELL on");
	assert_false(m->bell_off);
	assert_string_equal(last_line(m->view)->text, "the bell is on");
	enter(m, "/bell loud");
	assert_false(m->bell_off);
	assert_string_equal(last_line(m->view)->text, "usage: /bell [on|off]");
	enter(m, "/bell off");
	assert_true(m->bell_off);
	feed(m, PROTO_PRIVATE_MESSAGE, NULL, "1", "psst");
	assert_false(m->bell);
}

/* The config file's bell = on|off; anything else is an error. */
static void
test_config_bell(void **state)
{
	struct tui_config	 c;
	char			*err;
	bool			 on;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(config_text("name = alice\n", &c, &err), 0);
	assert_false(c.bell_off);	/* on by default */
	tui_config_free(&c);
	assert_int_equal(config_text("bell = off\n", &c, &err), 0);
	assert_true(c.bell_off);
	tui_config_free(&c);
	assert_int_equal(config_text("bell=off\n bell = on \n", &c, &err), 0);
	assert_false(c.bell_off);
	tui_config_free(&c);
	assert_int_equal(config_text("# quiet\nbell = no\n", &c, &err), -1);
	assert_non_null(strstr(err, ":2: bell: expected on or off"));
	free(err);
	tui_config_free(&c);
	/* The command line's --bell takes the same words. */
	assert_int_equal(tui_config_onoff("on", &on), 0);
	assert_true(on);
	assert_int_equal(tui_config_onoff("off", &on), 0);
	assert_false(on);
	assert_int_equal(tui_config_onoff("OFF", &on), -1);
	assert_int_equal(tui_config_onoff("", &on), -1);
}

/*
 * Close code 4000 "replaced": another connection resumed our session, so
 * the model holds (no reconnecting, said in the status buffer) until
 * /reconnect.
 */
static void
test_replaced(void **state)
{
	struct tui_model	*m = *state;
	char			 status[256];
	static const char	 said[] = "-- replaced by another connection "
	    "to this session; not reconnecting (/reconnect to take it "
	    "back) --";

	connect_as(m, "alice", "lobby");
	/* Any other close is retried as before. */
	tui_model_closed_code(m, "closed by the server (1001 going away)",
	    1001);
	assert_false(m->hold);
	assert_false(m->reconnect);
	assert_int_equal(m->conn, TUI_CONN_DISCONNECTED);
	assert_non_null(strstr(last_line(m->bufs[0])->text,
	    "disconnected from 127.0.0.1:8080: closed by the server (1001 "
	    "going away)"));
	connect_as(m, "alice", NULL);
	feed(m, PROTO_JOIN, "lobby", NULL, NULL);
	drain(m);
	assert_string_equal(m->view->name, "lobby");

	tui_model_closed_code(m, "closed by the server (4000 replaced)",
	    PROTO_CLOSE_REPLACED);
	assert_true(m->hold);
	assert_false(m->reconnect);
	assert_int_equal(m->conn, TUI_CONN_DISCONNECTED);
	assert_string_equal(last_line(m->bufs[0])->text, said);
	assert_int_equal(last_line(m->bufs[0])->kind, TUI_LINE_ERROR);
	/* Said where the user is looking, too. */
	assert_string_equal(m->view->name, "lobby");
	assert_string_equal(last_line(m->view)->text, said);
	tui_model_status(m, status, sizeof status);
	assert_string_equal(status, "127.0.0.1:8080 | replaced | F1 help");
	/* The room is remembered for when the user takes it back. */
	assert_string_equal(m->rejoin, "lobby");
	/* Sending says why nothing goes out. */
	enter(m, "/msg 1 anyone?");
	drain(m);
	assert_string_equal(last_line(m->view)->text, "not connected to "
	    "127.0.0.1:8080: replaced by another connection (/reconnect to "
	    "take it back)");

	/* /reconnect: the caller is asked to connect again. */
	enter(m, "/reconnect");
	assert_false(m->hold);
	assert_true(m->reconnect);
	assert_string_equal(last_line(m->view)->text,
	    "reconnecting to 127.0.0.1:8080");
	m->reconnect = false;		/* the caller took it */
	tui_model_status(m, status, sizeof status);
	assert_string_equal(status, "127.0.0.1:8080 | disconnected | F1 help");
	connect_as(m, "alice", NULL);
	assert_false(m->hold);
	/* And a plain close after that is retried again. */
	tui_model_closed_code(m, "connection closed", 0);
	assert_false(m->hold);
}

/* F1 names what is new: Alt-a's order, the bell, /reconnect. */
static void
test_help(void **state)
{
	char	**lines;
	size_t	  n, i;
	bool	  alt_a = false, bell = false, reconnect = false;

	(void)state;
	n = tui_model_help(&lines);
	for (i = 0; i < n; i++) {
		if (strstr(lines[i], "Alt-a") != NULL &&
		    strstr(lines[i], "mentions") != NULL)
			alt_a = true;
		if (strstr(lines[i], "bell = off") != NULL)
			bell = true;
		if (strncmp(lines[i], "  /reconnect: ", 14) == 0)
			reconnect = true;
		free(lines[i]);
	}
	free(lines);
	assert_true(alt_a);
	assert_true(bell);
	assert_true(reconnect);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tui_test_setup, \
    tui_test_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mention_match),
		T(test_mention_line),
		T(test_mention_no_name),
		T(test_hotlist_levels),
		T(test_alt_a_order),
		T(test_bell),
		T(test_bell_off),
		cmocka_unit_test(test_config_bell),
		T(test_replaced),
		cmocka_unit_test(test_help),
	};
#undef T

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
