/*
 * What shared/proto.c and shared/proto-client.c share and nothing else
 * sees: the parsed document and the helpers that copy strings out of it.
 */
#ifndef CHAT_PROTO_DOC_H
#define CHAT_PROTO_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "proto.h"

/*
 * A parsed message.  cJSON keeps strings as C strings, so a decoded U+0000
 * would cut them short ("join\u0000x" reading as "join").  So the text is
 * rewritten before parsing: each "\u0000" escape becomes the bytes 0xff
 * 0xfe and each raw 0xff byte becomes 0xff 0xff.  Neither byte occurs in
 * UTF-8 nor in anything cJSON decodes an escape to, every 0xff is followed
 * by its partner, and both are only valid inside strings: the text stays
 * exactly as valid as it was, and a key such as "room\u0000" stays a key
 * that is not "room".  A value is undone when copied out (proto_copy).
 */
struct proto_doc {
	cJSON	*tree;
	bool	 stuffed;	/* the text was rewritten */
};

/* Parse buf into doc; fails unless it is a JSON object. */
int	 proto_doc_parse(struct proto_doc *doc, const char *buf, size_t len);
void	 proto_doc_free(struct proto_doc *doc);
/*
 * Copy the decoded string src (from doc's tree) into a malloc'd,
 * NUL-terminated *dst of *len bytes, undoing the rewriting: the result may
 * hold NUL bytes.  -1 on allocation failure.
 */
int	 proto_copy(const struct proto_doc *doc, const char *src, char **dst,
	    size_t *len);
/*
 * Copy the string value of key (the first such key: duplicates are
 * ignored) into *dst and *len; *dst is NULL when it is missing or not a
 * string.  -1 on allocation failure.
 */
int	 proto_doc_string(const struct proto_doc *doc, const char *key,
	    char **dst, size_t *len);
/* The action named by name (len bytes); one holding U+0000 is none. */
enum proto_action proto_action_lookup_len(const char *name, size_t len);

#endif
