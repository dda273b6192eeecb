/* The SQLite store's writer thread (store-sqlite-writer.h). */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "store-sqlite-int.h"
#include "store-sqlite-writer.h"
#include "util.h"

struct sql_writer {
	struct sql_conn		*conn;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct sql_batch	*inbox, **inbox_tail;	/* to run */
	struct sql_batch	*outbox, **outbox_tail;	/* run */
	int			 stop;
	int			 running;	/* a list is out of the inbox */
	int			 efd;		/* outbox no longer empty */
	struct event		*ev;
	sql_writer_done_cb	 done;
	void			*arg;
};

static void
sql_writer_append(struct sql_batch ***tail, struct sql_batch *list)
{
	**tail = list;
	while (list->next != NULL)
		list = list->next;
	*tail = &list->next;
}

static void *
sql_writer_main(void *arg)
{
	struct sql_writer	*w = arg;
	struct sql_batch	*list;
	uint64_t		 one = 1;
	int			 wake;

	pthread_setname_np(pthread_self(), "sqlite-writer");
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->inbox == NULL && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->inbox == NULL)
			break;
		list = w->inbox;
		w->inbox = NULL;
		w->inbox_tail = &w->inbox;
		w->running = 1;
		pthread_mutex_unlock(&w->lock);

		sql_batches_run(w->conn, list);

		pthread_mutex_lock(&w->lock);
		w->running = 0;
		wake = w->outbox == NULL;
		sql_writer_append(&w->outbox_tail, list);
		/* One wake-up while the libevent thread has not emptied the
		 * outbox; it takes all of it. */
		if (wake && write(w->efd, &one, sizeof one) == -1 &&
		    errno != EAGAIN)
			log_warn("sqlite writer: eventfd: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Hand what has run to the store. */
static void
sql_writer_deliver(struct sql_writer *w)
{
	struct sql_batch	*list;

	pthread_mutex_lock(&w->lock);
	list = w->outbox;
	w->outbox = NULL;
	w->outbox_tail = &w->outbox;
	pthread_mutex_unlock(&w->lock);
	if (list != NULL)
		w->done(w->arg, list);
}

static void
sql_writer_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	n;

	(void)what;
	/* Read first: anything handed back after this read wakes us. */
	if (read(fd, &n, sizeof n) == -1 && errno != EAGAIN)
		log_warn("sqlite writer: eventfd: %s", strerror(errno));
	sql_writer_deliver(arg);
}

struct sql_writer *
sql_writer_start(struct sql_conn *conn, struct event_base *base,
    sql_writer_done_cb done, void *arg, const char **why)
{
	struct sql_writer	*w;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	w->conn = conn;
	w->done = done;
	w->arg = arg;
	w->inbox_tail = &w->inbox;
	w->outbox_tail = &w->outbox;
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST,
	    sql_writer_wake_cb, w)) == NULL || event_add(w->ev, NULL) == -1) {
		*why = "cannot start the writer thread (eventfd)";
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, sql_writer_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		*why = "cannot start the writer thread";
		goto fail;
	}
	return w;
fail:
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->efd != -1)
		close(w->efd);
	free(w);
	return NULL;
}

void
sql_writer_submit(struct sql_writer *w, struct sql_batch *b)
{
	pthread_mutex_lock(&w->lock);
	sql_writer_append(&w->inbox_tail, b);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int
sql_writer_idle(struct sql_writer *w)
{
	int	idle;

	/* Only the caller submits, so idle stays true until it does; the
	 * lock also makes the writer's last use of conn visible here. */
	pthread_mutex_lock(&w->lock);
	idle = !w->running && w->inbox == NULL && w->outbox == NULL;
	pthread_mutex_unlock(&w->lock);
	return idle;
}

void
sql_writer_stop(struct sql_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	sql_writer_deliver(w);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	event_free(w->ev);
	close(w->efd);
	free(w);
}
