/* Server addresses: "ws[s]://HOST[:PORT][/PATH]" or "HOST[:PORT]". */
#ifndef TUI_URL_H
#define TUI_URL_H

#include <stdbool.h>

#define TUI_URL_DEFAULT		"ws://127.0.0.1:8080/chatserver/connect"
#define TUI_URL_PATH		"/chatserver/connect"
#define TUI_URL_PORT		8080

struct tui_url {
	bool	tls;
	char	host[256];	/* without IPv6 brackets */
	int	port;
	char	path[512];
};

/* Parse spec into *u; -1 with a reason in *error (static) when invalid. */
int	tui_url_parse(const char *spec, struct tui_url *u, const char **error);

#endif
