/*
 * The allocator chat-server gives libwebsockets (server/server-alloc.c),
 * called through lws_realloc() as lws calls it.  malloc() is wrapped at
 * link time (-Wl,--wrap=malloc) so a test can make the next one fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libwebsockets.h>

#include "server-alloc.h"

void	*__real_malloc(size_t);
void	*__wrap_malloc(size_t);

static int	fail_mallocs;	/* this many of the next calls fail */

void *
__wrap_malloc(size_t size)
{
	if (fail_mallocs > 0) {
		fail_mallocs--;
		return NULL;
	}
	return __real_malloc(size);
}

#define RX_SIZE	(64 * 1024)

static unsigned char *
rx_buffer(void)
{
	unsigned char	*p = lws_realloc(NULL, RX_SIZE, "rx_ubuf");

	assert_non_null(p);
	for (size_t i = 0; i < RX_SIZE; i++)
		p[i] = (unsigned char)(i * 7);
	return p;
}

static void
assert_pattern(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], (unsigned char)(i * 7));
}

/* realloc's contract: when the new block cannot be had, the old one is
 * left as it was (and still owned by the caller). */
static void
test_alloc_grow_fails_keeps_buffer(void **state)
{
	unsigned char	*p = rx_buffer(), *q;

	(void)state;
	fail_mallocs = 1;
	q = lws_realloc(p, 2 * RX_SIZE, "rx_ubuf");
	fail_mallocs = 0;
	assert_null(q);
	/* Still mapped and intact (before the fix: unmapped, SIGSEGV). */
	assert_pattern(p, RX_SIZE);
	p[RX_SIZE - 1] = 1;
	p[RX_SIZE - 1] = (unsigned char)((RX_SIZE - 1) * 7);
	/* Still known as a mapping: growing it now moves it to the heap. */
	q = lws_realloc(p, 2 * RX_SIZE, "rx_ubuf");
	assert_non_null(q);
	assert_pattern(q, RX_SIZE);
	assert_null(lws_realloc(q, 0, "rx_ubuf"));
}

static void
test_alloc_resize_and_free(void **state)
{
	unsigned char	*p = rx_buffer(), *q;

	(void)state;
	q = lws_realloc(p, 100, "rx_ubuf");	/* shrinks onto the heap */
	assert_non_null(q);
	assert_pattern(q, 100);
	assert_null(lws_realloc(q, 0, "rx_ubuf"));
	p = rx_buffer();
	assert_null(lws_realloc(p, 0, "rx_ubuf"));	/* unmapped */
	/* Other allocations are plain realloc()s. */
	p = lws_realloc(NULL, 10, "other");
	assert_non_null(p);
	fail_mallocs = 1;
	q = lws_realloc(NULL, 10, "rx_ubuf");	/* its table entry fails */
	fail_mallocs = 0;
	assert_null(q);
	assert_null(lws_realloc(p, 0, "other"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_grow_fails_keeps_buffer),
		cmocka_unit_test(test_alloc_resize_and_free),
	};

	server_alloc_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
