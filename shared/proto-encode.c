/*
 * The chat protocol's encoder (proto.h): JSON written directly into one
 * buffer of exactly the right size.  The server encodes each message once
 * per protocol version it goes out in, so no cJSON tree is built.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* The length of a string to encode: 0 means it is NUL-terminated. */
static size_t
proto_len(const char *s, size_t len)
{
	return (len != 0 ? len : strlen(s));
}

/* Bytes s (len bytes) takes as the inside of a JSON string. */
static size_t
proto_escaped_len(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0, i;

	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
		case '\\':
		case '\b':
		case '\f':
		case '\n':
		case '\r':
		case '\t':
			n += 2;
			break;
		default:
			n += p[i] < 0x20 ? 6 : 1;
			break;
		}
	}
	return (n);
}

/* Write s (len bytes) as a quoted JSON string at out; returns the end. */
static char *
proto_put_string(char *out, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	*out++ = '"';
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
		case '\\':
			*out++ = '\\';
			*out++ = (char)p[i];
			break;
		case '\b':
			*out++ = '\\';
			*out++ = 'b';
			break;
		case '\f':
			*out++ = '\\';
			*out++ = 'f';
			break;
		case '\n':
			*out++ = '\\';
			*out++ = 'n';
			break;
		case '\r':
			*out++ = '\\';
			*out++ = 'r';
			break;
		case '\t':
			*out++ = '\\';
			*out++ = 't';
			break;
		default:
			if (p[i] < 0x20) {
				memcpy(out, "\\u00", 4);
				out[4] = hex[p[i] >> 4];
				out[5] = hex[p[i] & 0xf];
				out += 6;
			} else
				*out++ = (char)p[i];
			break;
		}
	}
	*out++ = '"';
	return (out);
}

/*
 * The encoder runs twice over a message: once counting (out NULL), once
 * writing into a buffer of exactly that size.
 */
struct proto_out {
	char	*out;
	size_t	 size;
};

static void
proto_raw(struct proto_out *o, const char *s, size_t len)
{
	if (o->out != NULL) {
		memcpy(o->out, s, len);
		o->out += len;
	}
	o->size += len;
}

static void
proto_str(struct proto_out *o, const char *s, size_t len)
{
	if (o->out != NULL)
		o->out = proto_put_string(o->out, s, len);
	o->size += 2 + proto_escaped_len(s, len);
}

/* ,"key": */
static void
proto_key(struct proto_out *o, const char *key)
{
	proto_raw(o, ",\"", 2);
	proto_raw(o, key, strlen(key));
	proto_raw(o, "\":", 2);
}

/* ,"key":"value" when value is not NULL (len 0: strlen). */
static void
proto_field(struct proto_out *o, const char *key, const char *value,
    size_t len)
{
	if (value == NULL)
		return;
	proto_key(o, key);
	proto_str(o, value, proto_len(value, len));
}

/* ,"key":["...",...] */
static void
proto_list(struct proto_out *o, const char *key, char *const *list, size_t n)
{
	const char	*entry;
	size_t		 i;

	proto_key(o, key);
	proto_raw(o, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			proto_raw(o, ",", 1);
		entry = list[i] != NULL ? list[i] : "";
		proto_str(o, entry, strlen(entry));
	}
	proto_raw(o, "]", 1);
}

/* ,"messages":[{"seq":..,"ts":..,"user_id":..,"name":..,"message":..},..] */
static void
proto_entries(struct proto_out *o, const struct proto_entry *e, size_t n)
{
	size_t	i;

	proto_key(o, "messages");
	proto_raw(o, "[", 1);
	for (i = 0; i < n; i++) {
		proto_raw(o, i > 0 ? ",{\"seq\":" : "{\"seq\":", i > 0 ? 8 : 7);
		proto_str(o, e[i].seq, strlen(e[i].seq));
		proto_field(o, "ts", e[i].ts, 0);
		proto_field(o, "user_id", e[i].user_id, 0);
		if (e[i].name != NULL && e[i].name[0] != '\0')
			proto_field(o, "name", e[i].name, 0);
		proto_key(o, "message");
		proto_str(o, e[i].message, e[i].message_len);
		proto_raw(o, "}", 1);
	}
	proto_raw(o, "]", 1);
}

static void
proto_encode_to(struct proto_out *o, const struct proto_msg *msg,
    const char *action, size_t action_len)
{
	proto_raw(o, "{\"action\":", 10);
	proto_str(o, action, action_len);
	proto_field(o, "room", msg->room, msg->room_len);
	proto_field(o, "user_id", msg->user_id, msg->user_id_len);
	proto_field(o, "name", msg->name, msg->name_len);
	proto_field(o, "token", msg->token, 0);
	proto_field(o, "epoch", msg->epoch, 0);
	proto_field(o, "message", msg->message, msg->message_len);
	proto_field(o, "ts", msg->ts, msg->ts_len);
	proto_field(o, "seq", msg->seq, 0);
	proto_field(o, "limit", msg->limit, 0);
	proto_field(o, "before", msg->before, 0);
	proto_field(o, "after", msg->after, 0);
	if (msg->has_list && msg->action == PROTO_ROOMS)
		proto_list(o, "rooms", msg->list, msg->nlist);
	else if (msg->has_list && msg->action == PROTO_PARTICIPANTS)
		proto_list(o, "participants", msg->list, msg->nlist);
	if (msg->has_list2 && msg->action == PROTO_PARTICIPANTS)
		proto_list(o, "names", msg->list2, msg->nlist2);
	else if (msg->has_list2 && msg->action == PROTO_HELLO)
		proto_list(o, "features", msg->list2, msg->nlist2);
	if (msg->has_entries)
		proto_entries(o, msg->entries, msg->nentries);
	proto_raw(o, "}", 1);
}

char *
proto_encode(const struct proto_msg *msg, size_t *len)
{
	struct proto_out	 o = { NULL, 0 };
	const char		*action;
	size_t			 action_len = 0;
	char			*buf;

	action = proto_action_name(msg->action);
	if (msg->action == PROTO_UNKNOWN && msg->action_name != NULL) {
		action = msg->action_name;
		action_len = msg->action_name_len;
	}
	action_len = proto_len(action, action_len);
	proto_encode_to(&o, msg, action, action_len);
	if ((buf = malloc(o.size + 1)) == NULL)
		return (NULL);
	o.out = buf;
	o.size = 0;
	proto_encode_to(&o, msg, action, action_len);
	*o.out = '\0';
	if (len != NULL)
		*len = o.size;
	return (buf);
}

char *
proto_encode_error(const char *text, size_t *len)
{
	struct proto_msg	msg;

	memset(&msg, 0, sizeof msg);
	msg.action = PROTO_ERROR;
	msg.message = (char *)text;
	return (proto_encode(&msg, len));
}
