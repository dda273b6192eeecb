/*
 * Inside the SQLite store: the work of one loop pass as a batch of jobs.
 *
 *   store-sqlite.c		the store's operations, on the libevent
 *				thread: each becomes a job (its inputs
 *				copied), completed once its batch commits
 *   store-sqlite-exec.c	a batch's SQL, in one transaction, on the
 *				writer thread (or inline for ":memory:")
 *   store-sqlite-writer.c	the writer thread and its hand-offs
 *   store-sqlite-wal.c		the checkpoint thread
 *   store-sqlite-schema.c	opening, checking, migrating
 *
 * A job's fields are written by one thread at a time: its inputs by the
 * libevent thread before the hand-off, its results by the writer before
 * handing it back.
 */
#ifndef CHAT_STORE_SQLITE_INT_H
#define CHAT_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store.h"

enum sql_kind {
	SQL_JOB_NONE,		/* nothing to run: the result is ready */
	SQL_JOB_SESS_NEW,
	SQL_JOB_SESS_RESUME,
	SQL_JOB_SESS_CLAIM,
	SQL_JOB_SESS_RELEASE,
	SQL_JOB_NAME_SET,
	SQL_JOB_HIST_ADD,
	SQL_JOB_HIST_QUERY,
};

struct sql_job {
	struct sql_job		*next;
	enum sql_kind		 kind;
	/* Inputs (what each kind needs of them). */
	char			 id[CHAT_ID_SIZE];
	unsigned char		 hash[CHAT_TOKEN_HASH_SIZE];
	char			 name[CHAT_NAME_MAX + 1];
	uint64_t		 holder;	/* SESS_CLAIM, _RELEASE */
	uint64_t		 now;
	char			*room;		/* owned; may hold NUL */
	size_t			 room_len;
	struct store_msg	 msg;		/* HIST_ADD: text owned */
	struct store_query	 qr;		/* HIST_QUERY: room is ->room */
	/* Result: msgs owned (store_result_free_msgs). */
	struct store_result	 res;
	const char		*err_what;	/* a statement failed: which */
	char			*err;		/* and SQLite's words, owned */
	int			 reread;	/* run again after a rollback:
						 * res stands */
	/* Completion, on the libevent thread. */
	store_done_cb		 done;
	void			*arg;
};

struct sql_batch {
	struct sql_batch	*next;
	struct sql_job		*head, **tail;
	unsigned		 njobs;
	/* Counters to write with it (only when no history row holds the
	 * seq, or a write failed: dirty). */
	uint64_t		 next_id, next_seq;
	int			 id_dirty, seq_dirty;
	/* Filled in by the run: every batch's failed, the first's rest. */
	int			 failed;	/* COMMIT failed: nothing kept */
	const char		*err_what;	/* begin, meta or commit failed */
	char			*err;		/* and why, owned */
	int			 committed;	/* COMMIT ran, in commit_s */
	double			 commit_s;
};

/* The connection the batches run on, and what its SQL needs to know. */
struct sql_trim;

#define SQL_STMT_MAX	16	/* store-sqlite-exec.c has fewer */
struct sql_conn {
	sqlite3			*db;
	sqlite3_stmt		*q[SQL_STMT_MAX];
	unsigned		 history_max;
	uint64_t		 session_ttl_ms;
	struct sql_trim		*trims;		/* per room, exec's own */
};

/* Prepare the statements; -1 (SQLite's message in db) on failure. */
int	sql_conn_prepare(struct sql_conn *);
void	sql_conn_finalize(struct sql_conn *);
/* Run the batches in list order as one transaction (every job's result,
 * then COMMIT); each batch records whether the commit failed. */
void	sql_batches_run(struct sql_conn *, struct sql_batch *list);

#endif
