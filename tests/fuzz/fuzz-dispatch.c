/*
 * libFuzzer harness for the server's message dispatch: the chat logic, the
 * memory registry and a store, no sockets.  The first input byte picks the
 * back ends: bit 0 completes every operation on a later loop pass instead
 * of at once, bit 1 uses the SQLite store (an in-memory database) instead
 * of the memory one.  The rest is a script of operations over 8
 * connections: each record is one op byte, one connection byte, and for
 * messages a length byte and that many bytes of frame payload; one op runs
 * a single loop pass, so completions interleave with requests.
 * Invariants checked after every run: every frame sent is one JSON object
 * (with no raw NUL: U+0000 in a message or an error goes out as \u0000)
 * that the client decoder reads, and after everyone disconnects no user or
 * room is left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "proto.h"
#include "server-chat.h"
#include "server-config.h"

#define NCONN	8

static int	open_[NCONN];
static uint64_t	now;

static void
fz_send(void *arg, struct frame *f, const uint64_t *conns, size_t n)
{
	struct proto_msg	 msg;
	cJSON			*json;

	(void)arg;
	for (size_t i = 0; i < n; i++) {
		if (conns[i] >= NCONN || !open_[conns[i]])
			abort();	/* sent to a connection that is gone */
	}
	if (memchr(FRAME_PAYLOAD(f), '\0', f->len) != NULL)
		abort();
	json = cJSON_ParseWithLength((const char *)FRAME_PAYLOAD(f), f->len);
	if (json == NULL || !cJSON_IsObject(json))
		abort();
	cJSON_Delete(json);
	if (proto_decode((const char *)FRAME_PAYLOAD(f), f->len, &msg) != 0)
		abort();
	proto_msg_free(&msg);
}

static void
fz_close(void *arg, uint64_t conn, uint16_t code, const char *reason)
{
	(void)arg;
	(void)code;
	(void)reason;
	(void)conn;
}

static uint64_t
fz_now(void *arg)
{
	(void)arg;
	return now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_config	 cfg;
	struct chat_io		 io = { fz_send, fz_close, fz_now, NULL, fz_now,
				    NULL };
	struct event_base	*base;
	struct chat		*chat;
	char			*error = NULL;
	size_t			 i = 1, len;
	uint64_t		 conn;

	if (size < 1)
		return 0;
	config_defaults(&cfg);
	cfg.max_message = 64;	/* reach the limit with short inputs */
	cfg.history = 4;	/* and the history's */
	if (data[0] & 2)
		cfg.db = strdup(":memory:");
	memset(open_, 0, sizeof open_);
	now = 0;
	if ((base = event_base_new()) == NULL)
		abort();
	chat = chat_new(&cfg, &io, base, (data[0] & 1) ? CHAT_DEFER : 0,
	    &error);
	if (chat == NULL)
		abort();
	while (i + 2 <= size) {
		uint8_t op = data[i] % 6;
		conn = data[i + 1] % NCONN;
		i += 2;
		switch (op) {
		case 0:
			if (!open_[conn]) {
				open_[conn] = 1;
				chat_opened(chat, conn, NULL);
			}
			break;
		case 1:
			if (open_[conn]) {
				chat_closed(chat, conn);
				open_[conn] = 0;
			}
			break;
		case 2:
			if (i >= size)
				goto done;
			len = data[i++];
			if (len > size - i)
				len = size - i;
			if (open_[conn])
				chat_message(chat, conn, (const char *)data + i,
				    len);
			i += len;
			break;
		case 3:
			if (open_[conn])
				chat_binary(chat, conn);
			break;
		case 4:
			now += 10;
			break;
		case 5:
			event_base_loop(base, EVLOOP_NONBLOCK);
			break;
		}
	}
done:
	for (conn = 0; conn < NCONN; conn++) {
		if (open_[conn]) {
			chat_closed(chat, conn);
			open_[conn] = 0;
		}
	}
	while (event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED |
	    EVENT_BASE_COUNT_ACTIVE) > 0)
		event_base_loop(base, EVLOOP_NONBLOCK);
	if (chat_users(chat) != 0)
		abort();
	chat_free(chat);
	event_base_free(base);
	config_free(&cfg);
	return 0;
}
