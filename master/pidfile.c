/*
 * pidfile.c - one master per queue directory.
 *
 * queue/pid/master.pid carries an fcntl() lock for the master's lifetime.
 * It is an open-file-description lock (F_OFD_SETLK), so it survives the
 * fork that puts the master in the background, and it still conflicts
 * with the classic F_GETLK probe `sluice status` may use.  The file holds
 * the pid for `sluice stop`/`reload`; the lock, not the pid, says whether
 * a master runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "master.h"
#include "msg.h"

/* master_pidfile_lock - open and lock path; fd, or msg_fatal */
int
master_pidfile_lock(const char *path)
{
	struct flock lk;
	struct stat st;
	int	 fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		msg_fatal("open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		msg_fatal("%s: not a regular file", path);
	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &lk) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			msg_fatal("the Sluice mail system is already running");
		msg_fatal("lock %s: %s", path, strerror(errno));
	}
	return (fd);
}

/* master_pidfile_write - record our pid (after daemonizing) */
void
master_pidfile_write(int fd)
{
	char	 buf[32];
	int	 len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		msg_fatal("write pid file: %s", strerror(errno));
}

/* master_pidfile_remove - at orderly stop, while we still hold the lock */
void
master_pidfile_remove(int fd, const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		msg_warn("remove %s: %s", path, strerror(errno));
	close(fd);
}
