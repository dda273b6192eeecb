/*
 * The SQLite store's VFS: the default one, with the WAL's writes
 * gathered.  SQLite writes each WAL frame as two pwrite()s, its 24-byte
 * header and then the page, so a commit of 130 pages (one per room it
 * touched) cost 260 system calls, the largest part of the writer
 * thread's time.  Here writes that follow each other in the WAL collect
 * in a buffer, written with one pwrite() once the page of a commit frame
 * (a frame header whose second word, the database size, is not 0: the
 * WAL format, sqlite.org/fileformat2.html) has joined it.  So the write
 * that ends a commit fails if the disk refuses, and SQLite rolls the
 * commit back as it would have; COMMIT returns only once every frame is
 * in the file (a kill -9 loses nothing committed); and the wal-index,
 * which tells the checkpoint thread's connection which frames exist, is
 * updated after that.  Anything else done to the file (read, sync,
 * truncate, size, a write elsewhere, close) first writes the buffer out.
 *
 * Only the writer's connection opens files through it (name "chat-wal"):
 * a WAL file's buffer is used by one thread at a time, as its connection
 * is.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "chat-limits.h"
#include "store-sqlite-vfs.h"

#define VFS_NAME	"chat-wal"
#define VFS_FRAME_HDR	24

struct vfs_file {
	sqlite3_file	 base;		/* pMethods: vfs_io */
	sqlite3_file	*real;		/* the default VFS's, after this */
	int		 wal;
	unsigned char	*buf;		/* WAL: writes not yet in the file */
	size_t		 len;
	sqlite3_int64	 off;		/* of buf[0] in the file */
	int		 commit_page;	/* the next write ends a commit */
};

/* Where the default VFS's file starts in ours (aligned for it). */
#define VFS_HEAD	((sizeof(struct vfs_file) + 15) / 16 * 16)

static sqlite3_vfs		 vfs;
static sqlite3_vfs		*vfs_real;
static sqlite3_io_methods	 vfs_io;
static pthread_once_t		 vfs_once = PTHREAD_ONCE_INIT;
static int			 vfs_rc = SQLITE_ERROR;

#define REAL(f)	(((struct vfs_file *)(f))->real)

/* The buffer into the file; SQLite's error code, or SQLITE_OK. */
static int
vfs_flush(struct vfs_file *f)
{
	int	rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	/* Either way the frames are no longer ours: on an error SQLite
	 * writes them again with its next commit. */
	f->len = 0;
	return rc;
}

static int
vfs_close(sqlite3_file *file)
{
	struct vfs_file	*f = (struct vfs_file *)file;
	int		 rc = vfs_flush(f), rc2;

	rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
vfs_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
	int	rc = vfs_flush((struct vfs_file *)file);

	if (rc != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xRead(REAL(file), p, amt, off);
}

static unsigned
vfs_be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
	    (unsigned)p[2] << 8 | p[3];
}

static int
vfs_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	struct vfs_file	*f = (struct vfs_file *)file;
	int		 rc, ends;

	if (!f->wal || f->buf == NULL)
		return f->real->pMethods->xWrite(f->real, p, amt, off);
	ends = f->commit_page;
	f->commit_page = amt == VFS_FRAME_HDR &&
	    vfs_be32((const unsigned char *)p + 4) != 0;
	/* Not where the buffer ends, or no room: out with it first. */
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len ||
	    f->len + (size_t)amt > CHAT_SQLITE_WAL_BUFFER)) {
		if ((rc = vfs_flush(f)) != SQLITE_OK)
			return rc;
	}
	if ((size_t)amt > CHAT_SQLITE_WAL_BUFFER)
		return f->real->pMethods->xWrite(f->real, p, amt, off);
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)amt);
	f->len += (size_t)amt;
	return ends ? vfs_flush(f) : SQLITE_OK;
}

static int
vfs_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int	rc = vfs_flush((struct vfs_file *)file);

	if (rc != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int
vfs_sync(sqlite3_file *file, int flags)
{
	int	rc = vfs_flush((struct vfs_file *)file);

	if (rc != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int
vfs_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int	rc = vfs_flush((struct vfs_file *)file);

	if (rc != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int
vfs_lock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xLock(REAL(file), lock);
}

static int
vfs_unlock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), lock);
}

static int
vfs_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int
vfs_control(sqlite3_file *file, int op, void *arg)
{
	int	rc = vfs_flush((struct vfs_file *)file);

	if (rc != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int
vfs_sector(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int
vfs_device(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int
vfs_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
    void volatile **pp)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), pg, pgsz, extend, pp);
}

static int
vfs_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void
vfs_shm_barrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int
vfs_shm_unmap(sqlite3_file *file, int delete)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), delete);
}

static int
vfs_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	int	rc = vfs_flush((struct vfs_file *)file);

	if (rc != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xFetch(REAL(file), off, amt, pp);
}

static int
vfs_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}

static int
vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags,
    int *out_flags)
{
	struct vfs_file	*f = (struct vfs_file *)file;
	int		 rc;

	(void)v;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)((char *)f + VFS_HEAD);
	rc = vfs_real->xOpen(vfs_real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || f->real->pMethods == NULL)
		return rc;	/* base.pMethods NULL: no xClose */
	/* Without a buffer a WAL file is written straight through. */
	if (flags & SQLITE_OPEN_WAL) {
		f->wal = 1;
		f->buf = malloc(CHAT_SQLITE_WAL_BUFFER);
	}
	f->base.pMethods = &vfs_io;
	return SQLITE_OK;
}

static void
vfs_init(void)
{
	if ((vfs_real = sqlite3_vfs_find(NULL)) == NULL)
		return;
	/* The unix VFS's files have version 3 methods (shared memory for
	 * the WAL, memory maps). */
	vfs_io.iVersion = 3;
	vfs_io.xClose = vfs_close;
	vfs_io.xRead = vfs_read;
	vfs_io.xWrite = vfs_write;
	vfs_io.xTruncate = vfs_truncate;
	vfs_io.xSync = vfs_sync;
	vfs_io.xFileSize = vfs_size;
	vfs_io.xLock = vfs_lock;
	vfs_io.xUnlock = vfs_unlock;
	vfs_io.xCheckReservedLock = vfs_reserved;
	vfs_io.xFileControl = vfs_control;
	vfs_io.xSectorSize = vfs_sector;
	vfs_io.xDeviceCharacteristics = vfs_device;
	vfs_io.xShmMap = vfs_shm_map;
	vfs_io.xShmLock = vfs_shm_lock;
	vfs_io.xShmBarrier = vfs_shm_barrier;
	vfs_io.xShmUnmap = vfs_shm_unmap;
	vfs_io.xFetch = vfs_fetch;
	vfs_io.xUnfetch = vfs_unfetch;

	/* Everything else is the default VFS's own. */
	vfs = *vfs_real;
	vfs.zName = VFS_NAME;
	vfs.pNext = NULL;
	vfs.szOsFile = (int)VFS_HEAD + vfs_real->szOsFile;
	vfs.xOpen = vfs_open;
	vfs_rc = sqlite3_vfs_register(&vfs, 0);
}

const char *
sql_vfs_name(void)
{
	pthread_once(&vfs_once, vfs_init);
	return vfs_rc == SQLITE_OK ? VFS_NAME : NULL;
}
