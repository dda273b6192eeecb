/*
 * fail-write.so: an LD_PRELOAD shim for tests that makes the disk refuse
 * writes to an SQLite database without mounting a full filesystem.
 *
 * While the file named by CHAT_FAULT_TRIGGER exists, write, pwrite,
 * pwrite64, fsync and fdatasync on a file whose path ends in ".db" or
 * "-wal" fail with ENOSPC (CHAT_FAULT_ERRNO=EIO: with EIO).  Such files
 * are known by their descriptors, noted when open, open64, openat or
 * openat64 opens them and forgotten on close; every other descriptor
 * (sockets, logs) passes straight through.  Thread-safe: SQLite writes
 * from the server's writer and checkpoint threads.
 */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FW_FDS	4096		/* descriptors above this are not watched */

static _Atomic unsigned char	 fw_watched[FW_FDS];

#define FW_REAL(name)	((__typeof__(&name))fw_real(#name))

static void *
fw_real(const char *name)
{
	/* dlsym is thread-safe; the answer never changes. */
	return dlsym(RTLD_NEXT, name);
}

static int
fw_is_db(const char *path)
{
	size_t	n = path != NULL ? strlen(path) : 0;

	return (n >= 3 && strcmp(path + n - 3, ".db") == 0) ||
	    (n >= 4 && strcmp(path + n - 4, "-wal") == 0);
}

static int
fw_opened(int fd, const char *path)
{
	if (fd >= 0 && fd < FW_FDS)
		atomic_store(&fw_watched[fd], fw_is_db(path));
	return fd;
}

/* Fail this call on fd?  Then errno is set. */
static int
fw_fail(int fd)
{
	const char	*trigger, *e;
	struct stat	 st;
	int		 saved = errno;

	if (fd < 0 || fd >= FW_FDS || !atomic_load(&fw_watched[fd]))
		return 0;
	if ((trigger = getenv("CHAT_FAULT_TRIGGER")) == NULL ||
	    stat(trigger, &st) == -1) {
		errno = saved;
		return 0;
	}
	e = getenv("CHAT_FAULT_ERRNO");
	errno = e != NULL && strcmp(e, "EIO") == 0 ? EIO : ENOSPC;
	return 1;
}

static mode_t
fw_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;

	va_start(ap, flags);
	mode = fw_mode(flags, ap);
	va_end(ap);
	return fw_opened(FW_REAL(open)(path, flags, mode), path);
}

int
open64(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;

	va_start(ap, flags);
	mode = fw_mode(flags, ap);
	va_end(ap);
	return fw_opened(FW_REAL(open64)(path, flags, mode), path);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;

	va_start(ap, flags);
	mode = fw_mode(flags, ap);
	va_end(ap);
	return fw_opened(FW_REAL(openat)(dirfd, path, flags, mode), path);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;

	va_start(ap, flags);
	mode = fw_mode(flags, ap);
	va_end(ap);
	return fw_opened(FW_REAL(openat64)(dirfd, path, flags, mode), path);
}

int
close(int fd)
{
	if (fd >= 0 && fd < FW_FDS)
		atomic_store(&fw_watched[fd], 0);
	return FW_REAL(close)(fd);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	if (fw_fail(fd))
		return -1;
	return FW_REAL(write)(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (fw_fail(fd))
		return -1;
	return FW_REAL(pwrite)(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	if (fw_fail(fd))
		return -1;
	return FW_REAL(pwrite64)(fd, buf, len, off);
}

int
fsync(int fd)
{
	if (fw_fail(fd))
		return -1;
	return FW_REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
	if (fw_fail(fd))
		return -1;
	return FW_REAL(fdatasync)(fd);
}
