/*
 * Keys, already translated from curses by tui-ui.c: global keys first,
 * then the focused list's, then the line editor's.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"

void
tui_keys_start_prompt(struct tui_model *m, enum tui_prompt prompt)
{
	if (m->prompt == TUI_PROMPT_NONE && m->edit.len > 0) {
		free(m->stash);
		m->stash = tui_xstrdup(m->edit.buf);
	}
	tui_edit_clear(&m->edit);
	m->prompt = prompt;
	m->focus = TUI_FOCUS_INPUT;
}

void
tui_keys_cancel_prompt(struct tui_model *m)
{
	if (m->prompt == TUI_PROMPT_NONE)
		return;
	m->prompt = TUI_PROMPT_NONE;
	tui_paste_drop(m);
	tui_edit_clear(&m->edit);
	if (m->stash != NULL) {
		tui_edit_set(&m->edit, m->stash);
		free(m->stash);
		m->stash = NULL;
	}
}

static void
tui_keys_scroll(struct tui_model *m, int pages)
{
	int	step = m->page > 2 ? m->page - 1 : 1;

	tui_buffer_scroll(m->view, pages * step, m->page);
	if (pages > 0)
		tui_history_scrolled(m);
	m->dirty = true;
}

/*
 * Keys while the message pane has the focus: they scroll it, and End
 * returns to the live end (in the input line End moves the cursor).
 */
static bool
tui_keys_messages(struct tui_model *m, const struct tui_key *k)
{
	switch (k->type) {
	case TUI_KEY_UP:
		tui_buffer_scroll(m->view, 1, m->page);
		return (true);
	case TUI_KEY_DOWN:
		tui_buffer_scroll(m->view, -1, m->page);
		return (true);
	case TUI_KEY_HOME:
		tui_buffer_scroll(m->view, INT_MAX / 2, m->page);
		tui_history_scrolled(m);
		return (true);
	case TUI_KEY_END:
		tui_buffer_bottom(m->view);
		return (true);
	case TUI_KEY_ENTER:
		m->focus = TUI_FOCUS_INPUT;
		return (true);
	default:
		return (false);
	}
}

/* Keys while a list pane has the focus. */
static bool
tui_keys_list(struct tui_model *m, const struct tui_key *k)
{
	size_t	*sel, n;

	if (m->focus == TUI_FOCUS_ROOMS) {
		sel = &m->sel_left;
		n = tui_model_entries(m, NULL, 0);
	} else {
		sel = &m->sel_users;
		n = m->nusers;
	}
	if (*sel >= n)
		*sel = n > 0 ? n - 1 : 0;
	switch (k->type) {
	case TUI_KEY_UP:
		if (*sel > 0)
			(*sel)--;
		return (true);
	case TUI_KEY_DOWN:
		if (*sel + 1 < n)
			(*sel)++;
		return (true);
	case TUI_KEY_HOME:
		*sel = 0;
		return (true);
	case TUI_KEY_END:
		*sel = n > 0 ? n - 1 : 0;
		return (true);
	case TUI_KEY_ENTER:
		if (n == 0)
			return (true);
		if (m->focus == TUI_FOCUS_ROOMS)
			tui_pane_enter(m, *sel);
		else
			tui_command_open_pm(m, m->users[*sel]);
		return (true);
	default:
		return (false);
	}
}

static void
tui_keys_edit(struct tui_model *m, const struct tui_key *k)
{
	struct tui_edit	*e = &m->edit;

	if (k->type != TUI_KEY_TAB)
		tui_edit_complete_reset(e);
	switch (k->type) {
	case TUI_KEY_CHAR:
		tui_edit_insert_cp(e, k->cp);
		break;
	case TUI_KEY_ENTER:
		tui_command_submit(m);
		break;
	case TUI_KEY_TAB:
		tui_complete(m);
		break;
	case TUI_KEY_BACKSPACE:
		tui_edit_backspace(e);
		break;
	case TUI_KEY_DELETE:
		tui_edit_delete(e);
		break;
	case TUI_KEY_LEFT:
		tui_edit_left(e);
		break;
	case TUI_KEY_RIGHT:
		tui_edit_right(e);
		break;
	case TUI_KEY_HOME:
		tui_edit_home(e);
		break;
	case TUI_KEY_END:
		tui_edit_end(e);
		break;
	case TUI_KEY_UP:
		if (m->prompt == TUI_PROMPT_NONE)
			tui_edit_history_up(e);
		break;
	case TUI_KEY_DOWN:
		if (m->prompt == TUI_PROMPT_NONE)
			tui_edit_history_down(e);
		break;
	case TUI_KEY_KILL_LINE:
		tui_edit_kill_line(e);
		break;
	case TUI_KEY_KILL_WORD:
		tui_edit_kill_word(e);
		break;
	case TUI_KEY_KILL_END:
		tui_edit_kill_end(e);
		break;
	case TUI_KEY_YANK:
		tui_edit_yank(e);
		break;
	case TUI_KEY_WORD_LEFT:
		tui_edit_word_left(e);
		break;
	case TUI_KEY_WORD_RIGHT:
		tui_edit_word_right(e);
		break;
	default:
		break;
	}
}

/*
 * Ctrl-O and Alt-Left/Right: the next pane shown (step 1) or previous
 * (step 3): input, rooms, users, messages.
 */
static void
tui_keys_focus(struct tui_model *m, int step)
{
	int	i;

	for (i = 0; i < 4; i++) {
		m->focus = (m->focus + step) % 4;
		if ((m->focus == TUI_FOCUS_ROOMS && !m->left_shown) ||
		    (m->focus == TUI_FOCUS_USERS && !m->right_shown))
			continue;
		return;
	}
}

/* The help overlay: arrows and pages scroll it, any other key closes it. */
static void
tui_keys_help(struct tui_model *m, const struct tui_key *k)
{
	int	step = m->page > 2 ? m->page - 2 : 1;
	char	**lines;
	size_t	 n, i;

	switch (k->type) {
	case TUI_KEY_UP:
		m->help_top--;
		break;
	case TUI_KEY_DOWN:
		m->help_top++;
		break;
	case TUI_KEY_PGUP:
		m->help_top -= step;
		break;
	case TUI_KEY_PGDN:
		m->help_top += step;
		break;
	default:
		m->help = false;
		return;
	}
	/* Rows are the draw's to count; lines bound it well enough. */
	n = tui_model_help(&lines);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	if (m->help_top > (int)n)
		m->help_top = (int)n;
	if (m->help_top < 0)
		m->help_top = 0;
}

void
tui_model_key(struct tui_model *m, const struct tui_key *k)
{
	struct tui_entry	*ents;
	size_t			 n;

	m->dirty = true;
	if (m->help) {
		tui_keys_help(m, k);
		return;
	}
	switch (k->type) {
	case TUI_KEY_HELP:
		m->help = true;
		m->help_top = 0;
		return;
	case TUI_KEY_QUIT:
		m->quit = true;
		return;
	case TUI_KEY_ESC:
		tui_keys_cancel_prompt(m);
		m->focus = TUI_FOCUS_INPUT;
		return;
	case TUI_KEY_FOCUS_NEXT:
		tui_keys_focus(m, 1);
		return;
	case TUI_KEY_FOCUS_PREV:
		tui_keys_focus(m, 3);
		return;
	case TUI_KEY_PGUP:
		tui_keys_scroll(m, 1);
		return;
	case TUI_KEY_PGDN:
		tui_keys_scroll(m, -1);
		return;
	case TUI_KEY_BOTTOM:
		tui_buffer_bottom(m->view);
		return;
	case TUI_KEY_JUMP:
		if (k->n >= 1 && k->n <= 10)
			tui_pane_jump(m, (size_t)k->n - 1);
		return;
	case TUI_KEY_NEXT_UNREAD:
		tui_pane_cycle(m, 1, true);
		return;
	case TUI_KEY_NEXT_CONV:
		tui_pane_cycle(m, 1, false);
		return;
	case TUI_KEY_PREV_CONV:
		tui_pane_cycle(m, -1, false);
		return;
	case TUI_KEY_JOIN:
		/* F2 joins a room of the directory, or asks for a name. */
		ents = tui_model_entries_all(m, &n);
		if (m->focus == TUI_FOCUS_ROOMS && m->sel_left < n &&
		    ents[m->sel_left].type == TUI_BUF_ROOM)
			tui_command_join(m, ents[m->sel_left].name);
		else
			tui_keys_start_prompt(m, TUI_PROMPT_JOIN);
		free(ents);
		return;
	case TUI_KEY_LEAVE:
		tui_command_leave(m);
		return;
	case TUI_KEY_PM:
		if (m->focus == TUI_FOCUS_USERS && m->sel_users < m->nusers)
			tui_command_open_pm(m, m->users[m->sel_users]);
		else
			tui_keys_start_prompt(m, TUI_PROMPT_PM);
		return;
	default:
		break;
	}
	if (m->focus == TUI_FOCUS_MESSAGES) {
		if (tui_keys_messages(m, k))
			return;
		if (k->type != TUI_KEY_CHAR)
			return;
		m->focus = TUI_FOCUS_INPUT;
	} else if (m->focus != TUI_FOCUS_INPUT) {
		if (tui_keys_list(m, k))
			return;
		if (k->type != TUI_KEY_CHAR)
			return;
		/* Typing in a list goes to the input line. */
		m->focus = TUI_FOCUS_INPUT;
	}
	tui_keys_edit(m, k);
}
