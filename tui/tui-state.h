/*
 * chat-tui's session tokens, one file per server under
 * $XDG_STATE_HOME/chat-tui/ (default ~/.local/state), mode 0600: the
 * token is a secret that makes whoever holds it this user.
 */
#ifndef TUI_STATE_H
#define TUI_STATE_H

/* The token saved for server (a label such as "host:port"), or NULL. */
char	*tui_state_load_token(const char *server);
/* Save token for server (NULL removes it); -1 with errno on failure. */
int	 tui_state_save_token(const char *server, const char *token);

#endif
