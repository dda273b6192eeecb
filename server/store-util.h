/*
 * Helpers every store back end and the chat code share: tokens and their
 * hashes, name folding, epochs, and copying results for later delivery.
 */
#ifndef CHAT_STORE_UTIL_H
#define CHAT_STORE_UTIL_H

#include <stddef.h>

#include "store.h"

/* A new token (CHAT_TOKEN_LEN characters + NUL) and its hash; -1 if the
 * system has no randomness to give. */
int	store_token_new(char token[CHAT_TOKEN_LEN + 1],
	    unsigned char hash[CHAT_TOKEN_HASH_SIZE]);
/* SHA-256 of the token's bytes: what the stores keep. */
void	store_token_hash(const char *token, size_t len,
	    unsigned char hash[CHAT_TOKEN_HASH_SIZE]);
/* name lowercased (ASCII): the key of name uniqueness. */
void	store_name_fold(char dst[CHAT_NAME_MAX + 1], const char *name);
/* A new random epoch string. */
int	store_new_epoch(char *buf, size_t size);
/* Deep copy of res (its msgs and their texts); -1 when out of memory. */
int	store_result_copy(struct store_result *dst,
	    const struct store_result *src);
/* Free what store_result_copy allocated. */
void	store_result_free_msgs(struct store_result *res);

#endif
