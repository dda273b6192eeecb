/*
 * The allocator chat-server gives libwebsockets.
 *
 * lws reads a WebSocket at most rx_buffer_size bytes per poll iteration, so
 * a sender's burst of messages is only taken in one gulp (and fanned out in
 * one batch per recipient) if that buffer is large.  But lws allocates it
 * for every connection when the connection opens, and with malloc() each of
 * those buffers would be resident even for clients that never send.
 *
 * So receive buffers ("rx_ubuf" in lws) are mapped anonymously instead:
 * the kernel backs a page only once lws writes into it, an idle connection
 * costs no resident memory for it, and a talking one only the pages its
 * messages touch.  Everything else goes to realloc() as usual.
 */
#include <sys/mman.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include <libwebsockets.h>

#include "server-alloc.h"

struct mapping {
	void		*addr;
	size_t		 len;
	UT_hash_handle	 hh;
};

static struct mapping	*mappings;
static pthread_mutex_t	 mappings_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
alloc_map(size_t size)
{
	struct mapping	*m;
	void		*addr;

	if ((m = malloc(sizeof *m)) == NULL)
		return NULL;
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (addr == MAP_FAILED) {
		free(m);
		return NULL;
	}
	m->addr = addr;
	m->len = size;
	pthread_mutex_lock(&mappings_lock);
	HASH_ADD_PTR(mappings, addr, m);
	pthread_mutex_unlock(&mappings_lock);
	return addr;
}

/* ptr's entry if it is one of ours; removed from the table with del. */
static struct mapping *
alloc_entry(void *ptr, int del)
{
	struct mapping	*m;

	pthread_mutex_lock(&mappings_lock);
	HASH_FIND_PTR(mappings, &ptr, m);
	if (m != NULL && del)
		HASH_DEL(mappings, m);
	pthread_mutex_unlock(&mappings_lock);
	return m;
}

static void *
alloc_lws(void *ptr, size_t size, const char *reason)
{
	struct mapping	*m;
	void		*v;

	if (ptr != NULL && (m = alloc_entry(ptr, 0)) != NULL) {
		/* Like realloc(): on failure the old buffer stays. */
		v = NULL;
		if (size != 0 && (v = malloc(size)) == NULL)
			return NULL;
		if (v != NULL)
			memcpy(v, ptr, size < m->len ? size : m->len);
		alloc_entry(ptr, 1);
		munmap(m->addr, m->len);
		free(m);
		return v;
	}
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if (ptr == NULL && reason != NULL && strcmp(reason, "rx_ubuf") == 0)
		return alloc_map(size);
	return realloc(ptr, size);
}

void
server_alloc_init(void)
{
	lws_set_allocator(alloc_lws);
}
