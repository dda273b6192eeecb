/*
 * The chat-tui model tests' fixture and steps (tui-test.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui-config.h"
#include "tui-test.h"

static time_t
fixed_clock(time_t *t)
{
	if (t != NULL)
		*t = 1000;
	return (1000);
}

void
tui_test_init(struct tui_model *m)
{
	tui_model_init(m, "127.0.0.1:8080");
	m->clock = fixed_clock;
}

int
tui_test_setup(void **state)
{
	struct tui_model *m = calloc(1, sizeof *m);

	tui_test_init(m);
	*state = m;
	return (0);
}

int
tui_test_teardown(void **state)
{
	tui_model_free(*state);
	free(*state);
	return (0);
}

void
tui_test_msg(struct proto_msg *msg, enum proto_action action,
    const char *room, const char *user, const char *message)
{
	memset(msg, 0, sizeof *msg);
	msg->action = action;
	msg->room = (char *)room;
	msg->user_id = (char *)user;
	msg->message = (char *)message;
	msg->message_len = message != NULL ? strlen(message) : 0;
}

void
feed(struct tui_model *m, enum proto_action action, const char *room,
    const char *user, const char *message, ...)
{
	struct proto_msg	 msg;
	char			*list[16];
	va_list			 ap;
	const char		*s;

	tui_test_msg(&msg, action, room, user, message);
	if (action == PROTO_ROOMS || action == PROTO_PARTICIPANTS) {
		va_start(ap, message);
		while ((s = va_arg(ap, const char *)) != NULL)
			list[msg.nlist++] = (char *)s;
		va_end(ap);
		msg.list = list;
		msg.has_list = true;
	}
	tui_model_message(m, &msg);
}

void
feed_named(struct tui_model *m, enum proto_action action, const char *room,
    const char *user, const char *name, const char *message)
{
	struct proto_msg	msg;

	tui_test_msg(&msg, action, room, user, message);
	msg.name = (char *)name;
	tui_model_message(m, &msg);
}

void
feed_hello(struct tui_model *m, const char *id, const char *token,
    const char *epoch, const char *name)
{
	struct proto_msg	msg;

	tui_test_msg(&msg, PROTO_HELLO, NULL, id, NULL);
	msg.token = (char *)token;
	msg.epoch = (char *)epoch;
	msg.name = (char *)name;
	tui_model_message(m, &msg);
}

void
greet(struct tui_model *m, const char *id)
{
	struct proto_msg	r;

	feed(m, PROTO_CONNECTION, NULL, id, NULL);
	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.action, PROTO_HELLO);
	tui_model_request_free(&r);
	assert_int_not_equal(m->conn, TUI_CONN_CONNECTED);
	feed_hello(m, id, "TOKEN", "E1", NULL);
}

void
expect_str(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

void
expect_req(struct tui_model *m, enum proto_action action, const char *room,
    const char *user, const char *message)
{
	struct proto_msg	r;

	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.action, action);
	expect_str(r.room, room);
	expect_str(r.user_id, user);
	expect_str(r.message, message);
	tui_model_request_free(&r);
}

void
expect_no_req(struct tui_model *m)
{
	struct proto_msg	r;

	assert_false(tui_model_pop_request(m, &r));
}

void
expect_hello(struct tui_model *m, const char *token)
{
	struct proto_msg	r;

	assert_true(tui_model_pop_request(m, &r));
	assert_int_equal(r.action, PROTO_HELLO);
	expect_str(r.token, token);
	tui_model_request_free(&r);
}

void
drain(struct tui_model *m)
{
	struct proto_msg	r;

	while (tui_model_pop_request(m, &r))
		tui_model_request_free(&r);
}

void
key(struct tui_model *m, enum tui_key_type type)
{
	struct tui_key	k = { type, 0, 0 };

	tui_model_key(m, &k);
}

void
jump(struct tui_model *m, int n)
{
	struct tui_key	k = { TUI_KEY_JUMP, 0, n };

	tui_model_key(m, &k);
}

void
type(struct tui_model *m, const char *s)
{
	struct tui_key	k = { TUI_KEY_CHAR, 0, 0 };

	for (; *s != '\0'; s++) {
		k.cp = (unsigned char)*s;
		tui_model_key(m, &k);
	}
}

void
enter(struct tui_model *m, const char *s)
{
	type(m, s);
	key(m, TUI_KEY_ENTER);
}

int
config_text(const char *text, struct tui_config *c, char **err)
{
	char	 path[] = "/tmp/chat-tui-config.XXXXXX";
	FILE	*f;
	int	 fd, rc;

	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	rc = tui_config_load(path, c, err);
	unlink(path);
	return (rc);
}

const struct tui_line *
last_line(const struct tui_buffer *b)
{
	assert_true(b->nlines > 0);
	return (tui_model_line(b, b->nlines - 1));
}
