/*
 * Version 2 requests (doc/protocol.md): hello (a new or resumed session),
 * nick (the store grants the name, the registry tells the room) and
 * history (a page of a room's messages from the store).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "server-chat-int.h"
#include "server-metrics.h"
#include "store-util.h"

static const char *const chat_features[] = { "names", "history", "sessions" };

/* A store that is unreachable or refuses to write answers "service
 * unavailable", as a lack of memory does not. */
static int
chat_store_down(const struct store_result *res)
{
	return res->status == STORE_ERR_DOWN || res->status == STORE_ERR_IO;
}

/* hello: opt in to version 2, with a new session or a resumed one. */
static void
chat_hello_reply(struct chat *c, struct session *s)
{
	struct proto_msg	msg = { .action = PROTO_HELLO };

	if (!s->gone && s->version != 2)
		metrics_user_version((int)s->version, 2);
	s->version = 2;
	s->has_token = true;
	s->hello_closed = true;
	msg.user_id = s->user.id;
	msg.name = s->user.name[0] != '\0' ? s->user.name : NULL;
	msg.token = s->req_str;
	msg.epoch = (char *)c->store->ops->epoch(c->store);
	msg.list2 = (char **)chat_features;
	msg.nlist2 = sizeof chat_features / sizeof chat_features[0];
	msg.has_list2 = true;
	chat_reply(c, s, &msg);
}

static void
chat_hello_created(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	if (res->status != STORE_OK)
		chat_status_error(c, s, chat_store_down(res));
	else {
		s->holder = res->holder;
		chat_hello_reply(c, s);
	}
	chat_done(c, s);
}

/* Claimed (or not: a later holder has it, or the store failed, and
 * then that one's release counts); the hello is answered either way. */
static void
chat_hello_claimed(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	(void)res;
	chat_hello_reply(c, s);
	chat_done(c, s);
}

static void
chat_hello_online(void *arg, const struct reg_result *res)
{
	CHAT_CB_START(arg);
	if (res->status != REG_OK) {
		/* Neither the old id nor the new one: start again. */
		chat_fail(c, s, "registry failure");
	} else {
		s->online = true;
		/* Its holder is replaced now (kicked): the session is ours. */
		if (s->claim) {
			s->claim = false;
			c->store->ops->session_claim(c->store, s->user.id,
			    s->holder, chat_wall(c), chat_hello_claimed, s);
			return;
		}
		chat_hello_reply(c, s);
	}
	chat_done(c, s);
}

static void
chat_hello_offline(void *arg, const struct reg_result *res)
{
	CHAT_CB_START(arg);
	(void)res;
	/* The id given on connect is dropped for good. */
	s->online = false;
	s->user = s->next_user;
	if (s->gone) {
		chat_done(c, s);
		return;
	}
	c->reg->ops->online(c->reg, &s->user, chat_at(c, s),
	    chat_hello_online, s);
}

static void
chat_hello_released(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	(void)res;
	chat_done(c, s);
}

static void
chat_hello_resumed(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	if (res->status == STORE_ERR_NOT_FOUND) {
		chat_error(c, s, PROTO_ERR_INVALID_TOKEN);
		chat_done(c, s);
		return;
	}
	if (res->status != STORE_OK) {
		chat_status_error(c, s, chat_store_down(res));
		chat_done(c, s);
		return;
	}
	if (s->gone || s->replaced) {
		/*
		 * The connection closed while its token was being resumed:
		 * it keeps its own id (the teardown takes that out of the
		 * registry) and takes nothing over.  Its hold counts only
		 * if nobody else held the session (store.h): releasing it
		 * leaves any other holder, here or on another node, alone.
		 */
		c->store->ops->session_release(c->store, res->user_id,
		    res->holder, chat_wall(c), chat_hello_released, s);
		return;
	}
	/* From here the store session is this connection's to release. */
	s->has_token = true;
	s->holder = res->holder;
	s->claim = res->held;
	memset(&s->next_user, 0, sizeof s->next_user);
	memcpy(s->next_user.id, res->user_id, sizeof s->next_user.id);
	memcpy(s->next_user.name, res->name, sizeof s->next_user.name);
	c->reg->ops->offline(c->reg, s->user.id, chat_at(c, s),
	    chat_hello_offline, s);
}

void
chat_hello(struct chat *c, struct session *s, const struct proto_msg *req)
{
	char		token[CHAT_TOKEN_LEN + 1];
	unsigned char	hash[CHAT_TOKEN_HASH_SIZE];

	if (s->hello_closed) {
		chat_error(c, s, PROTO_ERR_HELLO_FIRST);
		chat_done(c, s);
		return;
	}
	if (req->token == NULL) {
		if (store_token_new(token, hash) == -1 ||
		    chat_stash(s, token, strlen(token)) == -1) {
			chat_error(c, s, "out of memory");
			chat_done(c, s);
			return;
		}
		c->store->ops->session_create(c->store, s->user.id, hash,
		    chat_wall(c), chat_hello_created, s);
		return;
	}
	if (chat_stash(s, req->token, strlen(req->token)) == -1) {
		chat_error(c, s, "out of memory");
		chat_done(c, s);
		return;
	}
	store_token_hash(req->token, strlen(req->token), hash);
	c->store->ops->session_resume(c->store, hash, chat_wall(c),
	    chat_hello_resumed, s);
}

/* nick: the store grants the name, then the registry tells the room. */
static void
chat_nick_done(void *arg, const struct reg_result *res)
{
	struct proto_msg	msg = { .action = PROTO_NICK };

	CHAT_CB_START(arg);
	if (res->status != REG_OK)
		chat_status_error(c, s, res->status == REG_ERR_DOWN);
	else if (!s->replied) {
		msg.user_id = s->user.id;
		msg.name = s->user.name;
		chat_reply(c, s, &msg);
	}
	chat_done(c, s);
}

static void
chat_nick_stored(void *arg, const struct store_result *res)
{
	CHAT_CB_START(arg);
	if (res->status == STORE_ERR_TAKEN) {
		chat_error_fmt(c, s, "name ", s->req_str, s->req_len,
		    " is taken");
		chat_done(c, s);
		return;
	}
	if (res->status != STORE_OK || s->gone || s->replaced) {
		chat_status_error(c, s, chat_store_down(res));
		chat_done(c, s);
		return;
	}
	snprintf(s->user.name, sizeof s->user.name, "%s", s->req_str);
	c->reg->ops->nick(c->reg, &s->user, chat_at(c, s), chat_nick_done, s);
}

/* history: a page of the room's messages, oldest first. */
static void
chat_history_done(void *arg, const struct store_result *res)
{
	struct proto_msg	 msg = { .action = PROTO_HISTORY };
	struct proto_entry	*e = NULL;
	char			(*nums)[2][CHAT_ID_SIZE] = NULL;
	size_t			 i;

	CHAT_CB_START(arg);
	if (res->status != STORE_OK ||
	    (e = calloc(res->n + 1, sizeof *e)) == NULL ||
	    (nums = calloc(res->n + 1, sizeof *nums)) == NULL) {
		chat_status_error(c, s, chat_store_down(res));
		goto out;
	}
	for (i = 0; i < res->n; i++) {
		e[i].seq = chat_u64(nums[i][0], res->msgs[i].seq);
		e[i].ts = chat_u64(nums[i][1], res->msgs[i].ts);
		e[i].user_id = res->msgs[i].user_id;
		e[i].name = res->msgs[i].name;
		e[i].message = res->msgs[i].text;
		e[i].message_len = res->msgs[i].text_len;
	}
	msg.room = s->req_str;
	msg.room_len = s->req_len;
	msg.entries = e;
	msg.nentries = res->n;
	msg.has_entries = true;
	chat_reply(c, s, &msg);
out:
	free(e);
	free(nums);
	chat_done(c, s);
}

/* Decimal digits (checked by the decoder), saturating at 2^64-1. */
static uint64_t
chat_parse_u64(const char *s)
{
	uint64_t	v = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

void
chat_history(struct chat *c, struct session *s, const struct proto_msg *req)
{
	struct store_query	q;

	if (chat_stash(s, req->room, req->room_len) == -1) {
		chat_error(c, s, "out of memory");
		chat_done(c, s);
		return;
	}
	memset(&q, 0, sizeof q);
	q.room = s->req_str;
	q.room_len = s->req_len;
	q.limit = req->limit != NULL ? (unsigned)chat_parse_u64(req->limit) :
	    CHAT_HISTORY_PAGE_DEFAULT;
	if ((q.has_before = req->before != NULL))
		q.before = chat_parse_u64(req->before);
	if ((q.has_after = req->after != NULL))
		q.after = chat_parse_u64(req->after);
	c->store->ops->history_query(c->store, &q, chat_history_done, s);
}

void
chat_nick(struct chat *c, struct session *s, const struct proto_msg *req)
{
	if (chat_stash(s, req->name, req->name_len) == -1) {
		chat_error(c, s, "out of memory");
		chat_done(c, s);
		return;
	}
	c->store->ops->name_set(c->store, s->user.id, s->req_str,
	    chat_wall(c), chat_nick_stored, s);
}
