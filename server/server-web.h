/* The web client's files, served on the chat port (lws thread). */
#ifndef CHAT_SERVER_WEB_H
#define CHAT_SERVER_WEB_H

#include <libwebsockets.h>

#define WEB_NOT_FOUND	1

/*
 * Answer a plain GET of uri with its file under root: 0 when lws is
 * sending it, WEB_NOT_FOUND when there is no such file to serve (the
 * caller answers 404), -1 to close the connection.
 */
int	server_web_serve(struct lws *wsi, const char *root, const char *uri);

#endif
