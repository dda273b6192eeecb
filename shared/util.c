#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

int	log_verbose;

static void
log_vprint(const char *level, const char *fmt, va_list ap)
{
	char	buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "%s%s\n", level, buf);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	log_vprint("debug: ", fmt, ap);
	va_end(ap);
}

/*
 * An event for operators: one line "event=NAME k=v ...", fields as formatted
 * by fmt (connection and user ids, numbers, fixed words: never message
 * text).  Printed when -v was given at least verbosity times.
 */
void
log_event(int verbosity, const char *event, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	if (log_verbose < verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* One call, so lines from the two threads never interleave. */
	fprintf(stderr, "event=%s%s%s\n", event, buf[0] != '\0' ? " " : "",
	    buf);
}

/* Copy s into buf as one log value: quoted when it is not a plain word,
 * with quotes, backslashes and control characters escaped. */
const char *
log_quote(char *buf, size_t size, const char *s)
{
	size_t		 n = 0;
	const char	*p;
	int		 plain = *s != '\0';

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
		    *p == '=' || (unsigned char)*p == 0x7f)
			plain = 0;
	}
	if (plain) {
		snprintf(buf, size, "%s", s);
		return buf;
	}
	if (size < 3) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[n++] = '"';
	for (p = s; *p != '\0' && n + 5 < size; p++) {
		unsigned char	ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)ch;
		} else if (ch < ' ' || ch == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

uint64_t
util_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
util_epoch_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
