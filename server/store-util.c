/* Shared helpers of the store back ends (store-util.h). */
#include <sys/random.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "store-util.h"

void
store_token_hash(const char *token, size_t len,
    unsigned char hash[CHAT_TOKEN_HASH_SIZE])
{
	SHA256((const unsigned char *)token, len, hash);
}

static int
store_random(void *buf, size_t len)
{
	return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

int
store_token_new(char token[CHAT_TOKEN_LEN + 1],
    unsigned char hash[CHAT_TOKEN_HASH_SIZE])
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char		 raw[CHAT_TOKEN_BYTES + 1];
	unsigned		 bits = 0, nbits = 0;
	size_t			 i, n = 0;

	_Static_assert((CHAT_TOKEN_BYTES * 8 + 5) / 6 == CHAT_TOKEN_LEN,
	    "token length");
	if (store_random(raw, CHAT_TOKEN_BYTES) == -1)
		return -1;
	/* base64url without padding: 6 bits a character. */
	for (i = 0; i < CHAT_TOKEN_BYTES; i++) {
		bits = (bits << 8) | raw[i];
		nbits += 8;
		while (nbits >= 6) {
			nbits -= 6;
			token[n++] = b64[(bits >> nbits) & 0x3f];
		}
	}
	if (nbits > 0)
		token[n++] = b64[(bits << (6 - nbits)) & 0x3f];
	token[n] = '\0';
	store_token_hash(token, n, hash);
	return 0;
}

void
store_name_fold(char dst[CHAT_NAME_MAX + 1], const char *name)
{
	size_t	i;

	for (i = 0; i < CHAT_NAME_MAX && name[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)name[i]);
	dst[i] = '\0';
}

int
store_new_epoch(char *buf, size_t size)
{
	unsigned char	raw[8];
	size_t		i;

	if (size < 2 * sizeof raw + 1 || store_random(raw, sizeof raw) == -1)
		return -1;
	for (i = 0; i < sizeof raw; i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int
store_result_copy(struct store_result *dst, const struct store_result *src)
{
	struct store_msg	*msgs;
	char			*text;
	size_t			 i;

	*dst = *src;
	dst->msgs = NULL;
	dst->n = 0;
	if (src->n == 0)
		return 0;
	if ((msgs = calloc(src->n, sizeof *msgs)) == NULL)
		return -1;
	for (i = 0; i < src->n; i++) {
		msgs[i] = src->msgs[i];
		if ((text = malloc(src->msgs[i].text_len + 1)) == NULL) {
			dst->msgs = msgs;
			dst->n = i;
			store_result_free_msgs(dst);
			return -1;
		}
		memcpy(text, src->msgs[i].text, src->msgs[i].text_len);
		text[src->msgs[i].text_len] = '\0';
		msgs[i].text = text;
	}
	dst->msgs = msgs;
	dst->n = src->n;
	return 0;
}

void
store_result_free_msgs(struct store_result *res)
{
	size_t	i;

	for (i = 0; i < res->n; i++)
		free((char *)res->msgs[i].text);
	free((struct store_msg *)res->msgs);
	res->msgs = NULL;
	res->n = 0;
}
