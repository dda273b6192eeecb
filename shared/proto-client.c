/*
 * The chat protocol, client side: the lenient decoder of server messages
 * (see proto_decode in proto.h).  Unknown keys are ignored and wrongly
 * typed fields are absent, so a newer server never breaks an older client.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat-limits.h"
#include "proto.h"
#include "proto-doc.h"

/*
 * Client side: the strings of a JSON array.  Non-strings are skipped, and
 * so are strings holding U+0000: no room name or id does.
 */
static int
proto_decode_list(const struct proto_doc *doc, const cJSON *array,
    struct proto_msg *msg)
{
	const cJSON	*item;
	size_t		 n = 0, len;
	char		*s;

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
		if (proto_copy(doc, item->valuestring, &s, &len) != 0)
			return (-1);
		if (strlen(s) != len) {
			free(s);
			continue;
		}
		msg->list[msg->nlist++] = s;
	}
	return (0);
}

/*
 * Client side: string key of the object item as a C string (*dst NULL when
 * absent, wrongly typed, holding U+0000, or not digits when digits).
 */
static int
proto_item_cstr(const struct proto_doc *doc, const cJSON *item,
    const char *key, bool digits, char **dst)
{
	size_t	len;

	*dst = NULL;
	item = cJSON_GetObjectItemCaseSensitive(item, key);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return (0);
	if (proto_copy(doc, item->valuestring, dst, &len) != 0)
		return (-1);
	if (strlen(*dst) != len || (digits && !proto_digits_valid(*dst, len))) {
		free(*dst);
		*dst = NULL;
	}
	return (0);
}

/* Client side: one history entry into e; *kept false when dropped. */
static int
proto_decode_entry(const struct proto_doc *doc, const cJSON *item,
    struct proto_entry *e, bool *kept)
{
	const cJSON	*text;
	char		*s[4] = { NULL, NULL, NULL, NULL }, *message = NULL;
	size_t		 i;
	int		 rc = -1;

	*kept = false;
	text = cJSON_GetObjectItemCaseSensitive(item, "message");
	if (proto_item_cstr(doc, item, "seq", true, &s[0]) != 0 ||
	    proto_item_cstr(doc, item, "ts", true, &s[1]) != 0 ||
	    proto_item_cstr(doc, item, "user_id", false, &s[2]) != 0 ||
	    proto_item_cstr(doc, item, "name", false, &s[3]) != 0 ||
	    (cJSON_IsString(text) && text->valuestring != NULL &&
	    proto_copy(doc, text->valuestring, &message, &e->message_len) != 0))
		goto out;
	rc = 0;
	if (s[0] == NULL || s[2] == NULL || message == NULL)
		goto out;
	if (s[3] != NULL && *s[3] == '\0') {
		free(s[3]);
		s[3] = NULL;
	}
	e->seq = s[0];
	e->ts = s[1];
	e->user_id = s[2];
	e->name = s[3];
	e->message = message;
	*kept = true;
	return (0);
out:
	for (i = 0; i < 4; i++)
		free(s[i]);
	free(message);
	e->message_len = 0;
	return (rc);
}

/* Client side: a history reply's "messages" (see proto.h). */
static int
proto_decode_entries(const struct proto_doc *doc, const cJSON *array,
    struct proto_msg *msg)
{
	const cJSON	*item;
	size_t		 n = 0;
	bool		 kept;

	msg->has_entries = true;
	cJSON_ArrayForEach(item, array) {
		if (cJSON_IsObject(item) && n < CHAT_HISTORY_PAGE_MAX)
			n++;
	}
	if (n == 0)
		return (0);
	if ((msg->entries = calloc(n, sizeof *msg->entries)) == NULL)
		return (-1);
	cJSON_ArrayForEach(item, array) {
		if (msg->nentries == n)
			break;
		if (!cJSON_IsObject(item))
			continue;
		if (proto_decode_entry(doc, item, &msg->entries[msg->nentries],
		    &kept) != 0)
			return (-1);
		if (kept)
			msg->nentries++;
	}
	return (0);
}

/* Client side: the version 2 strings a client may need. */
static int
proto_decode_v2_strings(const struct proto_doc *doc, struct proto_msg *msg)
{
	size_t	len;

	if (proto_doc_string(doc, "token", &msg->token, &len) != 0 ||
	    proto_doc_string(doc, "epoch", &msg->epoch, &len) != 0 ||
	    proto_doc_string(doc, "seq", &msg->seq, &len) != 0)
		return (-1);
	return (0);
}

int
proto_decode(const char *buf, size_t len, struct proto_msg *msg)
{
	struct proto_doc	 doc;
	const char		*key = NULL;
	const cJSON		*list;

	memset(msg, 0, sizeof *msg);
	if (proto_doc_parse(&doc, buf, len) != 0)
		return (-1);
	if (proto_doc_string(&doc, "action", &msg->action_name,
	    &msg->action_name_len) != 0 || msg->action_name == NULL)
		goto fail;
	msg->action = proto_action_lookup_len(msg->action_name,
	    msg->action_name_len);

	if (proto_doc_string(&doc, "room", &msg->room, &msg->room_len) != 0 ||
	    proto_doc_string(&doc, "user_id", &msg->user_id,
	    &msg->user_id_len) != 0 ||
	    proto_doc_string(&doc, "message", &msg->message,
	    &msg->message_len) != 0 ||
	    proto_doc_string(&doc, "ts", &msg->ts, &msg->ts_len) != 0 ||
	    proto_doc_string(&doc, "name", &msg->name, &msg->name_len) != 0 ||
	    proto_decode_v2_strings(&doc, msg) != 0)
		goto fail;

	if (msg->action == PROTO_ROOMS)
		key = "rooms";
	else if (msg->action == PROTO_PARTICIPANTS)
		key = "participants";
	if (key != NULL) {
		list = cJSON_GetObjectItemCaseSensitive(doc.tree, key);
		if (cJSON_IsArray(list) &&
		    proto_decode_list(&doc, list, msg) != 0)
			goto fail;
	}
	if (msg->action == PROTO_HISTORY) {
		list = cJSON_GetObjectItemCaseSensitive(doc.tree, "messages");
		if (cJSON_IsArray(list) &&
		    proto_decode_entries(&doc, list, msg) != 0)
			goto fail;
	}
	proto_doc_free(&doc);
	return (0);

fail:
	proto_msg_free(msg);
	proto_doc_free(&doc);
	return (-1);
}

