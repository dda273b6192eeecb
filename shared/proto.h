/*
 * The chat protocol (doc/protocol.md, versions 1 and 2): one message type, a strict
 * decoder for client requests (server side) that yields exactly the error
 * texts of the contract, a lenient decoder for server messages (client side),
 * and one encoder used by both programs.
 */
#ifndef CHAT_PROTO_H
#define CHAT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

enum proto_action {
	PROTO_UNKNOWN = 0,	/* an action this build does not know */
	PROTO_CONNECTION,
	PROTO_JOIN,
	PROTO_LEAVE,
	PROTO_ERROR,
	PROTO_PRIVATE_MESSAGE,
	PROTO_ROOM_MESSAGE,
	PROTO_ROOMS,
	PROTO_PARTICIPANTS,
	PROTO_HELLO,		/* version 2 from here on */
	PROTO_NICK,
	PROTO_HISTORY,
};

/*
 * One history entry; name NULL or "" when none.  To encode, point the
 * fields at anything; after proto_decode they are owned by the message
 * (see proto_decode for which entries are kept).
 */
struct proto_entry {
	const char	*seq;
	const char	*ts;
	const char	*user_id;
	const char	*name;
	const char	*message;
	size_t		 message_len;
};

/*
 * One protocol message.  Absent fields are NULL.  JSON strings may hold
 * U+0000, so every string comes with its length in bytes.  After a decode
 * every string is owned by the message (free with proto_msg_free), is
 * NUL-terminated, and its length is set: it may hold NUL bytes before that
 * terminator (a room name never does: it is refused).  For an encode the
 * caller may point the fields at anything it likes; a length of 0 means
 * "NUL-terminated, use strlen()", so callers that fill in only the pointers
 * keep working.  List entries are always NUL-terminated.
 */
struct proto_msg {
	enum proto_action	 action;
	char			*action_name;	/* as received (decode only) */
	size_t			 action_name_len;
	char			*room;
	size_t			 room_len;
	char			*user_id;
	size_t			 user_id_len;
	char			*message;
	size_t			 message_len;	/* bytes, after JSON decoding */
	char			*ts;		/* extension: server time, ms */
	size_t			 ts_len;
	char			*name;		/* version 2 from here on */
	size_t			 name_len;
	char			*token;
	char			*epoch;
	char			*seq;
	char			*limit;		/* history request */
	char			*before;
	char			*after;
	char		       **list;		/* "rooms" or "participants" */
	size_t			 nlist;
	bool			 has_list;	/* list present (may be empty) */
	char		       **list2;		/* "names" (participants) or
						 * "features" (hello) */
	size_t			 nlist2;
	bool			 has_list2;
	struct proto_entry	*entries;	/* history "messages" */
	size_t			 nentries;
	bool			 has_entries;
};

/* Error texts of doc/protocol.md that take no argument. */
#define PROTO_ERR_INVALID_JSON		"invalid JSON"
#define PROTO_ERR_MISSING_ACTION	"missing action"
#define PROTO_ERR_INVALID_ROOM		"invalid room name"
#define PROTO_ERR_INVALID_MESSAGE	"invalid message"
#define PROTO_ERR_NOT_IN_ROOM_LEAVE	"user was not in a room"
#define PROTO_ERR_NOT_IN_ROOM		"user is not in a room"
#define PROTO_ERR_BINARY		"binary frames are not supported"
#define PROTO_ERR_RATE_LIMIT		"rate limit exceeded"
#define PROTO_ERR_INVALID_TOKEN		"invalid token"
#define PROTO_ERR_HELLO_FIRST		"hello must be the first request"
#define PROTO_ERR_INVALID_NAME		"invalid name"
#define PROTO_ERR_INVALID_LIMIT		"invalid limit"
#define PROTO_ERR_INVALID_SEQ		"invalid seq"

/* WebSocket close code: another connection resumed this session. */
#define PROTO_CLOSE_REPLACED		4000

/*
 * Server side: decode and validate one client request of len bytes (need
 * not be NUL-terminated).  message_max is the largest message text in bytes.
 * On success returns 0 and fills *msg.  On failure returns -1, leaves *msg
 * empty and stores in *error a malloc'd, NUL-terminated error text (the
 * "message" of the error reply, e.g. "missing field: room") that the caller
 * frees, and its length in *error_len (when not NULL): the text may hold
 * NUL bytes ("unknown action: X" repeats X as sent).  *error is NULL only
 * when out of memory.
 * Faults are reported in the contract's order: JSON, action, required
 * fields, field values.  State errors are the caller's business.
 */
int	proto_decode_request(const char *buf, size_t len, size_t message_max,
	    struct proto_msg *msg, char **error, size_t *error_len);
/*
 * The same for a client of the given protocol version: version 1 knows
 * hello (its way to version 2) but not nick or history ("unknown action");
 * version 2 also takes private_message by "name" (user_id wins when both
 * are strings), and checks hello's token ("invalid token"), nick's name
 * ("invalid name") and history's limit, before and after ("invalid
 * limit", "invalid seq"; the default limit is filled in).
 */
int	proto_decode_request_v(const char *buf, size_t len, size_t message_max,
	    unsigned version, struct proto_msg *msg, char **error,
	    size_t *error_len);

/*
 * Client side: decode one server message.  Lenient: unknown keys are
 * ignored, an unknown action gives PROTO_UNKNOWN, wrongly typed fields are
 * treated as absent, list entries holding U+0000 are dropped.  A history
 * reply's "messages" become entries (has_entries): at most
 * CHAT_HISTORY_PAGE_MAX, oldest first, each an object with seq (ASCII
 * digits), user_id and message strings; ts (ASCII digits) and name (not
 * empty) are NULL when absent or wrongly typed; an entry missing any of the
 * three, or holding U+0000 anywhere but in message, is dropped.  Returns -1
 * only when buf is not a JSON object with a string "action".
 */
int	proto_decode(const char *buf, size_t len, struct proto_msg *msg);

/*
 * Encode msg as compact JSON: "action" first, then "room", "user_id",
 * "name", "token", "epoch", "message", "ts", "seq", "limit", "before",
 * "after" when non-NULL, then the
 * list as "rooms" (PROTO_ROOMS) or "participants" (PROTO_PARTICIPANTS)
 * when has_list, list2 as "names" (PROTO_PARTICIPANTS) or "features"
 * (PROTO_HELLO) when has_list2, and entries as "messages" when
 * has_entries.  Strings are written
 * by their lengths (0: strlen(), see struct proto_msg), so U+0000 goes out
 * as \u0000.  Returns a malloc'd, NUL-terminated string and its length in
 * *len, or NULL on allocation failure.  Output is always valid JSON (given
 * UTF-8 strings); control characters are escaped.
 */
char	*proto_encode(const struct proto_msg *msg, size_t *len);

/* Shorthand: {"action":"error","message":text}. */
char	*proto_encode_error(const char *text, size_t *len);

void	 proto_msg_free(struct proto_msg *msg);

const char *proto_action_name(enum proto_action action);
enum proto_action proto_action_lookup(const char *name);

/* 1..CHAT_NAME_MAX bytes of [A-Za-z0-9_-], starting with a letter. */
bool	 proto_name_valid(const char *name, size_t len);
/* A non-empty string of ASCII digits that fits in 64 bits. */
bool	 proto_digits_valid(const char *s, size_t len);

/* 1..CHAT_ROOM_NAME_MAX bytes, no U+0000-U+001F, U+007F, U+0080-U+009F. */
bool	 proto_room_name_valid(const char *name, size_t len);

#endif
