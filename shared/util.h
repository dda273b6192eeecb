/* Small helpers shared by server and client: logging and time. */
#ifndef CHAT_UTIL_H
#define CHAT_UTIL_H

#include <stddef.h>
#include <stdint.h>

extern int	log_verbose;

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "event=NAME fields" when -v was given at least verbosity (0..2) times. */
void	log_event(int verbosity, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* s as a log value in buf: as is if a plain word, else quoted/escaped. */
const char	*log_quote(char *buf, size_t size, const char *s);

/* Monotonic milliseconds. */
uint64_t	util_now_ms(void);
/* Wall-clock milliseconds since the epoch. */
uint64_t	util_epoch_ms(void);

#endif
