/*
 * The chat protocol: decoding with cJSON, encoding by hand.
 *
 * Decoding is strict on the server (every fault maps to one error text of
 * doc/protocol.md, reported in the contract's order) and lenient on the client
 * (proto-client.c).
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
#include "proto-doc.h"

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
	[PROTO_HELLO] = "hello",
	[PROTO_NICK] = "nick",
	[PROTO_HISTORY] = "history",
};
#define PROTO_NACTIONS \
	(sizeof proto_action_names / sizeof proto_action_names[0])

/*
 * Required string fields of each request, in the order doc/protocol.md
 * (Errors) checks them, which is the order their absence is reported in.
 */
struct proto_request {
	enum proto_action	 action;
	unsigned		 version;	/* the first that knows it */
	const char		*fields[2];
};
static const struct proto_request proto_requests[] = {
	{ PROTO_JOIN, 1, { "room", NULL } },
	{ PROTO_LEAVE, 1, { NULL, NULL } },
	{ PROTO_PRIVATE_MESSAGE, 1, { "user_id", "message" } },
	{ PROTO_ROOM_MESSAGE, 1, { "message", NULL } },
	{ PROTO_ROOMS, 1, { NULL, NULL } },
	{ PROTO_PARTICIPANTS, 1, { "room", NULL } },
	{ PROTO_HELLO, 1, { NULL, NULL } },
	{ PROTO_NICK, 2, { "name", NULL } },
	{ PROTO_HISTORY, 2, { "room", NULL } },
};

static const char	 proto_nul_escape[] = "\\u0000";
#define PROTO_ESCAPE_LEN	(sizeof proto_nul_escape - 1)
#define PROTO_STUFF		0xff	/* first byte of each pair */
#define PROTO_STUFF_NUL		0xfe	/* 0xff 0xfe: U+0000 */

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

bool
proto_name_valid(const char *name, size_t len)
{
	size_t	i;

	if (name == NULL || len == 0 || len > CHAT_NAME_MAX ||
	    !((name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= 'A' && name[0] <= 'Z')))
		return (false);
	for (i = 0; i < len; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_' || name[i] == '-'))
			return (false);
	}
	return (true);
}

bool
proto_digits_valid(const char *s, size_t len)
{
	size_t	i;

	if (s == NULL || len == 0)
		return (false);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
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

/*
 * cJSON takes any byte below 0x20 as whitespace and copies raw control
 * characters inside strings; JSON allows neither.  A raw NUL would even
 * truncate a string.  So refuse them before parsing: outside strings only
 * space, tab, CR and LF; inside strings no byte below 0x20 at all.  Numbers
 * outside strings must match RFC 8259's grammar (proto_number_len).
 */
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

void
proto_doc_free(struct proto_doc *doc)
{
	cJSON_Delete(doc->tree);
	doc->tree = NULL;
}

/*
 * The text cJSON gets: buf rewritten as described at struct proto_doc,
 * NUL-terminated.  Most texts need no rewriting and are copied as they are.
 */
static char *
proto_doc_text(const char *buf, size_t len, bool *stuffed)
{
	const char	*end = buf + len, *p, *esc;
	char		*text, *out;
	size_t		 extra = 0;

	for (p = buf; (p = memchr(p, PROTO_STUFF, end - p)) != NULL; p++)
		extra++;
	esc = proto_next_nul_escape(buf, buf, end);
	*stuffed = (extra != 0 || esc != NULL);
	if ((text = malloc(len + extra + 1)) == NULL)
		return (NULL);
	if (!*stuffed) {
		memcpy(text, buf, len);
		text[len] = '\0';
		return (text);
	}
	for (p = buf, out = text; p < end; p++) {
		if (p == esc) {
			*out++ = (char)PROTO_STUFF;
			*out++ = (char)PROTO_STUFF_NUL;
			p += PROTO_ESCAPE_LEN - 1;
			esc = proto_next_nul_escape(buf, p + 1, end);
		} else if ((unsigned char)*p == PROTO_STUFF) {
			*out++ = (char)PROTO_STUFF;
			*out++ = (char)PROTO_STUFF;
		} else
			*out++ = *p;
	}
	*out = '\0';
	return (text);
}

/* Parse buf into doc; fails unless it is a JSON object. */
int
proto_doc_parse(struct proto_doc *doc, const char *buf, size_t len)
{
	char	*text;

	doc->tree = NULL;
	doc->stuffed = false;
	if (buf == NULL || len == 0 || !proto_raw_ok(buf, len))
		return (-1);
	if ((text = proto_doc_text(buf, len, &doc->stuffed)) == NULL)
		return (-1);
	doc->tree = proto_parse(text);
	free(text);
	if (doc->tree == NULL || !cJSON_IsObject(doc->tree)) {
		proto_doc_free(doc);
		return (-1);
	}
	return (0);
}

/*
 * Copy the decoded string src (from doc's tree) into a malloc'd,
 * NUL-terminated *dst of *len bytes, undoing the rewriting: the result may
 * hold NUL bytes.  -1 on allocation failure.
 */
int
proto_copy(const struct proto_doc *doc, const char *src, char **dst,
    size_t *len)
{
	const unsigned char	*p;
	char			*out;
	size_t			 n = strlen(src);

	if ((*dst = malloc(n + 1)) == NULL)
		return (-1);
	if (!doc->stuffed) {
		memcpy(*dst, src, n + 1);
		*len = n;
		return (0);
	}
	for (p = (const unsigned char *)src, out = *dst; *p != '\0'; p++) {
		if (*p == PROTO_STUFF && p[1] != '\0') {
			p++;
			*out++ = *p == PROTO_STUFF_NUL ? '\0' : (char)*p;
		} else
			*out++ = (char)*p;
	}
	*out = '\0';
	*len = (size_t)(out - *dst);
	return (0);
}

/*
 * Copy the string value of key (the first such key: duplicates are
 * ignored) into *dst and *len; *dst is NULL when it is missing or not a
 * string.  -1 on allocation failure.
 */
int
proto_doc_string(const struct proto_doc *doc, const char *key, char **dst,
    size_t *len)
{
	const cJSON	*item;

	*dst = NULL;
	*len = 0;
	item = cJSON_GetObjectItemCaseSensitive(doc->tree, key);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return (0);
	return (proto_copy(doc, item->valuestring, dst, len));
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
	free(msg->name);
	free(msg->token);
	free(msg->epoch);
	free(msg->seq);
	free(msg->limit);
	free(msg->before);
	free(msg->after);
	for (i = 0; i < msg->nlist; i++)
		free(msg->list[i]);
	free(msg->list);
	for (i = 0; i < msg->nlist2; i++)
		free(msg->list2[i]);
	free(msg->list2);
	/* Decoded entries only: an encoder never frees its message. */
	for (i = 0; i < msg->nentries; i++) {
		free((char *)msg->entries[i].seq);
		free((char *)msg->entries[i].ts);
		free((char *)msg->entries[i].user_id);
		free((char *)msg->entries[i].name);
		free((char *)msg->entries[i].message);
	}
	free(msg->entries);
	memset(msg, 0, sizeof *msg);
}

/* prefix and then what (wlen bytes, may hold NUL), malloc'd. */
static char *
proto_error_fmt(const char *prefix, const char *what, size_t wlen,
    size_t *len)
{
	size_t	 plen = strlen(prefix);
	char	*s;

	if ((s = malloc(plen + wlen + 1)) == NULL)
		return (NULL);
	memcpy(s, prefix, plen);
	memcpy(s + plen, what, wlen);
	s[plen + wlen] = '\0';
	*len = plen + wlen;
	return (s);
}

/*
 * Value checks of one required field.  U+0000 is a control character, so
 * not allowed in a room name; in a message it is text like any other.
 */
static const char *
proto_check_field(enum proto_action a, const char *field, const char *value,
    size_t len, size_t message_max)
{
	if (strcmp(field, "room") == 0 && a == PROTO_HISTORY)
		return (NULL);		/* any string */
	if (strcmp(field, "name") == 0) {
		if (len != 0 && !proto_name_valid(value, len))
			return (PROTO_ERR_INVALID_NAME);
	} else if (strcmp(field, "room") == 0) {
		if (!proto_room_name_valid(value, len))
			return (PROTO_ERR_INVALID_ROOM);
	} else if (strcmp(field, "message") == 0) {
		if (len == 0 || len > message_max)
			return (PROTO_ERR_INVALID_MESSAGE);
	}
	return (NULL);
}

/* The action named by name (len bytes); one holding U+0000 is none. */
enum proto_action
proto_action_lookup_len(const char *name, size_t len)
{
	if (memchr(name, '\0', len) != NULL)
		return (PROTO_UNKNOWN);
	return (proto_action_lookup(name));
}

/*
 * An optional string field of a version 2 request: *dst NULL when absent;
 * *bad when present but not a string of ASCII digits (empty_ok: or, for
 * hello's token, not a non-empty string).
 */
static int
proto_doc_optional(const struct proto_doc *doc, const char *key, bool digits,
    char **dst, bool *bad)
{
	const cJSON	*item;
	size_t		 len;

	*dst = NULL;
	*bad = false;
	item = cJSON_GetObjectItemCaseSensitive(doc->tree, key);
	if (item == NULL)
		return (0);
	if (proto_doc_string(doc, key, dst, &len) != 0)
		return (-1);
	if (*dst == NULL || len == 0 || (digits && !proto_digits_valid(*dst,
	    len)) || (!digits && strlen(*dst) != len))
		*bad = true;
	return (0);
}

/* The version 2 checks after the required fields (see proto.h). */
static int
proto_decode_v2(const struct proto_doc *doc, struct proto_msg *msg,
    const char **fault)
{
	bool		 bad;
	unsigned long	 limit;
	const char	*p;

	*fault = NULL;
	if (msg->action == PROTO_HELLO) {
		if (proto_doc_optional(doc, "token", false, &msg->token,
		    &bad) != 0)
			return (-1);
		if (bad)
			*fault = PROTO_ERR_INVALID_TOKEN;
	} else if (msg->action == PROTO_HISTORY) {
		if (proto_doc_optional(doc, "limit", true, &msg->limit,
		    &bad) != 0)
			return (-1);
		/* Leading zeros are digits too: "0200" is 200. */
		for (p = msg->limit, limit = 0; p != NULL && *p != '\0'; p++)
			if ((limit = limit * 10 + (unsigned long)(*p - '0')) >
			    CHAT_HISTORY_PAGE_MAX)
				break;
		if (bad || (msg->limit != NULL && (limit < 1 ||
		    limit > CHAT_HISTORY_PAGE_MAX))) {
			*fault = PROTO_ERR_INVALID_LIMIT;
			return (0);
		}
		if (proto_doc_optional(doc, "before", true, &msg->before,
		    &bad) != 0)
			return (-1);
		if (!bad && proto_doc_optional(doc, "after", true,
		    &msg->after, &bad) != 0)
			return (-1);
		if (bad)
			*fault = PROTO_ERR_INVALID_SEQ;
	}
	return (0);
}

int
proto_decode_request(const char *buf, size_t len, size_t message_max,
    struct proto_msg *msg, char **error, size_t *error_len)
{
	return (proto_decode_request_v(buf, len, message_max, 1, msg, error,
	    error_len));
}

int
proto_decode_request_v(const char *buf, size_t len, size_t message_max,
    unsigned version, struct proto_msg *msg, char **error, size_t *error_len)
{
	struct proto_doc		 doc;
	const struct proto_request	*req = NULL;
	const char			*field, *fault;
	char				*action = NULL, *values[2] = { NULL, NULL };
	size_t				 action_len, lens[2], i, elen = 0;
	enum proto_action		 a;

	memset(msg, 0, sizeof *msg);
	*error = NULL;

	if (proto_doc_parse(&doc, buf, len) != 0) {
		*error = strdup(PROTO_ERR_INVALID_JSON);
		goto out;
	}
	if (proto_doc_string(&doc, "action", &action, &action_len) != 0)
		goto nomem;
	if (action == NULL) {
		*error = strdup(PROTO_ERR_MISSING_ACTION);
		goto fail;
	}
	a = proto_action_lookup_len(action, action_len);
	for (i = 0; i < sizeof proto_requests / sizeof proto_requests[0]; i++) {
		if (proto_requests[i].action == a &&
		    proto_requests[i].version <= version)
			req = &proto_requests[i];
	}
	if (req == NULL) {
		*error = proto_error_fmt("unknown action: ", action,
		    action_len, &elen);
		goto fail;
	}

	/* Every required field present before any value is judged. */
	for (i = 0; i < 2 && (field = req->fields[i]) != NULL; i++) {
		if (proto_doc_string(&doc, field, &values[i], &lens[i]) != 0)
			goto nomem;
		/* Version 2: a private message may name its target. */
		if (values[i] == NULL && version >= 2 &&
		    strcmp(field, "user_id") == 0) {
			if (proto_doc_string(&doc, "name", &msg->name,
			    &msg->name_len) != 0)
				goto nomem;
			if (msg->name != NULL)
				continue;
		}
		if (values[i] == NULL) {
			*error = proto_error_fmt("missing field: ", field,
			    strlen(field), &elen);
			goto fail;
		}
	}
	for (i = 0; i < 2 && (field = req->fields[i]) != NULL; i++) {
		if (values[i] == NULL)
			continue;	/* user_id given by name */
		fault = proto_check_field(a, field, values[i], lens[i],
		    message_max);
		if (fault != NULL) {
			*error = strdup(fault);
			goto fail;
		}
	}
	msg->action = a;
	if (proto_decode_v2(&doc, msg, &fault) != 0)
		goto nomem;
	if (fault != NULL) {
		*error = strdup(fault);
		goto fail;
	}

	/* Only the fields the action uses are kept; the rest is ignored. */
	msg->action = a;
	msg->action_name = action;
	msg->action_name_len = action_len;
	for (i = 0; i < 2 && (field = req->fields[i]) != NULL; i++) {
		if (strcmp(field, "room") == 0) {
			msg->room = values[i];
			msg->room_len = lens[i];
		} else if (strcmp(field, "user_id") == 0) {
			msg->user_id = values[i];
			msg->user_id_len = lens[i];
		} else if (strcmp(field, "name") == 0) {
			msg->name = values[i];
			msg->name_len = lens[i];
		} else {
			msg->message = values[i];
			msg->message_len = lens[i];
		}
	}
	proto_doc_free(&doc);
	return (0);

nomem:
	*error = NULL;
fail:
	/* *error stays NULL only when even that allocation failed. */
	free(action);
	free(values[0]);
	free(values[1]);
	msg->action_name = NULL;
	proto_msg_free(msg);
	proto_doc_free(&doc);
out:
	if (error_len != NULL)
		*error_len = *error == NULL ? 0 : elen != 0 ? elen :
		    strlen(*error);
	return (-1);
}
