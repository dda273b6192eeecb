/*
 * Nick colours and line and entry styles, as data (tui-style.h).
 */
#include "tui-style.h"

/*
 * Sender colours, hashed from the name as WeeChat does: with 256 colours
 * a list of well-spaced ones legible on dark and light backgrounds, else
 * the basic ones but blue (dark blue on black cannot be read) and red
 * (errors): green, yellow, magenta, cyan.  Your own name is bold in the
 * default colour, like no other.
 */
const short tui_style_nicks_256[TUI_STYLE_NICKS_256] = {
	37, 41, 43, 76, 79, 99, 105, 133, 135, 136, 141, 166, 168, 172, 178,
	205,
};
const short tui_style_nicks_8[TUI_STYLE_NICKS_8] = { 2, 3, 5, 6 };

int
tui_style_nick(const char *who, int n)
{
	unsigned	h = 5381;

	/* Stable per name: the same name has the same colour everywhere. */
	for (; *who != '\0'; who++)
		h = h * 33 + (unsigned char)*who;
	return (n > 0 ? (int)(h % (unsigned)n) : 0);
}

void
tui_style_line(const struct tui_line *l, int n, struct tui_line_style *st)
{
	st->body = TUI_STYLE_PLAIN;
	st->who = TUI_STYLE_PLAIN;
	st->nick = 0;
	switch (l->kind) {
	case TUI_LINE_MSG:
		st->who = TUI_STYLE_NICK;
		st->nick = tui_style_nick(l->who != NULL ? l->who : "", n);
		break;
	case TUI_LINE_OWN:
		st->who = TUI_STYLE_OWN;
		break;
	case TUI_LINE_JOIN:
	case TUI_LINE_LEAVE:
		st->body = TUI_STYLE_DIM;
		break;
	case TUI_LINE_PM_IN:
	case TUI_LINE_PM_OUT:
		st->who = TUI_STYLE_PM;
		break;
	case TUI_LINE_ERROR:
		st->body = TUI_STYLE_ERROR;
		break;
	case TUI_LINE_INFO:
	case TUI_LINE_DIVIDER:
		st->body = TUI_STYLE_NOTICE;
		break;
	case TUI_LINE_MARKER:
		st->body = TUI_STYLE_MARKER;
		break;
	}
	/* As WeeChat: the sender stands out, the text is bold. */
	if (l->highlight) {
		st->who = TUI_STYLE_HIGHLIGHT;
		st->body = TUI_STYLE_MENTION;
	}
}

enum tui_entry_style
tui_style_entry(const struct tui_entry *e)
{
	if (e->hot == TUI_HOT_HIGHLIGHT)
		return (TUI_ENTRY_HIGHLIGHT);
	if (e->unread > 0)
		return (TUI_ENTRY_UNREAD);
	if (e->current)
		return (TUI_ENTRY_CURRENT);
	if (e->directory)
		return (TUI_ENTRY_DIRECTORY);
	return (TUI_ENTRY_PLAIN);
}
