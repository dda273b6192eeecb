/*
 * A reference-counted WebSocket message, encoded once and shared by every
 * recipient.  Its own header so the chat logic (server-chat.c and the
 * layers under it) can build frames without libwebsockets or the bridge.
 *
 * buf holds FRAME_PRE bytes of headroom and then the payload; the last
 * hdr_len bytes of the headroom hold a ready-made unmasked (server to
 * client) text-frame header, so queued frames can be written back to back
 * raw.  FRAME_PRE is at least libwebsockets' LWS_PRE (checked in bridge.c),
 * so a payload can also be handed to lws_write() as is.
 */
#ifndef CHAT_FRAME_H
#define CHAT_FRAME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_PRE		16

struct frame {
	atomic_uint	 refs;
	uint32_t	 len;		/* payload bytes */
	uint8_t		 hdr_len;
	unsigned char	 buf[];		/* FRAME_PRE headroom + payload + NUL */
};

#define FRAME_PAYLOAD(f)	((f)->buf + FRAME_PRE)
#define FRAME_WIRE(f)		((f)->buf + FRAME_PRE - (f)->hdr_len)
#define FRAME_WIRE_LEN(f)	((size_t)(f)->hdr_len + (f)->len)

/* New frame with one reference, payload copied; NULL on allocation failure. */
struct frame	*frame_new(const void *payload, size_t len);
/* Adopt a malloc'd payload (freed here), e.g. from proto_encode(). */
struct frame	*frame_from_string(char *payload, size_t len);
struct frame	*frame_ref(struct frame *f);
void		 frame_unref(struct frame *f);

#endif
