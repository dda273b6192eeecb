/*
 * The thread boundary between libwebsockets and libevent.
 *
 * Why two threads: Debian's libwebsockets 4.1.6 is built without the libevent
 * event library and without external-poll callbacks.  Driving it from a
 * libevent loop with lws_service_fd() breaks it: its timers (close
 * handshake, ping/pong, timeouts, async kills) only run inside lws_service(),
 * lws_service_fd(ctx, NULL) asserts and paused reads spin.  So lws gets a
 * thread of its own that does nothing but run lws (a loop on lws_service(),
 * or a program's own loop: bridge_start_loop()), and the program's logic
 * (chat state, timers, signals, the terminal) runs on a libevent loop in
 * the main thread.
 *
 * The two meet only here, in two locked FIFO queues:
 *
 *   app -> lws   commands (send this frame to these ids, close, shut down);
 *                gathered until the end of the app's loop pass, whatever
 *                callback made them (a request, a store completion, a
 *                timer), then handed over at once: the first batch into an
 *                empty queue wakes lws with lws_cancel_service(), the one
 *                lws call that is safe from another thread (LWS_MAX_SMP is
 *                1).  lws drains the whole queue in
 *                LWS_CALLBACK_EVENT_WAIT_CANCELLED, because wake-ups
 *                coalesce, and writes each connection once per drain: a
 *                wave of messages handed over piecemeal would cost lws one
 *                write per connection per piece.
 *   lws -> app   events (opened, message, closed); the first event into an
 *                empty queue writes an eventfd that libevent watches, and the
 *                app drains the whole queue per wake-up.
 *
 * Connections are named by 64-bit ids, never by struct lws *, which is only
 * valid inside the lws thread.  A broadcast crosses as one command holding
 * one reference-counted frame and the list of recipient ids.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bridge.h"
#include "util.h"

/* Frames are handed to lws_write() in place (frame.h). */
_Static_assert(FRAME_PRE >= LWS_PRE, "FRAME_PRE below LWS_PRE");

struct bridge {
	pthread_mutex_t		 lock;
	struct bridge_event	*ev_head;
	struct bridge_event    **ev_tail;
	struct bridge_cmd	*cmd_head;
	struct bridge_cmd      **cmd_tail;

	/*
	 * Each side gathers what it produces during one pass of its loop and
	 * hands it over at the end of the pass: one lock and one wake-up per
	 * batch instead of per message.
	 */
	struct bridge_event	*ev_pending;	/* lws thread only */
	struct bridge_event    **ev_pending_tail;
	struct bridge_cmd	*cmd_pending;	/* app thread only */
	struct bridge_cmd      **cmd_pending_tail;
	struct event		*ev_flush;	/* active: cmd_pending to hand
						 * over at the end of the pass */

	int			 efd;
	struct event		*ev_wake;
	bridge_event_cb		 on_event;
	void			*arg;

	struct lws_context	*ctx;
	struct bridge_loop	 loop;		/* run.. NULL: lws_service() */
	pthread_t		 thread;
	int			 running;
	atomic_int		 stop;
};

static void	bridge_flush_cmds(struct bridge *);
static void	bridge_flush_cb(evutil_socket_t, short, void *);
static void	bridge_hand_over(struct bridge *, struct bridge_event *,
		    struct bridge_event **);

/* Set in the lws thread, where bridge_post() batches. */
static __thread int	bridge_in_lws_thread;

/* libevent callback: the lws thread posted events. */
static void
bridge_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge		*b = arg;
	struct bridge_event	*ev, *next;
	uint64_t		 n;

	(void)fd;
	(void)what;
	/* Read first: anything posted after this read wakes us again. */
	if (read(b->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_warn("bridge: eventfd read: %s", strerror(errno));

	pthread_mutex_lock(&b->lock);
	ev = b->ev_head;
	b->ev_head = NULL;
	b->ev_tail = &b->ev_head;
	pthread_mutex_unlock(&b->lock);

	for (; ev != NULL; ev = next) {
		next = ev->next;
		b->on_event(ev, b->arg);
		free(ev);
	}
}

/* libevent callback, after the pass's other callbacks: hand over. */
static void
bridge_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bridge_flush_cmds(arg);
}

struct bridge *
bridge_new(struct event_base *base, bridge_event_cb on_event, void *arg)
{
	struct bridge	*b;

	b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	b->ev_tail = &b->ev_head;
	b->cmd_tail = &b->cmd_head;
	b->ev_pending_tail = &b->ev_pending;
	b->cmd_pending_tail = &b->cmd_pending;
	b->on_event = on_event;
	b->arg = arg;
	atomic_init(&b->stop, 0);
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd == -1)
		goto fail;
	b->ev_wake = event_new(base, b->efd, EV_READ | EV_PERSIST,
	    bridge_wake_cb, b);
	if (b->ev_wake == NULL || event_add(b->ev_wake, NULL) == -1)
		goto fail;
	if ((b->ev_flush = event_new(base, -1, 0, bridge_flush_cb, b)) == NULL)
		goto fail;
	return b;
fail:
	bridge_free(b);
	return NULL;
}

static void *
bridge_thread(void *arg)
{
	struct bridge	*b = arg;

	bridge_in_lws_thread = 1;
	if (b->loop.run != NULL)
		b->loop.run(b->loop.arg);
	while (b->loop.run == NULL && !atomic_load(&b->stop)) {
		if (lws_service(b->ctx, 0) < 0)
			break;
		bridge_flush_events(b);
	}
	bridge_flush_events(b);
	return NULL;
}

int
bridge_start(struct bridge *b, struct lws_context *ctx)
{
	return bridge_start_loop(b, ctx, NULL);
}

int
bridge_start_loop(struct bridge *b, struct lws_context *ctx,
    const struct bridge_loop *loop)
{
	sigset_t	 all, old;
	int		 error;

	b->ctx = ctx;
	if (loop != NULL)
		b->loop = *loop;
	/* The lws thread must never take a signal: libevent handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(&b->thread, NULL, bridge_thread, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		log_warn("bridge: pthread_create: %s", strerror(error));
		return -1;
	}
	b->running = 1;
	/* Commands queued before the start are waiting for a wake-up. */
	lws_cancel_service(ctx);
	return 0;
}

void
bridge_stop(struct bridge *b)
{
	if (!b->running)
		return;
	bridge_flush_cmds(b);
	atomic_store(&b->stop, 1);
	if (b->loop.stop != NULL)
		b->loop.stop(b->loop.arg);
	else
		lws_cancel_service(b->ctx);
	pthread_join(b->thread, NULL);
	b->running = 0;
}

void
bridge_free(struct bridge *b)
{
	struct bridge_event	*ev, *enext;
	struct bridge_cmd	*cmd, *cnext;

	if (b == NULL)
		return;
	bridge_stop(b);
	for (ev = b->ev_head; ev != NULL; ev = enext) {
		enext = ev->next;
		free(ev);
	}
	for (ev = b->ev_pending; ev != NULL; ev = enext) {
		enext = ev->next;
		free(ev);
	}
	for (cmd = b->cmd_head; cmd != NULL; cmd = cnext) {
		cnext = cmd->next;
		frame_unref(cmd->frame);
		free(cmd);
	}
	for (cmd = b->cmd_pending; cmd != NULL; cmd = cnext) {
		cnext = cmd->next;
		frame_unref(cmd->frame);
		free(cmd);
	}
	if (b->ev_wake != NULL)
		event_free(b->ev_wake);
	if (b->ev_flush != NULL)
		event_free(b->ev_flush);
	if (b->efd != -1)
		close(b->efd);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

struct bridge_cmd *
bridge_cmd_new(enum bridge_cmd_type type, size_t nconns)
{
	struct bridge_cmd	*cmd;

	cmd = malloc(sizeof *cmd + nconns * sizeof cmd->conns[0]);
	if (cmd == NULL)
		return NULL;
	cmd->next = NULL;
	cmd->type = type;
	cmd->frame = NULL;
	cmd->close_code = 0;
	cmd->reason[0] = '\0';
	cmd->nconns = nconns;
	return cmd;
}

/* Hand the commands gathered so far to the lws thread. */
static void
bridge_flush_cmds(struct bridge *b)
{
	int	was_empty;

	if (b->cmd_pending == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	was_empty = (b->cmd_head == NULL);
	*b->cmd_tail = b->cmd_pending;
	b->cmd_tail = b->cmd_pending_tail;
	pthread_mutex_unlock(&b->lock);
	b->cmd_pending = NULL;
	b->cmd_pending_tail = &b->cmd_pending;
	if (was_empty && b->running)
		lws_cancel_service(b->ctx);
}

int
bridge_push_cmd(struct bridge *b, struct bridge_cmd *cmd)
{
	cmd->next = NULL;
	/* The first of the pass: hand over once this pass's active
	 * callbacks are done. */
	if (b->cmd_pending == NULL)
		event_active(b->ev_flush, EV_TIMEOUT, 0);
	*b->cmd_pending_tail = cmd;
	b->cmd_pending_tail = &cmd->next;
	return 0;
}

int
bridge_send(struct bridge *b, struct frame *f, const uint64_t *conns,
    size_t nconns)
{
	struct bridge_cmd	*cmd;

	if (nconns == 0)
		return 0;
	cmd = bridge_cmd_new(BRIDGE_SEND, nconns);
	if (cmd == NULL)
		return -1;
	cmd->frame = frame_ref(f);
	memcpy(cmd->conns, conns, nconns * sizeof conns[0]);
	return bridge_push_cmd(b, cmd);
}

int
bridge_send_one(struct bridge *b, uint64_t conn, struct frame *f)
{
	return bridge_send(b, f, &conn, 1);
}

static int
bridge_push_close(struct bridge *b, enum bridge_cmd_type type, uint64_t conn,
    uint16_t code, const char *reason)
{
	struct bridge_cmd	*cmd;

	cmd = bridge_cmd_new(type, type == BRIDGE_CLOSE ? 1 : 0);
	if (cmd == NULL)
		return -1;
	if (type == BRIDGE_CLOSE)
		cmd->conns[0] = conn;
	cmd->close_code = code;
	if (reason != NULL)
		snprintf(cmd->reason, sizeof cmd->reason, "%s", reason);
	return bridge_push_cmd(b, cmd);
}

int
bridge_close(struct bridge *b, uint64_t conn, uint16_t code,
    const char *reason)
{
	return bridge_push_close(b, BRIDGE_CLOSE, conn, code, reason);
}

int
bridge_shutdown(struct bridge *b, uint16_t code, const char *reason)
{
	return bridge_push_close(b, BRIDGE_SHUTDOWN, 0, code, reason);
}

void
bridge_post(struct bridge *b, enum bridge_event_type type, uint64_t conn,
    const void *data, size_t len)
{
	struct bridge_event	*ev;

	ev = malloc(sizeof *ev + len + 1);
	if (ev == NULL) {
		log_warn("bridge: out of memory, event dropped");
		return;
	}
	ev->next = NULL;
	ev->type = type;
	ev->conn = conn;
	ev->len = len;
	if (len > 0)
		memcpy(ev->data, data, len);
	ev->data[len] = '\0';

	if (bridge_in_lws_thread) {
		/* Handed over after this service pass (bridge_thread). */
		*b->ev_pending_tail = ev;
		b->ev_pending_tail = &ev->next;
		return;
	}
	bridge_hand_over(b, ev, &ev->next);
}

/* Append the events head..*tail to the app's queue and wake it. */
static void
bridge_hand_over(struct bridge *b, struct bridge_event *head,
    struct bridge_event **tail)
{
	uint64_t	one = 1;
	int		was_empty;

	pthread_mutex_lock(&b->lock);
	was_empty = (b->ev_head == NULL);
	*b->ev_tail = head;
	b->ev_tail = tail;
	pthread_mutex_unlock(&b->lock);
	if (was_empty && write(b->efd, &one, sizeof one) < 0 &&
	    errno != EAGAIN)
		log_warn("bridge: eventfd write: %s", strerror(errno));
}

/* Hand the events gathered in this service pass to the app thread. */
void
bridge_flush_events(struct bridge *b)
{
	if (b->ev_pending == NULL)
		return;
	bridge_hand_over(b, b->ev_pending, b->ev_pending_tail);
	b->ev_pending = NULL;
	b->ev_pending_tail = &b->ev_pending;
}

void
bridge_drain_cmds(struct bridge *b, bridge_cmd_cb cb, void *arg)
{
	struct bridge_cmd	*cmd, *next;

	pthread_mutex_lock(&b->lock);
	cmd = b->cmd_head;
	b->cmd_head = NULL;
	b->cmd_tail = &b->cmd_head;
	pthread_mutex_unlock(&b->lock);

	for (; cmd != NULL; cmd = next) {
		next = cmd->next;
		cb(cmd, arg);
	}
}
