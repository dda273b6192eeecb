/*
 * The SQLite store's schema and opening checks (store-sqlite-schema.c).
 */
#ifndef CHAT_STORE_SQLITE_SCHEMA_H
#define CHAT_STORE_SQLITE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The one value of a query or pragma (0 if none); *rc an SQLite code. */
sqlite3_int64	 sql_pragma_int(sqlite3 *, const char *sql, int *rc);
/* Why a database cannot be used, for the error message. */
const char	*sql_reason(sqlite3 *, int rc);
/*
 * Check what is there and bring the schema up to date, reading its epoch
 * and counters.  Returns 0, or -1 with *why set.  Nothing is written unless
 * the file is empty or ours.
 */
int		 sql_schema_setup(sqlite3 *, uint64_t now, char *epoch,
		    size_t epoch_size, uint64_t *next_id, uint64_t *next_seq,
		    const char **why);

#endif
