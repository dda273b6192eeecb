/* chat-server settings: defaults, command line and config file. */
#ifndef CHAT_SERVER_CONFIG_H
#define CHAT_SERVER_CONFIG_H

#include <stddef.h>

#define CONFIG_ORIGINS_MAX	16

struct server_config {
	char		*listen;		/* address to bind */
	int		 port;
	int		 verbose;
	size_t		 max_frame;		/* bytes per WebSocket message */
	size_t		 max_message;		/* bytes of message text */
	size_t		 max_room_name;		/* bytes, at most the protocol's 64 */
	double		 rate;			/* messages/s, 0 = off */
	double		 burst;
	unsigned	 max_clients;		/* 0 = unlimited */
	unsigned	 max_clients_per_ip;	/* 0 = unlimited */
	size_t		 max_queue;		/* outbound bytes per client */
	int		 ping_interval;		/* seconds, 0 = off */
	int		 ping_timeout;
	int		 shutdown_grace_ms;	/* for close handshakes on exit */
	char		*db;			/* SQLite file, NULL: memory */
	char		*redis;			/* --redis URL: a cluster node */
	unsigned	 history;		/* messages kept per room */
	unsigned	 session_ttl;		/* seconds */
	char		*tls_cert;
	char		*tls_key;
	char		*origins[CONFIG_ORIGINS_MAX];
	int		 norigins;
	char		*metrics;		/* ADDR:PORT of /metrics, NULL: off */
	char		*web_root;		/* NULL: the installed copy */
	int		 no_web;
};

void	config_defaults(struct server_config *);
/* Parse argv (and any -c FILE).  Returns 0, or an exit code for main(). */
int	config_parse_args(struct server_config *, int argc, char **argv);
/* Apply one `key = value` setting; -1 (with a message on stderr) if bad. */
int	config_set(struct server_config *, const char *key, const char *value,
	    const char *where);
int	config_load_file(struct server_config *, const char *path);
void	config_free(struct server_config *);

#endif
