/*
 * The state of chat-tui as a plain C model: buffers with bounded
 * scrollback, the room list, the participants of the current room, focus,
 * selections, the input line, and the requests to send.  Protocol messages
 * and key events go in; state and a dirty flag come out.  No curses and no
 * network here, so all of it is unit-tested.
 */
#ifndef TUI_MODEL_H
#define TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "chat-limits.h"
#include "proto.h"
#include "tui-buffer.h"
#include "tui-edit.h"
#include "tui-mention.h"

enum tui_conn {
	TUI_CONN_DISCONNECTED,
	TUI_CONN_CONNECTING,	/* WebSocket open, no id yet */
	TUI_CONN_CONNECTED,
};

enum tui_focus {
	TUI_FOCUS_INPUT,
	TUI_FOCUS_ROOMS,
	TUI_FOCUS_USERS,
	TUI_FOCUS_MESSAGES,	/* keys scroll the message pane */
};

enum tui_prompt {
	TUI_PROMPT_NONE,
	TUI_PROMPT_JOIN,	/* the input line asks for a room name */
	TUI_PROMPT_PM,		/* the input line asks for an id */
	TUI_PROMPT_PASTE,	/* Enter sends the paste, Esc drops it */
};

enum tui_key_type {
	TUI_KEY_CHAR,		/* cp holds the code point */
	TUI_KEY_ENTER,
	TUI_KEY_TAB,
	TUI_KEY_BACKSPACE,
	TUI_KEY_DELETE,
	TUI_KEY_LEFT,
	TUI_KEY_RIGHT,
	TUI_KEY_UP,
	TUI_KEY_DOWN,
	TUI_KEY_HOME,
	TUI_KEY_END,
	TUI_KEY_PGUP,
	TUI_KEY_PGDN,
	TUI_KEY_ESC,
	TUI_KEY_KILL_LINE,	/* Ctrl-U */
	TUI_KEY_KILL_WORD,	/* Ctrl-W */
	TUI_KEY_HELP,		/* F1, Alt-h */
	TUI_KEY_JOIN,		/* F2, Alt-j */
	TUI_KEY_LEAVE,		/* F3, Alt-l */
	TUI_KEY_PM,		/* F4, Alt-m */
	TUI_KEY_QUIT,		/* F10, Ctrl-Q, Alt-q */
	TUI_KEY_FOCUS_NEXT,	/* Ctrl-O, Alt-Right */
	TUI_KEY_FOCUS_PREV,	/* Alt-Left */
	TUI_KEY_JUMP,		/* Alt-1..9, Alt-0: n holds 1..10 */
	TUI_KEY_NEXT_UNREAD,	/* Alt-a */
	TUI_KEY_NEXT_CONV,	/* Ctrl-N */
	TUI_KEY_PREV_CONV,	/* Ctrl-P */
	TUI_KEY_BOTTOM,		/* Alt-End: back to the newest line */
	TUI_KEY_KILL_END,	/* Ctrl-K */
	TUI_KEY_YANK,		/* Ctrl-Y */
	TUI_KEY_WORD_LEFT,	/* Alt-b, Ctrl-Left */
	TUI_KEY_WORD_RIGHT,	/* Alt-f, Ctrl-Right */
};

struct tui_key {
	enum tui_key_type	 type;
	uint32_t		 cp;
	int			 n;
};

/*
 * One row of the left pane: the conversations (status, rooms, private
 * ones), then the server's room directory.
 */
struct tui_entry {
	enum tui_buf_type	 type;
	bool			 directory; /* a room of the server's list */
	const char		*name;	/* wire name (NULL for status) */
	struct tui_buffer	*buf;	/* the conversation; NULL in the
					   directory */
	unsigned		 unread;
	enum tui_hot		 hot;	/* hotlist level (tui-mention.h) */
	bool			 current; /* the room we are in */
	bool			 viewed;  /* shown in the message pane */
};

struct tui_pending;
struct tui_name;
struct tui_catchup;

struct tui_model {
	enum tui_conn		 conn;
	char			*server;	/* for the status bar */
	char			*own_id;
	/*
	 * Version 2 session: the token to resume (NULL: none yet),
	 * token_dirty when the caller must save it again (NULL: remove),
	 * hello_wait while the hello reply is awaited, v1 once a server
	 * said it does not know hello (v1_said: told the user so).
	 */
	char			*token;
	bool			 token_dirty;
	bool			 hello_wait;
	bool			 v1;
	bool			 v1_said;
	char			*epoch;
	char			*own_name;	/* as the server says */
	char			*want_name;	/* -n, config: asked at hello */
	struct tui_name		*names;		/* see tui-names.c */
	size_t			 nnames;
	char			*room;		/* confirmed current room */
	char			*rejoin;	/* room to rejoin on reconnect */

	char		       **rooms;		/* last "rooms" reply */
	size_t			 nrooms;
	char		       **users;		/* participants of room */
	size_t			 nusers;

	struct tui_buffer      **bufs;		/* bufs[0] is the status buffer */
	size_t			 nbufs;
	struct tui_buffer	*view;

	enum tui_focus		 focus;
	bool			 left_shown;	/* panes the terminal fits */
	bool			 right_shown;
	size_t			 sel_left;
	size_t			 sel_users;
	enum tui_prompt		 prompt;
	char			*stash;		/* input hidden by a prompt */
	struct tui_edit		 edit;

	bool			 failed;	/* last attempt failed, said so */
	bool			 follow;	/* show the room we asked to join */
	bool			 help;		/* help overlay shown */
	int			 help_top;	/* its first line shown */
	bool			 quit;		/* the user asked to quit */
	bool			 dirty;
	int			 width;		/* columns of messages */
	int			 page;		/* rows of the message pane */

	/* The missed messages being fetched (tui-history.c), or NULL. */
	struct tui_catchup	*catchup;

	/* Being told (tui-mention.c): the bell, once per draw. */
	bool			 bell_off;	/* config bell = off */
	bool			 bell;		/* ring at the next draw */
	/*
	 * hold: replaced by another connection to our session, so no
	 * reconnecting (it would replace that one in turn); reconnect:
	 * /reconnect asked the caller to connect again now.
	 */
	bool			 hold;
	bool			 reconnect;

	/* Replies to match with what we asked (see tui-model.c). */
	struct tui_pending	*pending;

	struct proto_msg	*out;		/* requests to send, FIFO */
	size_t			 nout;
	size_t			 outcap;

	/* Pasted lines waiting for confirmation, then for their turn. */
	char		       **paste;
	size_t			 npaste;
	char			*paste_prompt;
	struct proto_msg	*paced;		/* FIFO, released by pace */
	size_t			 npaced;
	size_t			 pacedcap;
	double			 pace_tokens;
	long long		 pace_ms;	/* when tokens were counted */

	time_t			(*clock)(time_t *);
};

void	 tui_model_init(struct tui_model *m, const char *server);
void	 tui_model_free(struct tui_model *m);

/* Connection state changes reported by the network layer. */
void	 tui_model_opened(struct tui_model *m);
void	 tui_model_closed(struct tui_model *m, const char *why);
/*
 * The same with the server's WebSocket close code (0: none).  On
 * PROTO_CLOSE_REPLACED ("replaced": another connection resumed our
 * session) the model holds: the caller must not reconnect until the
 * user asks (/reconnect sets reconnect).
 */
void	 tui_model_closed_code(struct tui_model *m, const char *why,
	    unsigned code);

/* The saved session token to resume with (NULL: none). */
void	 tui_model_set_token(struct tui_model *m, const char *token);

/* The name to ask for after hello (-n, config); NULL: none. */
void	 tui_model_set_name(struct tui_model *m, const char *name);
/* Ring the bell for mentions and private messages (default on). */
void	 tui_model_set_bell(struct tui_model *m, bool on);
/* How user id is shown: its name, or the bare id without one. */
const char *tui_model_who(const struct tui_model *m, const char *id);

/* A decoded server message. */
void	 tui_model_message(struct tui_model *m, const struct proto_msg *msg);
/* The message pane is now width x page: wrap every buffer again. */
void	 tui_model_resize(struct tui_model *m, int width, int page);
/* Which side panes are shown (a hidden one cannot take the focus). */
void	 tui_model_panes(struct tui_model *m, bool left, bool right);
/* A key (already translated from curses). */
void	 tui_model_key(struct tui_model *m, const struct tui_key *k);
/*
 * A bracketed paste of len bytes: one line is inserted on the input line;
 * several are sent as text (never as commands) to the conversation shown,
 * after asking when there are more than TUI_PASTE_ASK_LINES.
 */
void	 tui_model_paste(struct tui_model *m, const char *text, size_t len);
/*
 * Release the pasted lines whose turn has come at now_ms (a monotonic
 * clock) into the requests; returns the milliseconds until the next one
 * is due, or -1 when none waits.
 */
int	 tui_model_pace(struct tui_model *m, long long now_ms);
/* The room-list refresh timer fired. */
void	 tui_model_tick(struct tui_model *m);

/*
 * Take the oldest queued request.  The strings in *out are malloc'd; free
 * them with tui_model_request_free.  False when nothing is queued.
 */
bool	 tui_model_pop_request(struct tui_model *m, struct proto_msg *out);
void	 tui_model_request_free(struct proto_msg *msg);

/* Left pane rows; returns how many (fills at most max). */
size_t	 tui_model_entries(const struct tui_model *m, struct tui_entry *out,
	    size_t max);
/* How many of the entries are conversations (they come first). */
size_t	 tui_model_conversations(const struct tui_model *m);
/* All left pane rows, malloc'd; *n gets how many. */
struct tui_entry *tui_model_entries_all(const struct tui_model *m,
	    size_t *n);
/*
 * The left pane's first display row, so that the entry that matters is
 * in sight in height rows: the highlight while the pane has the focus,
 * else the conversation shown.  Display rows are the n entries ents with
 * a title row between the conversations and the directory.
 */
size_t	 tui_model_left_first(const struct tui_model *m,
	    const struct tui_entry *ents, size_t n, int height);
/*
 * The status bar text (sanitised): server | state | id | room | unread |
 * F1 help.  To fit cols columns the least useful fields go first; the
 * unread counts stay to the end, and a field with nothing to say is not
 * shown.  tui_model_status is the whole bar.
 */
void	 tui_model_status_fit(const struct tui_model *m, int cols, char *buf,
	    size_t len);
void	 tui_model_status(const struct tui_model *m, char *buf, size_t len);
/* The prompt shown before the input line. */
const char *tui_model_prompt(const struct tui_model *m);

/* Buffer lines, 0 = oldest kept. */
const struct tui_line *tui_model_line(const struct tui_buffer *b, size_t i);
struct tui_buffer *tui_model_find(const struct tui_model *m,
	    enum tui_buf_type type, const char *name);

/* Add a local notice to the viewed buffer (printf-like). */
void	 tui_model_info(struct tui_model *m, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Reconnect delay before attempt number attempt (0 = first retry):
 * exponential from TUI_BACKOFF_MIN_MS, capped at TUI_BACKOFF_MAX_MS, with
 * jitter from rnd so clients restarted together do not retry together.
 */
unsigned tui_model_backoff_ms(unsigned attempt, uint32_t rnd);

/*
 * The help overlay's lines (keys, then every command of the table): a
 * malloc'd array of malloc'd strings; returns how many.
 */
size_t	 tui_model_help(char ***lines);

/*
 * Close a conversation: a private one, or a room we are not in (never the
 * status buffer or our room).  Shows the status buffer if it was shown.
 */
bool	 tui_model_close(struct tui_model *m, struct tui_buffer *b);

#endif
