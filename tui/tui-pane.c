/*
 * The left pane's entries, the status bar and the prompt, all derived from
 * the model when drawn; and moving among the entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-internal.h"

static int
tui_pane_idcmp(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	/* Numeric order for decimal ids: shorter is smaller. */
	if (la != lb)
		return (la < lb ? -1 : 1);
	return (strcmp(a, b));
}

size_t
tui_model_entries(const struct tui_model *m, struct tui_entry *out,
    size_t max)
{
	size_t			 n = 0, i, j;
	struct tui_entry	 e;
	bool			 room_listed = false;
	struct tui_buffer      **pms;
	size_t			 npms = 0;

#define TUI_ENTRY_ADD(e) do {			\
	if (n < max)				\
		out[n] = (e);			\
	n++;					\
} while (0)

	memset(&e, 0, sizeof e);
	e.type = TUI_BUF_STATUS;
	e.buf = m->bufs[0];
	e.unread = m->bufs[0]->unread;
	e.viewed = m->view == m->bufs[0];
	TUI_ENTRY_ADD(e);

	for (i = 0; i < m->nrooms; i++) {
		if (tui_streq(m->rooms[i], m->room))
			room_listed = true;
	}
	for (i = 0; i <= m->nrooms; i++) {
		const char *name;

		if (i == m->nrooms) {
			/* Our room even when the last list predates it. */
			if (room_listed || m->room == NULL)
				break;
			name = m->room;
		} else
			name = m->rooms[i];
		memset(&e, 0, sizeof e);
		e.type = TUI_BUF_ROOM;
		e.name = name;
		e.buf = tui_model_find(m, TUI_BUF_ROOM, name);
		e.unread = e.buf != NULL ? e.buf->unread : 0;
		e.current = tui_streq(name, m->room);
		e.viewed = e.buf != NULL && e.buf == m->view;
		TUI_ENTRY_ADD(e);
	}

	pms = tui_xmalloc(m->nbufs * sizeof *pms);
	for (i = 0; i < m->nbufs; i++) {
		if (m->bufs[i]->type != TUI_BUF_PM)
			continue;
		/* Insertion sort by id. */
		for (j = npms; j > 0 && tui_pane_idcmp(pms[j - 1]->name,
		    m->bufs[i]->name) > 0; j--)
			pms[j] = pms[j - 1];
		pms[j] = m->bufs[i];
		npms++;
	}
	for (i = 0; i < npms; i++) {
		memset(&e, 0, sizeof e);
		e.type = TUI_BUF_PM;
		e.name = pms[i]->name;
		e.buf = pms[i];
		e.unread = pms[i]->unread;
		e.viewed = pms[i] == m->view;
		TUI_ENTRY_ADD(e);
	}
	free(pms);
#undef TUI_ENTRY_ADD
	return (n);
}

struct tui_entry *
tui_model_entries_all(const struct tui_model *m, size_t *n)
{
	struct tui_entry	*ents;

	*n = tui_model_entries(m, NULL, 0);
	ents = tui_xmalloc(*n * sizeof *ents);
	tui_model_entries(m, ents, *n);
	return (ents);
}

void
tui_model_status(const struct tui_model *m, char *buf, size_t len)
{
	struct tui_entry	*ents;
	size_t			 n, i, used;
	bool			 any = false;
	const char		*state;
	char			*room;
	int			 w;

	switch (m->conn) {
	case TUI_CONN_CONNECTED:
		state = "connected";
		break;
	case TUI_CONN_CONNECTING:
		state = "connecting";
		break;
	default:
		state = "disconnected";
		break;
	}
	room = m->room != NULL ? tui_sanitise(m->room) : NULL;
	w = snprintf(buf, len, "%s | %s | id %s | room %s", m->server, state,
	    m->own_id != NULL ? m->own_id : "-", room != NULL ? room : "-");
	free(room);
	used = w > 0 ? (size_t)w : 0;

	ents = tui_model_entries_all(m, &n);
	for (i = 0; i < n && used < len; i++) {
		if (ents[i].unread == 0 || ents[i].buf == NULL)
			continue;
		w = snprintf(buf + used, len - used, "%s%s(%u)",
		    any ? " " : " | unread ", ents[i].buf->label,
		    ents[i].unread);
		any = true;
		if (w > 0)
			used += (size_t)w;
	}
	free(ents);
	if (used < len)
		snprintf(buf + used, len - used, " | F1 help");
}

const char *
tui_model_prompt(const struct tui_model *m)
{
	switch (m->prompt) {
	case TUI_PROMPT_JOIN:
		return ("join room: ");
	case TUI_PROMPT_PM:
		return ("message id: ");
	default:
		break;
	}
	return ("> ");
}

static void
tui_pane_activate(struct tui_model *m, const struct tui_entry *e)
{
	switch (e->type) {
	case TUI_BUF_STATUS:
	case TUI_BUF_PM:
		tui_model_show(m, e->buf);
		break;
	case TUI_BUF_ROOM:
		if (e->current && e->buf != NULL)
			tui_model_show(m, e->buf);
		else
			tui_command_join(m, e->name);
		break;
	}
}

void
tui_pane_jump(struct tui_model *m, size_t idx)
{
	struct tui_entry	*ents;
	size_t			 n;

	ents = tui_model_entries_all(m, &n);
	if (idx < n) {
		m->sel_left = idx;
		tui_pane_activate(m, &ents[idx]);
	}
	free(ents);
}

void
tui_pane_next_unread(struct tui_model *m)
{
	struct tui_entry	*ents;
	size_t			 n, i, at = 0;

	ents = tui_model_entries_all(m, &n);
	for (i = 0; i < n; i++) {
		if (ents[i].viewed)
			at = i;
	}
	for (i = 1; i <= n; i++) {
		size_t k = (at + i) % n;
		if (ents[k].unread > 0 && ents[k].buf != NULL) {
			m->sel_left = k;
			tui_model_show(m, ents[k].buf);
			break;
		}
	}
	free(ents);
}
