/*
 * Unit tests of shared/proto.c: the request decoder's error texts and their
 * order (doc/protocol.md, Errors), room name and message limits, hostile input,
 * byte-exact encoding of every message shape, and round trips.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "chat-limits.h"
#include "proto.h"

#define MAX	CHAT_MESSAGE_MAX_DEFAULT

/*
 * Decode buf (len bytes) as a request; it must fail with text (tlen bytes,
 * which may hold NUL).
 */
static void
fail_bytes(const char *buf, size_t len, size_t max, const char *text,
    size_t tlen)
{
	struct proto_msg	 msg;
	char			*error = (char *)1;
	size_t			 elen = 12345;
	int			 rc;

	memset(&msg, 0xa5, sizeof msg);
	rc = proto_decode_request(buf, len, max, &msg, &error, &elen);
	if (rc != -1 || error == NULL || elen != tlen ||
	    memcmp(error, text, tlen) != 0 || error[tlen] != '\0') {
		print_error("input %.200s: rc %d, error \"%s\" (%zu bytes), "
		    "wanted \"%s\" (%zu)\n", buf, rc,
		    error != NULL ? error : "(null)", elen, text, tlen);
		fail();
	}
	/* A failed decode leaves the message empty. */
	assert_int_equal(msg.action, PROTO_UNKNOWN);
	assert_null(msg.action_name);
	assert_null(msg.room);
	assert_null(msg.user_id);
	assert_null(msg.message);
	assert_null(msg.list);
	assert_int_equal(msg.action_name_len + msg.room_len + msg.user_id_len +
	    msg.message_len + msg.ts_len, 0);
	free(error);
	proto_msg_free(&msg);

	/* error_len may be NULL. */
	rc = proto_decode_request(buf, len, max, &msg, &error, NULL);
	assert_int_equal(rc, -1);
	assert_non_null(error);
	assert_memory_equal(error, text, tlen);
	free(error);
}

static void
fail_len(const char *buf, size_t len, size_t max, const char *text)
{
	fail_bytes(buf, len, max, text, strlen(text));
}

static void
fail_req(const char *json, const char *text)
{
	fail_len(json, strlen(json), MAX, text);
}

/* Decode json as a request; it must succeed with action. */
static void
ok_len(const char *buf, size_t len, size_t max, enum proto_action action,
    struct proto_msg *msg)
{
	char	*error = NULL;
	size_t	 elen = 12345;
	int	 rc;

	rc = proto_decode_request(buf, len, max, msg, &error, &elen);
	if (rc != 0) {
		print_error("input %.200s: error \"%s\"\n", buf,
		    error != NULL ? error : "(null)");
		free(error);
		fail();
	}
	assert_null(error);
	assert_int_equal(msg->action, action);
	assert_int_equal(msg->action_name_len, strlen(msg->action_name));
}

static void
ok_req(const char *json, enum proto_action action, struct proto_msg *msg)
{
	ok_len(json, strlen(json), MAX, action, msg);
}

/* Encode msg; it must equal want byte for byte. */
static void
encodes_as(const struct proto_msg *msg, const char *want)
{
	size_t	 len = 0;
	char	*s;

	s = proto_encode(msg, &len);
	assert_non_null(s);
	assert_string_equal(s, want);
	assert_int_equal(len, strlen(want));
	free(s);
}

static char *
repeat(const char *unit, size_t n, const char *prefix, const char *suffix)
{
	size_t	 ulen = strlen(unit), plen = strlen(prefix);
	size_t	 slen = strlen(suffix), i;
	char	*s, *p;

	s = malloc(plen + ulen * n + slen + 1);
	assert_non_null(s);
	memcpy(s, prefix, plen);
	p = s + plen;
	for (i = 0; i < n; i++, p += ulen)
		memcpy(p, unit, ulen);
	memcpy(p, suffix, slen + 1);
	return (s);
}

static void
test_invalid_json(void **state)
{
	static const char *bad[] = {
		"", " ", "not json", "{", "}", "{\"action\":\"join\"",
		"{\"action\":\"rooms\",}", "{\"action\":\"rooms\",",
		"{\"action\":\"join\",\"room\":\"\\u\x84\x84\",",
		"{'action':'rooms'}",
		"{action:\"rooms\"}", "{\"action\":\"rooms\"} x",
		"{\"action\":\"rooms\"}{}", "{\"action\":\"rooms\"}}",
		"[]", "[{\"action\":\"rooms\"}]", "\"rooms\"", "42", "-1.5",
		"null", "true", "false", "{\"action\":\"rooms\" \"x\":1}",
		"{\"action\":\"rooms\",\"x\":\"\\q\"}",
		"{\"action\":\"rooms\",\"x\":\"\\ud800\"}",
		"{\"action\":\"rooms\",\"x\":\"\\udc00\"}",
		"{\"action\":\"rooms\",\"x\":\"\\u12\"}",
		/* numbers outside RFC 8259 that strtod() would take */
		"{\"action\":\"rooms\",\"n\":01}",
		"{\"action\":\"rooms\",\"n\":-01}",
		"{\"action\":\"rooms\",\"n\":1.}",
		"{\"action\":\"rooms\",\"n\":.5}",
		"{\"action\":\"rooms\",\"n\":1e}",
		"{\"action\":\"rooms\",\"n\":-}",
		"{\"action\":\"rooms\",\"n\":+1}",
		"{\"action\":\"rooms\",\"n\":[1,02]}",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		fail_req(bad[i], "invalid JSON");
	fail_len(NULL, 0, MAX, "invalid JSON");

	/* A raw NUL byte is not JSON (and would truncate a string). */
	fail_len("{\"action\":\"rooms\"}\0", 19, MAX, "invalid JSON");
	fail_len("{\"action\":\"join\",\"room\":\"a\0b\"}", 30, MAX,
	    "invalid JSON");
	fail_len("\0{\"action\":\"rooms\"}", 19, MAX, "invalid JSON");

	/* Raw control characters: not JSON whitespace, not string text. */
	fail_req("\x01{\"action\":\"rooms\"}", "invalid JSON");
	fail_req("{\"action\":\x0b\"rooms\"}", "invalid JSON");
	fail_req("{\"action\":\"rooms\"}\x1f", "invalid JSON");
	fail_req("{\"action\":\"room_message\",\"message\":\"a\nb\"}",
	    "invalid JSON");
	fail_req("{\"action\":\"room_message\",\"message\":\"\t\"}",
	    "invalid JSON");
	fail_req("{\"action\":\"join\",\"room\":\"\x1b[31m\"}",
	    "invalid JSON");
	fail_req("{\"action\":\"room_message\",\"message\":\"\\\n\"}",
	    "invalid JSON");
}

static void
test_missing_action(void **state)
{
	static const char *bad[] = {
		"{}", "{\"room\":\"a\"}", "{\"action\":1}", "{\"action\":null}",
		"{\"action\":true}", "{\"action\":[\"join\"]}",
		"{\"action\":{\"join\":\"x\"}}", "{\"Action\":\"rooms\"}",
		"{\"ACTION\":\"rooms\"}", "{\"action \":\"rooms\"}",
		"{\"action\":0,\"room\":\"a\"}",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		fail_req(bad[i], "missing action");
}

static void
test_unknown_action(void **state)
{
	(void)state;
	fail_req("{\"action\":\"foo\"}", "unknown action: foo");
	fail_req("{\"action\":\"\"}", "unknown action: ");
	fail_req("{\"action\":\"JOIN\",\"room\":\"a\"}", "unknown action: JOIN");
	fail_req("{\"action\":\"join \",\"room\":\"a\"}",
	    "unknown action: join ");
	/* Server-to-client actions are not requests. */
	fail_req("{\"action\":\"connection\"}", "unknown action: connection");
	fail_req("{\"action\":\"error\",\"message\":\"x\"}",
	    "unknown action: error");
	fail_req("{\"action\":\"unknown\"}", "unknown action: unknown");
	/* As received: decoded escapes, UTF-8 kept. */
	fail_req("{\"action\":\"caf\\u00e9\"}", "unknown action: caf\xc3\xa9");
	fail_req("{\"action\":\"a\\\"b\"}", "unknown action: a\"b");
}

static void
test_missing_field(void **state)
{
	(void)state;
	fail_req("{\"action\":\"join\"}", "missing field: room");
	fail_req("{\"action\":\"join\",\"room\":0}", "missing field: room");
	fail_req("{\"action\":\"join\",\"room\":null}", "missing field: room");
	fail_req("{\"action\":\"join\",\"room\":[\"a\"]}",
	    "missing field: room");
	fail_req("{\"action\":\"join\",\"room\":{}}", "missing field: room");
	fail_req("{\"action\":\"join\",\"room\":true}", "missing field: room");
	fail_req("{\"action\":\"join\",\"Room\":\"a\"}", "missing field: room");
	fail_req("{\"action\":\"participants\"}", "missing field: room");
	fail_req("{\"action\":\"participants\",\"room\":7}",
	    "missing field: room");
	fail_req("{\"action\":\"room_message\"}", "missing field: message");
	fail_req("{\"action\":\"room_message\",\"message\":123}",
	    "missing field: message");
	fail_req("{\"action\":\"room_message\",\"message\":null}",
	    "missing field: message");
	fail_req("{\"action\":\"private_message\"}", "missing field: user_id");
	fail_req("{\"action\":\"private_message\",\"user_id\":1,"
	    "\"message\":\"hi\"}", "missing field: user_id");
	fail_req("{\"action\":\"private_message\",\"user_id\":\"1\"}",
	    "missing field: message");
	fail_req("{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":[]}", "missing field: message");
}

static void
test_fault_order(void **state)
{
	(void)state;
	/* JSON before everything. */
	fail_req("{\"action\":\"foo\"", "invalid JSON");
	/* action before fields: unknown action with no fields at all. */
	fail_req("{\"action\":\"jion\"}", "unknown action: jion");
	fail_req("{\"action\":5,\"room\":3}", "missing action");
	/* Required fields in table order: user_id before message. */
	fail_req("{\"action\":\"private_message\",\"message\":5}",
	    "missing field: user_id");
	fail_req("{\"message\":\"hi\",\"action\":\"private_message\"}",
	    "missing field: user_id");
	/* Every field present before any value is judged. */
	fail_req("{\"action\":\"private_message\",\"message\":\"\"}",
	    "missing field: user_id");
	fail_req("{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"\"}", "invalid message");
	/* Values. */
	fail_req("{\"action\":\"join\",\"room\":\"\"}", "invalid room name");
	fail_req("{\"action\":\"participants\",\"room\":\"\"}",
	    "invalid room name");
	fail_req("{\"action\":\"room_message\",\"message\":\"\"}",
	    "invalid message");
	/* Extra keys are never judged, even when wrongly typed. */
	fail_req("{\"action\":\"room_message\",\"room\":\"\","
	    "\"message\":\"\"}", "invalid message");
}

static void
test_requests_ok(void **state)
{
	struct proto_msg	msg;

	(void)state;
	ok_req("{\"action\":\"join\",\"room\":\"0\"}", PROTO_JOIN, &msg);
	assert_string_equal(msg.action_name, "join");
	assert_string_equal(msg.room, "0");
	assert_null(msg.user_id);
	assert_null(msg.message);
	proto_msg_free(&msg);

	ok_req("{\"action\":\"leave\"}", PROTO_LEAVE, &msg);
	assert_null(msg.room);
	proto_msg_free(&msg);

	ok_req("{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"Hello!\"}", PROTO_PRIVATE_MESSAGE, &msg);
	assert_string_equal(msg.user_id, "1");
	assert_string_equal(msg.message, "Hello!");
	assert_int_equal(msg.message_len, 6);
	proto_msg_free(&msg);

	ok_req("{\"action\":\"room_message\",\"message\":\"Hello!\"}",
	    PROTO_ROOM_MESSAGE, &msg);
	assert_string_equal(msg.message, "Hello!");
	proto_msg_free(&msg);

	ok_req("{\"action\":\"rooms\"}", PROTO_ROOMS, &msg);
	assert_false(msg.has_list);
	proto_msg_free(&msg);

	ok_req("{\"action\":\"participants\",\"room\":\"0\"}",
	    PROTO_PARTICIPANTS, &msg);
	assert_string_equal(msg.room, "0");
	proto_msg_free(&msg);

	/* Pretty-printed, as in the design doc, with a BOM-less CRLF. */
	ok_req("{\r\n    \"action\": \"join\",\r\n    \"room\": \"0\"\r\n}\r\n",
	    PROTO_JOIN, &msg);
	assert_string_equal(msg.room, "0");
	proto_msg_free(&msg);

	/* Key order does not matter. */
	ok_req("{\"message\":\"m\",\"user_id\":\"01\","
	    "\"action\":\"private_message\"}", PROTO_PRIVATE_MESSAGE, &msg);
	assert_string_equal(msg.user_id, "01");
	proto_msg_free(&msg);

	/* An empty user_id is the caller's "not on the server". */
	ok_req("{\"action\":\"private_message\",\"user_id\":\"\","
	    "\"message\":\"m\"}", PROTO_PRIVATE_MESSAGE, &msg);
	assert_string_equal(msg.user_id, "");
	proto_msg_free(&msg);

	/* len bounds the input: no NUL terminator needed. */
	ok_len("{\"action\":\"rooms\"}garbage", 18, MAX, PROTO_ROOMS, &msg);
	proto_msg_free(&msg);
}

static void
test_unknown_keys(void **state)
{
	struct proto_msg	msg;

	(void)state;
	ok_req("{\"action\":\"leave\",\"room\":\"x\",\"foo\":[1,{\"a\":null}],"
	    "\"bar\":1.5e3}", PROTO_LEAVE, &msg);
	/* Only the fields an action uses are kept. */
	assert_null(msg.room);
	proto_msg_free(&msg);
	/* Every number form RFC 8259 allows is accepted. */
	ok_req("{\"action\":\"leave\",\"n\":[0,-0,10,-0.5,1E+2,2e-3,0.0e0]}",
	    PROTO_LEAVE, &msg);
	proto_msg_free(&msg);

	/* A client cannot claim a sender id or a room for its message. */
	ok_req("{\"action\":\"room_message\",\"user_id\":\"7\",\"room\":\"r\","
	    "\"message\":\"m\",\"ts\":\"1\"}", PROTO_ROOM_MESSAGE, &msg);
	assert_null(msg.user_id);
	assert_null(msg.room);
	assert_null(msg.ts);
	assert_string_equal(msg.message, "m");
	proto_msg_free(&msg);

	ok_req("{\"action\":\"rooms\",\"rooms\":[\"x\"]}", PROTO_ROOMS, &msg);
	assert_false(msg.has_list);
	assert_int_equal(msg.nlist, 0);
	proto_msg_free(&msg);
}

static void
test_duplicate_keys(void **state)
{
	struct proto_msg	msg;

	(void)state;
	/* The first of duplicate keys wins, always. */
	ok_req("{\"action\":\"join\",\"room\":\"a\",\"room\":\"b\"}",
	    PROTO_JOIN, &msg);
	assert_string_equal(msg.room, "a");
	proto_msg_free(&msg);
	ok_req("{\"action\":\"rooms\",\"action\":\"join\"}", PROTO_ROOMS, &msg);
	proto_msg_free(&msg);
	fail_req("{\"action\":\"join\",\"room\":1,\"room\":\"b\"}",
	    "missing field: room");
	fail_req("{\"action\":\"join\",\"room\":\"\",\"room\":\"b\"}",
	    "invalid room name");
	fail_req("{\"action\":1,\"action\":\"rooms\"}", "missing action");
}

static void
test_room_names(void **state)
{
	struct proto_msg	 msg;
	char			*s;
	char			 name[80];

	(void)state;
	/* Direct checks. */
	assert_true(proto_room_name_valid("a", 1));
	assert_false(proto_room_name_valid("", 0));
	assert_false(proto_room_name_valid(NULL, 0));
	memset(name, 'x', sizeof name);
	assert_true(proto_room_name_valid(name, 64));
	assert_false(proto_room_name_valid(name, 65));
	assert_true(proto_room_name_valid(" ", 1));
	assert_true(proto_room_name_valid("a b", 3));
	assert_false(proto_room_name_valid("a\0b", 3));
	assert_false(proto_room_name_valid("\x01", 1));
	assert_false(proto_room_name_valid("a\x1f", 2));
	assert_false(proto_room_name_valid("\t", 1));
	assert_false(proto_room_name_valid("a\n", 2));
	assert_false(proto_room_name_valid("\x7f", 1));
	assert_true(proto_room_name_valid("~", 1));
	assert_false(proto_room_name_valid("\xc2\x80", 2));
	assert_false(proto_room_name_valid("x\xc2\x9f", 3));
	assert_true(proto_room_name_valid("\xc2\xa0", 2));	/* NBSP */
	assert_true(proto_room_name_valid("\xc2", 1));	/* lone lead byte */
	assert_true(proto_room_name_valid("caf\xc3\xa9", 5));
	assert_true(proto_room_name_valid("\xe2\x82\xac", 3));	/* euro */
	assert_true(proto_room_name_valid("\xf0\x9f\x98\x80", 4)); /* emoji */
	assert_true(proto_room_name_valid("\xe2\x80\x8b", 3));	/* ZWSP */

	/* Through the decoder: 64 bytes ok, 65 not. */
	s = repeat("r", 64, "{\"action\":\"join\",\"room\":\"", "\"}");
	ok_req(s, PROTO_JOIN, &msg);
	assert_int_equal(strlen(msg.room), 64);
	proto_msg_free(&msg);
	free(s);
	s = repeat("r", 65, "{\"action\":\"join\",\"room\":\"", "\"}");
	fail_req(s, "invalid room name");
	free(s);
	s = repeat("r", 65, "{\"action\":\"participants\",\"room\":\"", "\"}");
	fail_req(s, "invalid room name");
	free(s);

	/* Bytes, not characters: 32 x e-acute = 64 bytes, 33 = 66. */
	s = repeat("\\u00e9", 32, "{\"action\":\"join\",\"room\":\"", "\"}");
	ok_req(s, PROTO_JOIN, &msg);
	assert_int_equal(strlen(msg.room), 64);
	proto_msg_free(&msg);
	free(s);
	s = repeat("\xc3\xa9", 33, "{\"action\":\"join\",\"room\":\"", "\"}");
	fail_req(s, "invalid room name");
	free(s);

	fail_req("{\"action\":\"join\",\"room\":\"a\\nb\"}", "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\\t\"}", "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\\u0001\"}",
	    "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\\u001F\"}",
	    "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"a\\u007f\"}",
	    "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\x7f\"}", "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\\u0080\"}",
	    "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\\u009f\"}",
	    "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\xc2\x85\"}",
	    "invalid room name");
	fail_req("{\"action\":\"participants\",\"room\":\"\\r\"}",
	    "invalid room name");

	ok_req("{\"action\":\"join\",\"room\":\"\\u00a0\"}", PROTO_JOIN, &msg);
	assert_string_equal(msg.room, "\xc2\xa0");
	proto_msg_free(&msg);
	ok_req("{\"action\":\"join\",\"room\":\"\\ud83d\\ude00 party\"}",
	    PROTO_JOIN, &msg);
	assert_string_equal(msg.room, "\xf0\x9f\x98\x80 party");
	proto_msg_free(&msg);
	ok_req("{\"action\":\"join\",\"room\":\"caf\xc3\xa9\"}", PROTO_JOIN,
	    &msg);
	proto_msg_free(&msg);
	ok_req("{\"action\":\"join\",\"room\":\"a\\/b\\\\c\\\"d\"}", PROTO_JOIN,
	    &msg);
	assert_string_equal(msg.room, "a/b\\c\"d");
	proto_msg_free(&msg);
}

static void
test_message_limits(void **state)
{
	struct proto_msg	 msg;
	char			*s;

	(void)state;
	s = repeat("m", MAX, "{\"action\":\"room_message\",\"message\":\"",
	    "\"}");
	ok_req(s, PROTO_ROOM_MESSAGE, &msg);
	assert_int_equal(msg.message_len, MAX);
	proto_msg_free(&msg);
	free(s);
	s = repeat("m", MAX + 1, "{\"action\":\"room_message\",\"message\":\"",
	    "\"}");
	fail_req(s, "invalid message");
	free(s);
	s = repeat("m", MAX + 1, "{\"action\":\"private_message\","
	    "\"user_id\":\"0\",\"message\":\"", "\"}");
	fail_req(s, "invalid message");
	free(s);

	/* Counted after JSON decoding: 2048 x "\u00e9" is 4096 bytes. */
	s = repeat("\\u00e9", MAX / 2, "{\"action\":\"room_message\","
	    "\"message\":\"", "\"}");
	ok_req(s, PROTO_ROOM_MESSAGE, &msg);
	assert_int_equal(msg.message_len, MAX);
	proto_msg_free(&msg);
	free(s);
	s = repeat("\\u00e9", MAX / 2, "{\"action\":\"room_message\","
	    "\"message\":\"x", "\"}");
	fail_req(s, "invalid message");
	free(s);
	/* An escape is one byte: 4096 x "\n" fits. */
	s = repeat("\\n", MAX, "{\"action\":\"room_message\",\"message\":\"",
	    "\"}");
	ok_req(s, PROTO_ROOM_MESSAGE, &msg);
	assert_int_equal(msg.message_len, MAX);
	proto_msg_free(&msg);
	free(s);

	/* The limit is the caller's. */
#define LIT(s) s, sizeof s - 1
	ok_len(LIT("{\"action\":\"room_message\",\"message\":\"0123456789\"}"),
	    10, PROTO_ROOM_MESSAGE, &msg);
	proto_msg_free(&msg);
	fail_len(LIT("{\"action\":\"room_message\",\"message\":\"0123456789a\"}"),
	    10, "invalid message");
	ok_len(LIT("{\"action\":\"room_message\",\"message\":\"x\"}"), 1,
	    PROTO_ROOM_MESSAGE, &msg);
#undef LIT
	proto_msg_free(&msg);

	/* Whitespace-only is not empty. */
	ok_req("{\"action\":\"room_message\",\"message\":\" \"}",
	    PROTO_ROOM_MESSAGE, &msg);
	assert_string_equal(msg.message, " ");
	proto_msg_free(&msg);
	ok_req("{\"action\":\"private_message\",\"user_id\":\"3\","
	    "\"message\":\"\\n\\t \\r\"}", PROTO_PRIVATE_MESSAGE, &msg);
	assert_string_equal(msg.message, "\n\t \r");
	assert_int_equal(msg.message_len, 4);
	proto_msg_free(&msg);
	fail_req("{\"action\":\"private_message\",\"user_id\":\"3\","
	    "\"message\":\"\"}", "invalid message");
}

/* Decode json as a request; its field f must be want (wlen bytes). */
#define HAS(f, want, wlen) do {						\
	assert_int_equal(msg.f##_len, (wlen));				\
	assert_memory_equal(msg.f, (want), (wlen) + 1);			\
} while (0)

/* The fail_bytes text of a C literal holding NUL. */
#define FAIL_NUL(json, lit) \
	fail_bytes(json, strlen(json), MAX, lit, sizeof lit - 1)

static void
test_nul(void **state)
{
	struct proto_msg	msg;

	(void)state;
	/* U+0000 in a room is a control character. */
	fail_req("{\"action\":\"join\",\"room\":\"a\\u0000b\"}",
	    "invalid room name");
	fail_req("{\"action\":\"join\",\"room\":\"\\u0000\"}",
	    "invalid room name");
	fail_req("{\"action\":\"participants\",\"room\":\"a\\u0000\"}",
	    "invalid room name");
	/* In a message it is text: kept whole, counted as one byte. */
	ok_req("{\"action\":\"room_message\",\"message\":\"hi\\u0000there\"}",
	    PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "hi\0there", 8);
	proto_msg_free(&msg);
	ok_req("{\"action\":\"room_message\",\"message\":\"\\u0000\"}",
	    PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "\0", 1);
	proto_msg_free(&msg);
#define TWO "{\"action\":\"room_message\",\"message\":\"\\u0000\\u0000\"}"
#define THREE "{\"action\":\"room_message\",\"message\":" \
	    "\"\\u0000\\u0000\\u0000\"}"
	ok_len(TWO, strlen(TWO), 2, PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "\0\0", 2);
	proto_msg_free(&msg);
	fail_len(THREE, strlen(THREE), 2, "invalid message");
#undef TWO
#undef THREE
	ok_req("{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"x\\u0000\"}", PROTO_PRIVATE_MESSAGE, &msg);
	HAS(user_id, "1", 1);
	HAS(message, "x\0", 2);
	proto_msg_free(&msg);
	/* A user_id keeps it too: it matches no real id. */
	ok_req("{\"action\":\"private_message\",\"user_id\":\"1\\u0000\","
	    "\"message\":\"x\"}", PROTO_PRIVATE_MESSAGE, &msg);
	HAS(user_id, "1\0", 2);
	proto_msg_free(&msg);
	/* An action with U+0000 is not the action it starts with. */
	FAIL_NUL("{\"action\":\"rooms\\u0000\"}", "unknown action: rooms\0");
	FAIL_NUL("{\"action\":\"join\\u0000x\",\"room\":\"a\"}",
	    "unknown action: join\0x");
	FAIL_NUL("{\"action\":\"\\u0000\"}", "unknown action: \0");
	/* Nor is a key. */
	fail_req("{\"action\":\"join\",\"room\\u0000\":\"a\"}",
	    "missing field: room");
	fail_req("{\"action\\u0000\":\"rooms\"}", "missing action");
	fail_req("{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\\u0000\":\"m\",\"message\\u0000\\u0000\":\"m\"}",
	    "missing field: message");
	/* An escaped backslash before u0000 is plain text. */
	ok_req("{\"action\":\"room_message\",\"message\":\"\\\\u0000\"}",
	    PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "\\u0000", 6);
	proto_msg_free(&msg);
	ok_req("{\"action\":\"room_message\",\"message\":\"\\\\\\u0000\"}",
	    PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "\\\0", 2);
	proto_msg_free(&msg);
	/* U+0000 in a field nobody reads does no harm. */
	ok_req("{\"action\":\"room_message\",\"x\":\"\\u0000\","
	    "\"message\":\"ok\"}", PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "ok", 2);
	proto_msg_free(&msg);
	/* Duplicates still resolve to the first. */
	fail_req("{\"action\":\"join\",\"room\":\"\\u0000\",\"room\":\"b\"}",
	    "invalid room name");
	ok_req("{\"action\":\"join\",\"room\":\"a\",\"room\":\"\\u0000\"}",
	    PROTO_JOIN, &msg);
	HAS(room, "a", 1);
	proto_msg_free(&msg);
	/* Bad JSON stays bad JSON. */
	fail_req("{\"action\":\"rooms\"} \\u0000", "invalid JSON");
	fail_req("\\u0000{\"action\":\"rooms\"}", "invalid JSON");
	fail_req("{\"action\":\"rooms\",\\u0000:1}", "invalid JSON");
	fail_req("{\"action\":\"rooms\",\"x\":\\u0000}", "invalid JSON");
	fail_req("{\"action\":\"rooms\",\"x\":\"\\ud800\\u0000\"}",
	    "invalid JSON");
	fail_req("{\"action\":\"rooms\",\"x\":\"\\u0000\\udc00\"}",
	    "invalid JSON");
	fail_req("{\"action\":\"rooms\",\"x\":\"\\u000\"}", "invalid JSON");

	/*
	 * Raw 0xff bytes (not UTF-8, but passed on as they are) next to
	 * U+0000: the decoder's own rewriting must not show through.
	 */
	ok_req("{\"action\":\"room_message\",\"message\":"
	    "\"\xff\\u0000\xff\xfe\xff\xff\"}", PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "\xff\0\xff\xfe\xff\xff", 6);
	proto_msg_free(&msg);
	ok_req("{\"action\":\"join\",\"x\":\"\\u0000\",\"room\":\"\xff\xfe\"}",
	    PROTO_JOIN, &msg);
	HAS(room, "\xff\xfe", 2);
	proto_msg_free(&msg);
	ok_req("{\"action\":\"room_message\",\"message\":\"\xfe\\u0000\xff\"}",
	    PROTO_ROOM_MESSAGE, &msg);
	HAS(message, "\xfe\0\xff", 3);
	proto_msg_free(&msg);
	FAIL_NUL("{\"action\":\"\xff\\u0000\xff\"}",
	    "unknown action: \xff\0\xff");
	fail_req("{\"action\":\"rooms\"}\xff", "invalid JSON");
	fail_req("{\"action\":\"rooms\",\"x\":\"\\\xff\\u0000\"}",
	    "invalid JSON");
	fail_req("{\"action\":\"join\",\"room\xff\":\"a\",\"x\":\"\\u0000\"}",
	    "missing field: room");
	/* U+10FFFF and U+0000 side by side. */
	ok_req("{\"action\":\"room_message\",\"message\":"
	    "\"\\udbff\\udfff\\u0000\xf4\x8f\xbf\xbf\"}", PROTO_ROOM_MESSAGE,
	    &msg);
	HAS(message, "\xf4\x8f\xbf\xbf\0\xf4\x8f\xbf\xbf", 9);
	proto_msg_free(&msg);
}

static void
test_deep_nesting(void **state)
{
	struct proto_msg	 msg;
	char			*s, *t;
	size_t			 n = 10000;

	(void)state;
	s = repeat("[", n, "", "");
	fail_req(s, "invalid JSON");
	t = repeat("]", n, s, "");
	fail_req(t, "invalid JSON");
	free(s);
	free(t);

	s = repeat("{\"a\":", n, "", "");
	t = repeat("}", n, s, "");
	fail_req(t, "invalid JSON");
	free(s);
	free(t);

	s = repeat("[", n, "{\"action\":\"rooms\",\"x\":", "");
	t = repeat("]", n, s, "}");
	fail_req(t, "invalid JSON");
	free(s);
	free(t);

	/* Moderate nesting in an ignored key is fine. */
	s = repeat("[", 100, "{\"action\":\"rooms\",\"x\":", "");
	t = repeat("]", 100, s, "}");
	ok_req(t, PROTO_ROOMS, &msg);
	proto_msg_free(&msg);
	assert_int_equal(proto_decode(t, strlen(t), &msg), 0);
	proto_msg_free(&msg);
	free(s);
	free(t);

	s = repeat("[", n, "{\"action\":\"rooms\",\"rooms\":", "");
	t = repeat("]", n, s, "}");
	assert_int_equal(proto_decode(t, strlen(t), &msg), -1);
	free(s);
	free(t);
}

static void
test_big_input(void **state)
{
	struct proto_msg	 msg;
	size_t			 n = 1024 * 1024;
	char			*s, *t;
	clock_t			 start;

	(void)state;
	start = clock();
	s = malloc(n);
	assert_non_null(s);
	memset(s, ' ', n);
	fail_len(s, n, MAX, "invalid JSON");
	memset(s, '\n', n);
	fail_len(s, n, MAX, "invalid JSON");
	free(s);

	s = repeat(" ", n, "", "{\"action\":\"rooms\"}");
	ok_req(s, PROTO_ROOMS, &msg);
	proto_msg_free(&msg);
	free(s);
	s = repeat(" ", n, "{\"action\":\"rooms\"}", "");
	ok_req(s, PROTO_ROOMS, &msg);
	proto_msg_free(&msg);
	free(s);

	/* A long unknown action is echoed whole. */
	s = repeat("a", 70000, "{\"action\":\"", "\"}");
	t = repeat("a", 70000, "unknown action: ", "");
	fail_req(s, t);
	free(s);
	free(t);

	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 2.0);
}

static void
test_encode_server_messages(void **state)
{
	struct proto_msg	 msg;
	char			*list[] = { "0", "1", "b\"c" };

	(void)state;
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_CONNECTION;
	msg.user_id = "0";
	encodes_as(&msg, "{\"action\":\"connection\",\"user_id\":\"0\"}");

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_JOIN;
	msg.room = "0";
	encodes_as(&msg, "{\"action\":\"join\",\"room\":\"0\"}");
	msg.user_id = "12";
	encodes_as(&msg, "{\"action\":\"join\",\"room\":\"0\",\"user_id\":\"12\"}");

	msg.action = PROTO_LEAVE;
	msg.user_id = NULL;
	encodes_as(&msg, "{\"action\":\"leave\",\"room\":\"0\"}");
	msg.user_id = "3";
	encodes_as(&msg, "{\"action\":\"leave\",\"room\":\"0\",\"user_id\":\"3\"}");

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ERROR;
	msg.message = "user was not in a room";
	encodes_as(&msg,
	    "{\"action\":\"error\",\"message\":\"user was not in a room\"}");

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_PRIVATE_MESSAGE;
	msg.user_id = "1";
	msg.message = "Hello!";
	encodes_as(&msg, "{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"Hello!\"}");
	msg.ts = "1700000000000";
	encodes_as(&msg, "{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"Hello!\",\"ts\":\"1700000000000\"}");

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOM_MESSAGE;
	msg.room = "R";
	msg.user_id = "S";
	msg.message = "M";
	encodes_as(&msg, "{\"action\":\"room_message\",\"room\":\"R\","
	    "\"user_id\":\"S\",\"message\":\"M\"}");
	msg.ts = "5";
	encodes_as(&msg, "{\"action\":\"room_message\",\"room\":\"R\","
	    "\"user_id\":\"S\",\"message\":\"M\",\"ts\":\"5\"}");

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOMS;
	msg.has_list = true;
	encodes_as(&msg, "{\"action\":\"rooms\",\"rooms\":[]}");
	msg.list = list;
	msg.nlist = 1;
	encodes_as(&msg, "{\"action\":\"rooms\",\"rooms\":[\"0\"]}");
	msg.nlist = 3;
	encodes_as(&msg, "{\"action\":\"rooms\",\"rooms\":[\"0\",\"1\","
	    "\"b\\\"c\"]}");
	msg.has_list = false;
	encodes_as(&msg, "{\"action\":\"rooms\"}");

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_PARTICIPANTS;
	msg.room = "0";
	msg.has_list = true;
	msg.list = list;
	msg.nlist = 2;
	encodes_as(&msg, "{\"action\":\"participants\",\"room\":\"0\","
	    "\"participants\":[\"0\",\"1\"]}");
	msg.nlist = 0;
	encodes_as(&msg, "{\"action\":\"participants\",\"room\":\"0\","
	    "\"participants\":[]}");

	/* A list only goes with rooms and participants. */
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_JOIN;
	msg.room = "x";
	msg.has_list = true;
	msg.list = list;
	msg.nlist = 2;
	encodes_as(&msg, "{\"action\":\"join\",\"room\":\"x\"}");

	/* An action this build does not know goes out by name. */
	memset(&msg, 0, sizeof msg);
	msg.action_name = "typing";
	msg.room = "x";
	encodes_as(&msg, "{\"action\":\"typing\",\"room\":\"x\"}");
}

static void
test_encode_requests(void **state)
{
	struct proto_msg	msg;

	(void)state;
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_JOIN;
	msg.room = "0";
	encodes_as(&msg, "{\"action\":\"join\",\"room\":\"0\"}");
	msg.action = PROTO_PARTICIPANTS;
	encodes_as(&msg, "{\"action\":\"participants\",\"room\":\"0\"}");
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_LEAVE;
	encodes_as(&msg, "{\"action\":\"leave\"}");
	msg.action = PROTO_ROOMS;
	encodes_as(&msg, "{\"action\":\"rooms\"}");
	msg.action = PROTO_ROOM_MESSAGE;
	msg.message = "Hello!";
	encodes_as(&msg, "{\"action\":\"room_message\",\"message\":\"Hello!\"}");
	msg.action = PROTO_PRIVATE_MESSAGE;
	msg.user_id = "1";
	encodes_as(&msg, "{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"Hello!\"}");
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_HISTORY;
	msg.room = "r";
	msg.limit = "50";
	msg.before = "9";
	msg.after = "1";
	encodes_as(&msg, "{\"action\":\"history\",\"room\":\"r\","
	    "\"limit\":\"50\",\"before\":\"9\",\"after\":\"1\"}");
}

static void
test_encode_escaping(void **state)
{
	struct proto_msg	 msg;
	char			 all[32];
	size_t			 i, len;
	char			*s;

	(void)state;
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ERROR;
	msg.message = "q\"b\\s/n\nr\rt\tb\bf\f";
	encodes_as(&msg, "{\"action\":\"error\",\"message\":"
	    "\"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\f\"}");
	msg.message = "\x01\x1f\x7f";
	encodes_as(&msg, "{\"action\":\"error\",\"message\":"
	    "\"\\u0001\\u001f\x7f\"}");
	msg.message = "caf\xc3\xa9 \xf0\x9f\x98\x80 \xc2\x85";
	encodes_as(&msg, "{\"action\":\"error\",\"message\":"
	    "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xc2\x85\"}");
	msg.message = "";
	encodes_as(&msg, "{\"action\":\"error\",\"message\":\"\"}");

	/* Every control character. */
	for (i = 1; i < 32; i++)
		all[i - 1] = (char)i;
	all[31] = '\0';
	msg.message = all;
	encodes_as(&msg, "{\"action\":\"error\",\"message\":\""
	    "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n"
	    "\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014"
	    "\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d"
	    "\\u001e\\u001f\"}");

	/* Keys escape too (room, user_id, list). */
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOM_MESSAGE;
	msg.room = "a\"b";
	msg.user_id = "\\";
	msg.message = "\n";
	encodes_as(&msg, "{\"action\":\"room_message\",\"room\":\"a\\\"b\","
	    "\"user_id\":\"\\\\\",\"message\":\"\\n\"}");

	/* Strings go by their lengths: U+0000 is escaped, not an end. */
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_PRIVATE_MESSAGE;
	msg.user_id = "8\0";
	msg.user_id_len = 2;
	msg.message = "a\0b";
	msg.message_len = 3;
	encodes_as(&msg, "{\"action\":\"private_message\","
	    "\"user_id\":\"8\\u0000\",\"message\":\"a\\u0000b\"}");
	msg.action = PROTO_ROOM_MESSAGE;
	msg.room = "\0\0";
	msg.room_len = 2;
	msg.user_id = "12345";
	msg.user_id_len = 2;		/* a prefix only */
	msg.message = "\0";
	msg.message_len = 1;
	msg.ts = "9\0";
	msg.ts_len = 2;
	encodes_as(&msg, "{\"action\":\"room_message\","
	    "\"room\":\"\\u0000\\u0000\",\"user_id\":\"12\","
	    "\"message\":\"\\u0000\",\"ts\":\"9\\u0000\"}");
	/* 0 means strlen(). */
	msg.room = "r";
	msg.user_id = "1";
	msg.message = "m\0ignored";
	msg.ts = "";
	msg.room_len = msg.user_id_len = msg.message_len = msg.ts_len = 0;
	encodes_as(&msg, "{\"action\":\"room_message\",\"room\":\"r\","
	    "\"user_id\":\"1\",\"message\":\"m\",\"ts\":\"\"}");
	/* An unknown action is written as named, by its length too. */
	memset(&msg, 0, sizeof msg);
	msg.action_name = "x\0y";
	msg.action_name_len = 3;
	encodes_as(&msg, "{\"action\":\"x\\u0000y\"}");
	msg.action_name_len = 0;
	encodes_as(&msg, "{\"action\":\"x\"}");
	/* A known action ignores action_name. */
	msg.action = PROTO_ROOMS;
	encodes_as(&msg, "{\"action\":\"rooms\"}");

	/* len may be NULL. */
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOM_MESSAGE;
	msg.room = "a\"b";
	msg.user_id = "\\";
	msg.message = "\n";
	s = proto_encode(&msg, NULL);
	assert_non_null(s);
	free(s);

	s = proto_encode_error("room 0 does not exist", &len);
	assert_string_equal(s,
	    "{\"action\":\"error\",\"message\":\"room 0 does not exist\"}");
	assert_int_equal(len, strlen(s));
	free(s);
	s = proto_encode_error("unknown action: \"x\"\n", &len);
	assert_string_equal(s, "{\"action\":\"error\",\"message\":"
	    "\"unknown action: \\\"x\\\"\\n\"}");
	free(s);
}

/* Encode msg, decode it client side, compare. */
static void
round_trip(const struct proto_msg *in)
{
	struct proto_msg	 out;
	size_t			 len, i;
	char			*s;

	s = proto_encode(in, &len);
	assert_non_null(s);
	assert_int_equal(proto_decode(s, len, &out), 0);
	assert_int_equal(out.action, in->action);
	assert_string_equal(out.action_name, proto_action_name(in->action));
	/* Every field comes back with its length (0 given: strlen). */
#define SAME(f) do {							\
	if (in->f == NULL)						\
		assert_null(out.f);					\
	else {								\
		size_t n = in->f##_len != 0 ? in->f##_len :		\
		    strlen(in->f);					\
		assert_int_equal(out.f##_len, n);			\
		assert_memory_equal(out.f, in->f, n);			\
		assert_int_equal(out.f[n], '\0');			\
	}								\
} while (0)
	SAME(room);
	SAME(user_id);
	SAME(message);
	SAME(ts);
#undef SAME
	assert_int_equal(out.action_name_len, strlen(out.action_name));
	if (in->has_list && (in->action == PROTO_ROOMS ||
	    in->action == PROTO_PARTICIPANTS)) {
		assert_true(out.has_list);
		assert_int_equal(out.nlist, in->nlist);
		for (i = 0; i < in->nlist; i++)
			assert_string_equal(out.list[i], in->list[i]);
	} else
		assert_false(out.has_list);
	proto_msg_free(&out);
	free(s);
}

static void
test_round_trip(void **state)
{
	struct proto_msg	 msg;
	char			 all[256], bytes[256];
	char			*list[] = { "", "a b", "\x01\"\\", "\xc3\xa9",
				    "z" };
	size_t			 i, len;
	char			*s, *error;
	struct proto_msg	 req;

	(void)state;
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOM_MESSAGE;
	msg.room = "room \xe2\x82\xac";
	msg.user_id = "42";
	msg.message = all;		/* includes invalid UTF-8: passed as is */
	msg.ts = "1";
	round_trip(&msg);

	msg.message = "\xf0\x9f\x98\x80 \"quoted\" \\ \n";
	round_trip(&msg);

	/* U+0000 anywhere, raw 0xff next to it. */
	msg.room = "r\0\xff";
	msg.room_len = 3;
	msg.user_id = "\0";
	msg.user_id_len = 1;
	msg.message = "\0\xff\xfe\0";
	msg.message_len = 4;
	msg.ts = "1\0";
	msg.ts_len = 2;
	round_trip(&msg);
	msg.room_len = msg.user_id_len = msg.message_len = msg.ts_len = 0;

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ROOMS;
	msg.has_list = true;
	msg.list = list;
	msg.nlist = 5;
	round_trip(&msg);
	msg.nlist = 0;
	round_trip(&msg);

	msg.action = PROTO_PARTICIPANTS;
	msg.room = "r";
	msg.nlist = 5;
	round_trip(&msg);

	for (i = PROTO_CONNECTION; i <= PROTO_PARTICIPANTS; i++) {
		memset(&msg, 0, sizeof msg);
		msg.action = (enum proto_action)i;
		msg.user_id = "7";
		round_trip(&msg);
	}

	/* Requests the client encodes decode on the server as sent. */
	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_PRIVATE_MESSAGE;
	msg.user_id = "3";
	msg.message = all + 1;
	s = proto_encode(&msg, &len);
	error = NULL;
	assert_int_equal(proto_decode_request(s, len, 4096, &req, &error,
	    NULL), 0);
	assert_string_equal(req.user_id, "3");
	assert_string_equal(req.message, all + 1);
	assert_int_equal(req.message_len, 254);
	proto_msg_free(&req);
	free(s);
	/* All 256 byte values, NUL included. */
	for (i = 0; i < 256; i++)
		bytes[i] = (char)i;
	msg.message = bytes;
	msg.message_len = 256;
	msg.user_id = "3\0";
	msg.user_id_len = 2;
	s = proto_encode(&msg, &len);
	assert_int_equal(proto_decode_request(s, len, 4096, &req, &error,
	    NULL), 0);
	assert_int_equal(req.user_id_len, 2);
	assert_memory_equal(req.user_id, "3\0", 3);
	assert_int_equal(req.message_len, 256);
	assert_memory_equal(req.message, bytes, 256);
	proto_msg_free(&req);
	free(s);
}

static void
test_client_decode(void **state)
{
	struct proto_msg	msg;

	(void)state;
#define DEC(json) assert_int_equal(proto_decode(json, strlen(json), &msg), 0)
	DEC("{\"action\":\"connection\",\"user_id\":\"0\"}");
	assert_int_equal(msg.action, PROTO_CONNECTION);
	assert_string_equal(msg.user_id, "0");
	assert_null(msg.room);
	proto_msg_free(&msg);

	DEC("{\n    \"action\": \"join\",\n    \"room\": \"0\"\n}");
	assert_int_equal(msg.action, PROTO_JOIN);
	assert_string_equal(msg.room, "0");
	assert_null(msg.user_id);
	proto_msg_free(&msg);

	DEC("{\"action\":\"join\",\"room\":\"R\",\"user_id\":\"5\"}");
	assert_string_equal(msg.user_id, "5");
	proto_msg_free(&msg);

	DEC("{\"action\":\"leave\",\"room\":\"R\",\"user_id\":\"5\"}");
	assert_int_equal(msg.action, PROTO_LEAVE);
	assert_string_equal(msg.room, "R");
	proto_msg_free(&msg);

	DEC("{\"action\":\"error\",\"message\":\"user 1 is not on the server\"}");
	assert_int_equal(msg.action, PROTO_ERROR);
	assert_string_equal(msg.message, "user 1 is not on the server");
	assert_int_equal(msg.message_len, 27);
	proto_msg_free(&msg);

	DEC("{\"action\":\"private_message\",\"user_id\":\"1\","
	    "\"message\":\"Hello!\",\"ts\":\"1700000000000\"}");
	assert_int_equal(msg.action, PROTO_PRIVATE_MESSAGE);
	assert_string_equal(msg.ts, "1700000000000");
	proto_msg_free(&msg);

	DEC("{\"action\":\"room_message\",\"room\":\"0\",\"message\":\"Hello!\"}");
	assert_int_equal(msg.action, PROTO_ROOM_MESSAGE);
	assert_null(msg.user_id);
	assert_string_equal(msg.message, "Hello!");
	proto_msg_free(&msg);

	DEC("{\"action\":\"rooms\",\"rooms\":[\"0\",\"1\"]}");
	assert_int_equal(msg.action, PROTO_ROOMS);
	assert_true(msg.has_list);
	assert_int_equal(msg.nlist, 2);
	assert_string_equal(msg.list[1], "1");
	proto_msg_free(&msg);

	DEC("{\"action\":\"rooms\",\"rooms\":[]}");
	assert_true(msg.has_list);
	assert_int_equal(msg.nlist, 0);
	assert_null(msg.list);
	proto_msg_free(&msg);

	DEC("{\"action\":\"participants\",\"room\":\"0\","
	    "\"participants\":[\"0\", \"1\"]}");
	assert_int_equal(msg.action, PROTO_PARTICIPANTS);
	assert_string_equal(msg.room, "0");
	assert_int_equal(msg.nlist, 2);
	assert_string_equal(msg.list[0], "0");
	proto_msg_free(&msg);

	/* Lenient: wrong types are absent, non-strings in lists skipped. */
	DEC("{\"action\":\"rooms\",\"rooms\":[1,\"a\",null,[\"b\"],\"c\"]}");
	assert_int_equal(msg.nlist, 2);
	assert_string_equal(msg.list[0], "a");
	assert_string_equal(msg.list[1], "c");
	proto_msg_free(&msg);
	DEC("{\"action\":\"rooms\",\"rooms\":\"a\"}");
	assert_false(msg.has_list);
	proto_msg_free(&msg);
	DEC("{\"action\":\"rooms\",\"rooms\":[1,2]}");
	assert_true(msg.has_list);
	assert_int_equal(msg.nlist, 0);
	proto_msg_free(&msg);
	DEC("{\"action\":\"participants\",\"rooms\":[\"a\"]}");
	assert_false(msg.has_list);
	proto_msg_free(&msg);
	DEC("{\"action\":\"connection\",\"user_id\":0,\"ts\":5,\"room\":null}");
	assert_null(msg.user_id);
	assert_null(msg.ts);
	assert_null(msg.room);
	proto_msg_free(&msg);

	/* Unknown actions and keys. */
	DEC("{\"action\":\"typing\",\"room\":\"r\",\"extra\":{\"x\":[1]}}");
	assert_int_equal(msg.action, PROTO_UNKNOWN);
	assert_string_equal(msg.action_name, "typing");
	assert_string_equal(msg.room, "r");
	proto_msg_free(&msg);
	/* U+0000 is kept, with every length. */
	DEC("{\"action\":\"room_message\",\"message\":\"a\\u0000b\","
	    "\"room\":\"\\u0000\",\"user_id\":\"1\\u0000\",\"ts\":\"\\u00002\"}");
	HAS(message, "a\0b", 3);
	HAS(room, "\0", 1);
	HAS(user_id, "1\0", 2);
	HAS(ts, "\0" "2", 2);
	HAS(action_name, "room_message", 12);
	proto_msg_free(&msg);
	DEC("{\"action\":\"join\\u0000\"}");
	assert_int_equal(msg.action, PROTO_UNKNOWN);
	HAS(action_name, "join\0", 5);
	proto_msg_free(&msg);
	/* List entries holding it are dropped: no room name or id does. */
	DEC("{\"action\":\"rooms\",\"rooms\":[\"a\",\"b\\u0000\",\"\\u0000\","
	    "\"c\xff\"]}");
	assert_true(msg.has_list);
	assert_int_equal(msg.nlist, 2);
	assert_string_equal(msg.list[0], "a");
	assert_string_equal(msg.list[1], "c\xff");
	proto_msg_free(&msg);
#undef DEC

	/* Failures. */
#define BAD(json) assert_int_equal(proto_decode(json, strlen(json), &msg), -1)
	BAD("");
	BAD("[]");
	BAD("\"rooms\"");
	BAD("{}");
	BAD("{\"action\":1}");
	BAD("{\"action\":\"rooms\"");
	BAD("{\"action\":\"rooms\"}x");
#undef BAD
	assert_int_equal(proto_decode(NULL, 0, &msg), -1);
	assert_null(msg.action_name);
}

/* History replies: entries kept, dropped and bounded (client side). */
static void
test_client_history(void **state)
{
	struct proto_msg	 msg;
	char			*big, *p;
	size_t			 i, len;

	(void)state;
#define DEC(json) assert_int_equal(proto_decode(json, strlen(json), &msg), 0)
	DEC("{\"action\":\"history\",\"room\":\"r\",\"messages\":["
	    "{\"seq\":\"41\",\"ts\":\"1700000000000\",\"user_id\":\"3\","
	    "\"name\":\"alice\",\"message\":\"hi\"},"
	    "{\"seq\":\"44\",\"user_id\":\"4\",\"message\":\"a\\u0000b\"}]}");
	assert_int_equal(msg.action, PROTO_HISTORY);
	assert_string_equal(msg.room, "r");
	assert_true(msg.has_entries);
	assert_int_equal(msg.nentries, 2);
	assert_string_equal(msg.entries[0].seq, "41");
	assert_string_equal(msg.entries[0].ts, "1700000000000");
	assert_string_equal(msg.entries[0].user_id, "3");
	assert_string_equal(msg.entries[0].name, "alice");
	assert_string_equal(msg.entries[0].message, "hi");
	assert_int_equal(msg.entries[0].message_len, 2);
	assert_string_equal(msg.entries[1].seq, "44");
	assert_null(msg.entries[1].ts);
	assert_null(msg.entries[1].name);
	assert_int_equal(msg.entries[1].message_len, 3);
	assert_memory_equal(msg.entries[1].message, "a\0b", 4);
	proto_msg_free(&msg);

	DEC("{\"action\":\"history\",\"room\":\"r\",\"messages\":[]}");
	assert_true(msg.has_entries);
	assert_int_equal(msg.nentries, 0);
	assert_null(msg.entries);
	proto_msg_free(&msg);
	DEC("{\"action\":\"history\",\"room\":\"r\",\"messages\":{}}");
	assert_false(msg.has_entries);
	proto_msg_free(&msg);
	/* Only a history reply has entries. */
	DEC("{\"action\":\"rooms\",\"messages\":[{\"seq\":\"1\","
	    "\"user_id\":\"1\",\"message\":\"m\"}]}");
	assert_false(msg.has_entries);
	proto_msg_free(&msg);

	/* Wrong types, missing fields, U+0000 outside the text: dropped. */
	DEC("{\"action\":\"history\",\"messages\":[1,\"x\",null,[],{},"
	    "{\"seq\":1,\"user_id\":\"1\",\"message\":\"m\"},"
	    "{\"seq\":\"-1\",\"user_id\":\"1\",\"message\":\"m\"},"
	    "{\"seq\":\"\",\"user_id\":\"1\",\"message\":\"m\"},"
	    "{\"seq\":\"1\",\"user_id\":2,\"message\":\"m\"},"
	    "{\"seq\":\"1\",\"user_id\":\"1\",\"message\":[]},"
	    "{\"seq\":\"1\\u0000\",\"user_id\":\"1\",\"message\":\"m\"},"
	    "{\"seq\":\"1\",\"user_id\":\"1\\u0000\",\"message\":\"m\"},"
	    "{\"seq\":\"7\",\"ts\":\"x\",\"user_id\":\"1\",\"name\":\"\","
	    "\"message\":\"\"},"
	    "{\"seq\":\"8\",\"ts\":5,\"user_id\":\"1\",\"name\":\"a\\u0000\","
	    "\"message\":\"z\"}]}");
	assert_true(msg.has_entries);
	assert_int_equal(msg.nentries, 2);
	assert_string_equal(msg.entries[0].seq, "7");
	assert_null(msg.entries[0].ts);
	assert_null(msg.entries[0].name);
	assert_string_equal(msg.entries[0].message, "");
	assert_string_equal(msg.entries[1].seq, "8");
	assert_null(msg.entries[1].ts);
	assert_null(msg.entries[1].name);
	proto_msg_free(&msg);

	/* A huge array: at most a page's worth is kept. */
	len = 64 + (CHAT_HISTORY_PAGE_MAX * 2) * 64;
	big = malloc(len);
	assert_non_null(big);
	p = big + sprintf(big, "{\"action\":\"history\",\"messages\":[");
	for (i = 0; i < CHAT_HISTORY_PAGE_MAX * 2; i++)
		p += sprintf(p, "%s{\"seq\":\"%zu\",\"user_id\":\"1\","
		    "\"message\":\"m\"}", i > 0 ? "," : "", i + 1);
	strcpy(p, "]}");
	assert_int_equal(proto_decode(big, strlen(big), &msg), 0);
	assert_int_equal(msg.nentries, CHAT_HISTORY_PAGE_MAX);
	assert_string_equal(msg.entries[0].seq, "1");
	proto_msg_free(&msg);
	free(big);
#undef DEC
}

static void
test_action_names(void **state)
{
	static const char *names[] = { "connection", "join", "leave", "error",
	    "private_message", "room_message", "rooms", "participants" };
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		assert_int_equal(proto_action_lookup(names[i]), i + 1);
		assert_string_equal(proto_action_name(i + 1), names[i]);
	}
	assert_int_equal(proto_action_lookup("Join"), PROTO_UNKNOWN);
	assert_int_equal(proto_action_lookup(""), PROTO_UNKNOWN);
	assert_int_equal(proto_action_lookup("unknown"), PROTO_UNKNOWN);
	assert_int_equal(proto_action_lookup(NULL), PROTO_UNKNOWN);
	assert_non_null(proto_action_name(PROTO_UNKNOWN));
	assert_non_null(proto_action_name((enum proto_action)999));
	proto_msg_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_missing_action),
		cmocka_unit_test(test_unknown_action),
		cmocka_unit_test(test_missing_field),
		cmocka_unit_test(test_fault_order),
		cmocka_unit_test(test_requests_ok),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_room_names),
		cmocka_unit_test(test_message_limits),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_big_input),
		cmocka_unit_test(test_encode_server_messages),
		cmocka_unit_test(test_encode_requests),
		cmocka_unit_test(test_encode_escaping),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_client_decode),
		cmocka_unit_test(test_client_history),
		cmocka_unit_test(test_action_names),
	};

	return (cmocka_run_group_tests_name("proto", tests, NULL, NULL));
}
