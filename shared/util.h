/* Small helpers shared by server and client: logging and time. */
#ifndef CHAT_UTIL_H
#define CHAT_UTIL_H

#include <stdint.h>

extern int	log_verbose;

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds. */
uint64_t	util_now_ms(void);
/* Wall-clock milliseconds since the epoch. */
uint64_t	util_epoch_ms(void);

#endif
