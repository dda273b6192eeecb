/*
 * libFuzzer harness for the server's message dispatch: the chat logic and
 * the in-memory registry, no sockets.  The input is a script of operations
 * over 8 connections: each record is one op byte, one connection byte, and
 * for messages a length byte and that many bytes of frame payload.
 * Invariants checked after every run: every frame sent is one JSON object
 * (with no raw NUL: U+0000 in a message or an error goes out as \u0000)
 * that the client decoder reads, and after everyone disconnects no user or
 * room is left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "registry-v1.h"
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
	struct chat_io		 io = { fz_send, fz_close, fz_now, NULL };
	struct chat		*chat;
	size_t			 i = 0, len;
	uint64_t		 conn;

	config_defaults(&cfg);
	cfg.max_message = 64;	/* reach the limit with short inputs */
	memset(open_, 0, sizeof open_);
	now = 0;
	chat = chat_new(&cfg, &io);
	while (i + 2 <= size) {
		uint8_t op = data[i] % 5;
		conn = data[i + 1] % NCONN;
		i += 2;
		switch (op) {
		case 0:
			if (!open_[conn]) {
				open_[conn] = 1;
				chat_opened(chat, conn);
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
		}
	}
done:
	for (conn = 0; conn < NCONN; conn++) {
		if (open_[conn]) {
			chat_closed(chat, conn);
			open_[conn] = 0;
		}
	}
	if (chat_users(chat) != 0)
		abort();
	chat_free(chat);
	config_free(&cfg);
	return 0;
}
