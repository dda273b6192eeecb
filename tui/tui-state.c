/*
 * Session tokens on disk (see tui-state.h).  Written to a temporary file
 * created 0600 and renamed, so a crash never leaves half a token and the
 * secret is never readable by others, not even for a moment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui-state.h"

/* A token is 43 base64url characters; leave room, refuse more. */
#define TUI_STATE_TOKEN_MAX	256

/* $XDG_STATE_HOME/chat-tui, made (0700) if mk; malloc'd or NULL. */
static char *
tui_state_dir(int mk)
{
	const char	*base = getenv("XDG_STATE_HOME"), *home;
	char		*dir, *p;

	if (base != NULL && *base == '/') {
		if (asprintf(&dir, "%s/chat-tui", base) == -1)
			return (NULL);
	} else {
		if ((home = getenv("HOME")) == NULL || *home != '/')
			return (NULL);
		if (asprintf(&dir, "%s/.local/state/chat-tui", home) == -1)
			return (NULL);
	}
	if (!mk)
		return (dir);
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			free(dir);
			return (NULL);
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		free(dir);
		return (NULL);
	}
	return (dir);
}

/* The file for server: its label with anything but [A-Za-z0-9.-] as _. */
static char *
tui_state_path(const char *server, int mk)
{
	char	*dir, *path, *p;

	if ((dir = tui_state_dir(mk)) == NULL)
		return (NULL);
	if (asprintf(&path, "%s/token-%s", dir, server) == -1) {
		free(dir);
		return (NULL);
	}
	for (p = path + strlen(dir) + 1; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
	}
	free(dir);
	return (path);
}

char *
tui_state_load_token(const char *server)
{
	char	*path, buf[TUI_STATE_TOKEN_MAX + 2];
	FILE	*f;
	size_t	 n;

	if ((path = tui_state_path(server, 0)) == NULL)
		return (NULL);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return (NULL);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (*buf == '\0' || strlen(buf) > TUI_STATE_TOKEN_MAX)
		return (NULL);
	return (strdup(buf));
}

int
tui_state_save_token(const char *server, const char *token)
{
	char	*path, *tmp;
	int	 fd, saved;
	size_t	 len;

	if ((path = tui_state_path(server, token != NULL)) == NULL)
		return (-1);
	if (token == NULL) {
		saved = unlink(path) == -1 && errno != ENOENT ? -1 : 0;
		free(path);
		return (saved);
	}
	if (asprintf(&tmp, "%s.tmp", path) == -1) {
		free(path);
		return (-1);
	}
	len = strlen(token);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	saved = 0;
	if (fd == -1)
		saved = errno;
	else {
		if (write(fd, token, len) != (ssize_t)len ||
		    write(fd, "\n", 1) != 1 || fsync(fd) == -1)
			saved = errno != 0 ? errno : EIO;
		if (close(fd) == -1 && saved == 0)
			saved = errno;
		if (saved == 0 && rename(tmp, path) == -1)
			saved = errno;
	}
	if (saved != 0) {
		unlink(tmp);
		free(tmp);
		free(path);
		errno = saved;
		return (-1);
	}
	free(tmp);
	free(path);
	return (0);
}
