/*
 * Tab on the input line.  What the word can be depends on where it is:
 * a command name first, then the argument kind the command table gives
 * (a room name, spaces and all, or a user); at a prompt, what the prompt
 * asks for.  Each candidate is offered once, in sorted order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui-internal.h"

static int
tui_complete_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Sort and drop repeats; returns the new count. */
static size_t
tui_complete_unique(const char **cands, size_t n)
{
	size_t	i, k = 0;

	qsort(cands, n, sizeof *cands, tui_complete_cmp);
	for (i = 0; i < n; i++) {
		if (k == 0 || strcmp(cands[k - 1], cands[i]) != 0)
			cands[k++] = cands[i];
	}
	return (k);
}

static size_t
tui_complete_rooms(const struct tui_model *m, const char **cands, size_t n)
{
	size_t	i;

	for (i = 0; i < m->nrooms; i++)
		cands[n++] = m->rooms[i];
	return (n);
}

static size_t
tui_complete_users(const struct tui_model *m, const char **cands, size_t n)
{
	size_t	i;

	/* By name where the user has one: /msg takes either. */
	for (i = 0; i < m->nusers; i++)
		cands[n++] = tui_model_who(m, m->users[i]);
	for (i = 0; i < m->nbufs; i++) {
		if (m->bufs[i]->type == TUI_BUF_PM)
			cands[n++] = tui_model_who(m, m->bufs[i]->name);
	}
	return (n);
}

void
tui_complete(struct tui_model *m)
{
	const struct tui_command	*c = NULL;
	struct tui_edit			*e = &m->edit;
	const char			**cands;
	char				 first[32];
	size_t				 n = 0, i, j, start, flen;

	cands = tui_xmalloc((tui_ncommands * 4 + m->nrooms + m->nusers +
	    m->nbufs) * sizeof *cands);
	start = e->cursor;
	while (start > 0 && e->buf[start - 1] != ' ')
		start--;
	flen = strcspn(e->buf, " ");

	if (m->prompt == TUI_PROMPT_JOIN) {
		/* The whole answer is a room name. */
		n = tui_complete_rooms(m, cands, 0);
		start = 0;
	} else if (m->prompt == TUI_PROMPT_PM) {
		n = tui_complete_users(m, cands, 0);
		start = 0;
	} else if (e->buf[0] == '/' && e->cursor <= flen) {
		for (i = 0; i < tui_ncommands; i++) {
			c = &tui_commands[i];
			if (asprintf((char **)&cands[n++], "/%s", c->name) ==
			    -1)
				abort();
			for (j = 0; c->aliases[j] != NULL; j++) {
				if (asprintf((char **)&cands[n++], "/%s",
				    c->aliases[j]) == -1)
					abort();
			}
		}
		n = tui_complete_unique(cands, n);
		tui_edit_complete_at(e, 0, cands, n);
		for (i = 0; i < n; i++)
			free((char *)cands[i]);
		free(cands);
		return;
	} else {
		if (e->buf[0] == '/' && flen < sizeof first) {
			memcpy(first, e->buf + 1, flen - 1);
			first[flen - 1] = '\0';
			c = tui_command_find(first);
		}
		if (c != NULL && c->arg == TUI_ARG_ROOM) {
			/* Room names may hold spaces: all after "/join ". */
			n = tui_complete_rooms(m, cands, 0);
			start = flen + strspn(e->buf + flen, " ");
		} else if (c != NULL && c->arg == TUI_ARG_USER) {
			n = tui_complete_users(m, cands, 0);
		} else {
			n = tui_complete_users(m, cands, 0);
			n = tui_complete_rooms(m, cands, n);
		}
	}
	n = tui_complete_unique(cands, n);
	tui_edit_complete_at(e, start, cands, n);
	free(cands);
}
