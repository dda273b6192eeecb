/* chat-tui server addresses and reconnect backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui-model.h"
#include "tui-url.h"

static void
parses(const char *spec, int tls, const char *host, int port,
    const char *path)
{
	struct tui_url	 u;
	const char	*error = NULL;

	assert_int_equal(tui_url_parse(spec, &u, &error), 0);
	assert_int_equal(u.tls, tls);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.path, path);
}

static void
fails(const char *spec)
{
	struct tui_url	 u;
	const char	*error = NULL;

	assert_int_equal(tui_url_parse(spec, &u, &error), -1);
	assert_non_null(error);
}

static void
test_urls(void **state)
{
	(void)state;
	parses(TUI_URL_DEFAULT, 0, "127.0.0.1", 8080, "/chatserver/connect");
	parses("127.0.0.1:9000", 0, "127.0.0.1", 9000, "/chatserver/connect");
	parses("example.org", 0, "example.org", 8080, "/chatserver/connect");
	parses("ws://h", 0, "h", 80, "/chatserver/connect");
	parses("wss://h/x/y", 1, "h", 443, "/x/y");
	parses("wss://h:8443/chatserver/connect", 1, "h", 8443,
	    "/chatserver/connect");
	parses("[::1]:7000", 0, "::1", 7000, "/chatserver/connect");
	parses("ws://[::1]/p", 0, "::1", 80, "/p");
	fails("http://h/");
	fails("h:0");
	fails("h:70000");
	fails("h:abc");
	fails(":8080");
	fails("[::1");
	fails("");
}

static void
test_backoff(void **state)
{
	unsigned	a, ms, prev_max = 0;

	(void)state;
	for (a = 0; a < 20; a++) {
		unsigned lo = tui_model_backoff_ms(a, 0);
		unsigned hi = tui_model_backoff_ms(a, UINT32_MAX);

		assert_true(lo <= hi);
		assert_true(hi <= TUI_BACKOFF_MAX_MS);
		assert_true(lo >= TUI_BACKOFF_MIN_MS / 2);
		assert_true(hi >= prev_max);	/* grows until the cap */
		prev_max = hi;
	}
	ms = tui_model_backoff_ms(30, 12345);
	assert_true(ms >= TUI_BACKOFF_MAX_MS / 2 && ms <= TUI_BACKOFF_MAX_MS);
	/* Jitter: different random inputs give different delays. */
	assert_int_not_equal(tui_model_backoff_ms(5, 1),
	    tui_model_backoff_ms(5, 1000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_backoff),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
