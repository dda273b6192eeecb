/* The WAL checkpoint thread of the SQLite store (store-sqlite-wal.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "chat-limits.h"
#include "store-sqlite-wal.h"
#include "util.h"

struct sql_wal {
	sqlite3		*db;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 due;		/* a checkpoint is asked for */
	int		 restart;	/* the WAL is too big: all of it, now */
	atomic_int	 blocking;	/* restart asked for, until it is done */
	/* The WAL is all in the database (reset_log frames): the next
	 * commit starts it over, and syncs its header. */
	atomic_int	 reset_due;
	atomic_int	 reset_log;
	int		 stop;
};

static void *
sql_wal_main(void *arg)
{
	struct sql_wal	*w = arg;
	int		 rc, mode, log, done;

	pthread_setname_np(pthread_self(), "sqlite-ckpt");
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->due && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		mode = w->restart ? SQLITE_CHECKPOINT_RESTART :
		    SQLITE_CHECKPOINT_PASSIVE;
		w->due = w->restart = 0;
		pthread_mutex_unlock(&w->lock);
		rc = sqlite3_wal_checkpoint_v2(w->db, NULL, mode, &log,
		    &done);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("sqlite checkpoint: %s", sqlite3_errmsg(w->db));
		if (rc == SQLITE_OK && log > 0 && done == log) {
			atomic_store(&w->reset_log, log);
			atomic_store(&w->reset_due, 1);
		}
		pthread_mutex_lock(&w->lock);
		if (!w->restart)
			atomic_store(&w->blocking, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct sql_wal *
sql_wal_start(const char *path, const char **why)
{
	struct sql_wal	*w;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(w->db, CHAT_SQLITE_BUSY_MS) != SQLITE_OK ||
	    sqlite3_exec(w->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		*why = w->db != NULL ? "cannot open for checkpoints" :
		    "out of memory";
		sqlite3_close(w->db);
		free(w);
		return NULL;
	}
	atomic_init(&w->blocking, 0);
	atomic_init(&w->reset_due, 0);
	atomic_init(&w->reset_log, 0);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, sql_wal_main, w) != 0) {
		*why = "cannot start the checkpoint thread";
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		sqlite3_close(w->db);
		free(w);
		return NULL;
	}
	return w;
}

void
sql_wal_grown(struct sql_wal *w, int pages)
{
	/* Fewer frames than were checkpointed: it has started over. */
	if (atomic_load(&w->reset_due) && pages < atomic_load(&w->reset_log))
		atomic_store(&w->reset_due, 0);
	if (pages < CHAT_SQLITE_CHECKPOINT_PAGES)
		return;
	pthread_mutex_lock(&w->lock);
	w->due = 1;
	/* Under a load that never lets a passive checkpoint catch up, the
	 * WAL would grow without end: past the cap, one that waits for the
	 * writer (the chat stalls once) and lets the WAL start over. */
	if (pages >= CHAT_SQLITE_WAL_MAX_PAGES) {
		w->restart = 1;
		atomic_store(&w->blocking, 1);
	}
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int
sql_wal_may_stall(struct sql_wal *w)
{
	return w != NULL && (atomic_load(&w->blocking) ||
	    atomic_load(&w->reset_due));
}

void
sql_wal_stop(struct sql_wal *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	sqlite3_close(w->db);
	free(w);
}
