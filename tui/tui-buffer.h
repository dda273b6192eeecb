/*
 * A conversation's scrollback: a ring of at most TUI_SCROLLBACK_MAX lines,
 * each formatted and wrapped once when it is added (and again only when
 * the width changes), so drawing reads rows and never wraps.  The scroll
 * position counts rows back from the newest, clamped here.
 */
#ifndef TUI_BUFFER_H
#define TUI_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tui-text.h"

enum tui_line_kind {
	TUI_LINE_MSG,		/* room message from someone else */
	TUI_LINE_OWN,		/* own room message */
	TUI_LINE_JOIN,		/* joins and leaves: dim, never unread */
	TUI_LINE_LEAVE,
	TUI_LINE_PM_IN,		/* "<- 3" */
	TUI_LINE_PM_OUT,	/* "-> 3" */
	TUI_LINE_ERROR,		/* an error reply from the server */
	TUI_LINE_INFO,		/* local notices and command output */
	TUI_LINE_MARKER,	/* where reading stopped (one per buffer) */
	TUI_LINE_DIVIDER,	/* "-- ... --" around history, no time */
};

struct tui_line {
	time_t			 when;
	enum tui_line_kind	 kind;
	char			*who;	/* sender or peer (sanitised) or NULL */
	char			*text;	/* sanitised, may hold newlines */

	/*
	 * As drawn: the prefix ("12:00 <who> ") and then the body, wrapped
	 * in the columns right of the prefix, so that every row of a line
	 * is visibly part of it and no text can pose as another line.
	 */
	char			*prefix;
	size_t			 who_off, who_len; /* the name in prefix */
	int			 prefix_w;	/* columns of prefix */
	char			*body;	/* text, or "who text" for joins */
	int			 indent; /* columns the body starts at */
	struct tui_text_row	*rows;	/* the body's rows at the width */
	size_t			 nrows;
	unsigned		 events; /* joins and leaves folded in */
	bool			 hidden; /* an old read marker: no rows */
	bool			 dated;	/* not from today: the date shown */
	bool			 highlight; /* mentions you (tui-mention.c) */
};

enum tui_buf_type {
	TUI_BUF_STATUS,
	TUI_BUF_ROOM,
	TUI_BUF_PM,
};

struct tui_buffer {
	enum tui_buf_type	 type;
	char			*name;	/* room or peer id, as on the wire */
	char			*label;	/* sanitised, for drawing */
	struct tui_line		*lines;	/* ring of at most TUI_SCROLLBACK_MAX */
	size_t			 cap;
	size_t			 first;
	size_t			 nlines;
	unsigned		 unread;
	int			 width;	/* columns the rows are wrapped to */
	size_t			 nrows;	/* rows of all lines at width */
	int			 scroll; /* rows back from the bottom */
	unsigned		 below;	/* lines added while scrolled back */
	bool			 mark;	/* next line gets a read marker */

	/* A room's history (tui-history.c); seqs are 0 when none. */
	uint64_t		 seq_old;	/* oldest seq held */
	uint64_t		 seq_new;	/* newest seq held */
	int			 hist_wait;	/* TUI_HIST_* in flight */
	bool			 hist_more;	/* older pages may exist */
	bool			 hist_gone;	/* we were in it, disconnected */
	bool			 hist_lost;	/* the server's epoch changed */
	unsigned		 highlights; /* unread mentions and private
					       messages (tui-mention.c) */
};

struct tui_buffer *tui_buffer_new(enum tui_buf_type type, const char *name,
	    int width);
void	 tui_buffer_free(struct tui_buffer *b);

/*
 * Append a line (the oldest goes once the ring is full).  text is
 * text_len bytes from the network (it may hold NULs, shown inert like
 * other controls), or a C string when text_len is 0; who may be NULL.
 * While scrolled back the view stays where it is.
 */
const struct tui_line *tui_buffer_add(struct tui_buffer *b, time_t when,
	    enum tui_line_kind kind, const char *who, const char *text,
	    size_t text_len);

/*
 * The same at the top (front) or the bottom; a line whose day is not
 * today's (a time, 0: never) shows its date.  At the top the view stays
 * where it is, and nothing is added (NULL) when the scrollback is full.
 */
const struct tui_line *tui_buffer_insert(struct tui_buffer *b, bool front,
	    time_t today, time_t when, enum tui_line_kind kind, const char *who,
	    const char *text, size_t text_len);

/*
 * The user leaves the buffer: the old read marker goes, and the next line
 * added is preceded by a new one (WeeChat's read marker).
 */
void	 tui_buffer_mark(struct tui_buffer *b);

/*
 * Fold a join or leave (kind, "who verb") into the last line when that is
 * a recent run of them with room for more; false if it is not.
 */
bool	 tui_buffer_fold(struct tui_buffer *b, time_t when,
	    enum tui_line_kind kind, const char *who, const char *verb);

/* The newest line mentions you: drawn highlighted. */
void	 tui_buffer_highlight(struct tui_buffer *b);

/* Forget every line (/clear). */
void	 tui_buffer_clear(struct tui_buffer *b);

/* Line i, 0 = oldest kept; NULL past the end. */
const struct tui_line *tui_buffer_line(const struct tui_buffer *b, size_t i);

/* A row on the screen: row row of line line. */
struct tui_view_row {
	const struct tui_line	*line;
	size_t			 row;
};

/*
 * The rows a pane of page rows shows at the current scroll, top to bottom:
 * fills out[0..page) and returns how many there are (fewer when the
 * buffer is short; they then belong at the bottom of the pane).
 */
size_t	 tui_buffer_visible(const struct tui_buffer *b, int page,
	    struct tui_view_row *out);

/* Wrap every line again for width columns (after a resize). */
void	 tui_buffer_reflow(struct tui_buffer *b, int width);

/* Scroll by rows (positive: back), kept within [0, nrows - page]. */
void	 tui_buffer_scroll(struct tui_buffer *b, int rows, int page);
/* Back to the live end. */
void	 tui_buffer_bottom(struct tui_buffer *b);

#endif
