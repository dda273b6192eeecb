/*
 * Checkpoints of the SQLite store's WAL, in a thread of their own.  A
 * checkpoint copies the WAL into the database and syncs it to disk; done by
 * the committing thread (SQLite's default) it stalls the chat for as long
 * as the disk takes, every thousand pages.  Here the chat thread only says
 * when the WAL has grown (sqlite3_wal_hook), and a second connection, used
 * by this thread alone, runs PASSIVE checkpoints, which never block the
 * writer (past CHAT_SQLITE_WAL_MAX_PAGES, one RESTART checkpoint that does).
 */
#ifndef CHAT_STORE_SQLITE_WAL_H
#define CHAT_STORE_SQLITE_WAL_H

struct sql_wal;

/* Open the second connection to path and start the thread; NULL (with a
 * reason in *why) on failure. */
struct sql_wal	*sql_wal_start(const char *path, const char **why);
/* The WAL holds pages pages: checkpoint if it is time. */
void		 sql_wal_grown(struct sql_wal *, int pages);
/* The next commit may wait (a checkpoint that makes the writer wait is
 * asked for or running) or sync the disk (the WAL is to start over). */
int		 sql_wal_may_stall(struct sql_wal *);
/* Stop the thread and close its connection. */
void		 sql_wal_stop(struct sql_wal *);

#endif
