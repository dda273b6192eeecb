/*
 * Reading the keyboard (curses, after tui_ui_init) into the model.
 */
#ifndef TUI_INPUT_H
#define TUI_INPUT_H

#include "tui-model.h"

/* Teach curses the key sequences; turn bracketed paste on (and off). */
void	 tui_input_init(void);
void	 tui_input_end(void);
/* Read every pending key into the model. */
void	 tui_input_read(struct tui_model *m);

#endif
