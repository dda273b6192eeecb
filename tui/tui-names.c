/*
 * Who is who: the names the server told us (version 2), by user id.  Any
 * message carrying a user_id and a name updates it; a user without a name
 * is shown by its bare id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui-internal.h"
#include "tui-text.h"

struct tui_name {
	char	*id;
	char	*name;
};

/* A private conversation is labelled @name, or @id without one. */
void
tui_names_label(struct tui_model *m, struct tui_buffer *b)
{
	const char	*who;
	char		*clean, *label;

	if (b->type != TUI_BUF_PM)
		return;
	who = tui_model_who(m, b->name);
	if ((clean = tui_text_sanitise(who, strlen(who), 0)) == NULL ||
	    asprintf(&label, "@%s", clean) == -1)
		abort();
	free(clean);
	free(b->label);
	b->label = label;
}

static void
tui_names_changed(struct tui_model *m, const char *id)
{
	struct tui_buffer	*b;

	if ((b = tui_model_find(m, TUI_BUF_PM, id)) != NULL)
		tui_names_label(m, b);
	m->dirty = true;
}

/* name NULL: not said (nothing changes); "": the user has no name. */
void
tui_names_note(struct tui_model *m, const char *id, const char *name)
{
	size_t	i;

	if (id == NULL || name == NULL)
		return;
	for (i = 0; i < m->nnames; i++) {
		if (strcmp(m->names[i].id, id) != 0)
			continue;
		if (*name == '\0') {
			free(m->names[i].id);
			free(m->names[i].name);
			m->names[i] = m->names[--m->nnames];
		} else if (strcmp(m->names[i].name, name) != 0)
			tui_set(&m->names[i].name, name);
		else
			return;
		tui_names_changed(m, id);
		return;
	}
	if (*name == '\0')
		return;
	m->names = realloc(m->names, (m->nnames + 1) * sizeof *m->names);
	if (m->names == NULL)
		abort();
	m->names[m->nnames].id = tui_xstrdup(id);
	m->names[m->nnames].name = tui_xstrdup(name);
	m->nnames++;
	tui_names_changed(m, id);
}

/* The name of id, or NULL. */
const char *
tui_names_of(const struct tui_model *m, const char *id)
{
	size_t	i;

	for (i = 0; id != NULL && i < m->nnames; i++) {
		if (strcmp(m->names[i].id, id) == 0)
			return (m->names[i].name);
	}
	return (NULL);
}

const char *
tui_model_who(const struct tui_model *m, const char *id)
{
	const char	*name = tui_names_of(m, id);

	return (name != NULL ? name : id);
}

/* The id of the user called name (any case), or NULL. */
const char *
tui_names_id(const struct tui_model *m, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < m->nnames; i++) {
		if (strcasecmp(m->names[i].name, name) == 0)
			return (m->names[i].id);
	}
	return (NULL);
}

void
tui_names_free(struct tui_model *m)
{
	size_t	i;

	for (i = 0; i < m->nnames; i++) {
		free(m->names[i].id);
		free(m->names[i].name);
	}
	free(m->names);
	m->names = NULL;
	m->nnames = 0;
}
