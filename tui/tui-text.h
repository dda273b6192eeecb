/*
 * Text handling for the terminal: UTF-8 decoding, display widths, making
 * network text inert, and wrapping to a width.  No curses here.
 */
#ifndef TUI_TEXT_H
#define TUI_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TUI_TEXT_REPLACEMENT	0xFFFDu

/*
 * Decode one code point from s (len > 0 bytes).  Returns the bytes used
 * (always >= 1); invalid, overlong, surrogate or truncated sequences give
 * U+FFFD and consume one byte.
 */
size_t	 tui_text_decode(const char *s, size_t len, uint32_t *cp);

/* Encode cp as UTF-8 into out (4 bytes room); returns the length. */
size_t	 tui_text_encode(uint32_t cp, char *out);

/*
 * Code points that make terminals join characters into one cell, each
 * its own way (ZWJ emoji sequences, variation selectors, skin tones):
 * they count as no width and are not drawn, so every drawn cluster takes
 * the columns counted for it on any terminal.
 */
int	 tui_text_joiner(uint32_t cp);

/* Columns cp takes: 0 for combining marks, 2 for wide, 1 otherwise. */
int	 tui_text_cp_width(uint32_t cp);

/* Columns of the (sanitised) UTF-8 string s[0..len). */
int	 tui_text_width(const char *s, size_t len);

/*
 * Byte offset of the next / previous character boundary from off, where a
 * character is a base code point with its following combining marks.
 */
size_t	 tui_text_next(const char *s, size_t len, size_t off);
size_t	 tui_text_prev(const char *s, size_t len, size_t off);

/*
 * Make text from the network safe to draw.  Returns a malloc'd, valid UTF-8
 * string with no control characters: C0 controls and DEL become visible
 * caret notation (ESC -> "^["), C1 controls, invalid UTF-8 and anything
 * else the terminal cannot print become U+FFFD.  A tab becomes a space.
 * Newlines are kept when keep_newlines is set (tui_text_wrap breaks on
 * them), otherwise they become "^J".  NULL only on allocation failure.
 */
char	*tui_text_sanitise(const char *s, size_t len, int keep_newlines);

/*
 * s cut to fit width columns: as it is when it fits, else the characters
 * that fit in width - 1 columns and an ellipsis.  Malloc'd; NULL only on
 * allocation failure.
 */
char	*tui_text_fit(const char *s, int width);

/* One wrapped row: bytes [off, off + len) of the text, width columns. */
struct tui_text_row {
	size_t	off;
	size_t	len;
	int	width;
};

/*
 * Wrap sanitised text s[0..len) into rows of at most width columns (width
 * >= 2), breaking after spaces where possible, never inside a character
 * and at newlines.  Fills up to max rows and returns the number of rows the
 * whole text needs (at least 1).
 */
size_t	 tui_text_wrap(const char *s, size_t len, int width,
	    struct tui_text_row *rows, size_t max);

#endif
