/*
 * The terminal: the only part of chat-tui that calls curses.  It draws the
 * model and turns curses keys into model keys.
 */
#ifndef TUI_UI_H
#define TUI_UI_H

#include "tui-model.h"

/* Set up curses (the locale must be set already).  -1 on failure. */
int	 tui_ui_init(void);
/* Restore the terminal; safe to call more than once. */
void	 tui_ui_end(void);
/* The terminal was resized (SIGWINCH): take the new size. */
void	 tui_ui_resize(void);
/* Tell the model the size of the message pane (at start, on resize). */
void	 tui_ui_size(struct tui_model *m);
/* Draw the whole screen from the model. */
void	 tui_ui_draw(struct tui_model *m);

#endif
