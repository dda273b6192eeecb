/*
 * Every protocol and resource limit, in one place.  Values here are the
 * defaults; the server lets most of them be changed on the command line or
 * in its config file (see server/config.c).
 */
#ifndef CHAT_LIMITS_H
#define CHAT_LIMITS_H

/* Room names: 1..64 bytes, no control characters (PROTOCOL.md). */
#define CHAT_ROOM_NAME_MAX		64

/* Message text, counted in bytes after JSON decoding. */
#define CHAT_MESSAGE_MAX_DEFAULT	4096

/* Largest WebSocket message the server accepts; larger ones close 1009. */
#define CHAT_FRAME_MAX_DEFAULT		(64 * 1024)

/* Per-connection token bucket: messages per second and burst. */
#define CHAT_RATE_DEFAULT		20.0
#define CHAT_BURST_DEFAULT		50.0
/* Rate-limit errors in a row before a flooding client is closed (1008). */
#define CHAT_RATE_STRIKES_MAX		100

/* Bytes queued towards one client before it counts as a slow consumer. */
#define CHAT_OUTQ_MAX_DEFAULT		(1024 * 1024)

/* Bytes of pre-framed messages gathered into one write. */
#define CHAT_WRITE_BATCH		(16 * 1024)

/* lws receive buffer per connection: lws reads a socket at most this much
 * per poll, so it sets how big a burst is fanned out in one batch.  Only
 * the pages a connection's messages touch are resident (server-alloc.c). */
#define CHAT_RX_CHUNK			4096

/* Handshakes in progress at once, and header bytes each may use.  The
 * buffers exist only while a handshake is under way; the cap bounds the
 * memory of a connection storm, and must stay well above what a few
 * stalled (slowloris) clients can hold, or they would lock others out. */
#define CHAT_HANDSHAKES_MAX		1024
#define CHAT_HEADER_MAX			2048
/* Longest request path the server looks up as a web client file. */
#define CHAT_WEB_PATH_MAX		256

/* Keep-alive: ping after this many idle seconds, drop after this many more. */
#define CHAT_PING_INTERVAL_DEFAULT	30
#define CHAT_PING_TIMEOUT_DEFAULT	10

/* Granularity of lws's timers (pings, timeouts) on the server's loop. */
#define CHAT_TIMER_TICK_MS		100

/* How long the server waits for the peer's reply to its close frame. */
#define CHAT_CLOSE_WAIT_MS		2000

/* Milliseconds the server waits on SIGTERM for clients to finish their
 * close handshakes (--shutdown-grace). */
#define CHAT_SHUTDOWN_GRACE_MS		1500

/* TUI: scrollback lines per buffer, input history entries. */
#define TUI_SCROLLBACK_MAX		5000
#define TUI_HISTORY_MAX			500
#define TUI_INPUT_MAX			4096
/* TUI: room list refresh period and reconnect backoff (seconds). */
#define TUI_ROOMS_REFRESH_SEC		5
#define TUI_BACKOFF_MIN_MS		250
#define TUI_BACKOFF_MAX_MS		10000

#endif
