/*
 * Reference-counted broadcast frames.  A message is encoded and framed once;
 * every recipient's queue holds a pointer to the same bytes.  The header is a
 * server-to-client (unmasked) text frame header, so it is the same for every
 * recipient and queued frames can be written back to back in one write.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static void
frame_write_header(struct frame *f)
{
	unsigned char	*p;
	uint64_t	 len = f->len;

	if (len < 126)
		f->hdr_len = 2;
	else if (len < 65536)
		f->hdr_len = 4;
	else
		f->hdr_len = 10;
	p = FRAME_WIRE(f);
	p[0] = 0x81;		/* FIN, text */
	if (f->hdr_len == 2)
		p[1] = (unsigned char)len;
	else if (f->hdr_len == 4) {
		p[1] = 126;
		p[2] = (unsigned char)(len >> 8);
		p[3] = (unsigned char)len;
	} else {
		p[1] = 127;
		for (int i = 0; i < 8; i++)
			p[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	}
}

struct frame *
frame_new(const void *payload, size_t len)
{
	struct frame	*f;

	if (len > UINT32_MAX)
		return NULL;
	f = malloc(sizeof *f + FRAME_PRE + len + 1);
	if (f == NULL)
		return NULL;
	atomic_init(&f->refs, 1);
	f->len = (uint32_t)len;
	memcpy(FRAME_PAYLOAD(f), payload, len);
	FRAME_PAYLOAD(f)[len] = '\0';
	frame_write_header(f);
	return f;
}

struct frame *
frame_from_string(char *payload, size_t len)
{
	struct frame	*f;

	if (payload == NULL)
		return NULL;
	f = frame_new(payload, len);
	free(payload);
	return f;
}

struct frame *
frame_ref(struct frame *f)
{
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	return f;
}

void
frame_unref(struct frame *f)
{
	if (f == NULL)
		return;
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
		free(f);
}
