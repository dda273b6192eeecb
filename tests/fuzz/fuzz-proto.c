/*
 * libFuzzer harness for shared/proto.c: both decoders must survive any
 * input, report only texts of PROTOCOL.md, and whatever they accept must
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

static void
same_msg(const struct proto_msg *a, const struct proto_msg *b)
{
	size_t	i;

	CHECK(a->action == b->action);
	same_string(a->action_name, b->action_name);
	same_string(a->room, b->room);
	same_string(a->user_id, b->user_id);
	same_string(a->message, b->message);
	same_string(a->ts, b->ts);
	CHECK(a->message_len == b->message_len);
	CHECK(a->has_list == b->has_list);
	CHECK(a->nlist == b->nlist);
	for (i = 0; i < a->nlist; i++)
		same_string(a->list[i], b->list[i]);
}

static int
known_error(const char *e)
{
	static const char *texts[] = { PROTO_ERR_INVALID_JSON,
	    PROTO_ERR_MISSING_ACTION, PROTO_ERR_INVALID_ROOM,
	    PROTO_ERR_INVALID_MESSAGE, "missing field: room",
	    "missing field: user_id", "missing field: message" };
	size_t	i;

	if (strncmp(e, "unknown action: ", 16) == 0)
		return (1);
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (strcmp(e, texts[i]) == 0)
			return (1);
	}
	return (0);
}

static void
fuzz_request(const char *buf, size_t len, size_t max)
{
	struct proto_msg	 msg, again, client;
	char			*error, *s;
	size_t			 slen;

	if (proto_decode_request(buf, len, max, &msg, &error) != 0) {
		CHECK(error != NULL && known_error(error));
		CHECK(msg.action_name == NULL && msg.room == NULL);
		free(error);
		return;
	}
	CHECK(error == NULL);
	CHECK(msg.action != PROTO_UNKNOWN && msg.action != PROTO_ERROR &&
	    msg.action != PROTO_CONNECTION);
	if (msg.room != NULL)
		CHECK(proto_room_name_valid(msg.room, strlen(msg.room)));
	if (msg.message != NULL) {
		CHECK(msg.message_len == strlen(msg.message));
		CHECK(msg.message_len > 0 && msg.message_len <= max);
	}

	/* What the server accepted, re-sent, is accepted the same. */
	s = proto_encode(&msg, &slen);
	CHECK(s != NULL && strlen(s) == slen);
	CHECK(proto_decode_request(s, slen, max, &again, &error) == 0);
	same_msg(&msg, &again);
	CHECK(proto_decode(s, slen, &client) == 0);
	CHECK(client.action == msg.action);
	same_string(client.room, msg.room);
	same_string(client.user_id, msg.user_id);
	same_string(client.message, msg.message);
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

	fuzz_request(buf, size, CHAT_MESSAGE_MAX_DEFAULT);
	fuzz_request(buf, size, 8);
	fuzz_client(buf, size);
	return (0);
}
