/*
 * The SQL of the SQLite store's jobs (store-sqlite-int.h): run by the
 * writer thread, one transaction for every batch handed to it at once.
 * Nothing here touches the libevent thread's state: failures are written
 * into the job or the batch, and logged when they come back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "store-sqlite-int.h"
#include "store-util.h"

enum {
	Q_META_SET,
	Q_SESS_NEW,
	Q_SESS_BY_HASH,
	Q_SESS_TOUCH,
	Q_SESS_CLAIM,
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
/* Messages of a room since its last trim. */
struct sql_trim {
	char		*room;
	unsigned	 added;
	UT_hash_handle	 hh;
};

_Static_assert(Q_COUNT <= SQL_STMT_MAX, "SQL_STMT_MAX too small");

static const char *const sql_queries[Q_COUNT] = {
	[Q_META_SET] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
	[Q_SESS_NEW] = "INSERT OR REPLACE INTO sessions (id, hash, connected,"
	    " seen, holder, gen) VALUES (?1, ?2, 1, ?3, 1, 1)",
	[Q_SESS_BY_HASH] = "SELECT id, name, connected, seen, gen FROM"
	    " sessions WHERE hash = ?1",
	/* Holder ?3 holds it from now on, unless another one does. */
	[Q_SESS_TOUCH] = "UPDATE sessions SET gen = ?3, holder = CASE WHEN"
	    " connected THEN holder ELSE ?3 END, connected = 1, seen = ?2"
	    " WHERE id = ?1",
	[Q_SESS_CLAIM] = "UPDATE sessions SET holder = ?3, connected = 1,"
	    " seen = ?2 WHERE id = ?1 AND holder <= ?3",
	[Q_SESS_RELEASE] = "UPDATE sessions SET connected = 0, seen = ?2"
	    " WHERE id = ?1 AND connected AND holder = ?3",
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

int
sql_conn_prepare(struct sql_conn *c)
{
	size_t	i;

	for (i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(c->db, sql_queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->q[i], NULL) != SQLITE_OK)
			return -1;
	}
	return 0;
}

void
sql_conn_finalize(struct sql_conn *c)
{
	struct sql_trim	*t, *tmp;
	size_t		 i;

	for (i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(c->q[i]);
		c->q[i] = NULL;
	}
	HASH_ITER(hh, c->trims, t, tmp) {
		HASH_DEL(c->trims, t);
		free(t->room);
		free(t);
	}
}

/* The first failure of a job, for the libevent thread to log. */
static void
sql_job_fail(struct sql_conn *c, struct sql_job *j, const char *what)
{
	if (j->err_what != NULL)
		return;
	j->err_what = what;
	j->err = strdup(sqlite3_errmsg(c->db));
}

/* Run a statement that returns no rows; 0, or -1 (recorded in j). */
static int
sql_step_done(struct sql_conn *c, struct sql_job *j, sqlite3_stmt *st,
    const char *what)
{
	int	rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		sql_job_fail(c, j, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void
sql_step_status(struct sql_conn *c, struct sql_job *j, sqlite3_stmt *st,
    const char *what)
{
	j->res.status = sql_step_done(c, j, st, what) == 0 ? STORE_OK :
	    STORE_ERR_IO;
}

/* Expired (disconnected longer than the TTL): dropped, and 1. */
static int
sql_expired(struct sql_conn *c, struct sql_job *j, const char *id,
    int connected, uint64_t seen)
{
	sqlite3_stmt	*st = c->q[Q_SESS_DROP];

	if (connected || j->now <= seen || j->now - seen <= c->session_ttl_ms)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sql_step_done(c, j, st, "session expiry");
	return 1;
}

static void
sql_sess_new(struct sql_conn *c, struct sql_job *j)
{
	sqlite3_stmt	*st = c->q[Q_SESS_NEW];

	sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, j->hash, CHAT_TOKEN_HASH_SIZE, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)j->now);
	sql_step_status(c, j, st, "session");
	j->res.holder = 1;
}

static void
sql_sess_resume(struct sql_conn *c, struct sql_job *j)
{
	sqlite3_stmt		*st = c->q[Q_SESS_BY_HASH];
	struct store_result	*res = &j->res;
	const char		*name;
	int			 connected = 0;
	uint64_t		 seen = 0, gen = 0;

	res->status = STORE_ERR_NOT_FOUND;
	sqlite3_bind_blob(st, 1, j->hash, CHAT_TOKEN_HASH_SIZE, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(res->user_id, sizeof res->user_id, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		name = (const char *)sqlite3_column_text(st, 1);
		snprintf(res->name, sizeof res->name, "%s",
		    name != NULL ? name : "");
		connected = sqlite3_column_int(st, 2);
		seen = (uint64_t)sqlite3_column_int64(st, 3);
		gen = (uint64_t)sqlite3_column_int64(st, 4);
		res->held = connected != 0;
		res->status = STORE_OK;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (res->status == STORE_OK &&
	    sql_expired(c, j, res->user_id, connected, seen))
		res->status = STORE_ERR_NOT_FOUND;
	if (res->status == STORE_OK) {
		res->holder = gen + 1;
		st = c->q[Q_SESS_TOUCH];
		sqlite3_bind_text(st, 1, res->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)j->now);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)res->holder);
		sql_step_done(c, j, st, "session");
	} else {
		res->user_id[0] = '\0';
		res->name[0] = '\0';
	}
}

/* SESS_CLAIM and SESS_RELEASE: the same bindings. */
static void
sql_sess_holder(struct sql_conn *c, struct sql_job *j, sqlite3_stmt *st)
{
	sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)j->now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)j->holder);
	sql_step_status(c, j, st, "session");
}

static void
sql_name_set(struct sql_conn *c, struct sql_job *j)
{
	sqlite3_stmt	*st = c->q[Q_SESS_BY_LNAME];
	char		 lname[CHAT_NAME_MAX + 1], holder[CHAT_ID_SIZE];
	int		 found = 0, connected = 0;
	uint64_t	 seen = 0;

	store_name_fold(lname, j->name);
	if (lname[0] != '\0') {
		sqlite3_bind_text(st, 1, lname, -1, SQLITE_STATIC);
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
	if (found && strcmp(holder, j->id) != 0 &&
	    !sql_expired(c, j, holder, connected, seen)) {
		j->res.status = STORE_ERR_TAKEN;
		return;
	}
	st = c->q[Q_SESS_NAME];
	sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
	if (lname[0] != '\0') {
		sqlite3_bind_text(st, 2, j->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, lname, -1, SQLITE_STATIC);
	}
	sql_step_status(c, j, st, "name");
}

/*
 * Keep each room's last history_max rows.  A trim walks the room's newest
 * history_max rows to find where to cut, so it runs once per
 * history_max / CHAT_SQLITE_TRIM_SHARE messages of the room: a room holds
 * up to that many more for a while, and each message pays for a few rows
 * of walk.  Counted per room (rooms whose messages alternate would share
 * any count of the server's).
 */
static int
sql_trim_due(struct sql_conn *c, const char *room, size_t len)
{
	struct sql_trim	*t;
	unsigned	 every = c->history_max / CHAT_SQLITE_TRIM_SHARE;

	HASH_FIND(hh, c->trims, room, len, t);
	if (t == NULL) {
		if ((t = calloc(1, sizeof *t)) == NULL ||
		    (t->room = malloc(len + 1)) == NULL) {
			free(t);
			return 1;	/* no count: trim now */
		}
		memcpy(t->room, room, len);
		t->room[len] = '\0';
		HASH_ADD_KEYPTR(hh, c->trims, t->room, len, t);
	}
	if (++t->added < every)
		return 0;
	t->added = 0;
	return 1;
}

static void
sql_hist_add(struct sql_conn *c, struct sql_job *j)
{
	sqlite3_stmt		*st = c->q[Q_HIST_ADD];
	const struct store_msg	*msg = &j->msg;
	int			 len = (int)j->room_len;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)msg->seq);
	sqlite3_bind_blob(st, 2, j->room, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)msg->ts);
	sqlite3_bind_text(st, 4, msg->user_id, -1, SQLITE_STATIC);
	if (msg->name[0] != '\0')
		sqlite3_bind_text(st, 5, msg->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, msg->text != NULL ? msg->text : "",
	    (int)msg->text_len, SQLITE_STATIC);
	sql_step_status(c, j, st, "history");
	if (sql_trim_due(c, j->room, j->room_len)) {
		st = c->q[Q_HIST_TRIM];
		sqlite3_bind_blob(st, 1, j->room, len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)c->history_max);
		sql_step_done(c, j, st, "history trim");
	}
}

static void
sql_hist_query(struct sql_conn *c, struct sql_job *j)
{
	const struct store_query *qr = &j->qr;
	struct store_msg	*msgs;
	sqlite3_stmt		*st;
	sqlite3_int64		 before = INT64_MAX, after = 0;
	const char		*name;
	size_t			 n = 0, i;
	int			 latest = !qr->has_after;

	j->res.status = STORE_OK;
	if (qr->has_before && qr->before < (uint64_t)INT64_MAX)
		before = (sqlite3_int64)qr->before;
	if (qr->has_after) {
		if (qr->after >= (uint64_t)INT64_MAX)
			return;
		after = (sqlite3_int64)qr->after;
	}
	if ((msgs = calloc(qr->limit + 1, sizeof *msgs)) == NULL) {
		j->res.status = STORE_ERR_NOMEM;
		return;
	}
	st = c->q[latest ? Q_HIST_LATEST : Q_HIST_AFTER];
	sqlite3_bind_blob(st, 1, qr->room, (int)qr->room_len, SQLITE_STATIC);
	if (latest) {
		sqlite3_bind_int64(st, 2, before);
		sqlite3_bind_int(st, 3, (int)qr->limit);
	} else {
		sqlite3_bind_int64(st, 2, after);
		sqlite3_bind_int64(st, 3, before);
		sqlite3_bind_int(st, 4, (int)qr->limit);
	}
	while (n < qr->limit && sqlite3_step(st) == SQLITE_ROW) {
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
			j->res.status = STORE_ERR_NOMEM;
			break;
		}
		memcpy((char *)m->text, sqlite3_column_blob(st, 4),
		    m->text_len);
		((char *)m->text)[m->text_len] = '\0';
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* Newest first when latest: turn it oldest first. */
	if (latest) {
		for (i = 0; i < n / 2; i++) {
			struct store_msg t = msgs[i];

			msgs[i] = msgs[n - 1 - i];
			msgs[n - 1 - i] = t;
		}
	}
	j->res.msgs = msgs;
	j->res.n = n;
}

static void
sql_job_run(struct sql_conn *c, struct sql_job *j)
{
	switch (j->kind) {
	case SQL_JOB_NONE:
		break;
	case SQL_JOB_SESS_NEW:
		sql_sess_new(c, j);
		break;
	case SQL_JOB_SESS_RESUME:
		sql_sess_resume(c, j);
		break;
	case SQL_JOB_SESS_CLAIM:
		sql_sess_holder(c, j, c->q[Q_SESS_CLAIM]);
		break;
	case SQL_JOB_SESS_RELEASE:
		sql_sess_holder(c, j, c->q[Q_SESS_RELEASE]);
		break;
	case SQL_JOB_NAME_SET:
		sql_name_set(c, j);
		break;
	case SQL_JOB_HIST_ADD:
		sql_hist_add(c, j);
		break;
	case SQL_JOB_HIST_QUERY:
		sql_hist_query(c, j);
		break;
	}
}

/*
 * After a rollback: the pages read inside the transaction may hold rows
 * it added, now gone.  Read them again from what is committed; a disk
 * that refuses writes still answers history.
 */
static void
sql_reread(struct sql_conn *c, struct sql_batch *b)
{
	struct sql_job	*j;

	for (j = b->head; j != NULL; j = j->next) {
		if (j->kind != SQL_JOB_HIST_QUERY)
			continue;
		store_result_free_msgs(&j->res);
		memset(&j->res, 0, sizeof j->res);
		j->res.status = STORE_OK;
		free(j->err);
		j->err = NULL;
		j->err_what = NULL;
		sql_hist_query(c, j);
		j->reread = 1;
	}
}

static int
sql_meta_set(struct sql_conn *c, struct sql_job *j, const char *key,
    uint64_t v)
{
	sqlite3_stmt	*st = c->q[Q_META_SET];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)v);
	return sql_step_done(c, j, st, "meta");
}

static double
sql_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sql_batches_run(struct sql_conn *c, struct sql_batch *list)
{
	struct sql_batch	*b, *last = list;
	struct sql_job		*j, meta = { .kind = SQL_JOB_NONE };
	int			 in_tx, id_dirty = 0, seq_dirty = 0;
	double			 start;

	in_tx = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	if (!in_tx) {
		/* Each statement commits on its own, then. */
		list->err = strdup(sqlite3_errmsg(c->db));
		list->err_what = "begin";
	}
	for (b = list; b != NULL; b = b->next) {
		for (j = b->head; j != NULL; j = j->next)
			sql_job_run(c, j);
		id_dirty |= b->id_dirty;
		seq_dirty |= b->seq_dirty;
		last = b;
	}
	/* The counters only grow: the last batch's are the newest. */
	if (id_dirty)
		sql_meta_set(c, &meta, "next_id", last->next_id);
	if (seq_dirty)
		sql_meta_set(c, &meta, "next_seq", last->next_seq);
	if (meta.err_what != NULL && list->err_what == NULL) {
		list->err_what = meta.err_what;
		list->err = meta.err;
	} else
		free(meta.err);
	if (!in_tx)
		return;
	start = sql_now();
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (list->err_what == NULL || strcmp(list->err_what, "meta")
		    == 0) {
			free(list->err);
			list->err = strdup(sqlite3_errmsg(c->db));
			list->err_what = "commit";
		}
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		for (b = list; b != NULL; b = b->next) {
			b->failed = 1;
			sql_reread(c, b);
		}
	}
	list->commit_s = sql_now() - start;
	list->committed = 1;
}
