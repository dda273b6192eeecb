/*
 * Plain HTTP requests on the chat port (not WebSocket upgrades): a GET is
 * answered with a file of the web client's root (--web-root, by default
 * the installed copy), the endpoint itself with 400 (503 while the node
 * does not serve), anything else with 404.  Runs in the lws thread, from the HTTP callback of server-lws.c;
 * lws sends the file.
 *
 * Only paths whose every segment is made of letters, digits, '_', '-' and
 * '.', and does not start with '.', are looked up, and only files with an
 * extension of the table below: no request can leave the root (no "..",
 * no dot files) or get a file with a type it is not.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "chat-limits.h"
#include "server-lws.h"
#include "server-web.h"

static const struct {
	const char	*ext;
	const char	*type;
} web_types[] = {
	{ ".html",	"text/html; charset=utf-8" },
	{ ".css",	"text/css; charset=utf-8" },
	{ ".js",	"text/javascript; charset=utf-8" },
	{ ".svg",	"image/svg+xml" },
	{ ".png",	"image/png" },
	{ ".ico",	"image/x-icon" },
	{ ".txt",	"text/plain; charset=utf-8" },
};

/* The type of a request path, or NULL when it is not one we serve. */
static const char *
web_path_type(const char *path)
{
	const char	*p, *seg = NULL, *dot;
	size_t		 i, len = strlen(path);

	if (path[0] != '/' || len > CHAT_WEB_PATH_MAX)
		return NULL;
	for (p = path; *p != '\0'; p++) {
		if (*p == '/') {
			/* Empty segments ("//", a trailing '/') and ones
			 * starting with '.' ("..", ".git") are refused. */
			if (p[1] == '/' || p[1] == '.' || p[1] == '\0')
				return NULL;
			seg = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-' || *p == '.'))
			return NULL;
	}
	if ((dot = strrchr(seg, '.')) == NULL)
		return NULL;
	for (i = 0; i < sizeof web_types / sizeof web_types[0]; i++) {
		if (strcmp(dot, web_types[i].ext) == 0)
			return web_types[i].type;
	}
	return NULL;
}

static int
http_status(struct lws *wsi, unsigned int code)
{
	if (lws_return_http_status(wsi, code, NULL))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* 0 when lws is sending the file, 1 when there is none, -1 on error. */
static int
web_serve(struct lws *wsi, const char *root, const char *uri)
{
	char		 file[PATH_MAX];
	const char	*type;
	struct stat	 st;

	if (strcmp(uri, "/") == 0)
		uri = "/index.html";
	if ((type = web_path_type(uri)) == NULL ||
	    (size_t)snprintf(file, sizeof file, "%s%s", root, uri) >=
	    sizeof file || stat(file, &st) == -1 || !S_ISREG(st.st_mode))
		return 1;
	/* lws sends it from WRITEABLE, then says HTTP_FILE_COMPLETION. */
	return lws_serve_http_file(wsi, file, type, NULL, 0) < 0 ? -1 : 0;
}

int
server_web_request(struct lws *wsi, const char *root, int serving)
{
	char	uri[CHAT_WEB_PATH_MAX + 2];
	int	n;

	/* Only a GET has a GET_URI; one longer than we serve does not fit. */
	if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
		uri[0] = '\0';
	if (strcmp(uri, CHAT_PATH) == 0)
		return http_status(wsi, serving ? HTTP_STATUS_BAD_REQUEST :
		    HTTP_STATUS_SERVICE_UNAVAILABLE);
	if (root != NULL && uri[0] != '\0' &&
	    (n = web_serve(wsi, root, uri)) != 1)
		return n;
	return http_status(wsi, HTTP_STATUS_NOT_FOUND);
}
