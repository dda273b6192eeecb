/*
 * libFuzzer harness for shared/proto.c: both decoders must survive any
 * input, report only texts of doc/protocol.md, and whatever they accept must
 * encode to JSON that decodes to the same fields again.
 * Built and run by tests/fuzz/run-fuzz.sh proto SECONDS.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void
same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		CHECK(a == b);
	else
		CHECK(strcmp(a, b) == 0);
}

/* Strings that may hold NUL: the same bytes, and NUL-terminated. */
static void
same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a == NULL || b == NULL) {
		CHECK(a == b && alen == 0 && blen == 0);
		return;
	}
	CHECK(alen == blen && memcmp(a, b, alen) == 0);
	CHECK(a[alen] == '\0' && b[blen] == '\0');
}
/* A decoded history entry: what the client decoder promises. */
static void
same_entry(const struct proto_entry *a, const struct proto_entry *b)
{
	CHECK(a->seq != NULL && proto_digits_valid(a->seq, strlen(a->seq)));
	CHECK(a->ts == NULL || proto_digits_valid(a->ts, strlen(a->ts)));
	CHECK(a->user_id != NULL && a->message != NULL);
	CHECK(a->name == NULL || *a->name != '\0');
	same_string(a->seq, b->seq);
	same_string(a->ts, b->ts);
	same_string(a->user_id, b->user_id);
	same_string(a->name, b->name);
	same_bytes(a->message, a->message_len, b->message, b->message_len);
}

#define SAME_FIELD(a, b, f) \
	same_bytes((a)->f, (a)->f##_len, (b)->f, (b)->f##_len)

static void
same_msg(const struct proto_msg *a, const struct proto_msg *b)
{
	size_t	i;

	CHECK(a->action == b->action);
	SAME_FIELD(a, b, action_name);
	SAME_FIELD(a, b, room);
	SAME_FIELD(a, b, user_id);
	SAME_FIELD(a, b, message);
	SAME_FIELD(a, b, ts);
	CHECK(a->has_list == b->has_list);
	CHECK(a->nlist == b->nlist);
	for (i = 0; i < a->nlist; i++)
		same_string(a->list[i], b->list[i]);
	CHECK(a->has_entries == b->has_entries);
	CHECK(a->nentries == b->nentries);
	for (i = 0; i < a->nentries; i++)
		same_entry(&a->entries[i], &b->entries[i]);
}

static int
known_error(const char *e, size_t len)
{
	static const char *texts[] = { PROTO_ERR_INVALID_JSON,
	    PROTO_ERR_MISSING_ACTION, PROTO_ERR_INVALID_ROOM,
	    PROTO_ERR_INVALID_MESSAGE, "missing field: room",
	    "missing field: user_id", "missing field: message",
	    "missing field: name", PROTO_ERR_INVALID_TOKEN,
	    PROTO_ERR_INVALID_NAME, PROTO_ERR_INVALID_LIMIT,
	    PROTO_ERR_INVALID_SEQ };
	size_t	i;

	if (e[len] != '\0')
		return (0);
	/* Only this one repeats the request, so may hold NUL. */
	if (len >= 16 && strncmp(e, "unknown action: ", 16) == 0)
		return (1);
	if (strlen(e) != len)
		return (0);
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (strcmp(e, texts[i]) == 0)
			return (1);
	}
	return (0);
}

/* Version 2 requests: what the decoder lets through is well formed. */
static void
fuzz_request_v2(const struct proto_msg *msg)
{
	const char	*v[3] = { msg->limit, msg->before, msg->after };
	size_t		 i;

	if (msg->action == PROTO_NICK)
		CHECK(msg->name != NULL && (msg->name_len == 0 ||
		    proto_name_valid(msg->name, msg->name_len)));
	if (msg->action == PROTO_HELLO && msg->token != NULL)
		CHECK(*msg->token != '\0');
	for (i = 0; i < 3; i++)
		CHECK(v[i] == NULL || proto_digits_valid(v[i], strlen(v[i])));
	if (msg->action == PROTO_PRIVATE_MESSAGE)
		CHECK(msg->user_id != NULL || msg->name != NULL);
}

static void
fuzz_request(const char *buf, size_t len, size_t max, unsigned version)
{
	struct proto_msg	 msg, again, client;
	char			*error, *s;
	size_t			 slen, elen;

	if (proto_decode_request_v(buf, len, max, version, &msg, &error,
	    &elen) != 0) {
		CHECK(error != NULL && known_error(error, elen));
		CHECK(msg.action_name == NULL && msg.room == NULL);
		free(error);
		return;
	}
	CHECK(error == NULL);
	CHECK(msg.action != PROTO_UNKNOWN && msg.action != PROTO_ERROR &&
	    msg.action != PROTO_CONNECTION);
	CHECK(msg.action_name != NULL &&
	    strlen(msg.action_name) == msg.action_name_len);
	if (msg.room != NULL && msg.action != PROTO_HISTORY) {
		CHECK(proto_room_name_valid(msg.room, msg.room_len));
		CHECK(strlen(msg.room) == msg.room_len);
	}
	if (msg.message != NULL)
		CHECK(msg.message_len > 0 && msg.message_len <= max);
	if (version >= 2) {
		/* Not all of it is encoded (limit, before, after): the
		 * round trip below is version 1's. */
		fuzz_request_v2(&msg);
		proto_msg_free(&msg);
		return;
	}

	/* What the server accepted, re-sent, is accepted the same. */
	s = proto_encode(&msg, &slen);
	CHECK(s != NULL && strlen(s) == slen);
	CHECK(proto_decode_request(s, slen, max, &again, &error, NULL) == 0);
	same_msg(&msg, &again);
	CHECK(proto_decode(s, slen, &client) == 0);
	CHECK(client.action == msg.action);
	SAME_FIELD(&client, &msg, room);
	SAME_FIELD(&client, &msg, user_id);
	SAME_FIELD(&client, &msg, message);
	proto_msg_free(&client);
	proto_msg_free(&again);
	proto_msg_free(&msg);
	free(s);
}

static void
fuzz_client(const char *buf, size_t len)
{
	struct proto_msg	 msg, again;
	char			*s;
	size_t			 slen;

	if (proto_decode(buf, len, &msg) != 0) {
		CHECK(msg.action_name == NULL);
		return;
	}
	CHECK(msg.action_name != NULL);
	/* A name holding U+0000 is no action the build knows. */
	if (strlen(msg.action_name) != msg.action_name_len)
		CHECK(msg.action == PROTO_UNKNOWN);
	else
		CHECK(msg.action == proto_action_lookup(msg.action_name));
	s = proto_encode(&msg, &slen);
	CHECK(s != NULL && strlen(s) == slen);
	CHECK(proto_decode(s, slen, &again) == 0);
	same_msg(&msg, &again);
	proto_msg_free(&again);
	proto_msg_free(&msg);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;

	fuzz_request(buf, size, CHAT_MESSAGE_MAX_DEFAULT, 1);
	fuzz_request(buf, size, 8, 1);
	fuzz_request(buf, size, CHAT_MESSAGE_MAX_DEFAULT, 2);
	fuzz_client(buf, size);
	return (0);
}
