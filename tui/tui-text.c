/*
 * UTF-8 and display widths.  Widths come from wcwidth(), so the program
 * must run under a UTF-8 locale (chat-tui calls setlocale(LC_ALL, "")).
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui-text.h"

size_t
tui_text_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 c, min;
	size_t			 n, i;

	c = u[0];
	if (c < 0x80) {
		*cp = c;
		return (1);
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		goto bad;
	if (n > len)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return (n);
bad:
	*cp = TUI_TEXT_REPLACEMENT;
	return (1);
}

size_t
tui_text_encode(uint32_t cp, char *out)
{
	unsigned char	*u = (unsigned char *)out;

	if (cp < 0x80) {
		u[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		u[0] = 0xc0 | (cp >> 6);
		u[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		u[0] = 0xe0 | (cp >> 12);
		u[1] = 0x80 | ((cp >> 6) & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	u[0] = 0xf0 | (cp >> 18);
	u[1] = 0x80 | ((cp >> 12) & 0x3f);
	u[2] = 0x80 | ((cp >> 6) & 0x3f);
	u[3] = 0x80 | (cp & 0x3f);
	return (4);
}

int
tui_text_joiner(uint32_t cp)
{
	/* ZWNJ, ZWJ, text and emoji variation selectors, skin tones. */
	return (cp == 0x200c || cp == 0x200d || cp == 0xfe0e ||
	    cp == 0xfe0f || (cp >= 0x1f3fb && cp <= 0x1f3ff));
}

int
tui_text_cp_width(uint32_t cp)
{
	int	w;

	if (cp == 0x200b || tui_text_joiner(cp))
		return (0);
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return (1);	/* sanitised text has none; U+FFFD if it did */
	return (w > 2 ? 2 : w);
}

int
tui_text_width(const char *s, size_t len)
{
	size_t		off = 0;
	uint32_t	cp;
	int		w = 0;

	while (off < len) {
		off += tui_text_decode(s + off, len - off, &cp);
		w += tui_text_cp_width(cp);
	}
	return (w);
}

size_t
tui_text_next(const char *s, size_t len, size_t off)
{
	uint32_t	cp;

	if (off >= len)
		return (len);
	off += tui_text_decode(s + off, len - off, &cp);
	/* Swallow the combining marks that belong to this character. */
	while (off < len) {
		size_t n = tui_text_decode(s + off, len - off, &cp);
		if (tui_text_cp_width(cp) != 0)
			break;
		off += n;
	}
	return (off);
}

size_t
tui_text_prev(const char *s, size_t len, size_t off)
{
	size_t	at = 0, next;

	if (off > len)
		off = len;
	/* Walk forward: UTF-8 self-synchronises, combining marks do not. */
	while (at < off) {
		next = tui_text_next(s, len, at);
		if (next >= off)
			return (at);
		at = next;
	}
	return (0);
}

/* May the terminal be given this code point as it is? */
static int
tui_text_printable(uint32_t cp)
{
	if (cp >= 0x80 && cp <= 0x9f)
		return (0);
	if (cp == 0x2028 || cp == 0x2029)	/* line/paragraph separator */
		return (0);
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return (0);			/* bidi overrides reorder a row */
	if (cp == 0xfeff)
		return (0);
	if (cp >= 0x200b && cp <= 0x200d)
		return (1);
	return (wcwidth((wchar_t)cp) >= 0);
}

char *
tui_text_sanitise(const char *s, size_t len, int keep_newlines)
{
	char		*out, *p;
	size_t		 off = 0, n;
	uint32_t	 cp;

	/* Worst case: every byte becomes U+FFFD (3 bytes). */
	if ((out = malloc(len * 3 + 1)) == NULL)
		return (NULL);
	p = out;
	while (off < len) {
		n = tui_text_decode(s + off, len - off, &cp);
		off += n;
		if (cp == '\n' && keep_newlines)
			*p++ = '\n';
		else if (cp == '\t')
			*p++ = ' ';
		else if (cp < 0x20 || cp == 0x7f) {
			*p++ = '^';
			*p++ = cp == 0x7f ? '?' : (char)(cp + '@');
		} else if (tui_text_printable(cp))
			p += tui_text_encode(cp, p);
		else
			p += tui_text_encode(TUI_TEXT_REPLACEMENT, p);
	}
	*p = '\0';
	return (out);
}

size_t
tui_text_wrap(const char *s, size_t len, int width,
    struct tui_text_row *rows, size_t max)
{
	size_t		 nrows = 0, start = 0, off, next, brk;
	int		 w, cw, brk_w;
	uint32_t	 cp;

	if (width < 2)
		width = 2;
	for (;;) {
		off = start;
		w = 0;
		brk = 0;
		brk_w = 0;
		while (off < len) {
			tui_text_decode(s + off, len - off, &cp);
			if (cp == '\n')
				break;
			next = tui_text_next(s, len, off);
			cw = tui_text_width(s + off, next - off);
			if (w + cw > width)
				break;
			w += cw;
			off = next;
			if (cp == ' ') {
				brk = off;
				brk_w = w;
			}
		}
		if (off < len && s[off] != '\n' && brk > start) {
			/* Break after the last space rather than mid-word. */
			off = brk;
			w = brk_w;
		}
		if (nrows < max) {
			rows[nrows].off = start;
			rows[nrows].len = off - start;
			rows[nrows].width = w;
		}
		nrows++;
		if (off < len && s[off] == '\n')
			off++;
		else if (off >= len)
			break;
		start = off;
		if (off >= len) {
			/* A trailing newline still ends with an empty row. */
			if (nrows < max) {
				rows[nrows].off = off;
				rows[nrows].len = 0;
				rows[nrows].width = 0;
			}
			nrows++;
			break;
		}
	}
	return (nrows);
}

char *
tui_text_fit(const char *s, int width)
{
	static const char	 ellipsis[] = "\xe2\x80\xa6";
	size_t			 len = strlen(s), off = 0, next;
	int			 used = 0, w;
	char			*out;

	if (width <= 0)
		return (strdup(""));
	if (tui_text_width(s, len) <= width)
		return (strdup(s));
	while (off < len) {
		next = tui_text_next(s, len, off);
		w = tui_text_width(s + off, next - off);
		if (used + w > width - 1)
			break;
		used += w;
		off = next;
	}
	if ((out = malloc(off + sizeof ellipsis)) == NULL)
		return (NULL);
	memcpy(out, s, off);
	memcpy(out + off, ellipsis, sizeof ellipsis);
	return (out);
}
