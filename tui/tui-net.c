/*
 * chat-tui's WebSocket.  Like the server, lws runs in a thread of its own
 * (see shared/bridge.c for why) and talks to the libevent thread only
 * through the bridge: BRIDGE_CONNECT / BRIDGE_SEND / BRIDGE_CLOSE commands
 * go in, BRIDGE_OPENED / BRIDGE_MESSAGE / BRIDGE_CLOSED events come out.
 *
 * Each connection attempt gets a new id, so an event from an attempt the
 * app has already given up on is recognised and ignored.
 *
 * BRIDGE_CLOSED carries the server's close code in its first two bytes
 * (network order, 0: none), then why, as text.
 */
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libwebsockets.h>

#include "bridge.h"
#include "chat-limits.h"
#include "tui-model.h"
#include "tui-net.h"

/* Frames waiting for the socket to become writable (lws thread). */
struct tui_net_out {
	struct tui_net_out	*next;
	struct frame		*frame;
};

struct tui_net {
	/* Set before the lws thread starts, read-only afterwards. */
	struct tui_url		 url;
	char			*ca;
	char			 origin[300];
	struct tui_net_cbs	 cbs;

	struct event_base	*base;
	struct bridge		*bridge;
	struct lws_context	*ctx;

	/* libevent thread only. */
	uint64_t		 next_id;
	uint64_t		 conn;		/* current attempt */
	int			 connected;
	int			 quitting;
	unsigned		 attempt;
	struct event		*retry;

	/* lws thread only. */
	struct lws		*wsi;
	uint64_t		 wsi_id;
	struct tui_net_out	*out_head;
	struct tui_net_out     **out_tail;
	char			*rx;
	size_t			 rxlen;
	size_t			 rxcap;
	int			 rx_binary;
	uint16_t		 close_code;
	uint16_t		 peer_code;	/* the server's close */
	char			 peer_reason[124]; /* RFC 6455: <= 123 bytes */
};

/* lws thread. */

static void
tui_net_out_clear(struct tui_net *n)
{
	struct tui_net_out	*o;

	while ((o = n->out_head) != NULL) {
		n->out_head = o->next;
		frame_unref(o->frame);
		free(o);
	}
	n->out_tail = &n->out_head;
}

/* The connection is gone: tell the app once, with the server's code. */
static void
tui_net_gone(struct tui_net *n, const char *why)
{
	char	ev[2 + 200];	/* the code, then why (a reason fits) */
	size_t	len;

	if (n->peer_code != 0) {
		/* Closed by the server: say what it said. */
		snprintf(ev + 2, sizeof ev - 2, "closed by the server (%u%s%s)",
		    n->peer_code, n->peer_reason[0] != '\0' ? " " : "",
		    n->peer_reason);
		why = ev + 2;
	} else if (why != NULL)
		snprintf(ev + 2, sizeof ev - 2, "%s", why);
	else
		ev[2] = '\0';
	ev[0] = (char)(n->peer_code >> 8);
	ev[1] = (char)(n->peer_code & 0xff);
	len = 2 + strlen(ev + 2);
	if (n->wsi_id != 0)
		bridge_post(n->bridge, BRIDGE_CLOSED, n->wsi_id, ev, len);
	n->wsi_id = 0;
	n->wsi = NULL;
	n->close_code = 0;
	n->peer_code = 0;
	n->peer_reason[0] = '\0';
	tui_net_out_clear(n);
	free(n->rx);
	n->rx = NULL;
	n->rxlen = n->rxcap = 0;
}

static void
tui_net_do_connect(struct tui_net *n, uint64_t id)
{
	struct lws_client_connect_info	 i;
	char				 host[300];

	if (n->wsi != NULL)
		return;		/* one connection at a time */
	n->wsi_id = id;
	if (strchr(n->url.host, ':') != NULL)
		snprintf(host, sizeof host, "[%s]:%d", n->url.host, n->url.port);
	else
		snprintf(host, sizeof host, "%s:%d", n->url.host, n->url.port);

	memset(&i, 0, sizeof i);
	i.context = n->ctx;
	i.address = n->url.host;
	i.port = n->url.port;
	i.path = n->url.path;
	i.host = host;
	i.origin = n->origin;
	i.ssl_connection = n->url.tls ? LCCSCF_USE_SSL : 0;
	i.ietf_version_or_minus_one = -1;
	i.local_protocol_name = "chat-client";
	i.pwsi = &n->wsi;
	if (lws_client_connect_via_info(&i) == NULL) {
		n->wsi = NULL;
		tui_net_gone(n, "cannot start connection");
	}
}

static void
tui_net_cmd(struct bridge_cmd *cmd, void *arg)
{
	struct tui_net		*n = arg;
	struct tui_net_out	*o;

	switch (cmd->type) {
	case BRIDGE_CONNECT:
		tui_net_do_connect(n, cmd->conns[0]);
		break;
	case BRIDGE_SEND:
		if (n->wsi == NULL || cmd->conns[0] != n->wsi_id ||
		    (o = calloc(1, sizeof *o)) == NULL)
			break;
		o->frame = cmd->frame;	/* the command's reference */
		cmd->frame = NULL;
		*n->out_tail = o;
		n->out_tail = &o->next;
		lws_callback_on_writable(n->wsi);
		break;
	case BRIDGE_CLOSE:
	case BRIDGE_SHUTDOWN:
		if (n->wsi == NULL)
			break;
		/* Flush what is queued, then close in WRITEABLE. */
		n->close_code = cmd->close_code != 0 ? cmd->close_code :
		    LWS_CLOSE_STATUS_NORMAL;
		lws_callback_on_writable(n->wsi);
		break;
	}
	frame_unref(cmd->frame);
	free(cmd);
}

static int
tui_net_receive(struct tui_net *n, struct lws *wsi, const void *in,
    size_t len)
{
	char	*p;

	if (lws_is_first_fragment(wsi)) {
		n->rxlen = 0;
		n->rx_binary = lws_frame_is_binary(wsi);
	}
	if (len > TUI_FRAME_MAX || n->rxlen > TUI_FRAME_MAX - len) {
		tui_net_gone(n, "message from server too large");
		return (-1);
	}
	/* Doubling: a message of megabytes comes in 4 KiB pieces. */
	if (n->rxlen + len + 1 > n->rxcap) {
		size_t	cap = n->rxcap == 0 ? 4096 : n->rxcap;

		while (cap < n->rxlen + len + 1)
			cap *= 2;
		if ((p = realloc(n->rx, cap)) == NULL)
			return (-1);
		n->rx = p;
		n->rxcap = cap;
	}
	memcpy(n->rx + n->rxlen, in, len);
	n->rxlen += len;
	if (lws_is_final_fragment(wsi) &&
	    lws_remaining_packet_payload(wsi) == 0) {
		bridge_post(n->bridge, n->rx_binary ? BRIDGE_BINARY :
		    BRIDGE_MESSAGE, n->wsi_id, n->rx, n->rxlen);
		n->rxlen = 0;
		/* Keep no more than a usual message's room between them. */
		if (n->rxcap > CHAT_FRAME_MAX_DEFAULT) {
			free(n->rx);
			n->rx = NULL;
			n->rxcap = 0;
		}
	}
	return (0);
}

static int
tui_net_writeable(struct tui_net *n, struct lws *wsi)
{
	struct tui_net_out	*o;
	struct frame		*f;
	int			 w;

	if ((o = n->out_head) != NULL) {
		n->out_head = o->next;
		if (n->out_head == NULL)
			n->out_tail = &n->out_head;
		f = o->frame;
		free(o);
		/* lws masks the payload in place; the frame is ours alone. */
		w = lws_write(wsi, FRAME_PAYLOAD(f), f->len, LWS_WRITE_TEXT);
		frame_unref(f);
		if (w < 0)
			return (-1);
		if (n->out_head != NULL || n->close_code != 0)
			lws_callback_on_writable(wsi);
		return (0);
	}
	if (n->close_code != 0) {
		lws_close_reason(wsi, n->close_code, (unsigned char *)"bye", 3);
		return (-1);
	}
	return (0);
}

static int
tui_net_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct tui_net	*n = lws_context_user(lws_get_context(wsi));
	char		 why[128];

	(void)user;
	if (n == NULL)
		return (0);
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		bridge_drain_cmds(n->bridge, tui_net_cmd, n);
		return (0);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		n->wsi = wsi;
		bridge_post(n->bridge, BRIDGE_OPENED, n->wsi_id, NULL, 0);
		return (0);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (wsi != n->wsi)
			return (-1);
		return (tui_net_receive(n, wsi, in, len));
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (wsi != n->wsi)
			return (-1);
		return (tui_net_writeable(n, wsi));
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(why, sizeof why, "%.*s", in != NULL ? (int)len : 0,
		    in != NULL ? (const char *)in : "");
		if (in == NULL || why[0] == '\0')
			snprintf(why, sizeof why, "connection failed");
		tui_net_gone(n, why);
		return (0);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* The code (network order), then a reason of its own. */
		if (wsi != n->wsi || in == NULL || len < 2)
			return (0);
		n->peer_code = (uint16_t)(((const unsigned char *)in)[0] << 8 |
		    ((const unsigned char *)in)[1]);
		snprintf(n->peer_reason, sizeof n->peer_reason, "%.*s",
		    (int)(len - 2 < sizeof n->peer_reason - 1 ? len - 2 :
		    sizeof n->peer_reason - 1), (const char *)in + 2);
		return (0);
	case LWS_CALLBACK_CLIENT_CLOSED:
		tui_net_gone(n, "connection closed");
		return (0);
	default:
		return (0);
	}
}

static const struct lws_protocols tui_net_protocols[] = {
	{
		.name = "chat-client",
		.callback = tui_net_callback,
		.rx_buffer_size = CHAT_RX_CHUNK,
	},
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* libevent thread. */

static void
tui_net_attempt(struct tui_net *n)
{
	struct bridge_cmd	*cmd;

	if (n->quitting || (cmd = bridge_cmd_new(BRIDGE_CONNECT, 1)) == NULL)
		return;
	n->conn = ++n->next_id;
	cmd->conns[0] = n->conn;
	/* Informational only: the lws thread uses the parsed url. */
	snprintf(cmd->reason, sizeof cmd->reason, "%s://%.64s:%d%.32s",
	    n->url.tls ? "wss" : "ws", n->url.host, n->url.port, n->url.path);
	bridge_push_cmd(n->bridge, cmd);
}

static void
tui_net_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tui_net_attempt(arg);
}

static void
tui_net_event(struct bridge_event *ev, void *arg)
{
	struct tui_net	*n = arg;
	struct timeval	 tv;
	unsigned	 ms, code = 0;
	const char	*why = NULL;

	if (ev->conn != n->conn)
		return;		/* from an attempt already given up on */
	switch (ev->type) {
	case BRIDGE_OPENED:
		n->connected = 1;
		n->cbs.opened(n->cbs.arg);
		break;
	case BRIDGE_MESSAGE:
		/* The server talks to us: back to short retry delays.  (Not
		 * on open: a server that accepts and hangs up at once would
		 * be hammered.) */
		n->attempt = 0;
		n->cbs.message(ev->data, ev->len, n->cbs.arg);
		break;
	case BRIDGE_BINARY:
		break;
	case BRIDGE_CLOSED:
		n->connected = 0;
		n->conn = 0;
		if (ev->len >= 2) {
			code = (unsigned char)ev->data[0] << 8 |
			    (unsigned char)ev->data[1];
			if (ev->len > 2)
				why = ev->data + 2;
		}
		if (n->quitting) {
			n->cbs.closed(why, code, 0, n->cbs.arg);
			break;
		}
		ms = tui_model_backoff_ms(n->attempt++, (uint32_t)random());
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(n->retry, &tv);
		n->cbs.closed(why, code, ms, n->cbs.arg);
		break;
	}
}

static void
tui_net_lws_log(int level, const char *line)
{
	(void)level;
	(void)line;	/* stderr is the terminal: say nothing */
}

struct tui_net *
tui_net_new(struct event_base *base, const struct tui_url *u, const char *ca,
    const struct tui_net_cbs *cbs)
{
	struct lws_context_creation_info	 info;
	struct tui_net				*n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		return (NULL);
	n->url = *u;
	n->cbs = *cbs;
	n->base = base;
	n->out_tail = &n->out_head;
	snprintf(n->origin, sizeof n->origin, "%s", u->host);
	if (ca != NULL && (n->ca = strdup(ca)) == NULL)
		goto fail;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());

	if ((n->retry = evtimer_new(base, tui_net_retry_cb, n)) == NULL)
		goto fail;
	if ((n->bridge = bridge_new(base, tui_net_event, n)) == NULL)
		goto fail;

	lws_set_log_level(LLL_ERR, tui_net_lws_log);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = tui_net_protocols;
	info.user = n;
	info.count_threads = 1;
	info.fd_limit_per_thread = 16;
	if (u->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = n->ca;
	}
	if ((n->ctx = lws_create_context(&info)) == NULL)
		goto fail;
	return (n);
fail:
	tui_net_free(n);
	return (NULL);
}

int
tui_net_start(struct tui_net *n)
{
	if (bridge_start(n->bridge, n->ctx) != 0)
		return (-1);
	tui_net_attempt(n);
	return (0);
}

int
tui_net_send(struct tui_net *n, const struct proto_msg *msg)
{
	struct frame	*f;
	char		*json;
	size_t		 len;
	int		 rc;

	if (!n->connected)
		return (-1);
	if ((json = proto_encode(msg, &len)) == NULL)
		return (-1);
	if ((f = frame_from_string(json, len)) == NULL)
		return (-1);
	rc = bridge_send_one(n->bridge, n->conn, f);
	frame_unref(f);
	return (rc);
}

void
tui_net_close(struct tui_net *n)
{
	n->quitting = 1;
	evtimer_del(n->retry);
	if (n->conn != 0)
		bridge_close(n->bridge, n->conn, LWS_CLOSE_STATUS_NORMAL, "bye");
}

int
tui_net_connected(const struct tui_net *n)
{
	return (n->connected);
}

void
tui_net_hold(struct tui_net *n)
{
	evtimer_del(n->retry);
}

void
tui_net_reconnect(struct tui_net *n)
{
	if (n->quitting)
		return;
	n->attempt = 0;
	if (n->connected) {
		/* Its close brings the first retry, after the shortest wait. */
		bridge_close(n->bridge, n->conn, LWS_CLOSE_STATUS_NORMAL,
		    "reconnect");
		return;
	}
	if (n->conn != 0)
		return;		/* an attempt is under way */
	evtimer_del(n->retry);
	tui_net_attempt(n);
}

void
tui_net_free(struct tui_net *n)
{
	if (n == NULL)
		return;
	if (n->bridge != NULL)
		bridge_stop(n->bridge);
	if (n->ctx != NULL)
		lws_context_destroy(n->ctx);
	/* Only now is the lws thread's state ours to free. */
	tui_net_out_clear(n);
	free(n->rx);
	if (n->bridge != NULL)
		bridge_free(n->bridge);
	if (n->retry != NULL)
		event_free(n->retry);
	free(n->ca);
	free(n);
}
