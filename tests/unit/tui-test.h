/*
 * The chat-tui model tests' fixture and steps (test-tui-model.c,
 * test-tui-notify.c): a model on a fixed clock, server messages fed in,
 * keys typed, requests expected.  No terminal.
 */
#ifndef CHAT_TUI_TEST_H
#define CHAT_TUI_TEST_H

#include "tui-model.h"

struct tui_config;

/* A model of 127.0.0.1:8080 whose clock says 1000. */
void		 tui_test_init(struct tui_model *);
/* cmocka setup and teardown: *state is such a model. */
int		 tui_test_setup(void **);
int		 tui_test_teardown(void **);

/* msg is a server message of these fields, the others zero. */
void		 tui_test_msg(struct proto_msg *msg, enum proto_action,
		    const char *room, const char *user, const char *message);
/* Feed one server message; for rooms and participants the list follows
 * message, NULL-terminated. */
void		 feed(struct tui_model *, enum proto_action, const char *room,
		    const char *user, const char *message, ...);
/* Feed a message that carries a name (version 2). */
void		 feed_named(struct tui_model *, enum proto_action,
		    const char *room, const char *user, const char *name,
		    const char *message);
/* The hello reply of a version 2 server (name, epoch NULL: none). */
void		 feed_hello(struct tui_model *, const char *id,
		    const char *token, const char *epoch, const char *name);
/* Connected as id, through hello (whatever token the model has). */
void		 greet(struct tui_model *, const char *id);

/* Expect the next queued request; NULL fields must be absent. */
void		 expect_req(struct tui_model *, enum proto_action,
		    const char *room, const char *user, const char *message);
void		 expect_no_req(struct tui_model *);
/* Expect hello (with token, or none); it is taken off the queue. */
void		 expect_hello(struct tui_model *, const char *token);
/* got is want, or both are NULL. */
void		 expect_str(const char *got, const char *want);
/* Take every queued request off, unlooked at. */
void		 drain(struct tui_model *);

void		 key(struct tui_model *, enum tui_key_type);
/* Alt-n: conversation n. */
void		 jump(struct tui_model *, int n);
/* Type s (ASCII) into the input line; enter: and press Enter. */
void		 type(struct tui_model *, const char *s);
void		 enter(struct tui_model *, const char *s);

const struct tui_line	*last_line(const struct tui_buffer *);

/* tui_config_load() of a file that holds text (removed after). */
int		 config_text(const char *text, struct tui_config *,
		    char **err);

#endif
