/*
 * Who may connect (lws thread): the upgrade's path, WebSocket version and
 * Origin (--allow-origin), and the connection limits (--max-clients,
 * --max-clients-per-ip), refused with an HTTP status a client can report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server-lws-int.h"
#include "util.h"

static int
server_uri_is(struct lws *wsi, const char *path)
{
	char	uri[256];

	if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
		return 0;
	return strcmp(uri, path) == 0;
}

static int
origin_allowed(struct server_lws *sl, struct lws *wsi)
{
	char	origin[256];
	int	i;

	if (sl->cfg->norigins == 0)
		return 1;
	/* No Origin header: not a browser, nothing to check. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return 1;
	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0)
		return 0;
	for (i = 0; i < sl->cfg->norigins; i++) {
		if (strcmp(origin, sl->cfg->origins[i]) == 0)
			return 1;
	}
	return 0;
}

static unsigned
ip_connections(struct server_lws *sl, const char *addr)
{
	struct ip_count	*ic;

	HASH_FIND_STR(sl->ips, addr, ic);
	return ic != NULL ? ic->n : 0;
}

struct ip_count *
server_ip_ref(struct server_lws *sl, const char *addr)
{
	struct ip_count	*ic;

	HASH_FIND_STR(sl->ips, addr, ic);
	if (ic == NULL) {
		if ((ic = calloc(1, sizeof *ic)) == NULL)
			return NULL;
		snprintf(ic->addr, sizeof ic->addr, "%s", addr);
		HASH_ADD_STR(sl->ips, addr, ic);
	}
	ic->n++;
	return ic;
}

void
server_ip_unref(struct server_lws *sl, struct ip_count *ic)
{
	if (ic != NULL && --ic->n == 0) {
		HASH_DEL(sl->ips, ic);
		free(ic);
	}
}

/*
 * Refuse an upgrade with an HTTP/1.1 status.  lws_return_http_status()
 * answers an upgrade request with "HTTP/1.0" (the request's version is not
 * parsed yet at this point), which WebSocket clients reject as malformed
 * instead of reporting the status, so the response is written here.
 */
static int
upgrade_refuse(struct lws *wsi, unsigned int status, const char *text,
    const char *extra)
{
	unsigned char	buf[LWS_PRE + 512];
	int		len;

	len = snprintf((char *)buf + LWS_PRE, sizeof buf - LWS_PRE,
	    "HTTP/1.1 %u %s\r\n%s"
	    "content-type: text/plain\r\ncontent-length: %zu\r\n"
	    "connection: close\r\n\r\n%s\n",
	    status, text, extra, strlen(text) + 1, text);
	if (lws_write(wsi, buf + LWS_PRE, (size_t)len, LWS_WRITE_HTTP) < len)
		return -1;
	return 1;
}

int
server_gate_upgrade(struct server_lws *sl, struct lws *wsi)
{
	char	addr[48], version[8];

	lws_get_peer_simple(wsi, addr, sizeof addr);
	if (!server_uri_is(wsi, CHAT_PATH))
		return upgrade_refuse(wsi, 404, "Not Found", "");
	if (lws_hdr_copy(wsi, version, sizeof version,
	    WSI_TOKEN_VERSION) <= 0 || strcmp(version, "13") != 0) {
		/* RFC 6455 4.4: name the version this server speaks. */
		return upgrade_refuse(wsi, 426, "Upgrade Required",
		    "sec-websocket-version: 13\r\n");
	}
	if (!origin_allowed(sl, wsi)) {
		log_info("%s: upgrade refused: origin not allowed", addr);
		return upgrade_refuse(wsi, 403, "Forbidden", "");
	}
	if (sl->shutting_down ||
	    (sl->cfg->max_clients != 0 && sl->nconns >= sl->cfg->max_clients) ||
	    (sl->cfg->max_clients_per_ip != 0 &&
	    ip_connections(sl, addr) >= sl->cfg->max_clients_per_ip)) {
		log_info("%s: upgrade refused: too many connections", addr);
		return upgrade_refuse(wsi, 503, "Service Unavailable",
		    "retry-after: 5\r\n");
	}
	if (atomic_load(&sl->unavailable)) {
		log_info("%s: upgrade refused: Redis unreachable", addr);
		return upgrade_refuse(wsi, 503, "Service Unavailable",
		    "retry-after: 1\r\n");
	}
	return 0;
}
