/*
 * Keys from the terminal, as sent: curses' keys, the sequences terminals
 * send whatever terminfo says, Alt-x as ESC x, and bracketed pastes, all
 * turned into model keys (tui_model_key) and pastes (tui_model_paste).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

#include "chat-limits.h"
#include "tui-input.h"
#include "tui-text.h"
#include "tui-ui.h"

/* Our own codes for keys curses may not know by name. */
#define TUI_UI_ALT_LEFT		(KEY_MAX + 1)
#define TUI_UI_ALT_RIGHT	(KEY_MAX + 2)
#define TUI_UI_CTRL_LEFT	(KEY_MAX + 3)
#define TUI_UI_CTRL_RIGHT	(KEY_MAX + 4)
#define TUI_UI_ALT_END		(KEY_MAX + 5)
#define TUI_UI_PASTE_START	(KEY_MAX + 6)
#define TUI_UI_PASTE_END	(KEY_MAX + 7)

/*
 * What terminals send, whatever terminfo says of them: tmux sends Home and
 * End as \E[1~ and \E[4~ while TERM=xterm-256color's terminfo expects
 * \EOH and \EOF; xterm sends either form by its cursor-key mode.
 */
static const struct {
	const char	*seq;
	int		 code;
} tui_input_sequences[] = {
	{ "\033[1;3D",	TUI_UI_ALT_LEFT },
	{ "\033[1;3C",	TUI_UI_ALT_RIGHT },
	{ "\033\033[D",	TUI_UI_ALT_LEFT },
	{ "\033\033[C",	TUI_UI_ALT_RIGHT },
	{ "\033[1;5D",	TUI_UI_CTRL_LEFT },
	{ "\033[1;5C",	TUI_UI_CTRL_RIGHT },
	{ "\033[1;3F",	TUI_UI_ALT_END },
	{ "\033[4;3~",	TUI_UI_ALT_END },
	{ "\033[1~",	KEY_HOME },
	{ "\033[7~",	KEY_HOME },
	{ "\033[H",	KEY_HOME },
	{ "\033OH",	KEY_HOME },
	{ "\033[4~",	KEY_END },
	{ "\033[8~",	KEY_END },
	{ "\033[F",	KEY_END },
	{ "\033OF",	KEY_END },
	{ "\033[3~",	KEY_DC },
	{ "\033[5~",	KEY_PPAGE },
	{ "\033[6~",	KEY_NPAGE },
	{ "\033[200~",	TUI_UI_PASTE_START },
	{ "\033[201~",	TUI_UI_PASTE_END },
};

void
tui_input_init(void)
{
	size_t	i;

	for (i = 0; i < sizeof tui_input_sequences /
	    sizeof tui_input_sequences[0]; i++)
		define_key(tui_input_sequences[i].seq,
		    tui_input_sequences[i].code);
	/* Bracketed paste: a paste arrives marked, as one unit. */
	printf("\033[?2004h");
	fflush(stdout);
}

void
tui_input_end(void)
{
	printf("\033[?2004l");
	fflush(stdout);
}

/* Keys. */

static void
tui_ui_key(struct tui_model *m, enum tui_key_type type, uint32_t cp, int n)
{
	struct tui_key	k;

	k.type = type;
	k.cp = cp;
	k.n = n;
	tui_model_key(m, &k);
}

/* What a key sends to the model; the tables below are the whole keymap. */
struct tui_ui_keymap {
	wint_t			wc;
	enum tui_key_type	type;
};

/* Alt-x arrives as ESC then x; Alt-1..9 are handled in tui_ui_alt. */
static const struct tui_ui_keymap tui_ui_alt_keys[] = {
	{ 'a', TUI_KEY_NEXT_UNREAD },
	{ 'b', TUI_KEY_WORD_LEFT },
	{ 'f', TUI_KEY_WORD_RIGHT },
	{ 'h', TUI_KEY_HELP },
	{ 'j', TUI_KEY_JOIN },
	{ 'l', TUI_KEY_LEAVE },
	{ 'm', TUI_KEY_PM },
	{ 'q', TUI_KEY_QUIT },
	{ 0x7f, TUI_KEY_KILL_WORD },	/* Alt-Backspace */
	{ 0x08, TUI_KEY_KILL_WORD },
};

static const struct tui_ui_keymap tui_ui_function_keys[] = {
	{ KEY_F(1),		TUI_KEY_HELP },
	{ KEY_F(2),		TUI_KEY_JOIN },
	{ KEY_F(3),		TUI_KEY_LEAVE },
	{ KEY_F(4),		TUI_KEY_PM },
	{ KEY_F(10),		TUI_KEY_QUIT },
	{ KEY_UP,		TUI_KEY_UP },
	{ KEY_DOWN,		TUI_KEY_DOWN },
	{ KEY_LEFT,		TUI_KEY_LEFT },
	{ KEY_RIGHT,		TUI_KEY_RIGHT },
	{ KEY_HOME,		TUI_KEY_HOME },
	{ KEY_END,		TUI_KEY_END },
	{ KEY_PPAGE,		TUI_KEY_PGUP },
	{ KEY_NPAGE,		TUI_KEY_PGDN },
	{ KEY_BACKSPACE,	TUI_KEY_BACKSPACE },
	{ KEY_DC,		TUI_KEY_DELETE },
	{ KEY_ENTER,		TUI_KEY_ENTER },
	{ TUI_UI_ALT_LEFT,	TUI_KEY_FOCUS_PREV },
	{ TUI_UI_ALT_RIGHT,	TUI_KEY_FOCUS_NEXT },
	{ TUI_UI_CTRL_LEFT,	TUI_KEY_WORD_LEFT },
	{ TUI_UI_CTRL_RIGHT,	TUI_KEY_WORD_RIGHT },
	{ TUI_UI_ALT_END,	TUI_KEY_BOTTOM },
};

static const struct tui_ui_keymap tui_ui_control_keys[] = {
	{ '\r',	TUI_KEY_ENTER },
	{ '\n',	TUI_KEY_ENTER },
	{ '\t',	TUI_KEY_TAB },
	{ 0x7f,	TUI_KEY_BACKSPACE },
	{ 0x08,	TUI_KEY_BACKSPACE },
	{ 0x01,	TUI_KEY_HOME },		/* Ctrl-A */
	{ 0x05,	TUI_KEY_END },		/* Ctrl-E */
	{ 0x15,	TUI_KEY_KILL_LINE },	/* Ctrl-U */
	{ 0x17,	TUI_KEY_KILL_WORD },	/* Ctrl-W */
	{ 0x0f,	TUI_KEY_FOCUS_NEXT },	/* Ctrl-O */
	{ 0x0b,	TUI_KEY_KILL_END },	/* Ctrl-K */
	{ 0x19,	TUI_KEY_YANK },		/* Ctrl-Y */
	{ 0x0e,	TUI_KEY_NEXT_CONV },	/* Ctrl-N */
	{ 0x10,	TUI_KEY_PREV_CONV },	/* Ctrl-P */
	{ 0x11,	TUI_KEY_QUIT },		/* Ctrl-Q */
	{ 0x03,	TUI_KEY_QUIT },		/* Ctrl-C: raw mode makes it a key */
};

#define TUI_UI_MAP(m, table, wc) \
	tui_ui_map(m, table, sizeof table / sizeof table[0], wc)

/* Send what wc means in map to the model; nothing if it means nothing. */
static void
tui_ui_map(struct tui_model *m, const struct tui_ui_keymap *map, size_t n,
    wint_t wc)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (map[i].wc == wc) {
			tui_ui_key(m, map[i].type, 0, 0);
			return;
		}
	}
}

/* Ctrl-L and a new terminal size: paint the whole screen again. */
static void
tui_input_repaint(struct tui_model *m)
{
	clearok(curscr, TRUE);
	m->dirty = true;
}

static void
tui_ui_alt(struct tui_model *m, wint_t wc)
{
	if (wc >= '1' && wc <= '9')
		tui_ui_key(m, TUI_KEY_JUMP, 0, (int)(wc - '0'));
	else if (wc == '0')
		tui_ui_key(m, TUI_KEY_JUMP, 0, 10);
	else
		TUI_UI_MAP(m, tui_ui_alt_keys, wc);
}

static void
tui_ui_function_key(struct tui_model *m, wint_t wc)
{
	/* curses has the new size already (resizeterm queues KEY_RESIZE,
	 * so calling it again here would loop). */
	if (wc == KEY_RESIZE) {
		tui_ui_size(m);
		tui_input_repaint(m);
	}
	else
		TUI_UI_MAP(m, tui_ui_function_keys, wc);
}

static void
tui_ui_control(struct tui_model *m, wint_t wc)
{
	if (wc == 0x0c)		/* Ctrl-L */
		tui_input_repaint(m);
	else
		TUI_UI_MAP(m, tui_ui_control_keys, wc);
}

/* A bracketed paste being read: everything until its end marker. */
static struct {
	bool	 on;
	char	*buf;
	size_t	 len, cap;
} tui_ui_paste;

static void
tui_ui_paste_add(wint_t wc)
{
	char	u[4];
	size_t	n;

	n = tui_text_encode(wc == '\r' ? '\n' : (uint32_t)wc, u);
	if (tui_ui_paste.len + n > TUI_PASTE_MAX)
		return;
	if (tui_ui_paste.len + n > tui_ui_paste.cap) {
		tui_ui_paste.cap = tui_ui_paste.cap * 2 + 256;
		tui_ui_paste.buf = realloc(tui_ui_paste.buf, tui_ui_paste.cap);
		if (tui_ui_paste.buf == NULL)
			abort();
	}
	memcpy(tui_ui_paste.buf + tui_ui_paste.len, u, n);
	tui_ui_paste.len += n;
}

/* Inside a paste, keys are text; false when not in one. */
static bool
tui_ui_paste_key(struct tui_model *m, int rc, wint_t wc)
{
	if (rc == KEY_CODE_YES && wc == TUI_UI_PASTE_START) {
		tui_ui_paste.on = true;
		tui_ui_paste.len = 0;
		return (true);
	}
	if (!tui_ui_paste.on)
		return (false);
	if (rc == KEY_CODE_YES && wc == TUI_UI_PASTE_END) {
		tui_ui_paste.on = false;
		tui_model_paste(m, tui_ui_paste.buf != NULL ?
		    tui_ui_paste.buf : "", tui_ui_paste.len);
		free(tui_ui_paste.buf);
		memset(&tui_ui_paste, 0, sizeof tui_ui_paste);
	} else if (rc == KEY_CODE_YES && wc == KEY_ENTER)
		tui_ui_paste_add('\n');
	else if (rc != KEY_CODE_YES)
		tui_ui_paste_add(wc);
	return (true);
}

void
tui_input_read(struct tui_model *m)
{
	wint_t	wc, next;
	int	rc;

	while ((rc = get_wch(&wc)) != ERR) {
		if (tui_ui_paste_key(m, rc, wc))
			continue;
		if (rc == KEY_CODE_YES) {
			tui_ui_function_key(m, wc);
			continue;
		}
		if (wc == 0x1b) {
			rc = get_wch(&next);
			if (rc == ERR)
				tui_ui_key(m, TUI_KEY_ESC, 0, 0);
			else if (rc == KEY_CODE_YES) {
				if (next == KEY_LEFT)
					tui_ui_key(m, TUI_KEY_FOCUS_PREV, 0, 0);
				else if (next == KEY_RIGHT)
					tui_ui_key(m, TUI_KEY_FOCUS_NEXT, 0, 0);
				else if (next == KEY_BACKSPACE)
					tui_ui_key(m, TUI_KEY_KILL_WORD, 0, 0);
				else if (next == KEY_END)
					tui_ui_key(m, TUI_KEY_BOTTOM, 0, 0);
				else
					tui_ui_function_key(m, next);
			} else if (next == 0x1b)
				tui_ui_key(m, TUI_KEY_ESC, 0, 0);
			else
				tui_ui_alt(m, next);
			continue;
		}
		if (wc < 0x20 || wc == 0x7f)
			tui_ui_control(m, wc);
		else
			tui_ui_key(m, TUI_KEY_CHAR, (uint32_t)wc, 0);
	}
}

