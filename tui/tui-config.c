/*
 * The config file (see tui-config.h).  Unknown keys are errors, so a typo
 * is not silently ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tui-config.h"

char *
tui_config_path(void)
{
	const char	*base = getenv("XDG_CONFIG_HOME"), *home;
	char		*path;

	if (base != NULL && *base == '/') {
		if (asprintf(&path, "%s/chat-tui/config", base) == -1)
			return (NULL);
		return (path);
	}
	if ((home = getenv("HOME")) == NULL || *home != '/')
		return (NULL);
	if (asprintf(&path, "%s/.config/chat-tui/config", home) == -1)
		return (NULL);
	return (path);
}

static char *
tui_config_trim(char *s)
{
	size_t	len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return (s);
}

static void
tui_config_set(char **field, const char *value)
{
	free(*field);
	if ((*field = strdup(value)) == NULL)
		abort();
}

int
tui_config_onoff(const char *value, bool *on)
{
	if (strcmp(value, "on") == 0)
		*on = true;
	else if (strcmp(value, "off") == 0)
		*on = false;
	else
		return (-1);
	return (0);
}

int
tui_config_load(const char *path, struct tui_config *c, char **error)
{
	FILE		*f;
	char		*line = NULL, *key, *value, *eq;
	const char	*why = NULL;
	size_t		 cap = 0;
	unsigned	 n = 0;
	bool		 on;

	*error = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return (0);
		if (asprintf(error, "%s: %s", path, strerror(errno)) == -1)
			abort();
		return (-1);
	}
	while (why == NULL && getline(&line, &cap, f) != -1) {
		n++;
		key = tui_config_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			why = "expected key = value";
			break;
		}
		*eq = '\0';
		key = tui_config_trim(key);
		value = tui_config_trim(eq + 1);
		if (strcmp(key, "server") == 0 && *value != '\0')
			tui_config_set(&c->server, value);
		else if (strcmp(key, "name") == 0) {
			if (!proto_name_valid(value, strlen(value)))
				why = "invalid name";
			else
				tui_config_set(&c->name, value);
		} else if (strcmp(key, "bell") == 0) {
			if (tui_config_onoff(value, &on) == -1)
				why = "bell: expected on or off";
			else
				c->bell_off = !on;
		} else if (strcmp(key, "server") == 0)
			why = "empty server";
		else
			why = "unknown key";
	}
	free(line);
	fclose(f);
	if (why != NULL) {
		if (asprintf(error, "%s:%u: %s", path, n, why) == -1)
			abort();
		return (-1);
	}
	return (0);
}

void
tui_config_free(struct tui_config *c)
{
	free(c->server);
	free(c->name);
	c->server = c->name = NULL;
}
