/* chat-tui text handling: decoding, widths, sanitising, wrapping. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui-text.h"

static void
sanitised_is(const char *in, size_t len, const char *want)
{
	char	*out = tui_text_sanitise(in, len, 1);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void
test_decode(void **state)
{
	uint32_t	cp;

	(void)state;
	assert_int_equal(tui_text_decode("a", 1, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(tui_text_decode("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(tui_text_decode("\xe4\xb8\xad", 3, &cp), 3);
	assert_int_equal(cp, 0x4e2d);
	assert_int_equal(tui_text_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	/* Overlong, surrogate, truncated, stray continuation: one byte. */
	assert_int_equal(tui_text_decode("\xc0\xaf", 2, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(tui_text_decode("\xed\xa0\x80", 3, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(tui_text_decode("\xe4\xb8", 2, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(tui_text_decode("\x80", 1, &cp), 1);
	assert_int_equal(cp, 0xfffd);
}

static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(tui_text_width("abc", 3), 3);
	assert_int_equal(tui_text_width("\xe4\xb8\xad\xe6\x96\x87", 6), 4);
	/* e + combining acute: one column. */
	assert_int_equal(tui_text_width("e\xcc\x81", 3), 1);
	assert_int_equal(tui_text_cp_width(0x1f600), 2);
	/* Joiners count nothing: a ZWJ family is three emoji wide, a skin
	 * tone or a variation selector adds nothing (issue 10). */
	assert_int_equal(tui_text_width("\xf0\x9f\x91\xa8\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 18), 6);
	assert_int_equal(tui_text_width("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
	    8), 2);
	assert_int_equal(tui_text_width("\xe2\x9d\xa4\xef\xb8\x8f", 6), 1);
	assert_true(tui_text_joiner(0x200d) && tui_text_joiner(0xfe0f));
	assert_false(tui_text_joiner(0x0301));
}

static void
test_boundaries(void **state)
{
	const char	*s = "ae\xcc\x81\xe4\xb8\xad";	/* a, e+acute, CJK */
	size_t		 len = strlen(s);

	(void)state;
	assert_int_equal(tui_text_next(s, len, 0), 1);
	assert_int_equal(tui_text_next(s, len, 1), 4);
	assert_int_equal(tui_text_next(s, len, 4), 7);
	assert_int_equal(tui_text_next(s, len, 7), 7);
	assert_int_equal(tui_text_prev(s, len, 7), 4);
	assert_int_equal(tui_text_prev(s, len, 4), 1);
	assert_int_equal(tui_text_prev(s, len, 1), 0);
	assert_int_equal(tui_text_prev(s, len, 0), 0);
}

static void
test_sanitise_escapes(void **state)
{
	(void)state;
	sanitised_is("plain", 5, "plain");
	/* Clear screen and an OSC title: visible, never raw ESC. */
	sanitised_is("\x1b[2Jhi", 6, "^[[2Jhi");
	sanitised_is("\x1b]0;owned\x07", 10, "^[]0;owned^G");
	sanitised_is("a\rb\bc\x7f", 6, "a^Mb^Hc^?");
	sanitised_is("a\tb", 3, "a b");
	sanitised_is("a\nb", 3, "a\nb");
	/* NUL in the middle is shown, not a terminator. */
	sanitised_is("a\0b", 3, "a^@b");
}

static void
test_sanitise_c1_and_invalid(void **state)
{
	(void)state;
	/* U+009B (C1 CSI) as UTF-8, and as a raw byte. */
	sanitised_is("x\xc2\x9b" "2J", 5, "x\xef\xbf\xbd" "2J");
	sanitised_is("x\x9b" "2J", 4, "x\xef\xbf\xbd" "2J");
	sanitised_is("\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	/* Bidi override and line separator. */
	sanitised_is("\xe2\x80\xae" "abc", 6, "\xef\xbf\xbd" "abc");
	sanitised_is("\xe2\x80\xa8", 3, "\xef\xbf\xbd");
	/* Valid wide and combining text passes through. */
	sanitised_is("\xe4\xb8\xad e\xcc\x81", 7, "\xe4\xb8\xad e\xcc\x81");
	{
		char *out = tui_text_sanitise("a\nb", 3, 0);
		assert_string_equal(out, "a^Jb");
		free(out);
	}
}

static size_t
wrap(const char *s, int width, struct tui_text_row *rows, size_t max)
{
	return (tui_text_wrap(s, strlen(s), width, rows, max));
}

static void
test_wrap_words(void **state)
{
	struct tui_text_row	r[8];
	const char		*s = "hello big world";

	(void)state;
	assert_int_equal(wrap(s, 20, r, 8), 1);
	assert_int_equal(r[0].len, strlen(s));
	assert_int_equal(wrap(s, 10, r, 8), 2);
	assert_int_equal(r[0].off, 0);
	assert_int_equal(r[0].len, 10);	/* "hello big " */
	assert_int_equal(r[1].off, 10);
	assert_int_equal(r[1].len, 5);
	/* A word longer than the width is cut. */
	assert_int_equal(wrap("abcdefghij", 4, r, 8), 3);
	assert_int_equal(r[0].len, 4);
	assert_int_equal(r[2].len, 2);
	/* Empty text still takes one row. */
	assert_int_equal(wrap("", 10, r, 8), 1);
	assert_int_equal(r[0].len, 0);
	/* Count is returned even when rows run out. */
	assert_int_equal(wrap("abcdefghij", 2, r, 2), 5);
}

static void
test_wrap_newlines(void **state)
{
	struct tui_text_row	r[8];

	(void)state;
	assert_int_equal(wrap("ab\ncd", 10, r, 8), 2);
	assert_int_equal(r[0].len, 2);
	assert_int_equal(r[1].off, 3);
	assert_int_equal(r[1].len, 2);
}

static void
test_wrap_wide(void **state)
{
	struct tui_text_row	r[8];
	/* Five CJK characters, 10 columns, in width 5: 2 + 2 + 1 per row. */
	const char	*s = "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b"
	    "\xe4\xba\x94";

	(void)state;
	assert_int_equal(wrap(s, 5, r, 8), 3);
	assert_int_equal(r[0].width, 4);
	assert_int_equal(r[0].len, 6);
	assert_int_equal(r[2].width, 2);
	/* Combining marks stay with their base across a break. */
	assert_int_equal(wrap("abe\xcc\x81" "cd", 3, r, 8), 2);
	assert_int_equal(r[0].len, 5);
	assert_int_equal(r[0].width, 3);
	assert_int_equal(r[1].off, 5);
}

/* Names cut to fit a pane or the status bar end with an ellipsis. */
static void
test_fit_ellipsis(void **state)
{
	char	*s;

	(void)state;
	s = tui_text_fit("lobby", 5);		/* fits: as it is */
	assert_string_equal(s, "lobby");
	free(s);
	s = tui_text_fit("lobby", 4);
	assert_string_equal(s, "lob\xe2\x80\xa6");
	assert_int_equal(tui_text_width(s, strlen(s)), 4);
	free(s);
	s = tui_text_fit("lobby", 1);
	assert_string_equal(s, "\xe2\x80\xa6");
	free(s);
	s = tui_text_fit("lobby", 0);
	assert_string_equal(s, "");
	free(s);
	/* A wide character that would straddle the edge is left out. */
	s = tui_text_fit("a\xe4\xb8\xad\xe6\x96\x87", 4);	/* a + 2 wide */
	assert_string_equal(s, "a\xe4\xb8\xad\xe2\x80\xa6");
	free(s);
	s = tui_text_fit("a\xe4\xb8\xad\xe6\x96\x87", 3);
	assert_string_equal(s, "a\xe2\x80\xa6");
	free(s);
	/* Combining marks stay with their base. */
	s = tui_text_fit("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2);
	assert_string_equal(s, "e\xcc\x81\xe2\x80\xa6");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_sanitise_escapes),
		cmocka_unit_test(test_sanitise_c1_and_invalid),
		cmocka_unit_test(test_wrap_words),
		cmocka_unit_test(test_wrap_newlines),
		cmocka_unit_test(test_wrap_wide),
		cmocka_unit_test(test_fit_ellipsis),
	};

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "en_US.UTF-8");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
