/*
 * Bracketed paste (irssi's paste_join, WeeChat's paste confirmation): a
 * paste is one unit.  One line goes on the input line to be edited; more
 * are sent as they are, never run as commands, each line a message to
 * the conversation shown, after asking when there are more than a few,
 * and paced under the server's rate limit (tui_model_pace).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"
#include "tui-text.h"

void
tui_paste_drop(struct tui_model *m)
{
	tui_strv_free(m->paste, m->npaste);
	m->paste = NULL;
	m->npaste = 0;
	free(m->paste_prompt);
	m->paste_prompt = NULL;
}

void
tui_paste_send(struct tui_model *m)
{
	size_t	i;

	if (tui_command_target(m)) {
		for (i = 0; i < m->npaste; i++) {
			/* The server takes no empty message. */
			if (m->paste[i][0] != '\0')
				tui_command_say_paced(m, m->paste[i]);
		}
		tui_buffer_bottom(m->view);
	}
	tui_paste_drop(m);
}

/* Copy one pasted line, without control characters but tabs (spaces). */
static char *
tui_paste_line(const char *s, size_t len)
{
	char		*out, *p;
	size_t		 off = 0, n;
	uint32_t	 cp;

	out = tui_xmalloc(len + 1);
	p = out;
	while (off < len) {
		n = tui_text_decode(s + off, len - off, &cp);
		if (cp == '\t')
			*p++ = ' ';
		else if (cp >= 0x20 && cp != 0x7f && (cp < 0x80 || cp > 0x9f)) {
			memcpy(p, s + off, n);
			p += n;
		}
		off += n;
	}
	*p = '\0';
	return (out);
}

void
tui_model_paste(struct tui_model *m, const char *text, size_t len)
{
	size_t	 start = 0, i, n = 0;
	char	*line;

	m->dirty = true;
	if (len > TUI_PASTE_MAX)
		len = tui_text_prev(text, len, TUI_PASTE_MAX + 1);
	/* Lines end at \n, \r or \r\n; a last empty one is no line. */
	tui_paste_drop(m);
	m->paste = tui_xmalloc((len + 1) * sizeof *m->paste);
	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n' && text[i] != '\r')
			continue;
		if (i == len && i == start && n > 0)
			break;
		m->paste[n++] = tui_paste_line(text + start, i - start);
		if (i + 1 < len && text[i] == '\r' && text[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	m->npaste = n;
	if (m->help)
		m->help = false;
	if (n == 1) {
		/* One line is typing: it goes where the cursor is. */
		line = m->paste[0];
		if (tui_edit_insert(&m->edit, line, strlen(line)) != 0) {
			size_t fit = TUI_INPUT_MAX - m->edit.len;

			tui_edit_insert(&m->edit, line,
			    tui_text_prev(line, strlen(line), fit + 1));
		}
		m->focus = TUI_FOCUS_INPUT;
		tui_paste_drop(m);
		return;
	}
	if (m->prompt != TUI_PROMPT_NONE)
		tui_keys_cancel_prompt(m);
	if (n <= TUI_PASTE_ASK_LINES) {
		tui_paste_send(m);
		return;
	}
	if (asprintf(&line, "send %zu pasted lines to %s? (Enter: yes, "
	    "Esc: no) ", n, m->view->label) == -1)
		abort();
	/* The prompt drops the paste when cancelled: keep it past that. */
	{
		char	**keep = m->paste;
		size_t	  nkeep = m->npaste;

		m->paste = NULL;
		m->npaste = 0;
		tui_keys_start_prompt(m, TUI_PROMPT_PASTE);
		m->paste = keep;
		m->npaste = nkeep;
	}
	m->paste_prompt = line;
}
