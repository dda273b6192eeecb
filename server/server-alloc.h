/* Lazily backed receive buffers for libwebsockets (see server-alloc.c). */
#ifndef CHAT_SERVER_ALLOC_H
#define CHAT_SERVER_ALLOC_H

/* Install the allocator; call before the lws context is created. */
void	server_alloc_init(void);

#endif
