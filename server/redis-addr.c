/* redis-addr: the --redis URL (see redis-addr.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat-limits.h"
#include "redis-addr.h"

int
redis_addr_parse(const char *url, struct redis_addr *a, char *err,
    size_t errlen)
{
	const char	*p, *host, *end;
	size_t		 hostlen;
	char		*num_end;
	long		 v;

	memset(a, 0, sizeof *a);
	a->port = 6379;
	if (strncmp(url, "unix:", 5) == 0) {
		p = url + 5;
		if (*p != '/') {
			snprintf(err, errlen, "%s: unix: needs an absolute "
			    "path", url);
			return -1;
		}
		if (strlen(p) >= CHAT_REDIS_SOCKET_PATH_MAX) {
			snprintf(err, errlen, "%s: socket path too long", url);
			return -1;
		}
		a->path = strdup(p);
		return a->path != NULL ? 0 : -1;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "%s: expected redis://HOST[:PORT][/DB] "
		    "or unix:/PATH", url);
		return -1;
	}
	p = url + 8;
	if (strpbrk(p, "@?#") != NULL) {
		snprintf(err, errlen, "%s: credentials and options in the URL "
		    "are not supported", url);
		return -1;
	}
	if (*p == '[') {			/* [IPv6]:port */
		host = p + 1;
		if ((end = strchr(host, ']')) == NULL) {
			snprintf(err, errlen, "%s: missing ]", url);
			return -1;
		}
		hostlen = end - host;
		p = end + 1;
	} else {
		host = p;
		hostlen = strcspn(p, ":/");
		p += hostlen;
	}
	if (hostlen == 0) {
		snprintf(err, errlen, "%s: no host", url);
		return -1;
	}
	if (*p == ':') {
		errno = 0;
		v = strtol(p + 1, &num_end, 10);
		if (num_end == p + 1 || errno != 0 || v < 1 || v > 65535 ||
		    (*num_end != '\0' && *num_end != '/')) {
			snprintf(err, errlen, "%s: bad port", url);
			return -1;
		}
		a->port = (int)v;
		p = num_end;
	}
	if (*p == '/' && p[1] != '\0') {
		errno = 0;
		v = strtol(p + 1, &num_end, 10);
		if (num_end == p + 1 || *num_end != '\0' || errno != 0 ||
		    v < 0 || v > CHAT_REDIS_DB_MAX) {
			snprintf(err, errlen, "%s: bad database number "
			    "(0-%d)", url, CHAT_REDIS_DB_MAX);
			return -1;
		}
		a->db = (int)v;
	} else if (*p != '\0' && strcmp(p, "/") != 0) {
		snprintf(err, errlen, "%s: unexpected \"%s\"", url, p);
		return -1;
	}
	if ((a->host = strndup(host, hostlen)) == NULL)
		return -1;
	return 0;
}

void
redis_addr_free(struct redis_addr *a)
{
	free(a->host);
	free(a->path);
	memset(a, 0, sizeof *a);
}
