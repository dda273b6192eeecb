/*
 * The store in SQLite (--db FILE): WAL, synchronous=NORMAL, an flock() on
 * the file for the life of the store, so a second server on it is refused
 * rather than let in.  The parts: store-sqlite-int.h.
 *
 * Every operation becomes a job of the current loop pass's batch, which is
 * handed to the writer thread at the end of the pass and completes when
 * its transaction commits: one commit per pass at most, however many
 * messages it carried (fewer when the disk is slower than the chat).  So
 * a room message reaches a client only once it is on disk (a kill -9 of
 * the process loses nothing a client saw; synchronous=NORMAL in WAL mode
 * gives that, only a power loss could), and an id or seq is never handed
 * out twice: the counters are written in the same transaction.  Ids and
 * seqs are assigned here, on the libevent thread, so they are known when
 * the operation starts.
 *
 * A write error while running is logged and reported to the callback; the
 * chat goes on, and the counters stay ahead in memory.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "server-metrics.h"
#include "store.h"
#include "store-sqlite-int.h"
#include "store-sqlite-schema.h"
#include "store-sqlite-vfs.h"
#include "store-sqlite-wal.h"
#include "store-sqlite-writer.h"
#include "store-util.h"
#include "util.h"

struct sql_store {
	struct store		 st;
	struct sql_conn		 conn;		/* the writer's, once started */
	char			*path;
	uint64_t		 next_id;
	uint64_t		 next_seq;
	char			 epoch[40];
	int			 lock_fd;	/* flock()ed: ours alone */
	struct sql_wal		*wal;
	struct sql_writer	*writer;	/* NULL: ":memory:", inline */
	struct sql_batch	*batch;		/* this pass's, or NULL */
	int			 commit_failed;	/* the last one (/healthz) */
	int			 id_dirty;	/* next_id to write */
	int			 seq_dirty;	/* next_seq to write: only when
						 * history does not hold it */
	struct event		*flush_ev;	/* end of the pass */
};

#define SQL(s)	((struct sql_store *)(s))

/* Counted and logged (event=store_error) by server-metrics.c. */
static void
sql_log(struct sql_store *q, const char *what, const char *why)
{
	char	detail[256];

	snprintf(detail, sizeof detail, "%s: %s", q->path,
	    why != NULL ? why : "out of memory");
	metrics_store_error("sqlite", what, detail);
}

/* /healthz: usable while the last commit did not fail. */
static int
sql_health(void *arg, char *why, size_t size)
{
	struct sql_store	*q = arg;

	if (!q->commit_failed)
		return 0;
	snprintf(why, size, "sqlite: last commit failed");
	return -1;
}

static void
sql_job_free(struct sql_job *j)
{
	store_result_free_msgs(&j->res);
	free((char *)j->msg.text);
	free(j->room);
	free(j->err);
	free(j);
}

/* Batches back from their transaction: log, then complete in order. */
static void
sql_batches_done(void *arg, struct sql_batch *list)
{
	struct sql_store	*q = arg;
	struct sql_batch	*b;
	struct sql_job		*j;
	int			 failed;

	while ((b = list) != NULL) {
		list = b->next;
		failed = b->failed;
		if (b->committed) {
			metrics_store_seconds(b->commit_s);
			if (failed != q->commit_failed)
				metrics_store_state("sqlite", !failed, failed ?
				    b->err : NULL);
			q->commit_failed = failed;
		}
		if (b->err_what != NULL)
			sql_log(q, b->err_what, b->err);
		if (failed)	/* rolled back: next time */
			q->id_dirty = q->seq_dirty = 1;
		while ((j = b->head) != NULL) {
			b->head = j->next;
			if (j->err_what != NULL)
				sql_log(q, j->err_what, j->err);
			if (failed && !j->reread && j->res.status == STORE_OK)
				j->res.status = STORE_ERR_IO;
			j->done(j->arg, &j->res);
			sql_job_free(j);
		}
		free(b->err);
		free(b);
	}
}

/* Hand this pass's batch over (callbacks may start operations: those go
 * to the next one): to the writer thread, or, a small one while it is
 * idle, run here (CHAT_SQLITE_INLINE_JOBS; ":memory:" always). */
static void
sql_flush(struct sql_store *q)
{
	struct sql_batch	*b = q->batch;

	if (b == NULL)
		return;
	q->batch = NULL;
	b->next_id = q->next_id;
	b->next_seq = q->next_seq;
	b->id_dirty = q->id_dirty;
	b->seq_dirty = q->seq_dirty;
	q->id_dirty = q->seq_dirty = 0;
	if (q->writer != NULL && (b->njobs > CHAT_SQLITE_INLINE_JOBS ||
	    sql_wal_may_stall(q->wal) || !sql_writer_idle(q->writer)))
		sql_writer_submit(q->writer, b);
	else {
		sql_batches_run(&q->conn, b);
		sql_batches_done(q, b);
	}
}

static void
sql_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sql_flush(arg);
}

/*
 * A job for this pass's batch.  The flush event is made active with the
 * batch, so it runs in this same loop pass once the callback at work
 * (typically the bridge's, with every request that came in) returns, not
 * a poll later.  NULL when out of memory (done has been called).
 */
static struct sql_job *
sql_job(struct sql_store *q, enum sql_kind kind, store_done_cb done,
    void *arg)
{
	struct sql_job		*j;
	struct store_result	 nomem = { .status = STORE_ERR_NOMEM };

	if (q->batch == NULL) {
		if ((q->batch = calloc(1, sizeof *q->batch)) == NULL) {
			done(arg, &nomem);
			return NULL;
		}
		q->batch->tail = &q->batch->head;
		event_active(q->flush_ev, EV_TIMEOUT, 0);
	}
	if ((j = calloc(1, sizeof *j)) == NULL) {
		done(arg, &nomem);
		return NULL;
	}
	j->kind = kind;
	j->res.status = STORE_OK;
	j->done = done;
	j->arg = arg;
	*q->batch->tail = j;
	q->batch->tail = &j->next;
	q->batch->njobs++;
	return j;
}

static void
sql_id_next(struct store *s, store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	struct sql_job		*j;

	if ((j = sql_job(q, SQL_JOB_NONE, done, arg)) == NULL)
		return;
	j->res.id = q->next_id++;
	q->id_dirty = 1;
}

static void
sql_session_create(struct store *s, const char *id,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	struct sql_job	*j;

	if ((j = sql_job(SQL(s), SQL_JOB_SESS_NEW, done, arg)) == NULL)
		return;
	snprintf(j->id, sizeof j->id, "%s", id);
	memcpy(j->hash, hash, CHAT_TOKEN_HASH_SIZE);
	j->now = now;
}

static void
sql_session_resume(struct store *s,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	struct sql_job	*j;

	if ((j = sql_job(SQL(s), SQL_JOB_SESS_RESUME, done, arg)) == NULL)
		return;
	memcpy(j->hash, hash, CHAT_TOKEN_HASH_SIZE);
	j->now = now;
}

/* Claim and release: by id and holder. */
static void
sql_session_holder(struct store *s, enum sql_kind kind, const char *id,
    uint64_t holder, uint64_t now, store_done_cb done, void *arg)
{
	struct sql_job	*j;

	if ((j = sql_job(SQL(s), kind, done, arg)) == NULL)
		return;
	snprintf(j->id, sizeof j->id, "%s", id);
	j->holder = holder;
	j->now = now;
}

static void
sql_session_claim(struct store *s, const char *id, uint64_t holder,
    uint64_t now, store_done_cb done, void *arg)
{
	sql_session_holder(s, SQL_JOB_SESS_CLAIM, id, holder, now, done, arg);
}

static void
sql_session_release(struct store *s, const char *id, uint64_t holder,
    uint64_t now, store_done_cb done, void *arg)
{
	sql_session_holder(s, SQL_JOB_SESS_RELEASE, id, holder, now, done,
	    arg);
}

static void
sql_name_set(struct store *s, const char *id, const char *name,
    uint64_t now, store_done_cb done, void *arg)
{
	struct sql_job	*j;

	if ((j = sql_job(SQL(s), SQL_JOB_NAME_SET, done, arg)) == NULL)
		return;
	snprintf(j->id, sizeof j->id, "%s", id);
	snprintf(j->name, sizeof j->name, "%s", name);
	j->now = now;
}

/* The job's own copy of a room name; -1 (and STORE_ERR_NOMEM) if none. */
static int
sql_job_room(struct sql_job *j, const char *room, size_t len)
{
	if ((j->room = malloc(len + 1)) == NULL) {
		j->kind = SQL_JOB_NONE;
		j->res.status = STORE_ERR_NOMEM;
		return -1;
	}
	memcpy(j->room, room, len);
	j->room[len] = '\0';
	j->room_len = len;
	return 0;
}

static void
sql_history_append(struct store *s, const char *room,
    const struct store_msg *msg, store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	struct sql_job		*j;
	char			*text;

	if ((j = sql_job(q, SQL_JOB_HIST_ADD, done, arg)) == NULL)
		return;
	/* The newest row of history holds the seq counter (reopening takes
	 * the larger of it and meta's); meta only when no row does. */
	j->res.seq = ++q->next_seq;
	if (q->st.history_max == 0) {
		j->kind = SQL_JOB_NONE;
		q->seq_dirty = 1;
		return;
	}
	if (sql_job_room(j, room, strlen(room)) == -1 ||
	    (text = malloc(msg->text_len + 1)) == NULL) {
		j->kind = SQL_JOB_NONE;
		j->res.status = STORE_ERR_NOMEM;
		q->seq_dirty = 1;
		return;
	}
	j->msg = *msg;
	j->msg.seq = j->res.seq;
	if (msg->text_len > 0)
		memcpy(text, msg->text, msg->text_len);
	text[msg->text_len] = '\0';
	j->msg.text = text;
}

static void
sql_history_query(struct store *s, const struct store_query *qr,
    store_done_cb done, void *arg)
{
	struct sql_job	*j;

	if ((j = sql_job(SQL(s), SQL_JOB_HIST_QUERY, done, arg)) == NULL)
		return;
	j->qr = *qr;
	if (sql_job_room(j, qr->room, qr->room_len) == 0)
		j->qr.room = j->room;
}

static const char *
sql_epoch(struct store *s)
{
	return SQL(s)->epoch;
}

static void
sql_close(struct sql_store *q)
{
	sql_writer_stop(q->writer);
	sql_wal_stop(q->wal);
	sql_conn_finalize(&q->conn);
	if (q->conn.db != NULL)
		sqlite3_close(q->conn.db);
	if (q->lock_fd != -1)
		close(q->lock_fd);
	if (q->flush_ev != NULL)
		event_free(q->flush_ev);
	free(q->path);
	free(q);
}

static void
sql_destroy(struct store *s)
{
	struct sql_store	*q = SQL(s);

	sql_flush(q);
	/* Runs what is left and completes it before returning. */
	sql_writer_stop(q->writer);
	q->writer = NULL;
	/* Operations those completions started: inline, on this thread. */
	for (int i = 0; i < 8 && q->batch != NULL; i++)
		sql_flush(q);
	metrics_health_clear();	/* the one store of a process */
	sql_close(q);
}

/* After each commit (on the writer thread): the checkpoint thread
 * decides if it is time. */
static int
sql_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sql_store	*q = arg;

	(void)db;
	(void)name;
	sql_wal_grown(q->wal, pages);
	return SQLITE_OK;
}

static const struct store_ops sql_ops = {
	.name = "sqlite",
	.id_next = sql_id_next,
	.session_create = sql_session_create,
	.session_resume = sql_session_resume,
	.session_claim = sql_session_claim,
	.session_release = sql_session_release,
	.name_set = sql_name_set,
	.history_append = sql_history_append,
	.history_query = sql_history_query,
	.epoch = sql_epoch,
	.destroy = sql_destroy,
};

struct store *
store_sqlite_new(const char *path, unsigned history_max,
    uint64_t session_ttl_ms, struct event_base *base, char **error)
{
	struct sql_store	*q;
	const char		*why = NULL;
	char			 buf[512];
	int			 rc;

	*error = NULL;
	/* No allocation statistics: they take a global mutex per malloc.
	 * Only possible before SQLite's first use in the process (later,
	 * SQLITE_MISUSE, and they stay on). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	q->st.ops = &sql_ops;
	q->st.history_max = history_max;
	q->st.session_ttl_ms = session_ttl_ms;
	q->conn.history_max = history_max;
	q->conn.session_ttl_ms = session_ttl_ms;
	q->lock_fd = -1;
	if ((q->path = strdup(path)) == NULL ||
	    (q->flush_ev = evtimer_new(base, sql_flush_cb, q)) == NULL)
		goto nomem;
	/* ":memory:" (the fuzzer's) has no file, no WAL, no second
	 * connection, no writer thread: straight to SQLite, each batch
	 * run at the end of its pass. */
	if (strcmp(path, ":memory:") == 0)
		goto open;
	/* SQLite would open a file it may not write read-only and fail
	 * later with a vaguer error: say it now.  Its journal and WAL go
	 * next to it, so the directory must be writable too. */
	if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) == -1) {
		why = "read-only (no permission to write it)";
		goto fail;
	}
	snprintf(buf, sizeof buf, "%s", path);
	if (access(dirname(buf), W_OK) == -1) {
		why = errno == ENOENT ? "no such directory" :
		    "read-only directory (its journal cannot be created)";
		goto fail;
	}
	/* One server per database: SQLite's own locks last a transaction,
	 * this one as long as the store (released by the kernel when the
	 * process dies, however it dies). */
	if ((q->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) ==
	    -1) {
		why = strerror(errno);
		goto fail;
	}
	if (flock(q->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		why = errno == EWOULDBLOCK ?
		    "in use by another chat-server (database is locked)" :
		    strerror(errno);
		goto fail;
	}
open:
	/* No URI names, no creating directories: the file as given. */
	rc = sqlite3_open_v2(path, &q->conn.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, sql_vfs_name());
	if (rc != SQLITE_OK) {
		why = q->conn.db != NULL ? sqlite3_errmsg(q->conn.db) :
		    "cannot open";
		goto fail;
	}
	sqlite3_extended_result_codes(q->conn.db, 0);
	if (sql_schema_setup(q->conn.db, util_epoch_ms(), q->epoch,
	    sizeof q->epoch, &q->next_id, &q->next_seq, &why) == -1)
		goto fail;
	/* WAL once the file is known to be ours; checkpoints elsewhere. */
	snprintf(buf, sizeof buf, "PRAGMA synchronous = NORMAL;"
	    " PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d;"
	    " PRAGMA cache_size = -%d", CHAT_SQLITE_WAL_MAX_PAGES * 4096,
	    CHAT_SQLITE_CACHE_KIB);
	if (sql_pragma_int(q->conn.db, "PRAGMA journal_mode = WAL", &rc),
	    rc != SQLITE_OK || (rc = sqlite3_exec(q->conn.db, buf, NULL, NULL,
	    NULL)) != SQLITE_OK) {
		why = sql_reason(q->conn.db, rc);
		goto fail;
	}
	if (sql_conn_prepare(&q->conn) == -1) {
		why = sqlite3_errmsg(q->conn.db);
		goto fail;
	}
	if (q->lock_fd != -1) {
		if ((q->wal = sql_wal_start(path, &why)) == NULL)
			goto fail;
		sqlite3_wal_hook(q->conn.db, sql_wal_hook, q);
		/* From now on the checkpoint thread may hold the lock. */
		sqlite3_busy_timeout(q->conn.db, CHAT_SQLITE_BUSY_MS);
		if ((q->writer = sql_writer_start(&q->conn, base,
		    sql_batches_done, q, &why)) == NULL)
			goto fail;
	}
	metrics_health_add(sql_health, q);
	metrics_store_state("sqlite", 1, NULL);
	return &q->st;
nomem:
	why = "out of memory";
fail:
	snprintf(buf, sizeof buf, "%s: %s", path, why);
	*error = strdup(buf);
	sql_close(q);
	return NULL;
}
