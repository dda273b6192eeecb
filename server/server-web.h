/* The web client's files, served on the chat port (lws thread). */
#ifndef CHAT_SERVER_WEB_H
#define CHAT_SERVER_WEB_H

#include <libwebsockets.h>

/*
 * Answer a plain (not upgrade) request: a file of the web client under
 * root (NULL: none); on the WebSocket endpoint 400, or 503 while the node
 * does not serve (--redis and Redis away: a health check for load
 * balancers); else 404.  0, or -1 to close the connection, as lws
 * callbacks return.
 */
int	server_web_request(struct lws *wsi, const char *root, int serving);

#endif
