/*
 * The SQLite store's schema: what a database must be to be ours
 * (application_id, user_version), the migrations that bring it up to date,
 * and the counters kept in its meta table.  Used once, when the store
 * opens (store-sqlite.c).
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store-sqlite-schema.h"
#include "store-util.h"

#define SQL_APP_ID	0x43484154	/* "CHAT" */

/* The schema, one step per version: user_version N runs steps N.. on. */
static const char *const sql_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);"
	"CREATE TABLE sessions (id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
	" name TEXT, lname TEXT UNIQUE, connected INTEGER NOT NULL,"
	" seen INTEGER NOT NULL);"
	/* Clustered by room: a message is one b-tree insert, and a page
	 * of history one range of it. */
	"CREATE TABLE history (room BLOB NOT NULL, seq INTEGER NOT NULL,"
	" ts INTEGER NOT NULL, user_id TEXT NOT NULL, name TEXT,"
	" text BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID;",
	/* 1 -> 2: who holds a connected session (store.h), and the last
	 * holder number given out. */
	"ALTER TABLE sessions ADD COLUMN holder INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;",
};
#define SQL_VERSION	(sizeof sql_migrations / sizeof sql_migrations[0])
static int
sql_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

sqlite3_int64
sql_pragma_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt	*st;
	sqlite3_int64	 v = 0;

	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return 0;
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		*rc = SQLITE_OK;
	} else if (*rc == SQLITE_DONE)
		*rc = SQLITE_OK;
	sqlite3_finalize(st);
	return v;
}

static int
sql_meta_get(sqlite3 *db, const char *key, char *buf, size_t size,
    sqlite3_int64 *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (v != NULL)
			*v = sqlite3_column_int64(st, 0);
		if (buf != NULL)
			snprintf(buf, size, "%s",
			    (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The reason a database cannot be used, for the error message. */
const char *
sql_reason(sqlite3 *db, int rc)
{
	switch (rc) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "in use by another program (database is locked)";
	case SQLITE_NOTADB:
		return "not a chat-server database (not an SQLite file)";
	case SQLITE_CORRUPT:
		return "database is corrupt";
	case SQLITE_READONLY:
		return "cannot write to it (read-only)";
	default:
		return sqlite3_errmsg(db);
	}
}

/*
 * Check what is there and bring the schema up to date.  Returns 0, or -1
 * with *why set.  Nothing is written unless the file is empty or ours.
 */
int
sql_schema_setup(sqlite3 *db, uint64_t now, char *epoch, size_t epoch_size,
    uint64_t *next_id, uint64_t *next_seq, const char **why)
{
	sqlite3_int64	 app, version, tables, v;
	char		*sql;
	size_t		 i;
	int		 rc;

	if ((rc = sql_exec(db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		goto fail;
	app = sql_pragma_int(db, "PRAGMA application_id", &rc);
	if (rc != SQLITE_OK)
		goto fail_tx;
	version = sql_pragma_int(db, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK)
		goto fail_tx;
	tables = sql_pragma_int(db, "SELECT count(*) FROM sqlite_master", &rc);
	if (rc != SQLITE_OK)
		goto fail_tx;
	if (app != SQL_APP_ID && (tables != 0 || app != 0 || version != 0)) {
		*why = "not a chat-server database";
		goto fail_quiet;
	}
	if (version > (sqlite3_int64)SQL_VERSION) {
		*why = "written by a newer chat-server (schema version too new)";
		goto fail_quiet;
	}
	for (i = (size_t)version; i < SQL_VERSION; i++) {
		if ((rc = sql_exec(db, sql_migrations[i])) != SQLITE_OK)
			goto fail_tx;
	}
	if (version == 0) {
		if (store_new_epoch(epoch, epoch_size) == -1) {
			*why = "no randomness for the epoch";
			goto fail_quiet;
		}
		sql = sqlite3_mprintf("PRAGMA application_id = %d;"
		    "INSERT INTO meta VALUES ('epoch', %Q),"
		    " ('next_id', 0), ('next_seq', 0)", SQL_APP_ID, epoch);
		rc = sql == NULL ? SQLITE_NOMEM : sql_exec(db, sql);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			goto fail_tx;
	}
	if (version != (sqlite3_int64)SQL_VERSION) {
		sql = sqlite3_mprintf("PRAGMA user_version = %d",
		    (int)SQL_VERSION);
		rc = sql == NULL ? SQLITE_NOMEM : sql_exec(db, sql);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			goto fail_tx;
	}
	if (sql_meta_get(db, "epoch", epoch, epoch_size, NULL) == -1 ||
	    sql_meta_get(db, "next_id", NULL, 0, &v) == -1) {
		*why = "not a chat-server database (meta missing)";
		goto fail_quiet;
	}
	*next_id = (uint64_t)v;
	if (sql_meta_get(db, "next_seq", NULL, 0, &v) == -1) {
		*why = "not a chat-server database (meta missing)";
		goto fail_quiet;
	}
	*next_seq = (uint64_t)v;
	v = sql_pragma_int(db, "SELECT max(seq) FROM history", &rc);
	if (rc != SQLITE_OK)
		goto fail_tx;
	if ((uint64_t)v > *next_seq)
		*next_seq = (uint64_t)v;
	/* Sessions connected when the last server stopped: their TTL runs
	 * from now. */
	sql = sqlite3_mprintf("UPDATE sessions SET connected = 0, seen = %lld"
	    " WHERE connected = 1", (long long)now);
	rc = sql == NULL ? SQLITE_NOMEM : sql_exec(db, sql);
	sqlite3_free(sql);
	if (rc != SQLITE_OK || (rc = sql_exec(db, "COMMIT")) != SQLITE_OK)
		goto fail_tx;
	return 0;

fail_tx:
	*why = sql_reason(db, rc);
	sql_exec(db, "ROLLBACK");
	return -1;
fail_quiet:
	sql_exec(db, "ROLLBACK");
	return -1;
fail:
	*why = sql_reason(db, rc);
	return -1;
}
