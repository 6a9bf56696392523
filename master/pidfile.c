/*
 * pidfile.c - one master per queue directory.
 *
 * queue/pid/master.pid carries an fcntl() lock for the master's lifetime.
 * It is an open-file-description lock (F_OFD_SETLK), so it survives the
 * fork that puts the master in the background, and it still conflicts
 * with the classic F_GETLK probe `sluice status` may use.  The file holds
 * the pid for `sluice stop`/`reload`; the lock, not the pid, says whether
 * a master runs.
 *
 * Root creates, truncates and removes that file by name, and works in the
 * queue directory by name, so both directories must be root's alone
 * (master_queue_dir_check): a directory another user could write would
 * let that user put a symbolic link where root writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eugid.h"
#include "master.h"
#include "msg.h"
#include "strbuf.h"

/* master_root_only - fatal unless st (of name) is root's and only root's */
static void
master_root_only(const struct master_state *ms, const char *name,
    const struct stat *st)
{
	struct strbuf why;

	if (!ms->privileged)
		return;
	strbuf_init(&why);
	if (!eugid_dir_is_roots(name, st, &why))
		msg_fatal("%s", why.data);
	strbuf_free(&why);
}

/* master_queue_dir_check - the queue directory (cwd) is root's alone */
void
master_queue_dir_check(struct master_state *ms, const char *queue_dir)
{
	struct stat st;

	if (stat(".", &st) < 0)
		msg_fatal("stat %s: %s", queue_dir, strerror(errno));
	master_root_only(ms, queue_dir, &st);
}

/* master_pidfile_lock - open and lock path; fd, or msg_fatal */
int
master_pidfile_lock(struct master_state *ms, const char *path)
{
	struct flock lk;
	struct stat st;
	char	 dir[PATH_MAX];
	int	 dfd, fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		msg_fatal("%s: path too long", path);
	/* the directory by descriptor, checked, then the file in it */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || fstat(dfd, &st) < 0)
		msg_fatal("open %s: %s", dir, strerror(errno));
	master_root_only(ms, dir, &st);
	fd = openat(dfd, strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(dfd);
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
