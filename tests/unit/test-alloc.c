/*
 * The allocator chat-server gives libwebsockets (server/server-alloc.c):
 * a failed realloc of a mapped receive buffer must keep the old buffer, as
 * realloc() does (issue 9: it used to unmap it, and lws then used freed
 * memory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libwebsockets.h>

#include "server-alloc.h"

/* The failing allocation below is the point: let ASan return NULL. */
const char	*__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
test_failed_realloc_keeps_the_buffer(void **state)
{
	size_t		 len = 65536;
	unsigned char	*p, *q;

	(void)state;
	server_alloc_init();
	p = lws_realloc(NULL, len, "rx_ubuf");	/* mapped */
	assert_non_null(p);
	memset(p, 'x', len);
	q = lws_realloc(p, SIZE_MAX / 4, "rx_ubuf");
	assert_null(q);
	/* Still ours, still intact. */
	assert_int_equal(p[0], 'x');
	assert_int_equal(p[len - 1], 'x');
	p[1] = 'y';
	/* A realloc that works moves the bytes. */
	q = lws_realloc(p, 2 * len, "rx_ubuf");
	assert_non_null(q);
	assert_int_equal(q[1], 'y');
	assert_int_equal(q[len - 1], 'x');
	assert_null(lws_realloc(q, 0, "rx_ubuf"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_realloc_keeps_the_buffer),
	};

	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
