/*
 * How lines and left pane entries look, decided without curses so it can
 * be tested: tui-ui.c maps these styles and palette colours to curses
 * attributes and colour pairs.
 */
#ifndef TUI_STYLE_H
#define TUI_STYLE_H

#include <stddef.h>

#include "tui-model.h"

enum tui_style {
	TUI_STYLE_PLAIN,
	TUI_STYLE_DIM,		/* joins and leaves */
	TUI_STYLE_OWN,		/* your own name: bold, default colour */
	TUI_STYLE_NICK,		/* another's name: a palette colour */
	TUI_STYLE_PM,		/* the "<- 3" / "-> 3" of a private line */
	TUI_STYLE_ERROR,
	TUI_STYLE_NOTICE,	/* "*" notices and command output */
	TUI_STYLE_MARKER,	/* the read marker */
	TUI_STYLE_HIGHLIGHT,	/* the sender of a line mentioning you */
	TUI_STYLE_MENTION,	/* the text of a line mentioning you */
};

struct tui_line_style {
	enum tui_style	 body;
	enum tui_style	 who;
	int		 nick;	/* palette index when who is TUI_STYLE_NICK */
};

/* The sender palettes: terminal colour numbers (256 or basic colours). */
extern const short	 tui_style_nicks_256[];
extern const short	 tui_style_nicks_8[];
#define TUI_STYLE_NICKS_256	16
#define TUI_STYLE_NICKS_8	4

/* Palette index of a sender, stable per name, of a palette of n colours. */
int	 tui_style_nick(const char *who, int n);
/* The style of line l, nick colours from a palette of n colours. */
void	 tui_style_line(const struct tui_line *l, int n,
	    struct tui_line_style *st);

enum tui_entry_style {
	TUI_ENTRY_PLAIN,	/* a conversation with nothing new */
	TUI_ENTRY_DIRECTORY,	/* a room of the server's list: dim */
	TUI_ENTRY_CURRENT,	/* the room we are in: bold */
	TUI_ENTRY_UNREAD,	/* unread lines: bold and coloured */
	TUI_ENTRY_HIGHLIGHT,	/* a mention or private message unread:
				   bold, reverse, another colour */
};

/*
 * The style of a left pane entry; the one shown in the message pane is
 * also marked ">" and underlined (see tui_entry.viewed).
 */
enum tui_entry_style tui_style_entry(const struct tui_entry *e);

#endif
