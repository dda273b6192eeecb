/*
 * The SQLite store's writer thread.  The libevent thread hands it each
 * loop pass's batch of jobs; it runs every batch waiting at once as one
 * transaction (a group commit: the busier the chat, the fewer commits),
 * and hands them back through an eventfd, so under load the chat thread
 * keeps taking requests while a commit runs.  At a light load (a small
 * batch, the writer idle) the store runs the batch itself instead: the
 * two hand-offs would cost more than the commit.
 */
#ifndef CHAT_STORE_SQLITE_WRITER_H
#define CHAT_STORE_SQLITE_WRITER_H

struct event_base;
struct sql_batch;
struct sql_conn;
struct sql_writer;

/* Batches run, in the order submitted; called on the libevent thread. */
typedef void	(*sql_writer_done_cb)(void *arg, struct sql_batch *list);

/* From now on only the writer uses conn (but see sql_writer_idle);
 * NULL (*why) on failure. */
struct sql_writer *sql_writer_start(struct sql_conn *conn,
		    struct event_base *base, sql_writer_done_cb done,
		    void *arg, const char **why);
void		 sql_writer_submit(struct sql_writer *, struct sql_batch *);
/* Nothing submitted is running or waiting to be handed back: the caller
 * may use conn itself until it submits again. */
int		 sql_writer_idle(struct sql_writer *);
/* Run what was submitted, hand it back (done, before returning), stop. */
void		 sql_writer_stop(struct sql_writer *);

#endif
