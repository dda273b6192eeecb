/*
 * Mentions and the hotlist (tui-mention.h).  A line from someone else
 * that names you is highlighted; where it is not read yet it raises its
 * conversation to the highlight level and rings the bell, as a private
 * message does.
 */
#include <string.h>

#include "tui-internal.h"
#include "tui-mention.h"

/*
 * Names hold only ASCII letters, digits, _ and - (proto_name_valid), so
 * any of those next to a name makes another name ("alice2", "al-alice");
 * anything else ends the word: spaces, punctuation, "@", and every
 * non-ASCII character ("alice’s", "«alice»").
 */
static bool
tui_mention_namechar(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-');
}

static unsigned char
tui_mention_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

bool
tui_mention_match(const char *text, size_t len, const char *name)
{
	const unsigned char	*t = (const unsigned char *)text;
	size_t			 nlen, i, j;

	if (name == NULL || (nlen = strlen(name)) == 0 || nlen > len)
		return (false);
	for (i = 0; i + nlen <= len; i++) {
		if (i > 0 && tui_mention_namechar(t[i - 1]))
			continue;
		for (j = 0; j < nlen; j++) {
			if (tui_mention_lower(t[i + j]) !=
			    tui_mention_lower((unsigned char)name[j]))
				break;
		}
		if (j == nlen && (i + nlen == len ||
		    !tui_mention_namechar(t[i + nlen])))
			return (true);
	}
	return (false);
}

enum tui_hot
tui_mention_level(unsigned unread, unsigned highlights)
{
	if (highlights > 0)
		return (TUI_HOT_HIGHLIGHT);
	return (unread > 0 ? TUI_HOT_UNREAD : TUI_HOT_NONE);
}

void
tui_mention_note(struct tui_model *m, struct tui_buffer *b,
    enum tui_line_kind kind, const char *text, size_t len)
{
	bool	mention;

	if (kind != TUI_LINE_MSG && kind != TUI_LINE_PM_IN)
		return;		/* your own lines never */
	if (len == 0 && text != NULL)
		len = strlen(text);
	mention = text != NULL && tui_mention_match(text, len, m->own_name);
	if (mention)
		tui_buffer_highlight(b);
	if (!mention && kind != TUI_LINE_PM_IN)
		return;
	/* Read as it comes: nothing to tell. */
	if (b == m->view)
		return;
	b->highlights++;
	if (!m->bell_off)
		m->bell = true;
	m->dirty = true;
}
