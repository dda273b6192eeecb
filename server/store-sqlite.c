/*
 * The store in SQLite (--db FILE): WAL, synchronous=NORMAL, checkpoints in
 * a thread of their own (store-sqlite-wal.c), and an flock() on the file
 * for the life of the store, so a second server on it is refused rather
 * than let in.
 *
 * Every operation runs its SQL at once, inside the transaction of the
 * current loop pass, and completes when that transaction commits: one
 * commit per pass however many messages it carried.  So a room message
 * reaches a client only once it is on disk (a kill -9 of the process loses
 * nothing a client saw; synchronous=NORMAL in WAL mode gives that, only a
 * power loss could), and an id or seq is never handed out twice: the
 * counters are written in the same transaction.
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
#include "store-sqlite-schema.h"
#include "store-sqlite-wal.h"
#include "store-util.h"
#include "util.h"


enum {
	Q_META_SET,
	Q_SESS_NEW,
	Q_SESS_BY_HASH,
	Q_SESS_TOUCH,
	Q_SESS_RELEASE,
	Q_SESS_DROP,
	Q_SESS_BY_LNAME,
	Q_SESS_NAME,
	Q_HIST_ADD,
	Q_HIST_TRIM,
	Q_HIST_LATEST,
	Q_HIST_AFTER,
	Q_COUNT
};

static const char *const sql_queries[Q_COUNT] = {
	[Q_META_SET] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
	[Q_SESS_NEW] = "INSERT OR REPLACE INTO sessions (id, hash, connected,"
	    " seen) VALUES (?1, ?2, 1, ?3)",
	[Q_SESS_BY_HASH] = "SELECT id, name, connected, seen FROM sessions"
	    " WHERE hash = ?1",
	[Q_SESS_TOUCH] = "UPDATE sessions SET connected = 1, seen = ?2"
	    " WHERE id = ?1",
	[Q_SESS_RELEASE] = "UPDATE sessions SET connected = 0, seen = ?2"
	    " WHERE id = ?1",
	[Q_SESS_DROP] = "DELETE FROM sessions WHERE id = ?1",
	[Q_SESS_BY_LNAME] = "SELECT id, connected, seen FROM sessions"
	    " WHERE lname = ?1",
	[Q_SESS_NAME] = "UPDATE sessions SET name = ?2, lname = ?3"
	    " WHERE id = ?1",
	[Q_HIST_ADD] = "INSERT INTO history (seq, room, ts, user_id, name,"
	    " text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* Everything of a room but its newest ?2 rows. */
	[Q_HIST_TRIM] = "DELETE FROM history WHERE room = ?1 AND seq <="
	    " (SELECT seq FROM history WHERE room = ?1 ORDER BY seq DESC"
	    " LIMIT 1 OFFSET ?2)",
	/* The latest K below before (2^63-1 when not given), newest first. */
	[Q_HIST_LATEST] = "SELECT seq, ts, user_id, name, text FROM history"
	    " WHERE room = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
	/* The first K above after and below before. */
	[Q_HIST_AFTER] = "SELECT seq, ts, user_id, name, text FROM history"
	    " WHERE room = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4",
};

/* A completion waiting for the commit. */
struct sql_pending {
	struct sql_pending	*next;
	store_done_cb		 done;
	void			*arg;
	struct store_result	 res;		/* msgs owned */
};

struct sql_store {
	struct store		 st;
	sqlite3			*db;
	sqlite3_stmt		*q[Q_COUNT];
	char			*path;
	uint64_t		 next_id;
	uint64_t		 next_seq;
	char			 epoch[40];
	int			 lock_fd;	/* flock()ed: ours alone */
	struct sql_wal		*wal;
	int			 in_tx;
	int			 commit_active;	/* commit_ev is pending */
	int			 commit_failed;	/* the last one (/healthz) */
	int			 id_dirty;	/* next_id to write */
	int			 seq_dirty;	/* next_seq to write: only when
						 * history does not hold it */
	struct event		*commit_ev;
	struct sql_pending	*p_head, **p_tail;
};

#define SQL(s)	((struct sql_store *)(s))

/* Counted and logged (event=store_error) by server-metrics.c. */
static void
sql_log(struct sql_store *q, const char *what)
{
	char	detail[256];

	snprintf(detail, sizeof detail, "%s: %s", q->path,
	    sqlite3_errmsg(q->db));
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

static int
sql_exec(struct sql_store *q, const char *sql)
{
	return sqlite3_exec(q->db, sql, NULL, NULL, NULL);
}

/* Run a statement that returns no rows; SQLITE_DONE on success. */
static int
sql_step_done(struct sql_store *q, sqlite3_stmt *st, const char *what)
{
	int	rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		sql_log(q, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void
sql_meta_set(struct sql_store *q, const char *key, sqlite3_int64 v)
{
	sqlite3_stmt	*st = q->q[Q_META_SET];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	sql_step_done(q, st, "meta");
}

static void
sql_commit(struct sql_store *q)
{
	struct sql_pending	*p, *list;
	int			 failed = 0;

	if (q->in_tx) {
		if (q->id_dirty)
			sql_meta_set(q, "next_id", (sqlite3_int64)q->next_id);
		if (q->seq_dirty)
			sql_meta_set(q, "next_seq",
			    (sqlite3_int64)q->next_seq);
		uint64_t start = metrics_clock_ns();

		q->id_dirty = q->seq_dirty = 0;
		failed = sql_exec(q, "COMMIT") != SQLITE_OK;
		metrics_store_observe(start);
		if (failed != q->commit_failed)
			metrics_store_state("sqlite", !failed, failed ?
			    sqlite3_errmsg(q->db) : NULL);
		q->commit_failed = failed;
		if (failed) {
			sql_log(q, "commit");
			sql_exec(q, "ROLLBACK");
			q->id_dirty = q->seq_dirty = 1;	/* next time */
		}
		q->in_tx = 0;
	}
	/* Callbacks may start operations: those go to the next batch. */
	list = q->p_head;
	q->p_head = NULL;
	q->p_tail = &q->p_head;
	while ((p = list) != NULL) {
		list = p->next;
		if (failed && p->res.status == STORE_OK)
			p->res.status = STORE_ERR_IO;
		p->done(p->arg, &p->res);
		store_result_free_msgs(&p->res);
		free(p);
	}
}

/* After each commit: the checkpoint thread decides if it is time. */
static int
sql_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sql_store	*q = arg;

	(void)db;
	(void)name;
	sql_wal_grown(q->wal, pages);
	return SQLITE_OK;
}

static void
sql_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sql_store	*q = arg;

	(void)fd;
	(void)what;
	q->commit_active = 0;
	sql_commit(q);
}

/*
 * Open this pass's transaction (once) and make sure it commits: the commit
 * event is made active, so it runs in this same loop pass once the
 * callback at work (typically the bridge's, with every request that came
 * in) returns, not a poll later.
 */
static void
sql_begin(struct sql_store *q)
{
	if (!q->in_tx) {
		if (sql_exec(q, "BEGIN") != SQLITE_OK)
			sql_log(q, "begin");
		else
			q->in_tx = 1;
	}
	if (!q->commit_active) {
		q->commit_active = 1;
		event_active(q->commit_ev, EV_TIMEOUT, 0);
	}
}

/* Queue the completion for the commit (res is copied). */
static void
sql_complete(struct sql_store *q, const struct store_result *res,
    store_done_cb done, void *arg)
{
	struct sql_pending	*p;

	sql_begin(q);
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    store_result_copy(&p->res, res) == -1) {
		struct store_result	nomem = { .status = STORE_ERR_NOMEM };

		free(p);
		done(arg, &nomem);
		return;
	}
	p->done = done;
	p->arg = arg;
	*q->p_tail = p;
	q->p_tail = &p->next;
}

static void
sql_status(struct sql_store *q, enum store_status st, store_done_cb done,
    void *arg)
{
	struct store_result	res = { .status = st };

	sql_complete(q, &res, done, arg);
}

static void
sql_id_next(struct store *s, store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	struct store_result	 res = { .status = STORE_OK };

	sql_begin(q);
	res.id = q->next_id++;
	q->id_dirty = 1;
	sql_complete(q, &res, done, arg);
}

static void
sql_session_create(struct store *s, const char *id,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	sqlite3_stmt		*st = q->q[Q_SESS_NEW];

	sql_begin(q);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, hash, CHAT_TOKEN_HASH_SIZE, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sql_status(q, sql_step_done(q, st, "session") == 0 ? STORE_OK :
	    STORE_ERR_IO, done, arg);
}

/* Expired (disconnected longer than the TTL): dropped, and 1. */
static int
sql_expired(struct sql_store *q, const char *id, int connected,
    uint64_t seen, uint64_t now)
{
	sqlite3_stmt	*st = q->q[Q_SESS_DROP];

	if (connected || now <= seen || now - seen <= q->st.session_ttl_ms)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sql_step_done(q, st, "session expiry");
	return 1;
}

static void
sql_session_resume(struct store *s,
    const unsigned char hash[CHAT_TOKEN_HASH_SIZE], uint64_t now,
    store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	sqlite3_stmt		*st = q->q[Q_SESS_BY_HASH];
	struct store_result	 res = { .status = STORE_ERR_NOT_FOUND };
	const char		*name;
	int			 connected = 0;
	uint64_t		 seen = 0;

	sql_begin(q);
	sqlite3_bind_blob(st, 1, hash, CHAT_TOKEN_HASH_SIZE, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(res.user_id, sizeof res.user_id, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		name = (const char *)sqlite3_column_text(st, 1);
		snprintf(res.name, sizeof res.name, "%s",
		    name != NULL ? name : "");
		connected = sqlite3_column_int(st, 2);
		seen = (uint64_t)sqlite3_column_int64(st, 3);
		res.status = STORE_OK;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (res.status == STORE_OK &&
	    sql_expired(q, res.user_id, connected, seen, now))
		res.status = STORE_ERR_NOT_FOUND;
	if (res.status == STORE_OK) {
		st = q->q[Q_SESS_TOUCH];
		sqlite3_bind_text(st, 1, res.user_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		sql_step_done(q, st, "session");
	} else {
		res.user_id[0] = '\0';
		res.name[0] = '\0';
	}
	sql_complete(q, &res, done, arg);
}

static void
sql_session_release(struct store *s, const char *id, uint64_t now,
    store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	sqlite3_stmt		*st = q->q[Q_SESS_RELEASE];

	sql_begin(q);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sql_status(q, sql_step_done(q, st, "session") == 0 ? STORE_OK :
	    STORE_ERR_IO, done, arg);
}

static void
sql_name_set(struct store *s, const char *id, const char *name,
    uint64_t now, store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	sqlite3_stmt		*st = q->q[Q_SESS_BY_LNAME];
	char			 lname[CHAT_NAME_MAX + 1], holder[CHAT_ID_SIZE];
	int			 found = 0, connected = 0;
	uint64_t		 seen = 0;

	sql_begin(q);
	store_name_fold(lname, name);
	if (lname[0] != '\0') {
		sqlite3_bind_text(st, 1, lname, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			found = 1;
			snprintf(holder, sizeof holder, "%s",
			    (const char *)sqlite3_column_text(st, 0));
			connected = sqlite3_column_int(st, 1);
			seen = (uint64_t)sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (found && strcmp(holder, id) != 0 &&
	    !sql_expired(q, holder, connected, seen, now)) {
		sql_status(q, STORE_ERR_TAKEN, done, arg);
		return;
	}
	st = q->q[Q_SESS_NAME];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (lname[0] != '\0') {
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, lname, -1, SQLITE_TRANSIENT);
	}
	sql_status(q, sql_step_done(q, st, "name") == 0 ? STORE_OK :
	    STORE_ERR_IO, done, arg);
}

static void
sql_history_append(struct store *s, const char *room,
    const struct store_msg *msg, store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	sqlite3_stmt		*st = q->q[Q_HIST_ADD];
	struct store_result	 res = { .status = STORE_OK };
	size_t			 len = strlen(room);

	sql_begin(q);
	/* The newest row of history holds the seq counter (reopening takes
	 * the larger of it and meta's); meta only when no row does. */
	res.seq = ++q->next_seq;
	if (q->st.history_max == 0) {
		q->seq_dirty = 1;
		goto out;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)res.seq);
	sqlite3_bind_blob(st, 2, room, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)msg->ts);
	sqlite3_bind_text(st, 4, msg->user_id, -1, SQLITE_TRANSIENT);
	if (msg->name[0] != '\0')
		sqlite3_bind_text(st, 5, msg->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 6, msg->text != NULL ? msg->text : "",
	    (int)msg->text_len, SQLITE_TRANSIENT);
	if (sql_step_done(q, st, "history") == -1) {
		res.status = STORE_ERR_IO;
		q->seq_dirty = 1;
	}
	/* Keep the room's last history_max rows.  Trimming costs an index
	 * walk, so a large history is trimmed every 64th message (it may
	 * hold up to that many more for a while); a small one each time. */
	if (q->st.history_max < 64 || res.seq % 64 == 0) {
		st = q->q[Q_HIST_TRIM];
		sqlite3_bind_blob(st, 1, room, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)q->st.history_max);
		sql_step_done(q, st, "history trim");
	}
out:
	sql_complete(q, &res, done, arg);
}

static void
sql_history_query(struct store *s, const struct store_query *qr,
    store_done_cb done, void *arg)
{
	struct sql_store	*q = SQL(s);
	struct store_result	 res = { .status = STORE_OK };
	struct store_msg	*msgs;
	sqlite3_stmt		*st;
	sqlite3_int64		 before = INT64_MAX, after = 0;
	const char		*name;
	size_t			 n = 0, i;
	int			 latest = !qr->has_after;

	if (qr->has_before && qr->before < (uint64_t)INT64_MAX)
		before = (sqlite3_int64)qr->before;
	if (qr->has_after) {
		if (qr->after >= (uint64_t)INT64_MAX) {
			sql_complete(q, &res, done, arg);
			return;
		}
		after = (sqlite3_int64)qr->after;
	}
	if ((msgs = calloc(qr->limit + 1, sizeof *msgs)) == NULL) {
		sql_status(q, STORE_ERR_NOMEM, done, arg);
		return;
	}
	st = q->q[latest ? Q_HIST_LATEST : Q_HIST_AFTER];
	sqlite3_bind_blob(st, 1, qr->room, (int)qr->room_len,
	    SQLITE_TRANSIENT);
	if (latest) {
		sqlite3_bind_int64(st, 2, before);
		sqlite3_bind_int(st, 3, (int)qr->limit);
	} else {
		sqlite3_bind_int64(st, 2, after);
		sqlite3_bind_int64(st, 3, before);
		sqlite3_bind_int(st, 4, (int)qr->limit);
	}
	while (n < qr->limit && sqlite3_step(st) == SQLITE_ROW) {
		/* Newest first when latest: fill from the end. */
		struct store_msg *m = &msgs[n++];

		m->seq = (uint64_t)sqlite3_column_int64(st, 0);
		m->ts = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(m->user_id, sizeof m->user_id, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		name = (const char *)sqlite3_column_text(st, 3);
		snprintf(m->name, sizeof m->name, "%s", name != NULL ? name :
		    "");
		m->text_len = (size_t)sqlite3_column_bytes(st, 4);
		if ((m->text = malloc(m->text_len + 1)) == NULL) {
			n--;
			res.status = STORE_ERR_NOMEM;
			break;
		}
		memcpy((char *)m->text, sqlite3_column_blob(st, 4),
		    m->text_len);
		((char *)m->text)[m->text_len] = '\0';
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (latest) {
		for (i = 0; i < n / 2; i++) {
			struct store_msg t = msgs[i];

			msgs[i] = msgs[n - 1 - i];
			msgs[n - 1 - i] = t;
		}
	}
	res.msgs = msgs;
	res.n = n;
	sql_complete(q, &res, done, arg);
	store_result_free_msgs(&res);
}

static const char *
sql_epoch(struct store *s)
{
	return SQL(s)->epoch;
}

static void
sql_close(struct sql_store *q)
{
	size_t	i;

	sql_wal_stop(q->wal);
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(q->q[i]);
	if (q->db != NULL)
		sqlite3_close(q->db);
	if (q->lock_fd != -1)
		close(q->lock_fd);
	if (q->commit_ev != NULL)
		event_free(q->commit_ev);
	free(q->path);
	free(q);
}

static void
sql_destroy(struct store *s)
{
	struct sql_store	*q = SQL(s);

	sql_commit(q);
	metrics_health_clear();	/* the one store of a process */
	sql_close(q);
}

static const struct store_ops sql_ops = {
	.name = "sqlite",
	.id_next = sql_id_next,
	.session_create = sql_session_create,
	.session_resume = sql_session_resume,
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
	size_t			 i;
	int			 rc;

	*error = NULL;
	if ((q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	q->st.ops = &sql_ops;
	q->st.history_max = history_max;
	q->st.session_ttl_ms = session_ttl_ms;
	q->p_tail = &q->p_head;
	q->lock_fd = -1;
	if ((q->path = strdup(path)) == NULL ||
	    (q->commit_ev = evtimer_new(base, sql_commit_cb, q)) == NULL)
		goto nomem;
	/* ":memory:" (the fuzzer's) has no file, no WAL, no second
	 * connection: straight to SQLite. */
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
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		why = q->db != NULL ? sqlite3_errmsg(q->db) : "cannot open";
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 0);
	if (sql_schema_setup(q->db, util_epoch_ms(), q->epoch,
	    sizeof q->epoch, &q->next_id, &q->next_seq, &why) == -1)
		goto fail;
	/* WAL once the file is known to be ours; checkpoints elsewhere. */
	if (sql_pragma_int(q->db, "PRAGMA journal_mode = WAL", &rc), rc !=
	    SQLITE_OK || (rc = sql_exec(q, "PRAGMA synchronous = NORMAL;"
	    " PRAGMA wal_autocheckpoint = 0;"
	    " PRAGMA journal_size_limit = 16777216")) != SQLITE_OK) {
		why = sql_reason(q->db, rc);
		goto fail;
	}
	if (q->lock_fd != -1) {
		if ((q->wal = sql_wal_start(path, &why)) == NULL)
			goto fail;
		sqlite3_wal_hook(q->db, sql_wal_hook, q);
		/* From now on the checkpoint thread may hold the lock. */
		sqlite3_busy_timeout(q->db, CHAT_SQLITE_BUSY_MS);
	}
	for (i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(q->db, sql_queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &q->q[i], NULL) != SQLITE_OK) {
			why = sqlite3_errmsg(q->db);
			goto fail;
		}
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
