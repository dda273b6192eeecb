/*
 * The lws thread of chat-server: accepts WebSocket connections on
 * /chatserver/connect, reassembles incoming messages and posts them to the
 * chat logic through the bridge, and writes what the chat logic sends.
 *
 * Every function here runs in the lws thread (see shared/bridge.c), except
 * server_lws_new() and server_lws_free(), which run before the thread
 * starts and after it is joined.
 *
 * Outbound: each connection has a queue of references to shared,
 * pre-framed frames.  On WRITEABLE as many queued frames as fit in one
 * batch are copied back to back and written with one LWS_WRITE_RAW call:
 * one syscall for many frames.
 *
 * Slow consumers (doc/protocol.md, "Slow consumers"): frames the client
 * did not ask for (a room's messages, notifications) piling up past
 * max_queue bytes mean the peer is not reading: it is closed (1008)
 * rather than let the server's memory grow.  A reply to the client's own
 * request is always queued, whatever its size, and does not count there;
 * while the whole queue is over max_queue the client's further requests
 * are not read (lws rx flow control), so replies stay bounded too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <uthash.h>

#include "chat-limits.h"
#include "server-alloc.h"
#include "server-lws.h"
#include "server-lws-int.h"
#include "server-metrics.h"
#include "server-web.h"
#include "util.h"

/* Drop the frame at the head of the queue (written, or cleared). */
static void
conn_queue_pop(struct conn *c)
{
	struct frame	*f = c->q[c->qhead];

	c->qbytes -= FRAME_WIRE_LEN(f);
	if (f->reply)
		c->qreplies -= FRAME_WIRE_LEN(f);
	frame_unref(f);
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
}

static void
conn_queue_clear(struct conn *c)
{
	while (c->qlen > 0)
		conn_queue_pop(c);
	free(c->q);
	c->q = NULL;
	c->qcap = c->qhead = 0;
}

/* Queued bytes the client did not ask for: what makes it a slow consumer. */
static size_t
conn_unasked(const struct conn *c)
{
	return c->qbytes - c->qreplies;
}

static int
conn_queue_push(struct conn *c, struct frame *f)
{
	struct frame	**q;
	uint32_t	  cap, i;

	if (c->qlen == c->qcap) {
		cap = c->qcap != 0 ? c->qcap * 2 : 8;
		q = malloc(cap * sizeof *q);
		if (q == NULL)
			return -1;
		for (i = 0; i < c->qlen; i++)
			q[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = q;
		c->qcap = cap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qlen) % c->qcap] = frame_ref(f);
	c->qlen++;
	c->qbytes += FRAME_WIRE_LEN(f);
	if (f->reply)
		c->qreplies += FRAME_WIRE_LEN(f);
	return 0;
}

/* Read the client's requests again (its queue drained, or it is closing
 * and its close reply must be read). */
static void
conn_rx_resume(struct conn *c)
{
	if (c->rx_paused) {
		c->rx_paused = 0;
		lws_rx_flow_control(c->wsi, 1);
	}
}

static void
conn_close_later(struct conn *c, uint16_t code, const char *reason,
    enum metrics_close why)
{
	if (c->close_code != 0)
		return;
	conn_rx_resume(c);
	c->close_code = code;
	if (c->why == 0)
		c->why = (uint8_t)(why + 1);
	snprintf(c->close_reason, sizeof c->close_reason, "%.23s", reason);
	lws_callback_on_writable(c->wsi);
}

static void
conn_mark_dirty(struct server_lws *sl, struct conn *c)
{
	struct conn	**d;
	size_t		  cap;

	if (sl->ndirty == sl->dirty_cap) {
		cap = sl->dirty_cap != 0 ? sl->dirty_cap * 2 : 256;
		if ((d = realloc(sl->dirty, cap * sizeof *d)) == NULL) {
			/* No list: let lws say when to write instead. */
			lws_callback_on_writable(c->wsi);
			return;
		}
		sl->dirty = d;
		sl->dirty_cap = cap;
	}
	c->dirty = 1;
	sl->dirty[sl->ndirty++] = c;
}

static int	conn_write(struct server_lws *, struct conn *);

/*
 * After a drain of commands: write every connection that got frames, now,
 * each with all its new frames in one write.  Waiting for lws to report
 * the socket writable would cost another pass through the event loop per
 * message (and, on epoll, two epoll_ctl calls per connection).  lws allows
 * this (lws_issue_raw() keeps order with anything it still buffers); a
 * connection lws still holds unsent bytes for, or with more queued than one
 * write takes, is left to the WRITEABLE callback as before.
 */
static void
server_write_dirty(struct server_lws *sl)
{
	struct conn	*c;
	size_t		 i;

	for (i = 0; i < sl->ndirty; i++) {
		c = sl->dirty[i];
		c->dirty = 0;
		if (c->qlen == 0)
			continue;
		if (c->close_code != 0 || lws_partial_buffered(c->wsi)) {
			lws_callback_on_writable(c->wsi);
			continue;
		}
		if (conn_write(sl, c) == -1) {
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_ASYNC);
			continue;
		}
		if (c->qlen > 0)
			lws_callback_on_writable(c->wsi);
	}
	sl->ndirty = 0;
}

static void
server_cmd_send(struct server_lws *sl, struct bridge_cmd *cmd)
{
	struct conn	*c;
	size_t		 i, queued = 0, wire = FRAME_WIRE_LEN(cmd->frame);
	int		 reply = cmd->frame->reply;

	for (i = 0; i < cmd->nconns; i++) {
		HASH_FIND(hh, sl->conns, &cmd->conns[i], sizeof cmd->conns[i],
		    c);
		if (c == NULL || c->close_code != 0)
			continue;
		/* Judge by what the client has not taken, not by what was
		 * not yet offered to it: write first if the socket takes it. */
		while (!reply && conn_unasked(c) > 0 &&
		    conn_unasked(c) + wire > sl->cfg->max_queue &&
		    !lws_partial_buffered(c->wsi) &&
		    conn_write(sl, c) == 0)
			;
		/* With none queued, any one frame is taken, however large. */
		if ((!reply && conn_unasked(c) > 0 &&
		    conn_unasked(c) + wire > sl->cfg->max_queue) ||
		    conn_queue_push(c, cmd->frame) == -1) {
			/* A slow consumer: drop what it has not read. */
			log_event(1, "slow_consumer", "conn=%llu "
			    "queued_bytes=%zu", (unsigned long long)c->id,
			    c->qbytes);
			conn_queue_clear(c);
			c->close_now = 1;
			conn_close_later(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			    "slow consumer", METRICS_CLOSE_SLOW_CONSUMER);
			/* Its socket is full, so WRITEABLE (and our close
			 * frame) may never come: kill it in a second. */
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 1);
			continue;
		}
		if (reply && c->qbytes > sl->cfg->max_queue && !c->rx_paused) {
			c->rx_paused = 1;
			lws_rx_flow_control(c->wsi, 0);
		}
		queued++;
		if (!c->dirty)
			conn_mark_dirty(sl, c);
	}
	metrics_deliveries(queued);
}

static void
server_cmd(struct bridge_cmd *cmd, void *arg)
{
	struct server_lws	*sl = arg;
	struct conn		*c, *tmp;

	switch (cmd->type) {
	case BRIDGE_SEND:
		server_cmd_send(sl, cmd);
		break;
	case BRIDGE_CLOSE:
		HASH_FIND(hh, sl->conns, &cmd->conns[0], sizeof cmd->conns[0],
		    c);
		if (c != NULL)
			conn_close_later(c, cmd->close_code, cmd->reason,
			    metrics_close_for_code(cmd->close_code));
		break;
	case BRIDGE_SHUTDOWN:
		sl->shutting_down = 1;
		HASH_ITER(hh, sl->conns, c, tmp)
			conn_close_later(c, cmd->close_code, cmd->reason,
			    METRICS_CLOSE_SHUTDOWN);
		break;
	case BRIDGE_CONNECT:
		break;
	}
	frame_unref(cmd->frame);
	free(cmd);
}


/* Write as many queued frames as fit in one batch, in one call. */
static int
conn_write_batch(struct server_lws *sl, struct conn *c)
{
	struct frame	*f = c->q[c->qhead];
	unsigned char	*p = sl->batch + LWS_PRE;
	size_t		 n = 0, len;
	int		 written;

	if (FRAME_WIRE_LEN(f) > CHAT_WRITE_BATCH) {
		/* Too big to batch: send it alone from its own headroom. */
		written = lws_write(c->wsi, FRAME_PAYLOAD(f), f->len,
		    LWS_WRITE_TEXT);
		if (written < (int)f->len)
			return -1;
		conn_queue_pop(c);
		return 0;
	}
	while (c->qlen > 0) {
		f = c->q[c->qhead];
		len = FRAME_WIRE_LEN(f);
		if (n + len > CHAT_WRITE_BATCH)
			break;
		memcpy(p + n, FRAME_WIRE(f), len);
		n += len;
		conn_queue_pop(c);
	}
	/* Server frames are unmasked: the bytes go out exactly as framed. */
	written = lws_write(c->wsi, p, n, LWS_WRITE_RAW);
	if (written < (int)n)
		return -1;
	return 0;
}

/* Write from the queue; read requests again once it is under the bound. */
static int
conn_write(struct server_lws *sl, struct conn *c)
{
	if (conn_write_batch(sl, c) == -1)
		return -1;
	if (c->rx_paused && c->qbytes <= sl->cfg->max_queue)
		conn_rx_resume(c);
	return 0;
}

/*
 * Send our close frame and wait for the peer's.  lws's own way (return -1
 * from the callback) sends the frame and hangs up at once, and a peer that
 * is still writing then gets a reset that can destroy the close frame
 * before it is read.  So the connection stays open, what still arrives is
 * dropped, and the peer's close (or a timeout) ends it.
 */
static int
conn_send_close(struct conn *c)
{
	unsigned char	buf[LWS_PRE + 4 + sizeof c->close_reason], *p;
	size_t		len = strlen(c->close_reason);

	/* lws has no public close opcode for lws_write(): frame it here. */
	p = buf + LWS_PRE;
	p[0] = 0x88;				/* FIN, close */
	p[1] = (unsigned char)(2 + len);	/* < 126: the reason is short */
	p[2] = (unsigned char)(c->close_code >> 8);
	p[3] = (unsigned char)c->close_code;
	memcpy(p + 4, c->close_reason, len);
	if (lws_write(c->wsi, p, 4 + len, LWS_WRITE_RAW) < (int)(4 + len))
		return -1;
	c->close_sent = 1;
	lws_set_timer_usecs(c->wsi, (lws_usec_t)CHAT_CLOSE_WAIT_MS * 1000);
	return 0;
}

static int
server_receive(struct server_lws *sl, struct conn *c, const void *in,
    size_t len)
{
	struct lws	*wsi = c->wsi;
	size_t		 remaining = lws_remaining_packet_payload(wsi);
	int		 final;
	char		*rx;

	c->last_rx = ev_now(sl->loop);
	if (c->close_code != 0)
		return 0;	/* closing: ignore what still arrives */
	if (lws_is_first_fragment(wsi)) {
		c->rx_binary = lws_frame_is_binary(wsi);
		c->rxlen = 0;
	}
	final = lws_is_final_fragment(wsi) && remaining == 0;

	if (c->rxlen + len + remaining > sl->cfg->max_frame) {
		/*
		 * Close from WRITEABLE, not here: lws then keeps reading until
		 * the peer's close reply, so the peer sees our close frame and
		 * not a reset caused by its unread bytes.
		 */
		free(c->rx);
		c->rx = NULL;
		c->rxlen = 0;
		conn_close_later(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    "message too big", METRICS_CLOSE_FRAME_TOO_BIG);
		return 0;
	}
	if (c->rx_binary) {
		/* Binary is refused, so its bytes are not kept. */
		c->rxlen += len;
		if (final) {
			bridge_post(sl->bridge, BRIDGE_BINARY, c->id, NULL, 0);
			c->rxlen = 0;
		}
		return 0;
	}
	if (final && c->rxlen == 0) {
		/* The common case: the whole message in one piece. */
		bridge_post(sl->bridge, BRIDGE_MESSAGE, c->id, in, len);
		return 0;
	}
	rx = realloc(c->rx, c->rxlen + len);
	if (rx == NULL)
		return -1;
	c->rx = rx;
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (final) {
		bridge_post(sl->bridge, BRIDGE_MESSAGE, c->id, c->rx, c->rxlen);
		free(c->rx);
		c->rx = NULL;
		c->rxlen = 0;
	}
	return 0;
}

/*
 * Count a connection's end by its reason and tell the chat logic, with the
 * reason and duration for its log line.  lws hangs up on a peer silent past
 * the ping timeout without saying so: silence that long is taken for it.
 */
static void
server_closed(struct server_lws *sl, struct conn *c)
{
	enum metrics_close	why = METRICS_CLOSE_LOST;
	char			info[64];
	int			len;

	if (c->why != 0)
		why = (enum metrics_close)(c->why - 1);
	else if (sl->cfg->ping_interval > 0 && ev_now(sl->loop) - c->last_rx >=
	    sl->cfg->ping_interval + sl->cfg->ping_timeout - 0.5)
		why = METRICS_CLOSE_PING_TIMEOUT;
	metrics_closed(why);
	metrics_connection(-1);
	len = snprintf(info, sizeof info, "reason=%s duration_ms=%llu",
	    metrics_close_name(why),
	    (unsigned long long)(util_now_ms() - c->opened_ms));
	bridge_post(sl->bridge, BRIDGE_CLOSED, c->id, info, (size_t)len);
}

static int
server_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct server_lws	*sl = lws_context_user(lws_get_context(wsi));
	struct conn		*c = user;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (sl != NULL) {
			bridge_drain_cmds(sl->bridge, server_cmd, sl);
			server_write_dirty(sl);
		}
		return 0;

	case LWS_CALLBACK_HTTP:
		return server_web_request(wsi, sl->web_root,
		    !atomic_load(&sl->unavailable));

	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		/* A web client file is out: ready for the next request. */
		return lws_http_transaction_completed(wsi) ? -1 : 0;

	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return server_gate_upgrade(sl, wsi);

	case LWS_CALLBACK_ESTABLISHED: {
		char addr[48];

		c->id = ++sl->next_id;
		c->wsi = wsi;
		lws_get_peer_simple(wsi, addr, sizeof addr);
		HASH_ADD(hh, sl->conns, id, sizeof c->id, c);
		sl->nconns++;
		c->ip = server_ip_ref(sl, addr);
		c->opened_ms = util_now_ms();
		c->last_rx = ev_now(sl->loop);
		metrics_connection(1);
		bridge_post(sl->bridge, BRIDGE_OPENED, c->id, addr,
		    strlen(addr));
		if (sl->shutting_down)
			conn_close_later(c, LWS_CLOSE_STATUS_GOINGAWAY,
			    "going away", METRICS_CLOSE_SHUTDOWN);
		return 0;
	}

	case LWS_CALLBACK_RECEIVE:
		return server_receive(sl, c, in, len);

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c->qlen > 0) {
			if (conn_write(sl, c) == -1)
				return -1;
			if (c->qlen > 0 || c->close_code != 0)
				lws_callback_on_writable(wsi);
			return 0;
		}
		if (c->close_code != 0 && c->close_now) {
			/* Its socket is full: a close frame may not even fit,
			 * and waiting for its reply would be waiting forever. */
			lws_close_reason(wsi, c->close_code,
			    (unsigned char *)c->close_reason,
			    strlen(c->close_reason));
			return -1;
		}
		if (c->close_code != 0 && !c->close_sent)
			return conn_send_close(c);
		return 0;

	case LWS_CALLBACK_RECEIVE_PONG:
		c->last_rx = ev_now(sl->loop);
		return 0;

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (c->why == 0)
			c->why = METRICS_CLOSE_CLIENT + 1;
		/* The reply to our close frame: hang up without echoing. */
		return c->close_sent ? 1 : 0;

	case LWS_CALLBACK_TIMER:
		/* The peer never answered our close frame. */
		return c->close_sent ? -1 : 0;

	case LWS_CALLBACK_CLOSED:
		if (c->id == 0)
			return 0;
		HASH_DEL(sl->conns, c);
		sl->nconns--;
		server_ip_unref(sl, c->ip);
		c->ip = NULL;
		conn_queue_clear(c);
		free(c->rx);
		c->rx = NULL;
		server_closed(sl, c);
		c->id = 0;
		return 0;

	default:
		return 0;
	}
}

static const struct lws_protocols server_protocols[] = {
	{
		.name = "chat",
		.callback = server_callback,
		.per_session_data_size = sizeof(struct conn),
		.rx_buffer_size = CHAT_RX_CHUNK,
		/* lws sends at most this much per write (else rx_buffer_size):
		 * a whole batch of frames. */
		.tx_packet_size = CHAT_WRITE_BATCH,
	},
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
server_lws_log(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "lws: %s", line);
}

/* Once per loop pass, before it blocks: hand the pass's events over. */
static void
server_pass_end(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server_lws	*sl = w->data;

	(void)loop;
	(void)revents;
	bridge_flush_events(sl->bridge);
}

/*
 * lws 4.1.6 on libev runs its timers (pings, timeouts, our close waits)
 * only from an idle watcher it starts after I/O on one of its sockets, and
 * a timer set in between can be missed until the next I/O.  A wake-up of
 * lws's own pipe now and then is such I/O: timers run at most a tick late.
 */
static void
server_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server_lws	*sl = w->data;

	(void)loop;
	(void)revents;
	lws_cancel_service(sl->ctx);
}

static void
server_stop_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
server_loop_run(void *arg)
{
	struct server_lws	*sl = arg;

	ev_run(sl->loop, 0);
}

static void
server_loop_stop(void *arg)
{
	struct server_lws	*sl = arg;

	ev_async_send(sl->loop, &sl->stop);
}

int
server_lws_start(struct server_lws *sl)
{
	struct bridge_loop	loop = { server_loop_run, server_loop_stop, sl };

	return bridge_start_loop(sl->bridge, sl->ctx, &loop);
}

struct server_lws *
server_lws_new(const struct server_config *cfg, struct bridge *b)
{
	struct lws_context_creation_info	 info;
	void					*foreign[1];
	struct server_lws			*sl;

	sl = calloc(1, sizeof *sl);
	if (sl == NULL)
		return NULL;
	sl->cfg = cfg;
	atomic_init(&sl->unavailable, cfg->redis != NULL);
	sl->bridge = b;
	sl->batch = malloc(LWS_PRE + CHAT_WRITE_BATCH);
	if (sl->batch == NULL) {
		free(sl);
		return NULL;
	}

	if (!cfg->no_web) {
		sl->web_root = cfg->web_root != NULL ? cfg->web_root :
		    CHAT_WEB_ROOT;
		log_info("web client: %s", sl->web_root);
	}
	server_alloc_init();
	lws_set_log_level(cfg->verbose >= 3 ? LLL_ERR | LLL_WARN | LLL_NOTICE :
	    LLL_ERR, server_lws_log);

	memset(&info, 0, sizeof info);
	info.port = cfg->port;
	info.iface = cfg->listen;
	info.protocols = server_protocols;
	info.user = sl;
	info.count_threads = 1;
	info.max_http_header_pool = CHAT_HANDSHAKES_MAX;
	info.max_http_header_data = CHAT_HEADER_MAX;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
	    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	if (strchr(cfg->listen, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (cfg->tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->tls_cert;
		info.ssl_private_key_filepath = cfg->tls_key;
	}
	if (cfg->ping_interval > 0) {
		/* lws pings a connection idle this long and hangs up on it
		 * when nothing, not even a pong, came back in time. */
		sl->retry.secs_since_valid_ping = (uint16_t)cfg->ping_interval;
		sl->retry.secs_since_valid_hangup =
		    (uint16_t)(cfg->ping_interval + cfg->ping_timeout);
		info.retry_and_idle_policy = &sl->retry;
	}

	/*
	 * lws runs on a libev loop (epoll) of our own in its thread rather
	 * than on lws_service(), whose poll() walks every connection on
	 * every pass: with thousands of connections that walk, paid several
	 * times per message, was a quarter of the server's CPU.  The loop is
	 * "foreign" so lws installs no signal handlers of its own.
	 */
	sl->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	if (sl->loop == NULL) {
		log_warn("cannot create the event loop");
		free(sl->batch);
		free(sl);
		return NULL;
	}
	foreign[0] = sl->loop;
	info.foreign_loops = foreign;
	info.options |= LWS_SERVER_OPTION_LIBEV;
	ev_prepare_init(&sl->pass_end, server_pass_end);
	sl->pass_end.data = sl;
	ev_prepare_start(sl->loop, &sl->pass_end);
	ev_async_init(&sl->stop, server_stop_cb);
	ev_async_start(sl->loop, &sl->stop);
	ev_timer_init(&sl->tick, server_tick, CHAT_TIMER_TICK_MS / 1000.0,
	    CHAT_TIMER_TICK_MS / 1000.0);
	sl->tick.data = sl;
	ev_timer_start(sl->loop, &sl->tick);
	sl->ctx = lws_create_context(&info);
	if (sl->ctx == NULL) {
		log_warn("cannot listen on %s port %d", cfg->listen, cfg->port);
		ev_loop_destroy(sl->loop);
		free(sl->batch);
		free(sl);
		return NULL;
	}
	return sl;
}

void
server_lws_serving(struct server_lws *sl, int yes)
{
	atomic_store(&sl->unavailable, !yes);
}

void
server_lws_free(struct server_lws *sl)
{
	struct ip_count	*ic, *tmp;

	if (sl == NULL)
		return;
	lws_context_destroy(sl->ctx);
	ev_prepare_stop(sl->loop, &sl->pass_end);
	ev_async_stop(sl->loop, &sl->stop);
	ev_timer_stop(sl->loop, &sl->tick);
	ev_loop_destroy(sl->loop);
	HASH_ITER(hh, sl->ips, ic, tmp) {
		HASH_DEL(sl->ips, ic);
		free(ic);
	}
	free(sl->dirty);
	free(sl->batch);
	free(sl);
}
