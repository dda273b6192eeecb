/*
 * Commands typed on the input line, and the actions commands and keys
 * share.  One table names each command with its aliases, usage, help and
 * the kind of its argument: dispatch, Tab completion and the F1 help all
 * read it, so they cannot disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui-config.h"
#include "tui-internal.h"
#include "tui-text.h"

void
tui_command_join(struct tui_model *m, const char *room)
{
	if (*room == '\0') {
		tui_model_info(m, "usage: /join ROOM");
		return;
	}
	if (tui_request_online(m)) {
		tui_request_queue(m, PROTO_JOIN, room, NULL, NULL);
		m->follow = true;
	}
}

void
tui_command_leave(struct tui_model *m)
{
	if (m->room == NULL) {
		/* Nothing the server could do: answered here. */
		tui_model_info(m, "you are not in a room");
		return;
	}
	if (tui_request_online(m))
		tui_request_queue(m, PROTO_LEAVE, NULL, NULL, NULL);
}

void
tui_command_open_pm(struct tui_model *m, const char *id)
{
	const char	*known = tui_names_id(m, id);

	if (*id == '\0')
		return;
	/* A name we know stands for its id: conversations are by id. */
	if (known != NULL)
		id = known;
	tui_model_show(m, tui_model_get(m, TUI_BUF_PM, id));
	m->focus = TUI_FOCUS_INPUT;
}

/*
 * Send text in pieces the server takes: at most CHAT_MESSAGE_MAX_DEFAULT
 * bytes each, cut on a character boundary (as irssi splits long lines).
 */
static void
tui_command_send(struct tui_model *m, enum proto_action action,
    const char *id, const char *text, bool paced)
{
	size_t	 len = strlen(text), at = 0, end, next;
	char	*piece;

	while (at < len) {
		end = at;
		while (end < len && (next = tui_text_next(text, len, end)) -
		    at <= CHAT_MESSAGE_MAX_DEFAULT)
			end = next;
		if (end == at)
			end = tui_text_next(text, len, at);
		piece = strndup(text + at, end - at);
		if (piece == NULL)
			abort();
		if (paced)
			tui_request_pace_add(m, action, id, piece);
		else {
			tui_request_queue(m, action, NULL, id, piece);
			if (action == PROTO_PRIVATE_MESSAGE)
				tui_pending_add(m, TUI_PENDING_PM, id, piece);
		}
		free(piece);
		at = end;
	}
}

void
tui_command_send_pm(struct tui_model *m, const char *id, const char *text)
{
	const char	*known = tui_names_id(m, id);

	if (known != NULL)
		id = known;
	if (tui_request_online(m))
		tui_command_send(m, PROTO_PRIVATE_MESSAGE, id, text, false);
}

/* Split off the first space-separated word of *s. */
static char *
tui_command_word(char **s)
{
	char	*w, *p = *s;

	while (*p == ' ')
		p++;
	w = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return (w);
}

/* The rest of the line without the spaces around it. */
static char *
tui_command_rest(char *s)
{
	size_t	len;

	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
	return (s);
}

bool
tui_command_target(struct tui_model *m)
{
	struct tui_buffer	*v = m->view;

	/* Disconnected, the room is only rejoined later: say why first. */
	if (v->type == TUI_BUF_PM || m->conn != TUI_CONN_CONNECTED)
		return (tui_request_online(m));
	if (v->type == TUI_BUF_ROOM && !tui_streq(v->name, m->room)) {
		tui_model_info(m, "you are not in %s (/join %s)", v->label,
		    v->label);
		return (false);
	}
	if (m->room == NULL) {
		tui_model_info(m, "you are not in a room: /join ROOM first");
		return (false);
	}
	return (tui_request_online(m));
}

static void
tui_command_say_to(struct tui_model *m, const char *text, bool paced)
{
	if (!tui_command_target(m))
		return;
	if (m->view->type == TUI_BUF_PM)
		tui_command_send(m, PROTO_PRIVATE_MESSAGE, m->view->name, text,
		    paced);
	else
		tui_command_send(m, PROTO_ROOM_MESSAGE, NULL, text, paced);
}

void
tui_command_say(struct tui_model *m, const char *text)
{
	tui_command_say_to(m, text, false);
}

void
tui_command_say_paced(struct tui_model *m, const char *text)
{
	tui_command_say_to(m, text, true);
}

static void
tui_command_do_join(struct tui_model *m, char *args)
{
	tui_command_join(m, tui_command_rest(args));
}

static void
tui_command_do_leave(struct tui_model *m, char *args)
{
	tui_command_leave(m);
}

/* /msg sends without moving the view; the echo lands in the conversation. */
static void
tui_command_do_msg(struct tui_model *m, char *args)
{
	char	*id = tui_command_word(&args);

	if (*id == '\0') {
		tui_model_info(m, "usage: /msg WHO [TEXT]");
		return;
	}
	if (*args == '\0')
		tui_command_open_pm(m, id);
	else
		tui_command_send_pm(m, id, args);
}

static void
tui_command_do_query(struct tui_model *m, char *args)
{
	char	*id = tui_command_word(&args);

	if (*id == '\0' || *tui_command_rest(args) != '\0') {
		tui_model_info(m, "usage: /query WHO");
		return;
	}
	tui_command_open_pm(m, id);
}

static void
tui_command_do_nick(struct tui_model *m, char *args)
{
	char	*name = tui_command_rest(args);

	if (m->v1) {
		tui_model_info(m, "%s has no names (protocol version 1)",
		    m->server);
		return;
	}
	if (!tui_request_online(m))
		return;
	/* The server says whether it may be (taken, invalid). */
	tui_set(&m->want_name, *name != '\0' ? name : NULL);
	tui_request_nick(m, name);
}

static void
tui_command_do_close(struct tui_model *m, char *args)
{
	if (!tui_model_close(m, m->view))
		tui_model_info(m, "/close closes a private conversation or a "
		    "room you are not in");
}

static void
tui_command_do_clear(struct tui_model *m, char *args)
{
	tui_buffer_clear(m->view);
	m->dirty = true;
}

static void
tui_command_do_rooms(struct tui_model *m, char *args)
{
	if (tui_request_online(m)) {
		tui_request_queue(m, PROTO_ROOMS, NULL, NULL, NULL);
		tui_pending_add(m, TUI_PENDING_ROOMS, NULL, NULL);
	}
}

static void
tui_command_do_who(struct tui_model *m, char *args)
{
	char	*room = tui_command_rest(args);

	if (*room == '\0')
		room = m->room;
	if (room == NULL) {
		tui_model_info(m, "you are not in a room: /who ROOM");
		return;
	}
	if (tui_request_online(m)) {
		tui_request_queue(m, PROTO_PARTICIPANTS, room, NULL, NULL);
		tui_pending_add(m, TUI_PENDING_WHO, room, NULL);
	}
}

static void
tui_command_do_bottom(struct tui_model *m, char *args)
{
	tui_buffer_bottom(m->view);
	m->dirty = true;
}

/* The bell for this run: bell = in the config file is the default. */
static void
tui_command_do_bell(struct tui_model *m, char *args)
{
	char	*word = tui_command_rest(args);
	bool	 on;

	if (*word != '\0') {
		if (tui_config_onoff(word, &on) == -1) {
			tui_model_info(m, "usage: /bell [on|off]");
			return;
		}
		tui_model_set_bell(m, on);
	}
	tui_model_info(m, "the bell is %s", m->bell_off ? "off" : "on");
}

/* Connect again now, even after "replaced" (taking the session back). */
static void
tui_command_do_reconnect(struct tui_model *m, char *args)
{
	m->hold = false;
	m->reconnect = true;
	tui_model_info(m, "reconnecting to %s", m->server);
}

static void
tui_command_do_help(struct tui_model *m, char *args)
{
	m->help = true;
	m->help_top = 0;
}

static void
tui_command_do_quit(struct tui_model *m, char *args)
{
	m->quit = true;
}

const struct tui_command tui_commands[] = {
	{ "join", { "j", NULL }, "ROOM", "join ROOM (leaving yours)",
	    TUI_ARG_ROOM, tui_command_do_join },
	{ "leave", { "part", NULL }, "", "leave your room",
	    TUI_ARG_NONE, tui_command_do_leave },
	{ "msg", { NULL }, "WHO [TEXT]", "send WHO (a name or an id) a "
	    "private message where you are; no TEXT: open the conversation",
	    TUI_ARG_USER, tui_command_do_msg },
	{ "query", { NULL }, "WHO", "open the conversation with WHO",
	    TUI_ARG_USER, tui_command_do_query },
	{ "nick", { NULL }, "[NAME]", "be known as NAME; no NAME: no name",
	    TUI_ARG_NONE, tui_command_do_nick },
	{ "close", { NULL }, "", "close this conversation",
	    TUI_ARG_NONE, tui_command_do_close },
	{ "clear", { NULL }, "", "clear this conversation's lines",
	    TUI_ARG_NONE, tui_command_do_clear },
	{ "rooms", { "list", NULL }, "", "list the server's rooms",
	    TUI_ARG_NONE, tui_command_do_rooms },
	{ "who", { "names", NULL }, "[ROOM]", "who is in ROOM (or yours)",
	    TUI_ARG_ROOM, tui_command_do_who },
	{ "bottom", { NULL }, "", "back to the newest line",
	    TUI_ARG_NONE, tui_command_do_bottom },
	{ "bell", { NULL }, "[on|off]", "ring the bell for mentions and "
	    "private messages out of view, or not; no argument: say which",
	    TUI_ARG_NONE, tui_command_do_bell },
	{ "reconnect", { NULL }, "", "connect again now (also after "
	    "another connection took this session over)",
	    TUI_ARG_NONE, tui_command_do_reconnect },
	{ "help", { NULL }, "", "this help",
	    TUI_ARG_NONE, tui_command_do_help },
	{ "quit", { NULL }, "", "quit chat-tui",
	    TUI_ARG_NONE, tui_command_do_quit },
};
const size_t tui_ncommands = sizeof tui_commands / sizeof tui_commands[0];

const struct tui_command *
tui_command_find(const char *name)
{
	size_t	i, j;

	/* Commands are case-insensitive, as in IRC clients. */
	for (i = 0; i < tui_ncommands; i++) {
		if (strcasecmp(name, tui_commands[i].name) == 0)
			return (&tui_commands[i]);
		for (j = 0; tui_commands[i].aliases[j] != NULL; j++) {
			if (strcasecmp(name, tui_commands[i].aliases[j]) == 0)
				return (&tui_commands[i]);
		}
	}
	return (NULL);
}

static void
tui_command_run(struct tui_model *m, char *line)
{
	char				*rest = line + 1, *name;
	const struct tui_command	*c;

	name = tui_command_word(&rest);
	if ((c = tui_command_find(name)) == NULL) {
		tui_model_info(m, "unknown command: /%s (F1 or /help)", name);
		return;
	}
	c->run(m, rest);
}

void
tui_command_submit(struct tui_model *m)
{
	char			 line[TUI_INPUT_MAX + 1], *answer;
	enum tui_prompt		 prompt = m->prompt;

	if (prompt == TUI_PROMPT_PASTE) {
		tui_paste_send(m);
		tui_keys_cancel_prompt(m);
		return;
	}
	memcpy(line, m->edit.buf, m->edit.len + 1);
	tui_edit_clear(&m->edit);
	if (prompt != TUI_PROMPT_NONE) {
		tui_keys_cancel_prompt(m);
		answer = tui_command_rest(line);
		if (prompt == TUI_PROMPT_JOIN)
			tui_command_join(m, answer);
		else
			tui_command_do_query(m, answer);
		return;
	}
	if (line[0] == '\0')
		return;
	tui_edit_history_add(&m->edit, line);
	/* Sending returns to the live end, as in every IRC client. */
	if (line[0] != '/' || line[1] == '/')
		tui_buffer_bottom(m->view);
	if (line[0] == '/' && line[1] == '/')
		tui_command_say(m, line + 1);	/* "//x" sends "/x" */
	else if (line[0] == '/')
		tui_command_run(m, line);
	else
		tui_command_say(m, line);
}

/* The keys' lines of the help; the commands' come from the table. */
static const char *const tui_command_help_keys[] = {
	"Keys",
	"  F1  Alt-h        this help (Up/Down/PgUp/PgDn scroll it)",
	"  F2  Alt-j        join the highlighted room, or ask for a name",
	"  F3  Alt-l        leave the current room",
	"  F4  Alt-m        message the highlighted user, or ask who",
	"  F10 Ctrl-Q Alt-q quit",
	"  Ctrl-O Alt-Right focus: input, rooms, users, messages; Alt-Left",
	"  Esc              back to the input line, cancel a prompt",
	"  Up/Down Enter    select and act in the focused list",
	"  PgUp/PgDn        scroll the messages; Alt-End to the newest",
	"  PgUp, Home       past the top of a room: its older history",
	"  In the messages: Up/Down scroll, Home oldest, End newest",
	"  Alt-1..9 Alt-0   conversation 1..10; Ctrl-N/Ctrl-P next/previous",
	"  Alt-a            next unread conversation: mentions and private",
	"                   messages (highlighted) first, then the others",
	"  Input: Up/Down history, Tab completes, Left/Right Home/End",
	"         Ctrl-A/E Ctrl-Left/Right Alt-b/f move, Backspace Delete",
	"         Ctrl-U Ctrl-K Ctrl-W Alt-Backspace cut, Ctrl-Y paste back",
	"  A paste of several lines is sent as it is, after asking",
	"  A joined room shows its history above -- end of history --;",
	"  after a reconnect, -- N messages while disconnected -- heads",
	"  what was said meanwhile",
	"  Lines naming you and private messages are highlighted; out of",
	"  view they ring the bell (config bell = off, --bell off: quiet)",
	"Commands",
};

size_t
tui_model_help(char ***out)
{
	size_t	 nk = sizeof tui_command_help_keys /
	    sizeof tui_command_help_keys[0], n = 0, i, j;
	char	**lines, *alias;

	lines = tui_xmalloc((nk + tui_ncommands + 2) * sizeof *lines);
	for (i = 0; i < nk; i++)
		lines[n++] = tui_xstrdup(tui_command_help_keys[i]);
	for (i = 0; i < tui_ncommands; i++) {
		const struct tui_command *c = &tui_commands[i];
		char	 names[64] = "";

		for (j = 0; c->aliases[j] != NULL; j++) {
			alias = names + strlen(names);
			snprintf(alias, sizeof names - (size_t)(alias - names),
			    " /%s", c->aliases[j]);
		}
		if (asprintf(&lines[n++], "  /%s%s%s%s: %s", c->name,
		    *c->usage != '\0' ? " " : "", c->usage, names,
		    c->help) == -1)
			abort();
	}
	lines[n++] = tui_xstrdup("  Other text goes to the conversation shown; "
	    "//text sends /text");
	*out = lines;
	return (n);
}
