/*
 * A hand JSON scanner for server messages: one pass over a flat object,
 * picking out the four string keys the benchmark checks and skipping any
 * other value (arrays, numbers, unknown keys such as "ts").  cJSON would
 * allocate a tree per frame; at millions of frames a second the
 * generator would become the bottleneck instead of the server.
 */
#include <string.h>

#include "bench.h"

/* Unescaped strings live here until the next scan. */
static char	bjson_scratch[256 * 1024];
static size_t	bjson_used;

static const char *
bjson_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
bjson_hex(const char *p, unsigned *v)
{
	unsigned	i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		*v = (*v << 4) | d;
	}
	return 0;
}

static size_t
bjson_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | (cp >> 18);
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Undo the escapes of the string body [p, end) into the scratch area. */
static int
bjson_unescape(const char *p, const char *end, struct bjstr *out)
{
	char		*o, *start;
	unsigned	 cp, lo;

	if (bjson_used + (end - p) > sizeof bjson_scratch)
		return -1;
	start = o = bjson_scratch + bjson_used;
	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		if (++p == end)
			return -1;
		switch (*p++) {
		case '"':  *o++ = '"';  break;
		case '\\': *o++ = '\\'; break;
		case '/':  *o++ = '/';  break;
		case 'b':  *o++ = '\b'; break;
		case 'f':  *o++ = '\f'; break;
		case 'n':  *o++ = '\n'; break;
		case 'r':  *o++ = '\r'; break;
		case 't':  *o++ = '\t'; break;
		case 'u':
			if (end - p < 4 || bjson_hex(p, &cp) != 0)
				return -1;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    bjson_hex(p + 2, &lo) == 0 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			o += bjson_utf8(o, cp);
			break;
		default:
			return -1;
		}
	}
	out->p = start;
	out->len = o - start;
	bjson_used += out->len;
	return 0;
}

/* Scan a string starting after its opening quote; *p ends after the close. */
static int
bjson_string(const char **pp, const char *end, struct bjstr *out)
{
	const char	*p = *pp, *start = p;
	bool		 esc = false;

	while (p < end && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return -1;
		if (*p == '\\') {
			esc = true;
			if (++p == end)
				return -1;
		}
		p++;
	}
	if (p == end)
		return -1;
	*pp = p + 1;
	if (out == NULL)
		return 0;
	if (!esc) {
		out->p = start;
		out->len = p - start;
		return 0;
	}
	return bjson_unescape(start, p, out);
}

/* Skip any other value: numbers, literals, arrays, objects. */
static int
bjson_skip(const char **pp, const char *end)
{
	const char	*p = *pp;
	int		 depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			p++;
			if (bjson_string(&p, end, NULL) != 0)
				return -1;
			p--;
			break;
		case '[':
		case '{':
			depth++;
			break;
		case ']':
		case '}':
			if (depth == 0)
				goto out;
			depth--;
			break;
		case ',':
			if (depth == 0)
				goto out;
			break;
		}
	}
out:
	if (depth != 0 || p == *pp)
		return -1;
	*pp = p;
	return 0;
}

int
bjson_scan(const char *p, size_t len, struct bjmsg *m)
{
	const char	*end = p + len;
	struct bjstr	 key, *slot;

	memset(m, 0, sizeof *m);
	bjson_used = 0;
	p = bjson_ws(p, end);
	if (p == end || *p++ != '{')
		return -1;
	p = bjson_ws(p, end);
	if (p < end && *p == '}')
		return bjson_ws(p + 1, end) == end ? 0 : -1;
	for (;;) {
		p = bjson_ws(p, end);
		if (p == end || *p++ != '"' || bjson_string(&p, end, &key) != 0)
			return -1;
		p = bjson_ws(p, end);
		if (p == end || *p++ != ':')
			return -1;
		p = bjson_ws(p, end);
		if (p == end)
			return -1;
		slot = NULL;
		if (BJSTR_IS(&key, "action"))
			slot = &m->action;
		else if (BJSTR_IS(&key, "room"))
			slot = &m->room;
		else if (BJSTR_IS(&key, "user_id"))
			slot = &m->user_id;
		else if (BJSTR_IS(&key, "message"))
			slot = &m->message;
		else if (BJSTR_IS(&key, "seq"))
			slot = &m->seq;
		if (*p == '"') {
			p++;
			if (bjson_string(&p, end, slot) != 0)
				return -1;
		} else if (bjson_skip(&p, end) != 0)
			return -1;
		p = bjson_ws(p, end);
		if (p == end)
			return -1;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return -1;
	}
	if (bjson_ws(p + 1, end) != end || m->action.p == NULL)
		return -1;
	return 0;
}

bool
bjstr_eq(const struct bjstr *s, const char *p, size_t len)
{
	return s->p != NULL && s->len == len && memcmp(s->p, p, len) == 0;
}
