/* redis-addr: where Redis is, from chat-server's --redis URL. */
#ifndef CHAT_REDIS_ADDR_H
#define CHAT_REDIS_ADDR_H

#include <stddef.h>

/* Where Redis is: redis://HOST[:PORT][/DB] or unix:/PATH. */
struct redis_addr {
	char	*host;		/* NULL for a unix socket */
	int	 port;
	char	*path;		/* unix socket, or NULL */
	int	 db;
};

/* Parse a --redis URL.  Returns 0, or -1 with the reason in err. */
int	redis_addr_parse(const char *url, struct redis_addr *, char *err,
	    size_t errlen);
void	redis_addr_free(struct redis_addr *);

#endif
