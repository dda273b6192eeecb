/*
 * What the files of the chat-tui model share and nothing else sees:
 * tui-model.c (state, buffers, notices), tui-request.c (requests and the
 * replies awaited), tui-handle.c (server messages), tui-pane.c (the left
 * pane and status bar), tui-command.c (the command table), tui-complete.c
 * (Tab) and tui-keys.c (keys).  No curses anywhere here.
 */
#ifndef TUI_INTERNAL_H
#define TUI_INTERNAL_H

#include "tui-model.h"

/* tui-model.c: allocation that cannot fail (it aborts), strings. */
void	*tui_xmalloc(size_t n);
char	*tui_xstrdup(const char *s);
char	*tui_sanitise(const char *s);
void	 tui_set(char **field, const char *value);
bool	 tui_streq(const char *a, const char *b);
void	 tui_strv_free(char **v, size_t n);
char	**tui_strv_copy(char *const *v, size_t n);

/* tui-model.c: buffers and what is shown. */
struct tui_buffer *tui_model_get(struct tui_model *m, enum tui_buf_type type,
	    const char *name);
void	 tui_model_add_len(struct tui_model *m, struct tui_buffer *b,
	    time_t when, enum tui_line_kind kind, const char *who,
	    const char *text, size_t text_len);
void	 tui_model_add(struct tui_model *m, struct tui_buffer *b, time_t when,
	    enum tui_line_kind kind, const char *who, const char *text);
void	 tui_model_add_event(struct tui_model *m, struct tui_buffer *b,
	    time_t when, enum tui_line_kind kind, const char *who,
	    const char *verb);
void	 tui_model_info_to(struct tui_model *m, struct tui_buffer *b,
	    enum tui_line_kind kind, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 tui_model_show(struct tui_model *m, struct tui_buffer *b);
void	 tui_model_clear_users(struct tui_model *m);

/* tui-request.c: what we asked for and have not seen answered yet. */
enum tui_pending_type {
	TUI_PENDING_PM,		/* a PM we sent: its echo looks delivered */
	TUI_PENDING_WHO,	/* /who: print the participants reply */
	TUI_PENDING_PARTS,	/* automatic participants request */
	TUI_PENDING_AUTO_ROOMS,	/* automatic rooms request */
	TUI_PENDING_ROOMS,	/* /rooms: print the rooms reply */
};
void	 tui_pending_add(struct tui_model *m, enum tui_pending_type type,
	    const char *a, const char *b);
bool	 tui_pending_take(struct tui_model *m, enum tui_pending_type type,
	    const char *a, const char *b);
bool	 tui_pending_has(struct tui_model *m, enum tui_pending_type type,
	    const char *a);
void	 tui_pending_forget_auto(struct tui_model *m);
void	 tui_pending_clear(struct tui_model *m);
void	 tui_request_queue(struct tui_model *m, enum proto_action action,
	    const char *room, const char *user_id, const char *message);
void	 tui_request_drop_all(struct tui_model *m);
void	 tui_request_nick(struct tui_model *m, const char *name);
void	 tui_request_pace_add(struct tui_model *m, enum proto_action action,
	    const char *user_id, const char *message);
size_t	 tui_request_pace_drop(struct tui_model *m);
bool	 tui_request_online(struct tui_model *m);
void	 tui_request_sync(struct tui_model *m);

/* tui-names.c: user ids to names (version 2). */
void	 tui_names_note(struct tui_model *m, const char *id, const char *name);
const char *tui_names_of(const struct tui_model *m, const char *id);
const char *tui_names_id(const struct tui_model *m, const char *name);
void	 tui_names_free(struct tui_model *m);
void	 tui_names_label(struct tui_model *m, struct tui_buffer *b);

/* tui-handle.c: a message's time, from the server's ts when sane. */
time_t	 tui_handle_when(struct tui_model *m, const struct proto_msg *msg);

/* tui-history.c: room history (version 2); see tui_buffer.seq_old. */
enum tui_hist_wait {
	TUI_HIST_NONE,
	TUI_HIST_LATEST,	/* the page shown on joining */
	TUI_HIST_BEFORE,	/* an older page (PgUp past the top) */
};
/* Before the hello reply's epoch is kept: a new one loses the seqs. */
void	 tui_history_hello(struct tui_model *m, const char *epoch);
/* We joined b's room: its latest page, or what we missed since. */
void	 tui_history_joined(struct tui_model *m, struct tui_buffer *b);
void	 tui_history_left(struct tui_model *m, const char *room);
/* Before the room is forgotten: its missed lines are fetched later. */
void	 tui_history_closed(struct tui_model *m);
void	 tui_history_free(struct tui_model *m);
/*
 * A live room message for b: true when it is not to be shown now (held
 * for the catch-up under way, or a seq shown already).
 */
bool	 tui_history_live(struct tui_model *m, struct tui_buffer *b,
	    const struct proto_msg *msg);
void	 tui_history_reply(struct tui_model *m, const struct proto_msg *msg);
/* An error reply: a history request may have been dropped. */
void	 tui_history_error(struct tui_model *m, const char *text);
/* The view scrolled back: at the top, ask for the page before. */
void	 tui_history_scrolled(struct tui_model *m);

/*
 * tui-mention.c: a line of kind from someone else was just added to b:
 * highlight it if it mentions you; a mention or a private message not
 * read as it comes raises b's hotlist level and asks for the bell.
 */
void	 tui_mention_note(struct tui_model *m, struct tui_buffer *b,
	    enum tui_line_kind kind, const char *text, size_t len);

/* tui-pane.c: the left pane. */
void	 tui_pane_enter(struct tui_model *m, size_t idx);
void	 tui_pane_jump(struct tui_model *m, size_t idx);
void	 tui_pane_cycle(struct tui_model *m, int dir, bool unread);

/* tui-command.c: actions of commands and keys. */
void	 tui_command_join(struct tui_model *m, const char *room);
void	 tui_command_leave(struct tui_model *m);
void	 tui_command_open_pm(struct tui_model *m, const char *id);
void	 tui_command_send_pm(struct tui_model *m, const char *id,
	    const char *text);
void	 tui_command_say(struct tui_model *m, const char *text);
/* Pasted text, paced: like tui_command_say, never a command. */
void	 tui_command_say_paced(struct tui_model *m, const char *text);
/* The conversation text would go to: false (and why, said) if none. */
bool	 tui_command_target(struct tui_model *m);
/* Enter on the input line: a command, a prompt's answer or text. */
void	 tui_command_submit(struct tui_model *m);

/* What a command's argument is, for completion. */
enum tui_command_arg {
	TUI_ARG_NONE,
	TUI_ARG_ROOM,
	TUI_ARG_USER,
};

/* One command: the table drives dispatch, completion and help. */
struct tui_command {
	const char		*name;		/* without the '/' */
	const char		*aliases[3];	/* NULL-terminated */
	const char		*usage;		/* after the name */
	const char		*help;
	enum tui_command_arg	 arg;
	void			(*run)(struct tui_model *, char *);
};
extern const struct tui_command	tui_commands[];
extern const size_t		tui_ncommands;
/* By name or alias, any case; NULL if none. */
const struct tui_command *tui_command_find(const char *name);

/* tui-complete.c: Tab on the input line. */
void	 tui_complete(struct tui_model *m);

/* tui-paste.c: the paste waiting for Enter at the prompt. */
void	 tui_paste_send(struct tui_model *m);
void	 tui_paste_drop(struct tui_model *m);

/* tui-keys.c: prompts on the input line. */
void	 tui_keys_start_prompt(struct tui_model *m, enum tui_prompt prompt);
void	 tui_keys_cancel_prompt(struct tui_model *m);

#endif
