/*
 * Being told: whether a line mentions you, the hotlist level of a
 * conversation (WeeChat's: nothing, unread lines, a highlight), and when
 * to ring the terminal bell.  No curses: tui-ui.c draws and beeps.
 */
#ifndef TUI_MENTION_H
#define TUI_MENTION_H

#include <stdbool.h>
#include <stddef.h>

#include "tui-buffer.h"

/* Hotlist levels, in order: Alt-a goes to the highest first. */
enum tui_hot {
	TUI_HOT_NONE,
	TUI_HOT_UNREAD,		/* lines not read yet */
	TUI_HOT_HIGHLIGHT,	/* a mention, or a private message */
};

/*
 * Does text (len bytes, maybe not NUL-terminated) mention name, as a
 * word in any case: "alice", "@alice", "Alice:", not "malice" or
 * "alice2"?  False without a name.
 */
bool	 tui_mention_match(const char *text, size_t len, const char *name);

/* The hotlist level of a conversation with these counts. */
enum tui_hot tui_mention_level(unsigned unread, unsigned highlights);

#endif
