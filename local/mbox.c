/*
 * mbox - append to a UNIX mailbox file under lock.
 *
 * Locks per mailbox_delivery_lock: a dotlock (PATH.lock, created with
 * O_EXCL; stale ones older than DOTLOCK_STALE seconds are removed) and a
 * fcntl lock on the open file.  The append is written as the mailbox owner
 * in mbox format (copy.c) and fsync'ed; on any error the file is cut back
 * to its size before the append, so a reader never sees half a message,
 * and the delivery is deferred (local_write_dsn: a full disk or quota
 * never bounces mail).
 * A spool mailbox that does not exist yet is created by root (the spool
 * directory is not writable by users) as an empty 0600 file owned by the
 * user; a mailbox we append to must be a regular file with one link and,
 * for mailboxes, owned by its user.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local.h"
#include "msg.h"

#define LOCK_TRIES	10	/* one second apart */
#define DOTLOCK_STALE	300

/* dotlock_take - create PATH.lock; 0, or -1 with errno */
static int
dotlock_take(const char *lock)
{
	struct stat st;
	int	 fd;

	for (int i = 0; i < LOCK_TRIES; i++) {
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd >= 0) {
			close(fd);
			return (0);
		}
		if (errno != EEXIST)
			return (-1);
		if (lstat(lock, &st) == 0 && time(NULL) - st.st_mtime > DOTLOCK_STALE) {
			(void)unlink(lock);
			continue;
		}
		sleep(1);
	}
	errno = EAGAIN;
	return (-1);
}

/* fcntl_take - exclusive write lock on the whole file */
static int
fcntl_take(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (int i = 0; i < LOCK_TRIES; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return (0);
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return (-1);
		sleep(1);
	}
	errno = EAGAIN;
	return (-1);
}

/* create_spool_file - root makes the user's empty spool mailbox */
static int
create_spool_file(struct local_daemon *d, const char *path,
    const struct local_privs *owner)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return (errno == EEXIST ? 0 : -1);
	if (d->privileged && fchown(fd, owner->uid, owner->gid) < 0) {
		int	 saved = errno;

		(void)unlink(path);
		close(fd);
		errno = saved;
		return (-1);
	}
	close(fd);
	return (0);
}

/* local_mbox - append the message to path as owner */
void
local_mbox(struct local_state *st, const char *path,
    const struct local_privs *owner, long size_limit, bool spool,
    bool add_delivered, const char *what)
{
	struct local_daemon *d = st->d;
	bool	 is_file = strcmp(what, "file") == 0;
	const char *to = is_file ? st->parent : st->address;
	char	 lock[4096 + 8], deliv[1024];
	struct strbuf err;
	struct stat sb, lsb;
	bool	 dotlocked = false, as_user = false;
	off_t	 orig = -1;
	int	 fd = -1, saved, status = 4;
	const char *dsn = "4.2.0";

	strbuf_init(&err);
	if (to == NULL)
		to = st->address;
	if (strchr(to, '@') != NULL)
		snprintf(deliv, sizeof(deliv), "%s", to);
	else
		snprintf(deliv, sizeof(deliv), "%s@%s", to, d->p.myhostname);
	for (char *c = deliv; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (strlen(path) > 4096) {
		strbuf_set(&err, "path too long");
		status = 5;
		dsn = "5.3.5";
		goto fail;
	}
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if (spool && create_spool_file(d, path, owner) < 0) {
		strbuf_printf(&err, "create %s: %s", path, strerror(errno));
		goto fail;
	}
	/* The spool directory belongs to root: its lock is root's to make. */
	if (!spool) {
		if (local_privs_enter(d, owner) < 0) {
			strbuf_set(&err, "cannot switch to the mailbox owner");
			goto fail;
		}
		as_user = true;
	}
	if (d->p.lock_dotlock) {
		if (dotlock_take(lock) < 0) {
			/* no write access to the directory: fcntl alone */
			if (errno != EACCES && errno != EPERM && errno != EROFS &&
			    errno != ENOENT) {
				strbuf_printf(&err, "cannot lock %s: %s", path,
				    errno == EAGAIN ? "mailbox is locked" :
				    strerror(errno));
				goto fail;
			}
		} else
			dotlocked = true;
	}
	if (!as_user) {
		if (local_privs_enter(d, owner) < 0) {
			strbuf_set(&err, "cannot switch to the mailbox owner");
			goto fail;
		}
		as_user = true;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		strbuf_printf(&err, "cannot open %s: %s", path, strerror(saved));
		if (saved == ENOENT || saved == EACCES || saved == EPERM ||
		    saved == EISDIR || saved == ELOOP || saved == ENOTDIR) {
			status = 5;
			dsn = "5.2.0";
		}
		goto fail;
	}
	if (fstat(fd, &sb) < 0 || lstat(path, &lsb) < 0) {
		strbuf_printf(&err, "cannot stat %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1 || sb.st_dev != lsb.st_dev ||
	    sb.st_ino != lsb.st_ino || (!is_file && d->privileged &&
	    sb.st_uid != owner->uid)) {
		strbuf_printf(&err, "%s is not a safe mailbox (type, links or owner)",
		    path);
		status = 5;
		dsn = "5.2.0";
		goto fail;
	}
	if (d->p.lock_fcntl && fcntl_take(fd) < 0) {
		strbuf_printf(&err, "cannot lock %s: %s", path,
		    errno == EAGAIN ? "mailbox is locked" : strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) < 0) {
		strbuf_printf(&err, "cannot stat %s: %s", path, strerror(errno));
		goto fail;
	}
	orig = sb.st_size;
	if (size_limit > 0 && sb.st_size + st->m->msg.size > size_limit) {
		strbuf_set(&err, "mailbox is full");
		status = 5;
		dsn = "5.2.2";
		goto fail;
	}
	if (local_copy(st, fd, LOCAL_COPY_MBOX | LOCAL_COPY_RETURN_PATH |
	    (add_delivered ? LOCAL_COPY_DELIVERED : 0), deliv, &err) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		if (err.len == 0)
			strbuf_set(&err, strerror(saved));
		status = 4;
		dsn = local_write_dsn(saved);
		if (ftruncate(fd, orig) < 0)
			msg_warn("%s: cannot truncate %s after a failed write: %s",
			    st->m->req->queue_id, path, strerror(errno));
		strbuf_printf(&err, " (writing %s)", path);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (dotlocked && !spool)
		(void)unlink(lock);
	if (as_user)
		local_privs_leave(d);
	if (dotlocked && spool)
		(void)unlink(lock);
	if (is_file)
		local_result(st, to, 2, "2.0.0", "delivered to file: %s", path);
	else
		local_result(st, to, 2, "2.0.0", "delivered to %s", what);
	strbuf_free(&err);
	return;
fail:
	if (fd >= 0)
		close(fd);
	if (dotlocked && !spool)
		(void)unlink(lock);
	if (as_user)
		local_privs_leave(d);
	if (dotlocked && spool)
		(void)unlink(lock);
	local_result(st, to, status, dsn, "%s delivery failed: %s", what, err.data);
	strbuf_free(&err);
}
