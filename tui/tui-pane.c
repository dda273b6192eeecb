/*
 * The left pane's entries, the status bar and the prompt, all derived from
 * the model when drawn; and moving among the entries.
 */
#include <limits.h>
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

/* The private conversations, ordered by id (malloc'd; *n how many). */
static struct tui_buffer **
tui_pane_pms(const struct tui_model *m, size_t *n)
{
	struct tui_buffer	**pms;
	size_t			  i, j, k = 0;

	pms = tui_xmalloc(m->nbufs * sizeof *pms);
	for (i = 0; i < m->nbufs; i++) {
		if (m->bufs[i]->type != TUI_BUF_PM)
			continue;
		for (j = k; j > 0 && tui_pane_idcmp(pms[j - 1]->name,
		    m->bufs[i]->name) > 0; j--)
			pms[j] = pms[j - 1];
		pms[j] = m->bufs[i];
		k++;
	}
	*n = k;
	return (pms);
}

/*
 * Conversations first (status, rooms we have lines of, private ones by
 * id), then the server's room directory.  Keys that move among
 * conversations never join; joining is Enter or F2 on the directory.
 */
size_t
tui_model_entries(const struct tui_model *m, struct tui_entry *out,
    size_t max)
{
	size_t			 n = 0, i, npms;
	struct tui_entry	 e;
	bool			 room_listed = false;
	struct tui_buffer      **pms, *b;

#define TUI_ENTRY_ADD(e) do {			\
	if (n < max)				\
		out[n] = (e);			\
	n++;					\
} while (0)

	for (i = 0; i < m->nbufs; i++) {
		b = m->bufs[i];
		if (b->type == TUI_BUF_PM)
			continue;
		memset(&e, 0, sizeof e);
		e.type = b->type;
		e.name = b->name;
		e.buf = b;
		e.unread = b->unread;
		e.hot = tui_mention_level(b->unread, b->highlights);
		e.current = b->type == TUI_BUF_ROOM &&
		    tui_streq(b->name, m->room);
		e.viewed = b == m->view;
		TUI_ENTRY_ADD(e);
	}
	pms = tui_pane_pms(m, &npms);
	for (i = 0; i < npms; i++) {
		memset(&e, 0, sizeof e);
		e.type = TUI_BUF_PM;
		e.name = pms[i]->name;
		e.buf = pms[i];
		e.unread = pms[i]->unread;
		e.hot = tui_mention_level(pms[i]->unread,
		    pms[i]->highlights);
		e.viewed = pms[i] == m->view;
		TUI_ENTRY_ADD(e);
	}
	free(pms);

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
		e.directory = true;
		e.name = name;
		e.current = tui_streq(name, m->room);
		TUI_ENTRY_ADD(e);
	}
#undef TUI_ENTRY_ADD
	return (n);
}

size_t
tui_model_conversations(const struct tui_model *m)
{
	return (m->nbufs);
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

/* The status bar's fields, in the order they are shown. */
enum {
	TUI_FIELD_SERVER,
	TUI_FIELD_STATE,
	TUI_FIELD_NAME,
	TUI_FIELD_ID,
	TUI_FIELD_ROOM,
	TUI_FIELD_UNREAD,
	TUI_FIELD_HINT,
	TUI_NFIELDS
};

/* Which field goes first when the bar is too narrow, and so on. */
static const int tui_pane_drop_order[] = {
	TUI_FIELD_SERVER, TUI_FIELD_ID, TUI_FIELD_HINT, TUI_FIELD_STATE,
	TUI_FIELD_NAME, TUI_FIELD_ROOM,
};

/* The unread conversations, "lobby(2) @3(1)" (malloc'd, maybe ""). */
static char *
tui_pane_unread(const struct tui_model *m)
{
	struct tui_entry	*ents;
	size_t			 n, i, len = 1, used = 0;
	char			*s;

	ents = tui_model_entries_all(m, &n);
	for (i = 0; i < n; i++) {
		if (ents[i].unread > 0 && ents[i].buf != NULL)
			len += strlen(ents[i].buf->label) + 16;
	}
	s = tui_xmalloc(len);
	for (i = 0; i < n; i++) {
		if (ents[i].unread == 0 || ents[i].buf == NULL)
			continue;
		used += (size_t)snprintf(s + used, len - used, "%s%s(%u)",
		    used > 0 ? " " : "", ents[i].buf->label, ents[i].unread);
	}
	free(ents);
	return (s);
}

size_t
tui_model_left_first(const struct tui_model *m, const struct tui_entry *ents,
    size_t n, int height)
{
	size_t	nconv = tui_model_conversations(m), sel = m->sel_left, i, d;

	if (m->focus != TUI_FOCUS_ROOMS) {
		for (i = 0; i < nconv && i < n; i++) {
			if (ents[i].viewed)
				sel = i;
		}
	}
	if (sel >= n)
		sel = n > 0 ? n - 1 : 0;
	d = sel >= nconv ? sel + 1 : sel;
	if (height > 0 && d >= (size_t)height)
		return (d - (size_t)height + 1);
	return (0);
}

void
tui_model_status_fit(const struct tui_model *m, int cols, char *buf,
    size_t len)
{
	char		*f[TUI_NFIELDS], *room, *unread;
	bool		 shown[TUI_NFIELDS];
	const char	*state;
	size_t		 i, used = 0, d = 0;
	int		 w, n;

	switch (m->conn) {
	case TUI_CONN_CONNECTED:
		state = "connected";
		break;
	case TUI_CONN_CONNECTING:
		state = "connecting";
		break;
	default:
		state = m->hold ? "replaced" : "disconnected";
		break;
	}
	/* No empty fields: what is not known is not shown. */
	memset(f, 0, sizeof f);
	room = m->room != NULL ? tui_sanitise(m->room) : NULL;
	unread = tui_pane_unread(m);
	f[TUI_FIELD_SERVER] = tui_xstrdup(m->server);
	f[TUI_FIELD_STATE] = tui_xstrdup(state);
	if (m->own_name != NULL && m->conn == TUI_CONN_CONNECTED) {
		char	*name = tui_sanitise(m->own_name);

		if (asprintf(&f[TUI_FIELD_NAME], "name %s", name) == -1)
			abort();
		free(name);
	}
	if (m->own_id != NULL && asprintf(&f[TUI_FIELD_ID], "id %s",
	    m->own_id) == -1)
		abort();
	if (room != NULL && asprintf(&f[TUI_FIELD_ROOM], "room %s", room) == -1)
		abort();
	if (*unread != '\0' && asprintf(&f[TUI_FIELD_UNREAD], "unread %s",
	    unread) == -1)
		abort();
	f[TUI_FIELD_HINT] = tui_xstrdup("F1 help");
	free(room);
	free(unread);

	for (i = 0; i < TUI_NFIELDS; i++)
		shown[i] = f[i] != NULL;
	for (;;) {
		w = 0;
		n = 0;
		for (i = 0; i < TUI_NFIELDS; i++) {
			if (shown[i]) {
				w += (n++ > 0 ? 3 : 0) +
				    tui_text_width(f[i], strlen(f[i]));
			}
		}
		if (w <= cols || d == sizeof tui_pane_drop_order /
		    sizeof tui_pane_drop_order[0])
			break;
		/* The state stays while it is news (not connected). */
		if (tui_pane_drop_order[d] == TUI_FIELD_STATE &&
		    m->conn != TUI_CONN_CONNECTED) {
			d++;
			continue;
		}
		shown[tui_pane_drop_order[d++]] = false;
	}
	buf[0] = '\0';
	for (i = 0; i < TUI_NFIELDS; i++) {
		if (shown[i] && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used > 0 ? " | " : "", f[i]);
		free(f[i]);
	}
}

void
tui_model_status(const struct tui_model *m, char *buf, size_t len)
{
	tui_model_status_fit(m, INT_MAX, buf, len);
}

const char *
tui_model_prompt(const struct tui_model *m)
{
	switch (m->prompt) {
	case TUI_PROMPT_JOIN:
		return ("join room: ");
	case TUI_PROMPT_PM:
		return ("message (name or id): ");
	case TUI_PROMPT_PASTE:
		return (m->paste_prompt != NULL ? m->paste_prompt : "paste? ");
	default:
		break;
	}
	return ("> ");
}

static void
tui_pane_activate(struct tui_model *m, const struct tui_entry *e)
{
	struct tui_buffer	*b;

	if (!e->directory) {
		tui_model_show(m, e->buf);
		return;
	}
	/* The directory: our room is shown, any other joined. */
	if (e->current && (b = tui_model_find(m, TUI_BUF_ROOM, e->name)) !=
	    NULL)
		tui_model_show(m, b);
	else
		tui_command_join(m, e->name);
}

/* Enter or F2 on entry idx of the left pane. */
void
tui_pane_enter(struct tui_model *m, size_t idx)
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

/* Alt-1..9, Alt-0: conversation idx, never a directory entry. */
void
tui_pane_jump(struct tui_model *m, size_t idx)
{
	struct tui_entry	*ents;
	size_t			 n;

	ents = tui_model_entries_all(m, &n);
	if (idx < n && !ents[idx].directory) {
		m->sel_left = idx;
		tui_model_show(m, ents[idx].buf);
	}
	free(ents);
}

/*
 * Ctrl-N / Ctrl-P (dir 1 / -1): the next or previous conversation; with
 * unread set (Alt-a), the next one at the highest hotlist level there is
 * (highlights before plain unread lines), as WeeChat's Alt-a.
 */
void
tui_pane_cycle(struct tui_model *m, int dir, bool unread)
{
	struct tui_entry	*ents;
	size_t			 n, nconv = 0, i, at = 0, k;
	enum tui_hot		 top = TUI_HOT_NONE;

	ents = tui_model_entries_all(m, &n);
	for (i = 0; i < n; i++) {
		if (ents[i].directory)
			continue;
		nconv = i + 1;
		if (ents[i].viewed)
			at = i;
		if (ents[i].hot > top)
			top = ents[i].hot;
	}
	for (i = 1; i <= nconv; i++) {
		k = (at + nconv + (dir > 0 ? i : nconv - i)) % nconv;
		if (unread && (ents[k].unread == 0 || ents[k].hot < top))
			continue;
		m->sel_left = k;
		tui_model_show(m, ents[k].buf);
		break;
	}
	free(ents);
}
