/*
 * Parse the -s/--server argument.  A bare HOST:PORT is what people type;
 * a full URL is what the protocol names.  Both end up as host, port, path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-url.h"

int
tui_url_parse(const char *spec, struct tui_url *u, const char **error)
{
	const char	*p = spec, *host, *hend, *port = NULL, *path;
	size_t		 hlen;
	char		*end;
	long		 n;

	memset(u, 0, sizeof *u);
	u->port = TUI_URL_PORT;
	if (strncmp(p, "wss://", 6) == 0) {
		u->tls = true;
		u->port = 443;
		p += 6;
	} else if (strncmp(p, "ws://", 5) == 0) {
		u->port = 80;
		p += 5;
	} else if (strstr(p, "://") != NULL) {
		*error = "only ws:// and wss:// URLs are supported";
		return (-1);
	} else
		u->port = TUI_URL_PORT;

	if (*p == '[') {
		/* [IPv6]:port */
		host = p + 1;
		if ((hend = strchr(host, ']')) == NULL) {
			*error = "missing ] in IPv6 address";
			return (-1);
		}
		p = hend + 1;
	} else {
		host = p;
		hend = p + strcspn(p, ":/");
		p = hend;
	}
	if (*p == ':') {
		port = p + 1;
		p += 1 + strcspn(p + 1, "/");
	} else if (*p != '\0' && *p != '/') {
		*error = "bad server address";
		return (-1);
	}
	path = p;

	hlen = (size_t)(hend - host);
	if (hlen == 0 || hlen >= sizeof u->host) {
		*error = "bad host name";
		return (-1);
	}
	memcpy(u->host, host, hlen);
	u->host[hlen] = '\0';
	if (port != NULL) {
		n = strtol(port, &end, 10);
		if (end == port || (*end != '\0' && *end != '/') || n < 1 ||
		    n > 65535) {
			*error = "bad port";
			return (-1);
		}
		u->port = (int)n;
	}
	if (*path == '\0')
		path = TUI_URL_PATH;
	if (strlen(path) >= sizeof u->path) {
		*error = "path too long";
		return (-1);
	}
	snprintf(u->path, sizeof u->path, "%s", path);
	return (0);
}
