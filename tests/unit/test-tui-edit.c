/* chat-tui line editor: editing, UTF-8, history, completion. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui-edit.h"

static int
setup(void **state)
{
	struct tui_edit	*e = calloc(1, sizeof *e);

	tui_edit_init(e);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	tui_edit_free(*state);
	free(*state);
	return (0);
}

static void
type(struct tui_edit *e, const char *s)
{
	assert_int_equal(tui_edit_insert(e, s, strlen(s)), 0);
}

static void
test_insert_and_move(void **state)
{
	struct tui_edit	*e = *state;

	type(e, "hllo");
	tui_edit_home(e);
	tui_edit_right(e);
	assert_int_equal(tui_edit_insert_cp(e, 'e'), 0);
	assert_string_equal(e->buf, "hello");
	assert_int_equal(e->cursor, 2);
	tui_edit_end(e);
	assert_int_equal(e->cursor, 5);
	tui_edit_right(e);
	assert_int_equal(e->cursor, 5);
	/* Control characters are refused. */
	assert_int_equal(tui_edit_insert_cp(e, 0x1b), -1);
	assert_int_equal(tui_edit_insert_cp(e, 0x9b), -1);
	assert_string_equal(e->buf, "hello");
}

static void
test_utf8_editing(void **state)
{
	struct tui_edit	*e = *state;

	/* a, CJK (2 columns), e + combining acute, b */
	tui_edit_insert_cp(e, 'a');
	tui_edit_insert_cp(e, 0x4e2d);
	tui_edit_insert_cp(e, 'e');
	tui_edit_insert_cp(e, 0x301);
	tui_edit_insert_cp(e, 'b');
	assert_int_equal(e->len, 1 + 3 + 1 + 2 + 1);
	assert_int_equal(tui_edit_cursor_col(e), 5);
	tui_edit_left(e);
	tui_edit_left(e);		/* over e + accent at once */
	assert_int_equal(e->cursor, 4);
	assert_int_equal(tui_edit_cursor_col(e), 3);
	tui_edit_left(e);
	assert_int_equal(e->cursor, 1);
	tui_edit_delete(e);		/* the CJK character */
	assert_string_equal(e->buf, "ae\xcc\x81" "b");
	tui_edit_right(e);
	tui_edit_backspace(e);		/* e and its accent together */
	assert_string_equal(e->buf, "ab");
	assert_int_equal(e->cursor, 1);
}

static void
test_kill(void **state)
{
	struct tui_edit	*e = *state;

	type(e, "one two  three");
	tui_edit_kill_word(e);
	assert_string_equal(e->buf, "one two  ");
	tui_edit_kill_word(e);
	assert_string_equal(e->buf, "one ");
	type(e, "x");
	tui_edit_left(e);
	tui_edit_kill_line(e);
	assert_string_equal(e->buf, "x");
	assert_int_equal(e->cursor, 0);
	tui_edit_backspace(e);		/* nothing before the cursor */
	assert_string_equal(e->buf, "x");
}

static void
test_limit(void **state)
{
	struct tui_edit	*e = *state;
	char		*big = malloc(TUI_INPUT_MAX + 1);

	memset(big, 'x', TUI_INPUT_MAX);
	big[TUI_INPUT_MAX] = '\0';
	assert_int_equal(tui_edit_insert(e, big, TUI_INPUT_MAX), 0);
	assert_int_equal(tui_edit_insert_cp(e, 'y'), -1);
	assert_int_equal(e->len, TUI_INPUT_MAX);
	free(big);
}

static void
test_history(void **state)
{
	struct tui_edit	*e = *state;

	tui_edit_history_add(e, "first");
	tui_edit_history_add(e, "second");
	tui_edit_history_add(e, "second");	/* repeat: kept once */
	tui_edit_history_add(e, "");
	assert_int_equal(e->hlen, 2);
	type(e, "draft");
	tui_edit_history_up(e);
	assert_string_equal(e->buf, "second");
	tui_edit_history_up(e);
	assert_string_equal(e->buf, "first");
	tui_edit_history_up(e);
	assert_string_equal(e->buf, "first");
	tui_edit_history_down(e);
	assert_string_equal(e->buf, "second");
	tui_edit_history_down(e);
	assert_string_equal(e->buf, "draft");	/* the typed line is back */
	tui_edit_history_down(e);
	assert_string_equal(e->buf, "draft");
}

static void
test_history_bounded(void **state)
{
	struct tui_edit	*e = *state;
	char		 line[32];
	int		 i;

	for (i = 0; i < TUI_HISTORY_MAX + 10; i++) {
		snprintf(line, sizeof line, "line %d", i);
		tui_edit_history_add(e, line);
	}
	assert_int_equal(e->hlen, TUI_HISTORY_MAX);
	assert_string_equal(e->hist[0], "line 10");
	tui_edit_history_up(e);
	snprintf(line, sizeof line, "line %d", TUI_HISTORY_MAX + 9);
	assert_string_equal(e->buf, line);
}

static void
test_complete(void **state)
{
	struct tui_edit		*e = *state;
	const char *const	 cands[] = { "/join", "/leave", "/who" };
	const char *const	 rooms[] = { "lobby", "lounge", "random" };

	type(e, "/j");
	assert_int_equal(tui_edit_complete(e, cands, 3), 1);
	assert_string_equal(e->buf, "/join ");
	type(e, "r");
	assert_int_equal(tui_edit_complete(e, rooms, 3), 1);
	assert_string_equal(e->buf, "/join random ");
	tui_edit_clear(e);

	/* Several matches: common prefix first, then cycling. */
	type(e, "/join l");
	assert_int_equal(tui_edit_complete(e, rooms, 3), 2);
	assert_string_equal(e->buf, "/join lo");
	assert_int_equal(tui_edit_complete(e, rooms, 3), 2);
	assert_string_equal(e->buf, "/join lobby");
	assert_int_equal(tui_edit_complete(e, rooms, 3), 2);
	assert_string_equal(e->buf, "/join lounge");
	assert_int_equal(tui_edit_complete(e, rooms, 3), 2);
	assert_string_equal(e->buf, "/join lobby");
	tui_edit_complete_reset(e);

	/* No match: unchanged. */
	tui_edit_clear(e);
	type(e, "zz");
	assert_int_equal(tui_edit_complete(e, rooms, 3), 0);
	assert_string_equal(e->buf, "zz");
}

/*
 * Candidates come from the server: two of 6,000 bytes used to overflow a
 * stack buffer with their common prefix (issue 9).  What does not fit the
 * line is not inserted; what fits still completes.
 */
static void
test_complete_huge(void **state)
{
	struct tui_edit	*e = *state;
	char		*a, *b, *c;
	const char	*cands[3];

	a = malloc(6001);
	b = malloc(6001);
	c = malloc(3001);
	memset(a, 'x', 6000);
	memset(b, 'x', 6000);
	memset(c, 'y', 3000);
	a[6000] = b[6000] = c[3000] = '\0';
	b[5999] = 'z';
	cands[0] = a;
	cands[1] = b;
	cands[2] = c;
	type(e, "/join ");
	assert_int_equal(tui_edit_complete(e, cands, 2), 2);
	assert_string_equal(e->buf, "/join ");
	assert_int_equal(tui_edit_complete(e, cands, 2), 2);
	assert_string_equal(e->buf, "/join ");
	tui_edit_complete_reset(e);
	assert_int_equal(tui_edit_complete(e, cands + 1, 1), 1);
	assert_string_equal(e->buf, "/join ");
	type(e, "y");
	assert_int_equal(tui_edit_complete(e, cands, 3), 1);
	assert_int_equal(e->len, 6 + 3000 + 1);
	tui_edit_clear(e);

	/* The common prefix of "\xc3\xa9" and "\xc3\xa8" is no character. */
	cands[0] = "ab\xc3\xa9";
	cands[1] = "ab\xc3\xa8";
	type(e, "a");
	assert_int_equal(tui_edit_complete(e, cands, 2), 2);
	assert_string_equal(e->buf, "ab");
	free(a);
	free(b);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_and_move, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_utf8_editing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_complete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_complete_huge, setup,
		    teardown),
	};

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "en_US.UTF-8");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
