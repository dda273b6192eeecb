/*
 * The SQLite store's VFS (store-sqlite-vfs.c): the default one, with the
 * WAL's writes gathered into one system call per commit.
 */
#ifndef CHAT_STORE_SQLITE_VFS_H
#define CHAT_STORE_SQLITE_VFS_H

/* Its name for sqlite3_open_v2 (registered on the first call), or NULL
 * if it could not be: then the default VFS does as well, only slower. */
const char	*sql_vfs_name(void);

#endif
