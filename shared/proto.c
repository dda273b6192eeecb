/*
 * The chat protocol: decoding with cJSON, encoding by hand.
 *
 * Decoding is strict on the server (every fault maps to one error text of
 * PROTOCOL.md, reported in the contract's order) and lenient on the client.
 * Encoding writes the JSON directly into one buffer of exactly the right
 * size: the server encodes once per broadcast, so no cJSON tree is built.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem */
#endif

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat-limits.h"
#include "proto.h"

/* Indexed by enum proto_action. */
static const char *proto_action_names[] = {
	[PROTO_UNKNOWN] = "unknown",
	[PROTO_CONNECTION] = "connection",
	[PROTO_JOIN] = "join",
	[PROTO_LEAVE] = "leave",
	[PROTO_ERROR] = "error",
	[PROTO_PRIVATE_MESSAGE] = "private_message",
	[PROTO_ROOM_MESSAGE] = "room_message",
	[PROTO_ROOMS] = "rooms",
	[PROTO_PARTICIPANTS] = "participants",
};
#define PROTO_NACTIONS \
	(sizeof proto_action_names / sizeof proto_action_names[0])

/*
 * Required string fields of each request, in the order of the request table
 * of PROTOCOL.md (which is the order their absence is reported in).
 */
struct proto_request {
	enum proto_action	 action;
	const char		*fields[2];
};
static const struct proto_request proto_requests[] = {
	{ PROTO_JOIN, { "room", NULL } },
	{ PROTO_LEAVE, { NULL, NULL } },
	{ PROTO_PRIVATE_MESSAGE, { "user_id", "message" } },
	{ PROTO_ROOM_MESSAGE, { "message", NULL } },
	{ PROTO_ROOMS, { NULL, NULL } },
	{ PROTO_PARTICIPANTS, { "room", NULL } },
};

/*
 * A parsed message.  cJSON decodes "\u0000" into a NUL byte inside its C
 * strings, which silently truncates them ("join\u0000x" would read as
 * "join").  So when the text holds such an escape it is parsed twice: tree
 * from a copy where every "\u0000" became "\ufffd" (same length), raw from
 * the original.  Both trees have the same shape; a value held a NUL exactly
 * when its twin in raw differs from it.
 */
struct proto_doc {
	cJSON	*tree;
	cJSON	*raw;		/* NULL when there was no "\u0000" */
};

static const char	 proto_nul_escape[] = "\\u0000";
static const char	 proto_nul_subst[] = "\\ufffd";
#define PROTO_ESCAPE_LEN	(sizeof proto_nul_escape - 1)

const char *
proto_action_name(enum proto_action action)
{
	if ((size_t)action >= PROTO_NACTIONS)
		return (proto_action_names[PROTO_UNKNOWN]);
	return (proto_action_names[action]);
}

enum proto_action
proto_action_lookup(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (PROTO_UNKNOWN);
	for (i = 1; i < PROTO_NACTIONS; i++) {
		if (strcmp(name, proto_action_names[i]) == 0)
			return ((enum proto_action)i);
	}
	return (PROTO_UNKNOWN);
}

bool
proto_room_name_valid(const char *name, size_t len)
{
	const unsigned char	*p = (const unsigned char *)name;
	size_t			 i;

	if (name == NULL || len == 0 || len > CHAT_ROOM_NAME_MAX)
		return (false);
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return (false);
		/* U+0080-U+009F: 0xc2 is always a lead byte, never a tail. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return (false);
	}
	return (true);
}

/*
 * The next "\u0000" escape in buf at or after p, or NULL.  An even run of
 * backslashes before it means they escape each other ("\\u0000" is text).
 */
static const char *
proto_next_nul_escape(const char *buf, const char *p, const char *end)
{
	const char	*q;
	size_t		 run;

	while ((p = memmem(p, end - p, proto_nul_escape,
	    PROTO_ESCAPE_LEN)) != NULL) {
		for (run = 0, q = p; q > buf && q[-1] == '\\'; q--)
			run++;
		if (run % 2 == 0)
			return (p);
		p++;
	}
	return (NULL);
}

/*
 * cJSON takes any byte below 0x20 as whitespace and copies raw control
 * characters inside strings; JSON allows neither.  A raw NUL would even
 * truncate a string.  So refuse them before parsing: outside strings only
 * space, tab, CR and LF; inside strings no byte below 0x20 at all.
 */
/*
 * cJSON's number parser is strtod(), which takes "01", "1." and "-01";
 * RFC 8259 does not.  Check the grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?, and return its length, 0 if it does not match.
 */
static size_t
proto_number_len(const unsigned char *p, size_t len)
{
	size_t	i = 0, digits;

	if (i < len && p[i] == '-')
		i++;
	if (i < len && p[i] == '0')
		i++;
	else if (i < len && p[i] >= '1' && p[i] <= '9') {
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
	} else
		return (0);
	if (i < len && p[i] == '.') {
		for (digits = 0, i++; i < len && p[i] >= '0' && p[i] <= '9';
		    i++)
			digits++;
		if (digits == 0)
			return (0);
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		for (digits = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return (0);
	}
	/* A number ends at a delimiter: "01" must not pass as "0" "1". */
	if (i < len && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
	    p[i] == 'e' || p[i] == 'E' || p[i] == '-' || p[i] == '+'))
		return (0);
	return (i);
}

static bool
proto_raw_ok(const char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i, n;
	bool			 in_string = false;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 && (in_string || (p[i] != '\t' &&
		    p[i] != '\n' && p[i] != '\r')))
			return (false);
		if (!in_string && (p[i] == '-' || (p[i] >= '0' &&
		    p[i] <= '9'))) {
			if ((n = proto_number_len(p + i, len - i)) == 0)
				return (false);
			i += n - 1;
			continue;
		}
		if (p[i] == '"')
			in_string = !in_string;
		else if (p[i] == '\\' && in_string) {
			/* Skip the escaped byte; cJSON judges the escape. */
			if (++i < len && p[i] < 0x20)
				return (false);
		}
	}
	return (true);
}

/*
 * Parse one complete JSON value from text, a NUL-terminated string (it
 * holds no other NUL: proto_raw_ok).  Some cJSON releases read one byte past
 * the length they are given (CVE-2023-53154), so cJSON always gets a
 * terminated copy; being terminated, it can also refuse trailing garbage.
 */
static cJSON *
proto_parse(const char *text)
{
	return (cJSON_ParseWithOpts(text, NULL, 1));
}

static void
proto_doc_free(struct proto_doc *doc)
{
	cJSON_Delete(doc->tree);
	cJSON_Delete(doc->raw);
	doc->tree = doc->raw = NULL;
}

/* Parse buf into doc; fails unless it is a JSON object. */
static int
proto_doc_parse(struct proto_doc *doc, const char *buf, size_t len)
{
	char		*text;
	const char	*p;
	bool		 twice;

	doc->tree = doc->raw = NULL;
	if (buf == NULL || len == 0 || !proto_raw_ok(buf, len))
		return (-1);
	if ((text = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(text, buf, len);
	text[len] = '\0';

	p = proto_next_nul_escape(text, text, text + len);
	if ((twice = (p != NULL))) {
		doc->raw = proto_parse(text);
		for (; p != NULL; p = proto_next_nul_escape(text,
		    p + PROTO_ESCAPE_LEN, text + len))
			memcpy(text + (p - text), proto_nul_subst,
			    PROTO_ESCAPE_LEN);
	}
	doc->tree = proto_parse(text);
	free(text);

	if (doc->tree == NULL || !cJSON_IsObject(doc->tree) ||
	    (twice && (doc->raw == NULL || !cJSON_IsObject(doc->raw)))) {
		proto_doc_free(doc);
		return (-1);
	}
	return (0);
}

/*
 * The string value of key (the first such key: duplicates are ignored), or
 * NULL when it is missing or not a string.  *nul tells whether the decoded
 * value held U+0000 (which the returned string shows as U+FFFD).
 */
static const char *
proto_doc_string(const struct proto_doc *doc, const char *key, bool *nul)
{
	const cJSON	*item, *a, *b;

	*nul = false;
	item = cJSON_GetObjectItemCaseSensitive(doc->tree, key);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return (NULL);
	if (doc->raw != NULL) {
		a = doc->tree->child;
		b = doc->raw->child;
		while (a != NULL && b != NULL && a != item) {
			a = a->next;
			b = b->next;
		}
		if (b == NULL || !cJSON_IsString(b) || b->valuestring == NULL ||
		    strcmp(b->valuestring, item->valuestring) != 0)
			*nul = true;
	}
	return (item->valuestring);
}

void
proto_msg_free(struct proto_msg *msg)
{
	size_t	i;

	if (msg == NULL)
		return;
	free(msg->action_name);
	free(msg->room);
	free(msg->user_id);
	free(msg->message);
	free(msg->ts);
	for (i = 0; i < msg->nlist; i++)
		free(msg->list[i]);
	free(msg->list);
	memset(msg, 0, sizeof *msg);
}

static char *
proto_error_fmt(const char *prefix, const char *what)
{
	size_t	 plen = strlen(prefix), wlen = strlen(what);
	char	*s;

	if ((s = malloc(plen + wlen + 1)) == NULL)
		return (NULL);
	memcpy(s, prefix, plen);
	memcpy(s + plen, what, wlen + 1);
	return (s);
}

/* Copy a string field into *dst; -1 on allocation failure. */
static int
proto_dup(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return (0);
	}
	*dst = strdup(src);
	return (*dst == NULL ? -1 : 0);
}

/*
 * Value checks of one required field.  A room or message that held U+0000
 * is refused (a control character in a room name; a message a C string
 * cannot carry whole, and it is never truncated silently).  A user_id that
 * held U+0000 is kept with U+FFFD in its place: that can never equal a
 * decimal id, so the caller answers "user X is not on the server" as for
 * any other id that does not exist.
 */
static const char *
proto_check_field(const char *field, const char *value, bool nul,
    size_t message_max)
{
	size_t	len = strlen(value);

	if (strcmp(field, "room") == 0) {
		if (nul || !proto_room_name_valid(value, len))
			return (PROTO_ERR_INVALID_ROOM);
	} else if (strcmp(field, "message") == 0) {
		if (nul || len == 0 || len > message_max)
			return (PROTO_ERR_INVALID_MESSAGE);
	}
	return (NULL);
}

int
proto_decode_request(const char *buf, size_t len, size_t message_max,
    struct proto_msg *msg, char **error)
{
	struct proto_doc		 doc;
	const struct proto_request	*req = NULL;
	const char			*action, *values[2], *fault;
	const char			*field;
	bool				 nul, nuls[2];
	enum proto_action		 a;
	size_t				 i;
	char				**dst;

	memset(msg, 0, sizeof *msg);
	*error = NULL;

	if (proto_doc_parse(&doc, buf, len) != 0) {
		*error = strdup(PROTO_ERR_INVALID_JSON);
		return (-1);
	}

	action = proto_doc_string(&doc, "action", &nul);
	if (action == NULL) {
		*error = strdup(PROTO_ERR_MISSING_ACTION);
		goto fail;
	}
	a = nul ? PROTO_UNKNOWN : proto_action_lookup(action);
	for (i = 0; i < sizeof proto_requests / sizeof proto_requests[0]; i++) {
		if (proto_requests[i].action == a)
			req = &proto_requests[i];
	}
	if (req == NULL) {
		*error = proto_error_fmt("unknown action: ", action);
		goto fail;
	}

	/* Every required field present before any value is judged. */
	for (i = 0; i < 2 && (field = req->fields[i]) != NULL; i++) {
		values[i] = proto_doc_string(&doc, field, &nuls[i]);
		if (values[i] == NULL) {
			*error = proto_error_fmt("missing field: ", field);
			goto fail;
		}
	}
	for (i = 0; i < 2 && (field = req->fields[i]) != NULL; i++) {
		fault = proto_check_field(field, values[i], nuls[i],
		    message_max);
		if (fault != NULL) {
			*error = strdup(fault);
			goto fail;
		}
	}

	/* Only the fields the action uses are kept; the rest is ignored. */
	msg->action = a;
	if (proto_dup(&msg->action_name, action) != 0)
		goto nomem;
	for (i = 0; i < 2 && (field = req->fields[i]) != NULL; i++) {
		if (strcmp(field, "room") == 0)
			dst = &msg->room;
		else if (strcmp(field, "user_id") == 0)
			dst = &msg->user_id;
		else {
			dst = &msg->message;
			msg->message_len = strlen(values[i]);
		}
		if (proto_dup(dst, values[i]) != 0)
			goto nomem;
	}
	proto_doc_free(&doc);
	return (0);

nomem:
	proto_msg_free(msg);
	*error = NULL;
fail:
	/* *error stays NULL only when even that allocation failed. */
	proto_doc_free(&doc);
	return (-1);
}

/* Client side: the strings of a JSON array, non-strings skipped. */
static int
proto_decode_list(const cJSON *array, struct proto_msg *msg)
{
	const cJSON	*item;
	size_t		 n = 0;

	msg->has_list = true;
	cJSON_ArrayForEach(item, array) {
		if (cJSON_IsString(item) && item->valuestring != NULL)
			n++;
	}
	if (n == 0)
		return (0);
	if ((msg->list = calloc(n, sizeof *msg->list)) == NULL)
		return (-1);
	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsString(item) || item->valuestring == NULL)
			continue;
		if ((msg->list[msg->nlist] = strdup(item->valuestring)) == NULL)
			return (-1);
		msg->nlist++;
	}
	return (0);
}

int
proto_decode(const char *buf, size_t len, struct proto_msg *msg)
{
	struct proto_doc	 doc;
	const char		*action, *key = NULL;
	const cJSON		*list;
	bool			 nul;

	memset(msg, 0, sizeof *msg);
	if (proto_doc_parse(&doc, buf, len) != 0)
		return (-1);
	if ((action = proto_doc_string(&doc, "action", &nul)) == NULL) {
		proto_doc_free(&doc);
		return (-1);
	}
	msg->action = nul ? PROTO_UNKNOWN : proto_action_lookup(action);

	/* U+0000 shows as U+FFFD here: a client only displays these. */
	if (proto_dup(&msg->action_name, action) != 0 ||
	    proto_dup(&msg->room, proto_doc_string(&doc, "room", &nul)) != 0 ||
	    proto_dup(&msg->user_id,
	    proto_doc_string(&doc, "user_id", &nul)) != 0 ||
	    proto_dup(&msg->message,
	    proto_doc_string(&doc, "message", &nul)) != 0 ||
	    proto_dup(&msg->ts, proto_doc_string(&doc, "ts", &nul)) != 0)
		goto fail;
	if (msg->message != NULL)
		msg->message_len = strlen(msg->message);

	if (msg->action == PROTO_ROOMS)
		key = "rooms";
	else if (msg->action == PROTO_PARTICIPANTS)
		key = "participants";
	if (key != NULL) {
		list = cJSON_GetObjectItemCaseSensitive(doc.tree, key);
		if (cJSON_IsArray(list) && proto_decode_list(list, msg) != 0)
			goto fail;
	}
	proto_doc_free(&doc);
	return (0);

fail:
	proto_msg_free(msg);
	proto_doc_free(&doc);
	return (-1);
}

/* Bytes s takes as the inside of a JSON string. */
static size_t
proto_escaped_len(const char *s)
{
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
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
			n += *p < 0x20 ? 6 : 1;
			break;
		}
	}
	return (n);
}

/* Write s as a quoted JSON string at out; returns the end. */
static char *
proto_put_string(char *out, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p;

	*out++ = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
		case '\\':
			*out++ = '\\';
			*out++ = (char)*p;
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
			if (*p < 0x20) {
				memcpy(out, "\\u00", 4);
				out[4] = hex[*p >> 4];
				out[5] = hex[*p & 0xf];
				out += 6;
			} else
				*out++ = (char)*p;
			break;
		}
	}
	*out++ = '"';
	return (out);
}

/* Write ,"key": (or just "key": when first). */
static char *
proto_put_key(char *out, const char *key, size_t keylen)
{
	*out++ = ',';
	*out++ = '"';
	memcpy(out, key, keylen);
	out += keylen;
	*out++ = '"';
	*out++ = ':';
	return (out);
}

/* The optional string fields in output order. */
#define PROTO_NFIELDS 4
static void
proto_encode_fields(const struct proto_msg *msg, const char **names,
    const char **values)
{
	names[0] = "room";
	values[0] = msg->room;
	names[1] = "user_id";
	values[1] = msg->user_id;
	names[2] = "message";
	values[2] = msg->message;
	names[3] = "ts";
	values[3] = msg->ts;
}

char *
proto_encode(const struct proto_msg *msg, size_t *len)
{
	const char	*names[PROTO_NFIELDS], *values[PROTO_NFIELDS];
	const char	*action, *listkey = NULL;
	size_t		 size, i;
	char		*buf, *out;

	action = proto_action_name(msg->action);
	if (msg->action == PROTO_UNKNOWN && msg->action_name != NULL)
		action = msg->action_name;
	if (msg->has_list && msg->action == PROTO_ROOMS)
		listkey = "rooms";
	else if (msg->has_list && msg->action == PROTO_PARTICIPANTS)
		listkey = "participants";
	proto_encode_fields(msg, names, values);

	/* {"action":"..."} */
	size = sizeof "{\"action\":\"\"}" - 1 + proto_escaped_len(action);
	for (i = 0; i < PROTO_NFIELDS; i++) {
		if (values[i] != NULL) {
			/* ,"key":"..." */
			size += strlen(names[i]) + 6 +
			    proto_escaped_len(values[i]);
		}
	}
	if (listkey != NULL) {
		/* ,"key":[] and "...", per entry */
		size += strlen(listkey) + 6;
		for (i = 0; i < msg->nlist; i++) {
			size += (i > 0) + 2;
			if (msg->list[i] != NULL)
				size += proto_escaped_len(msg->list[i]);
		}
	}

	if ((buf = malloc(size + 1)) == NULL)
		return (NULL);
	out = buf;
	memcpy(out, "{\"action\":", 10);
	out = proto_put_string(out + 10, action);
	for (i = 0; i < PROTO_NFIELDS; i++) {
		if (values[i] != NULL) {
			out = proto_put_key(out, names[i], strlen(names[i]));
			out = proto_put_string(out, values[i]);
		}
	}
	if (listkey != NULL) {
		out = proto_put_key(out, listkey, strlen(listkey));
		*out++ = '[';
		for (i = 0; i < msg->nlist; i++) {
			if (i > 0)
				*out++ = ',';
			out = proto_put_string(out, msg->list[i] != NULL ?
			    msg->list[i] : "");
		}
		*out++ = ']';
	}
	*out++ = '}';
	*out = '\0';
	if (len != NULL)
		*len = (size_t)(out - buf);
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
