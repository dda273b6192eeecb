/*
 * libFuzzer harness for chat-tui's model and line editor fed by a hostile
 * server: the input is lines, each a server message (JSON, as decoded by
 * shared/proto.c) or, after a 0x01 byte, keys the user presses (one byte
 * each, mapped onto the key table below; Tab completes from what the
 * server sent).  Nothing the server says may crash, leak or overflow, and
 * the panes, status bar and every line stay drawable.  A line starting
 * 0x02 resizes the message pane to its next two bytes (width, height);
 * one starting 0x03 is pasted (bracketed paste; 0x04 in it is a newline)
 * and paced out with the clock a second further each line.  A line
 * starting 0x05 is a reconnect: the connection closes and opens again.
 * Built and run by tests/fuzz/run-fuzz.sh tui SECONDS.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "tui-model.h"
#include "tui-text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const enum tui_key_type fuzz_keys[] = {
	TUI_KEY_ENTER, TUI_KEY_TAB, TUI_KEY_BACKSPACE, TUI_KEY_DELETE,
	TUI_KEY_LEFT, TUI_KEY_RIGHT, TUI_KEY_UP, TUI_KEY_DOWN, TUI_KEY_HOME,
	TUI_KEY_END, TUI_KEY_PGUP, TUI_KEY_PGDN, TUI_KEY_ESC,
	TUI_KEY_KILL_LINE, TUI_KEY_KILL_WORD, TUI_KEY_JOIN, TUI_KEY_LEAVE,
	TUI_KEY_PM, TUI_KEY_FOCUS_NEXT, TUI_KEY_FOCUS_PREV, TUI_KEY_JUMP,
	TUI_KEY_NEXT_UNREAD, TUI_KEY_HELP,
};
#define FUZZ_NKEYS (sizeof fuzz_keys / sizeof fuzz_keys[0])

static time_t
fuzz_clock(time_t *t)
{
	if (t != NULL)
		*t = 0;
	return (0);
}

static void
fuzz_keys_in(struct tui_model *m, const uint8_t *p, size_t len)
{
	struct tui_key	k;
	size_t		i;

	for (i = 0; i < len; i++) {
		memset(&k, 0, sizeof k);
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			/* Printable: typed, with '/' and ' ' for commands. */
			k.type = TUI_KEY_CHAR;
			k.cp = p[i];
		} else {
			k.type = fuzz_keys[p[i] % FUZZ_NKEYS];
			k.n = p[i] % 11;
		}
		tui_model_key(m, &k);
	}
}

/* Everything a draw reads must be there and valid. */
static void
fuzz_check(struct tui_model *m)
{
	struct tui_entry	*ents;
	struct proto_msg	 req;
	size_t			 n, i;
	char			 status[1024];
	const struct tui_line	*l;
	struct tui_view_row	 rows[64];

	/* What a draw shows is rows of lines, in range. */
	n = tui_buffer_visible(m->view, m->page, rows);
	CHECK(n <= (size_t)m->page && m->view->scroll >= 0);
	for (i = 0; i < n; i++) {
		CHECK(rows[i].row < rows[i].line->nrows);
		CHECK(rows[i].line->rows[rows[i].row].width <=
		    m->view->width - rows[i].line->indent ||
		    rows[i].line->rows[rows[i].row].width <= 2);
	}

	ents = tui_model_entries_all(m, &n);
	for (i = 0; i < n; i++) {
		CHECK(ents[i].type == TUI_BUF_STATUS || ents[i].name != NULL);
		if (ents[i].buf != NULL)
			CHECK(ents[i].buf->label != NULL);
	}
	free(ents);
	tui_model_status(m, status, sizeof status);
	CHECK(strlen(status) < sizeof status);
	CHECK(m->view != NULL);
	if (m->view->nlines > 0) {
		l = tui_model_line(m->view, m->view->nlines - 1);
		CHECK(l != NULL && l->text != NULL);
		CHECK(tui_text_width(l->text, strlen(l->text)) >= 0);
	}
	CHECK(m->edit.len <= TUI_INPUT_MAX && m->edit.cursor <= m->edit.len);
	CHECK(strlen(m->edit.buf) == m->edit.len);
	while (tui_model_pop_request(m, &req))
		tui_model_request_free(&req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tui_model	 m;
	struct proto_msg	 msg;
	const uint8_t		*p = data, *end = data + size, *nl;
	size_t			 len;
	long long		 now = 1;

	tui_model_init(&m, "fuzz");
	m.clock = fuzz_clock;
	tui_model_opened(&m);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[0] == 0x01)
			fuzz_keys_in(&m, p + 1, len - 1);
		else if (len >= 3 && p[0] == 0x02)
			tui_model_resize(&m, p[1], p[2] % 64);
		else if (len >= 1 && p[0] == 0x03) {
			char	*t = malloc(len);
			size_t	 i;

			CHECK(t != NULL);
			for (i = 1; i < len; i++)
				t[i - 1] = p[i] == 0x04 ? '\n' : (char)p[i];
			tui_model_paste(&m, t, len - 1);
			free(t);
		} else if (len >= 1 && p[0] == 0x05) {
			tui_model_closed(&m, "fuzz");
			tui_model_opened(&m);
		} else if (proto_decode((const char *)p, len, &msg) == 0) {
			tui_model_message(&m, &msg);
			proto_msg_free(&msg);
		}
		now += 1000;
		tui_model_pace(&m, now);
		fuzz_check(&m);
		p = nl + (nl < end);
	}
	tui_model_closed(&m, "fuzz");
	fuzz_check(&m);
	tui_model_free(&m);
	return (0);
}
