/*
 * Line editor.  The buffer is UTF-8; the cursor always sits on a character
 * boundary, where a character is a base code point plus its combining marks,
 * so Left/Right/Backspace treat "e" + U+0301 as one thing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-edit.h"
#include "tui-text.h"

void
tui_edit_init(struct tui_edit *e)
{
	memset(e, 0, sizeof *e);
}

void
tui_edit_free(struct tui_edit *e)
{
	size_t	i;

	for (i = 0; i < e->hlen; i++)
		free(e->hist[i]);
	free(e->saved);
	free(e->comp_word);
	free(e->killed);
	memset(e, 0, sizeof *e);
}

void
tui_edit_complete_reset(struct tui_edit *e)
{
	free(e->comp_word);
	e->comp_word = NULL;
	e->comp_next = 0;
}

void
tui_edit_clear(struct tui_edit *e)
{
	e->len = e->cursor = 0;
	e->buf[0] = '\0';
	tui_edit_complete_reset(e);
}

void
tui_edit_set(struct tui_edit *e, const char *s)
{
	size_t	len = strlen(s);

	if (len > TUI_INPUT_MAX)
		len = tui_text_prev(s, len, TUI_INPUT_MAX + 1);
	memcpy(e->buf, s, len);
	e->buf[len] = '\0';
	e->len = e->cursor = len;
	tui_edit_complete_reset(e);
}

int
tui_edit_insert(struct tui_edit *e, const char *s, size_t len)
{
	if (len > TUI_INPUT_MAX - e->len)
		return (-1);
	memmove(e->buf + e->cursor + len, e->buf + e->cursor,
	    e->len - e->cursor + 1);
	memcpy(e->buf + e->cursor, s, len);
	e->len += len;
	e->cursor += len;
	return (0);
}

int
tui_edit_insert_cp(struct tui_edit *e, uint32_t cp)
{
	char	u[4];

	/* A control character in the input would be sent as it is. */
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (-1);
	return (tui_edit_insert(e, u, tui_text_encode(cp, u)));
}

void
tui_edit_left(struct tui_edit *e)
{
	e->cursor = tui_text_prev(e->buf, e->len, e->cursor);
}

void
tui_edit_right(struct tui_edit *e)
{
	e->cursor = tui_text_next(e->buf, e->len, e->cursor);
}

void
tui_edit_home(struct tui_edit *e)
{
	e->cursor = 0;
}

void
tui_edit_end(struct tui_edit *e)
{
	e->cursor = e->len;
}

/* Remove bytes [from, to) and leave the cursor at from. */
static void
tui_edit_cut(struct tui_edit *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->cursor = from;
}

void
tui_edit_backspace(struct tui_edit *e)
{
	if (e->cursor > 0)
		tui_edit_cut(e, tui_text_prev(e->buf, e->len, e->cursor),
		    e->cursor);
}

void
tui_edit_delete(struct tui_edit *e)
{
	if (e->cursor < e->len)
		tui_edit_cut(e, e->cursor,
		    tui_text_next(e->buf, e->len, e->cursor));
}

/* Cut bytes [from, to), keeping them for Ctrl-Y. */
static void
tui_edit_kill(struct tui_edit *e, size_t from, size_t to)
{
	char	*k;

	if (to <= from)
		return;
	if ((k = strndup(e->buf + from, to - from)) != NULL) {
		free(e->killed);
		e->killed = k;
	}
	tui_edit_cut(e, from, to);
}

void
tui_edit_kill_line(struct tui_edit *e)
{
	tui_edit_kill(e, 0, e->cursor);
}

void
tui_edit_kill_end(struct tui_edit *e)
{
	tui_edit_kill(e, e->cursor, e->len);
}

void
tui_edit_yank(struct tui_edit *e)
{
	if (e->killed != NULL)
		tui_edit_insert(e, e->killed, strlen(e->killed));
}

void
tui_edit_word_left(struct tui_edit *e)
{
	while (e->cursor > 0 && e->buf[e->cursor - 1] == ' ')
		e->cursor--;
	while (e->cursor > 0 && e->buf[e->cursor - 1] != ' ')
		e->cursor--;
}

void
tui_edit_word_right(struct tui_edit *e)
{
	while (e->cursor < e->len && e->buf[e->cursor] == ' ')
		e->cursor++;
	while (e->cursor < e->len && e->buf[e->cursor] != ' ')
		e->cursor++;
}

void
tui_edit_kill_word(struct tui_edit *e)
{
	size_t	at = e->cursor;

	while (at > 0 && e->buf[at - 1] == ' ')
		at--;
	while (at > 0 && e->buf[at - 1] != ' ')
		at--;
	tui_edit_kill(e, at, e->cursor);
}

void
tui_edit_history_add(struct tui_edit *e, const char *line)
{
	char	*copy;

	free(e->saved);
	e->saved = NULL;
	if (*line == '\0' ||
	    (e->hlen > 0 && strcmp(e->hist[e->hlen - 1], line) == 0)) {
		e->hpos = e->hlen;
		return;
	}
	if ((copy = strdup(line)) == NULL)
		return;
	if (e->hlen == TUI_HISTORY_MAX) {
		free(e->hist[0]);
		memmove(e->hist, e->hist + 1,
		    (TUI_HISTORY_MAX - 1) * sizeof *e->hist);
		e->hlen--;
	}
	e->hist[e->hlen++] = copy;
	e->hpos = e->hlen;
}

void
tui_edit_history_up(struct tui_edit *e)
{
	if (e->hpos == 0)
		return;
	if (e->hpos == e->hlen) {
		free(e->saved);
		e->saved = strdup(e->buf);
	}
	e->hpos--;
	tui_edit_set(e, e->hist[e->hpos]);
}

void
tui_edit_history_down(struct tui_edit *e)
{
	if (e->hpos >= e->hlen)
		return;
	e->hpos++;
	if (e->hpos == e->hlen) {
		tui_edit_set(e, e->saved != NULL ? e->saved : "");
		free(e->saved);
		e->saved = NULL;
	} else
		tui_edit_set(e, e->hist[e->hpos]);
}

/*
 * Replace bytes [start, cursor) with s[0..len), and a space after it when
 * space is set.  Candidates come from the server and may be of any size:
 * one that would not fit the line leaves it as it is.
 */
static bool
tui_edit_replace_word(struct tui_edit *e, size_t start, const char *s,
    size_t len, bool space)
{
	size_t	keep = e->len - (e->cursor - start);

	if (len > TUI_INPUT_MAX || keep + len + (space ? 1 : 0) >
	    TUI_INPUT_MAX)
		return (false);
	tui_edit_cut(e, start, e->cursor);
	tui_edit_insert(e, s, len);
	if (space)
		tui_edit_insert(e, " ", 1);
	return (true);
}

size_t
tui_edit_complete(struct tui_edit *e, const char *const *cands, size_t n)
{
	size_t	start = e->cursor;

	while (start > 0 && e->buf[start - 1] != ' ')
		start--;
	return (tui_edit_complete_at(e, start, cands, n));
}

size_t
tui_edit_complete_at(struct tui_edit *e, size_t start,
    const char *const *cands, size_t n)
{
	size_t		 wlen, i, nmatch = 0, first = 0, plen = 0;
	const char	*word;

	if (e->comp_word != NULL) {
		/* Cycling: the word is what the user typed before Tab. */
		word = e->comp_word;
		start = e->comp_start;
		wlen = strlen(word);
	} else {
		if (start > e->cursor)
			start = e->cursor;
		word = e->buf + start;
		wlen = e->cursor - start;
	}

	for (i = 0; i < n; i++) {
		if (strncmp(cands[i], word, wlen) != 0)
			continue;
		if (nmatch++ == 0) {
			first = i;
			plen = strlen(cands[i]);
		} else {
			size_t j = 0;
			while (j < plen && cands[i][j] == cands[first][j])
				j++;
			plen = j;
		}
	}
	if (nmatch == 0)
		return (0);
	if (nmatch == 1) {
		tui_edit_complete_reset(e);
		tui_edit_replace_word(e, start, cands[first],
		    strlen(cands[first]), true);
		return (1);
	}
	if (e->comp_word == NULL && plen > wlen) {
		size_t	at = 0, next, clen = strlen(cands[first]);

		/* Cut the common prefix on a character boundary. */
		while ((next = tui_text_next(cands[first], clen, at)) <= plen &&
		    next > at)
			at = next;
		if ((plen = at) > wlen) {
			tui_edit_replace_word(e, start, cands[first], plen,
			    false);
			return (nmatch);
		}
	}

	/* Nothing to add: cycle through the matches in order. */
	if (e->comp_word == NULL) {
		if ((e->comp_word = strndup(word, wlen)) == NULL)
			return (nmatch);
		e->comp_start = start;
		e->comp_next = 0;
	}
	for (i = 0; i < n; i++) {
		size_t k = (e->comp_next + i) % n;
		if (strncmp(cands[k], e->comp_word, wlen) == 0 &&
		    tui_edit_replace_word(e, e->comp_start, cands[k],
		    strlen(cands[k]), false)) {
			e->comp_next = k + 1;
			break;
		}
	}
	return (nmatch);
}

int
tui_edit_cursor_col(const struct tui_edit *e)
{
	return (tui_text_width(e->buf, e->cursor));
}
