/*
 * Every protocol and resource limit, in one place.  Values here are the
 * defaults; the server lets most of them be changed on the command line or
 * in its config file (see server/server-config.c).
 */
#ifndef CHAT_LIMITS_H
#define CHAT_LIMITS_H

/* Room names: 1..64 bytes, no control characters (doc/protocol.md). */
#define CHAT_ROOM_NAME_MAX		64

/* User ids: decimal uint64 as on the wire, with its NUL. */
#define CHAT_ID_SIZE			24

/* A peer's address as text (IPv6 included), with its NUL: for log lines. */
#define CHAT_ADDR_SIZE			48

/* Version 2 names: 1..32 bytes of [A-Za-z0-9_-], starting with a letter. */
#define CHAT_NAME_MAX			32

/* Version 2 session tokens: base64url of this many random bytes (43
 * characters); the store keeps only a SHA-256 of each. */
#define CHAT_TOKEN_BYTES		32
#define CHAT_TOKEN_LEN			43
#define CHAT_TOKEN_HASH_SIZE		32

/* A disconnected session expires after this many seconds (--session-ttl). */
#define CHAT_SESSION_TTL_DEFAULT	2592000
#define CHAT_SESSION_TTL_MAX		(100U * 365 * 86400)

/* Room messages kept per room (--history; 0 keeps none). */
#define CHAT_HISTORY_DEFAULT		1000
#define CHAT_HISTORY_MAX		1000000
/* Messages per history reply: default and largest "limit". */
#define CHAT_HISTORY_PAGE_DEFAULT	50
#define CHAT_HISTORY_PAGE_MAX		200

/* --db: WAL pages after which the checkpoint thread copies them into the
 * database (32 MiB of 4 KiB pages: a page rewritten by many commits is
 * copied once, and the writer syncs the WAL's header when it starts it
 * over, once per checkpoint). */
#define CHAT_SQLITE_CHECKPOINT_PAGES	8000
/* ...and past which it makes the writer wait for a whole checkpoint, so a
 * load the passive ones never catch up with cannot grow it without end
 * (64 MiB of 4 KiB pages); how long either side waits for the other. */
#define CHAT_SQLITE_WAL_MAX_PAGES	16384
#define CHAT_SQLITE_BUSY_MS		10000
/* A batch of at most this many jobs, when the writer thread is idle, is
 * run on the chat thread (a light load: two thread hand-offs fewer per
 * message, as Redis keeps I/O on its main thread until there is a lot of
 * it); a bigger one, any while the writer works, or one whose commit may
 * wait for a checkpoint or sync the WAL goes to the writer. */
#define CHAT_SQLITE_INLINE_JOBS		4
/* A room's history may hold up to 1/N more rows than --history between
 * two trims (store-sqlite-exec.c). */
#define CHAT_SQLITE_TRIM_SHARE		4
/* WAL writes gathered into one (store-sqlite-vfs.c): 15 frames of 4 KiB
 * and 24 bytes.  SQLite's unix VFS writes less than 128 KiB per call. */
#define CHAT_SQLITE_WAL_BUFFER		(64 * 1024)
/* The writer's page cache: the rooms' newest and oldest pages (the ends
 * a message and a trim touch) stay in memory. */
#define CHAT_SQLITE_CACHE_KIB		(16 * 1024)

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
/* lws keeps both, and their sum, in uint16_t: the most either may add to. */
#define CHAT_PING_SECS_MAX		65535

/* Granularity of lws's timers (pings, timeouts) on the server's loop. */
#define CHAT_TIMER_TICK_MS		100

/* How long the server waits for the peer's reply to its close frame. */
#define CHAT_CLOSE_WAIT_MS		2000

/* Milliseconds the server waits on SIGTERM for clients to finish their
 * close handshakes (--shutdown-grace). */
#define CHAT_SHUTDOWN_GRACE_MS		1500

/* TUI: the largest message chat-tui takes from a server.  A server may
 * raise its own limits far above their defaults (--max-queue), and a reply
 * to "rooms" grows with the rooms; the client takes any message up to this
 * and closes the connection (saying so) on a larger one. */
#define TUI_FRAME_MAX			(16 * 1024 * 1024)

/* TUI: scrollback lines per buffer, input history entries. */
#define TUI_SCROLLBACK_MAX		5000
#define TUI_HISTORY_MAX			500
#define TUI_INPUT_MAX			4096
/* TUI: a paste of more lines than this asks before it is sent; a paste
 * is cut at TUI_PASTE_MAX bytes.  Pasted lines go out at most
 * TUI_PASTE_RATE a second after a burst of TUI_PASTE_BURST, well under the
 * server's default rate limit (CHAT_RATE_DEFAULT, CHAT_BURST_DEFAULT), so
 * a long paste arrives whole and in order. */
#define TUI_PASTE_ASK_LINES		3
#define TUI_PASTE_MAX			(1024 * 1024)
#define TUI_PASTE_RATE			10
#define TUI_PASTE_BURST			10

/* TUI: room history lines asked for per page (on join, PgUp past the
 * top, and to catch up after a reconnect); a catch-up keeps at most
 * TUI_SCROLLBACK_MAX lines, and asks again this often after an error. */
#define TUI_ROOM_HISTORY_PAGE		50
#define TUI_ROOM_HISTORY_RETRIES	3

/* TUI: room list refresh period and reconnect backoff (seconds). */
#define TUI_ROOMS_REFRESH_SEC		5
#define TUI_BACKOFF_MIN_MS		250
#define TUI_BACKOFF_MAX_MS		10000

/* Redis (--redis, server/redis-conn.c): a connect and its handshake, and
 * every command, must finish within these; an idle link is PINGed; a lost
 * Redis is retried with a jittered backoff doubling between the two. */
#define CHAT_REDIS_CONNECT_MS		2000
#define CHAT_REDIS_COMMAND_MS		2000
#define CHAT_REDIS_HEARTBEAT_MS		1000
#define CHAT_REDIS_BACKOFF_MIN_MS	100
#define CHAT_REDIS_BACKOFF_MAX_MS	5000
/* A node refreshes its liveness key this often; a node whose key is older
 * than the TTL is dead: the others remove its users (issue: within 5 s). */
#define CHAT_REDIS_ALIVE_MS		1000
#define CHAT_REDIS_ALIVE_TTL_MS		3000
/* redis://HOST:PORT/DB: the database number; unix:/PATH: sun_path. */
#define CHAT_REDIS_DB_MAX		65535
#define CHAT_REDIS_SOCKET_PATH_MAX	108

#endif
