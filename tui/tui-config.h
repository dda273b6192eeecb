/*
 * chat-tui's config file, $XDG_CONFIG_HOME/chat-tui/config (default
 * ~/.config): lines "key = value", '#' comments.  The command line wins
 * over it, it over nothing else but the built-in defaults.
 */
#ifndef TUI_CONFIG_H
#define TUI_CONFIG_H

#include <stdbool.h>

struct tui_config {
	char	*server;	/* server = URL or HOST:PORT */
	char	*name;		/* name = NAME */
	bool	 bell_off;	/* bell = on|off (default on) */
};

/* "on" or "off" into *on; -1 for anything else. */
int	 tui_config_onoff(const char *value, bool *on);

/* The config file's path (malloc'd), or NULL without a home. */
char	*tui_config_path(void);
/*
 * Read path into c (a missing file is no error).  On a bad line, -1 and
 * *error (malloc'd) "FILE:LINE: why".
 */
int	 tui_config_load(const char *path, struct tui_config *c,
	    char **error);
void	 tui_config_free(struct tui_config *c);

#endif
