/*
 * The input line editor: a UTF-8 buffer with a cursor, input history and
 * Tab completion.  No curses here; keys arrive as calls.
 */
#ifndef TUI_EDIT_H
#define TUI_EDIT_H

#include <stddef.h>
#include <stdint.h>

#include "chat-limits.h"

struct tui_edit {
	char	 buf[TUI_INPUT_MAX + 1];	/* always NUL-terminated */
	size_t	 len;
	size_t	 cursor;			/* byte offset, on a boundary */

	/* History, oldest first; hpos == hlen means "the line being typed". */
	char	*hist[TUI_HISTORY_MAX];
	size_t	 hlen;
	size_t	 hpos;
	char	*saved;				/* the line being typed */
	char	*killed;			/* last cut text, for Ctrl-Y */

	/* Tab cycling: the word being completed and the last match used. */
	char	*comp_word;
	size_t	 comp_start;
	size_t	 comp_next;
};

void	 tui_edit_init(struct tui_edit *e);
void	 tui_edit_free(struct tui_edit *e);
void	 tui_edit_clear(struct tui_edit *e);
/* Replace the whole line, cursor at the end. */
void	 tui_edit_set(struct tui_edit *e, const char *s);

/* Insert UTF-8 text at the cursor; -1 (nothing inserted) if it won't fit. */
int	 tui_edit_insert(struct tui_edit *e, const char *s, size_t len);
int	 tui_edit_insert_cp(struct tui_edit *e, uint32_t cp);

void	 tui_edit_left(struct tui_edit *e);
void	 tui_edit_right(struct tui_edit *e);
void	 tui_edit_home(struct tui_edit *e);
void	 tui_edit_end(struct tui_edit *e);
void	 tui_edit_backspace(struct tui_edit *e);
void	 tui_edit_delete(struct tui_edit *e);
/* Ctrl-U: delete from the start of the line to the cursor. */
void	 tui_edit_kill_line(struct tui_edit *e);
/* Ctrl-W: delete the word (and spaces) before the cursor. */
void	 tui_edit_kill_word(struct tui_edit *e);

/* Ctrl-K: delete from the cursor to the end of the line. */
void	 tui_edit_kill_end(struct tui_edit *e);
/* Ctrl-Y: insert the text the last kill cut. */
void	 tui_edit_yank(struct tui_edit *e);
/* Alt-b / Alt-f: to the start of this or the previous word, past the next. */
void	 tui_edit_word_left(struct tui_edit *e);
void	 tui_edit_word_right(struct tui_edit *e);

/* Remember a submitted line (empty lines and repeats are skipped). */
void	 tui_edit_history_add(struct tui_edit *e, const char *line);
void	 tui_edit_history_up(struct tui_edit *e);
void	 tui_edit_history_down(struct tui_edit *e);

/*
 * Complete the word before the cursor from cands[0..n).  One match: the
 * word becomes it plus a space.  Several: the longest common prefix, and
 * when that adds nothing, each further call cycles through the matches.
 * Returns the number of matches.
 */
size_t	 tui_edit_complete(struct tui_edit *e, const char *const *cands,
	    size_t n);
/* The same for the text from byte start to the cursor (spaces and all). */
size_t	 tui_edit_complete_at(struct tui_edit *e, size_t start,
	    const char *const *cands, size_t n);
/* Forget Tab cycling state (any key other than Tab). */
void	 tui_edit_complete_reset(struct tui_edit *e);

/* Columns from the start of the line to the cursor. */
int	 tui_edit_cursor_col(const struct tui_edit *e);

#endif
