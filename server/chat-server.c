/*
 * chat-server: main(), signals and the libevent loop.  The chat logic
 * (server-chat.c) runs on this loop; libwebsockets runs in its own thread
 * (server-lws.c), and the two meet in the bridge (shared/bridge.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <event2/event.h>

#include "config.h"
#include "bridge.h"
#include "chat-limits.h"
#include "server-chat.h"
#include "server-config.h"
#include "server-lws.h"
#include "server-metrics.h"
#include "util.h"

struct server {
	struct server_config	 cfg;
	struct event_base	*base;
	struct bridge		*bridge;
	struct server_lws	*lws;
	struct chat		*chat;
	struct metrics_http	*metrics;
	struct event		*ev_sigterm;
	struct event		*ev_sigint;
	struct event		*ev_grace;
	int			 stopping;
};

static void
server_send(void *arg, struct frame *f, const uint64_t *conns, size_t n)
{
	struct server	*s = arg;

	bridge_send(s->bridge, f, conns, n);
}

static void
server_close(void *arg, uint64_t conn, uint16_t code, const char *reason)
{
	struct server	*s = arg;

	bridge_close(s->bridge, conn, code, reason);
}

static uint64_t
server_now(void *arg)
{
	(void)arg;
	return util_now_ms();
}

static unsigned
server_rooms(void *arg)
{
	struct server	*s = arg;

	return chat_rooms(s->chat);
}

static void
server_maybe_done(struct server *s)
{
	if (s->stopping && chat_users(s->chat) == 0)
		event_base_loopexit(s->base, NULL);
}

static void
server_serving(void *arg, int yes)
{
	struct server	*s = arg;

	if (s->lws != NULL)
		server_lws_serving(s->lws, yes);
}

static void
server_idle(void *arg)
{
	server_maybe_done(arg);
}

static void
server_event(struct bridge_event *ev, void *arg)
{
	struct server	*s = arg;

	switch (ev->type) {
	case BRIDGE_OPENED:
		/* Its "open" event is logged once it has a user id. */
		chat_opened(s->chat, ev->conn, ev->data);
		break;
	case BRIDGE_MESSAGE:
		chat_message(s->chat, ev->conn, ev->data, ev->len);
		break;
	case BRIDGE_BINARY:
		chat_binary(s->chat, ev->conn);
		break;
	case BRIDGE_CLOSED:
		log_event(1, "close", "conn=%llu user=%s %s",
		    (unsigned long long)ev->conn,
		    chat_user_id(s->chat, ev->conn), ev->data);
		chat_closed(s->chat, ev->conn);
		server_maybe_done(s);
		break;
	}
}

static void
server_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	log_info("%u clients did not finish closing", chat_users(s->chat));
	event_base_loopexit(s->base, NULL);
}

/* SIGTERM / SIGINT: close frame 1001 to everyone, then exit 0. */
static void
server_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server	*s = arg;
	struct timeval	 tv = {
		s->cfg.shutdown_grace_ms / 1000,
		(s->cfg.shutdown_grace_ms % 1000) * 1000
	};

	(void)what;
	if (s->stopping) {
		event_base_loopexit(s->base, NULL);
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	s->stopping = 1;
	bridge_shutdown(s->bridge, 1001, "going away");
	s->ev_grace = evtimer_new(s->base, server_grace_over, s);
	evtimer_add(s->ev_grace, &tv);
	server_maybe_done(s);
}

int
main(int argc, char **argv)
{
	struct server	s;
	struct chat_io	io;
	char		*error = NULL;
	int		rc;

	memset(&s, 0, sizeof s);
	config_defaults(&s.cfg);
	rc = config_parse_args(&s.cfg, argc, argv);
	if (rc != 0) {
		config_free(&s.cfg);
		return rc > 255 ? EX_OK : rc;
	}
	log_verbose = s.cfg.verbose;
	signal(SIGPIPE, SIG_IGN);

	rc = EX_SOFTWARE;
	if ((s.base = event_base_new()) == NULL)
		goto out;
	if ((s.bridge = bridge_new(s.base, server_event, &s)) == NULL)
		goto out;
	io.send = server_send;
	io.close = server_close;
	io.now_ms = server_now;
	io.arg = &s;
	io.wall_ms = NULL;
	io.idle = server_idle;
	if ((s.chat = chat_new(&s.cfg, &io, s.base, 0, &error)) == NULL) {
		if (error != NULL) {
			fprintf(stderr, "chat-server: %s\n", error);
			free(error);
			rc = EX_CANTCREAT;
		}
		goto out;
	}
	/* Before the WebSocket port: whoever sees that open can scrape. */
	if (s.cfg.metrics != NULL) {
		struct metrics_source src = { server_rooms, &s };

		if ((s.metrics = metrics_http_new(s.base, s.cfg.metrics,
		    &src)) == NULL) {
			rc = EX_UNAVAILABLE;
			goto out;
		}
		log_info("metrics on http://%s/metrics", s.cfg.metrics);
	}
	if ((s.lws = server_lws_new(&s.cfg, s.bridge)) == NULL) {
		rc = EX_UNAVAILABLE;
		goto out;
	}
	chat_on_serving(s.chat, server_serving, &s);
	s.ev_sigterm = evsignal_new(s.base, SIGTERM, server_signal, &s);
	s.ev_sigint = evsignal_new(s.base, SIGINT, server_signal, &s);
	if (s.ev_sigterm == NULL || s.ev_sigint == NULL ||
	    evsignal_add(s.ev_sigterm, NULL) == -1 ||
	    evsignal_add(s.ev_sigint, NULL) == -1)
		goto out;
	if (server_lws_start(s.lws) == -1)
		goto out;
	log_info("listening on %s://%s:%d/chatserver/connect",
	    s.cfg.tls_cert != NULL ? "wss" : "ws", s.cfg.listen, s.cfg.port);

	event_base_dispatch(s.base);
	rc = EX_OK;
out:
	if (s.bridge != NULL)
		bridge_stop(s.bridge);
	server_lws_free(s.lws);
	metrics_http_free(s.metrics);
	chat_free(s.chat);
	bridge_free(s.bridge);
	if (s.ev_grace != NULL)
		event_free(s.ev_grace);
	if (s.ev_sigterm != NULL)
		event_free(s.ev_sigterm);
	if (s.ev_sigint != NULL)
		event_free(s.ev_sigint);
	if (s.base != NULL)
		event_base_free(s.base);
	config_free(&s.cfg);
	return rc;
}
