/*
 * maildir - Maildir delivery, exactly once.
 *
 * Written as the mailbox owner: tmp/NAME, fsync, rename into new/NAME
 * without replacing (or link(2) where that is unsupported), fsync new/
 * (an fsync shared with concurrent deliveries to the same Maildir).
 * NAME is deterministic, not the usual time.pid.host:
 *	ARRIVAL.Q<queue id>R<record offset>H<hash of final address>.<host>
 * so a recipient offered again after a crash (qmgr died before it marked
 * the recipient done) finds its earlier copy: new/NAME existing (EEXIST
 * from the rename or link) or cur/NAME:flags (the reader already moved it) means the
 * mail is already there, and the answer is success without a second copy.
 * cur/ is read only when it changed since the message arrived (a reader
 * moving our earlier copy there changes it); a mailbox with thousands of
 * read messages is not read through on every delivery.
 * Missing Maildir directories are created 0700 by the owner.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dir_sync.h"
#include "local.h"
#include "msg.h"

/* fnv64 - FNV-1a of a string, lower-cased */
static uint64_t
fnv64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* make_dirs - mkdir -p with mode 0700, as the current identity */
static int
make_dirs(const char *path)
{
	char	 buf[4096];
	size_t	 len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return (-1);
		buf[i] = path[i];
	}
	return (0);
}

/*
 * in_cur - is NAME (or NAME:flags) in cur/.  An earlier copy of this
 * delivery can only have reached cur/ after the message arrived, and that
 * rename set cur/'s mtime: a cur/ untouched since well before the arrival
 * (a minute's margin for clock steps) cannot hold it.
 */
static bool
in_cur(const char *cur, const char *name, long arrival)
{
	size_t	 n = strlen(name);
	struct dirent *de;
	struct stat st;
	bool	 found = false;
	DIR	*dir;

	if (stat(cur, &st) == 0 && (long)st.st_mtime < arrival - 60)
		return (false);
	if ((dir = opendir(cur)) == NULL)
		return (false);
	while (!found && (de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, name, n) == 0 &&
		    (de->d_name[n] == ':' || de->d_name[n] == 0))
			found = true;
	closedir(dir);
	return (found);
}

/*
 * sync_new_entry - make the entry just renamed into new/ durable.  The
 * fsync of new/ is shared with the other local processes delivering to
 * the same Maildir at the same time (lib/io/dir_sync.h): one covers them all.
 * When the Maildir is busy, the would-be leader first lingers a moment
 * for the deliveries on their way: the recipient's sender has had its
 * 250 long ago, and fewer flushes make every delivery cheaper (local,
 * 10 sessions into one Maildir: 3.6 -> 3.0 flushes per message).
 */
#define MAILDIR_SYNC_LINGER_US	1000
static int
sync_new_entry(const char *path)
{
	struct dir_sync ds;
	int	 fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (-1);
	dir_sync_mark(&ds, fd);
	dir_sync_linger(&ds, MAILDIR_SYNC_LINGER_US);
	rc = dir_sync_finish(&ds);
	saved = errno;
	close(fd);
	errno = saved;
	return (rc);
}

/*
 * create_in_tmp - open tmp/NAME for writing.  The Maildir is created only
 * when the first try says it is missing, not checked on every delivery;
 * a file left by a crashed earlier attempt is replaced.
 */
static int
create_in_tmp(const char *dir, const char *tmp)
{
	static const char *const subdirs[] = { "tmp", "new", "cur", NULL };
	char	 sub[4096 + 8];
	int	 fd;

	for (int attempt = 0; attempt < 3; attempt++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd >= 0)
			return (fd);
		if (errno == EEXIST) {
			if (unlink(tmp) < 0 && errno != ENOENT)
				return (-1);
		} else if (errno == ENOENT) {
			for (int i = 0; subdirs[i] != NULL; i++) {
				snprintf(sub, sizeof(sub), "%s/%s", dir, subdirs[i]);
				if (make_dirs(sub) < 0)
					return (-1);
			}
		} else
			return (-1);
	}
	return (-1);
}

/*
 * move_into_new - tmp/NAME becomes new/NAME without replacing anything:
 * an existing new/NAME is the earlier copy of this very delivery, which
 * counts as success.  One rename where the file system supports
 * RENAME_NOREPLACE, else the Maildir spec's link and unlink.
 */
static int
move_into_new(const char *tmp, const char *newp)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, newp, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno == EEXIST)
		return (unlink(tmp) < 0 && errno != ENOENT ? -1 : 0);
	if (errno != EINVAL && errno != ENOSYS)
		return (-1);
	if (link(tmp, newp) < 0 && errno != EEXIST)
		return (-1);
	(void)unlink(tmp);
	return (0);
}

/*
 * write_error - a failed write defers (local_write_dsn): a full disk or
 * quota may have room on the next attempt, so it never bounces
 */
static void
write_error(struct local_state *st, const char *to, int err, const char *what)
{
	local_result(st, to, 4, local_write_dsn(err),
	    "maildir delivery failed: %s: %s", what, strerror(err));
}

/* local_maildir - deliver to the Maildir dir (with trailing '/') */
void
local_maildir(struct local_state *st, const char *dir,
    const struct local_privs *owner, long size_limit, const char *final_address)
{
	struct local_message *m = st->m;
	char	 base[512], host[256], tmp[4096 + 600], newp[4096 + 600];
	char	 sub[4096 + 8];
	struct strbuf err;
	size_t	 h = 0;
	int	 fd = -1, saved;

	strbuf_init(&err);
	if (size_limit > 0 && m->msg.size > size_limit) {
		local_result(st, final_address, 5, "5.2.2",
		    "message is larger than the mailbox size limit");
		goto out_free;
	}
	/* Maildir names may not contain '/' or ':' (the spec's escapes) */
	for (const char *p = st->d->p.myhostname; *p && h < sizeof(host) - 5; p++) {
		if (*p == '/' || *p == ':')
			h += (size_t)snprintf(host + h, sizeof(host) - h, "\\%03o",
			    (unsigned char)*p);
		else
			host[h++] = *p;
	}
	host[h] = 0;
	snprintf(base, sizeof(base), "%ld.Q%sR%lldH%016llx.%s",
	    (long)m->msg.arrival, m->req->queue_id, (long long)st->rcpt->offset,
	    (unsigned long long)fnv64(final_address), host);
	if (strlen(dir) > 4096) {
		local_result(st, final_address, 5, "5.3.5", "maildir path too long");
		goto out_free;
	}
	if (local_privs_enter(st->d, owner) < 0) {
		local_result(st, final_address, 4, "4.3.0",
		    "cannot switch to the mailbox owner");
		goto out_free;
	}
	snprintf(newp, sizeof(newp), "%s/new/%s", dir, base);
	snprintf(sub, sizeof(sub), "%s/cur", dir);
	if (access(newp, F_OK) == 0 || in_cur(sub, base, (long)m->msg.arrival)) {
		local_result(st, final_address, 2, "2.0.0",
		    "delivered to maildir (already delivered)");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, base);
	if ((fd = create_in_tmp(dir, tmp)) < 0) {
		write_error(st, final_address, errno, "create file in tmp/");
		goto out;
	}
	if (local_copy(st, fd, LOCAL_COPY_RETURN_PATH | LOCAL_COPY_DELIVERED,
	    final_address, &err) < 0 || fsync(fd) < 0) {
		saved = errno;
		(void)unlink(tmp);
		write_error(st, final_address, saved ? saved : EIO, "write");
		goto out;
	}
	close(fd);
	fd = -1;
	if (move_into_new(tmp, newp) < 0) {
		saved = errno;
		(void)unlink(tmp);
		write_error(st, final_address, saved, "move into new/");
		goto out;
	}
	snprintf(sub, sizeof(sub), "%s/new", dir);
	if (sync_new_entry(sub) < 0) {
		write_error(st, final_address, errno, "fsync new/");
		goto out;
	}
	local_result(st, final_address, 2, "2.0.0", "delivered to maildir");
out:
	if (fd >= 0)
		close(fd);
	local_privs_leave(st->d);
out_free:
	strbuf_free(&err);
}
