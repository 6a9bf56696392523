/*
 * repair - sluice-super -s: check the queue structure and repair it.
 *
 * For incoming/, active/, deferred/ and hold/:
 *	a name that is not a queue ID, anything but a regular file, or a file
 *	that queue_file_read() rejects goes to corrupt/ (kept for a human);
 *	an unfinished file in incoming/ (mode 0600, no end record) older than
 *	an hour is a write that died and is removed; a file at mode 0600
 *	in active/ is a removal by qmgr cut short (queue_recycle_put() sets
 *	that mode once every recipient is finished) and is removed; an
 *	unfinished file elsewhere cannot come from a rename of a complete
 *	one and goes to corrupt/;
 *	a complete file gets mode 0700 and, when run as root, owner
 *	mail_owner (and its group).
 * Run by root, all of this happens as mail_owner (main.c) except the
 * repair of mode and owner, which root does on the open descriptor and
 * only for a file with no other name (a hard link could make it any
 * file), and the open of a file mail_owner may not read (O_NOFOLLOW).
 * A file that cannot be read (EIO: queue_file_read's QUEUE_FILE_IO_ERROR,
 * or its tail) is left alone with a warning: an I/O error says nothing
 * about it.  In defer/: a log whose message is
 * in no queue (every lookup said so, none failed), or a stale temporary
 * file, is removed.  maildrop/ belongs to pickup and is left alone.
 * Files younger than an hour in incoming/ may still be written by cleanup
 * and are never touched.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "defer_log.h"
#include "msg.h"
#include "queue_file.h"
#include "queue_id.h"
#include "queue_scan.h"
#include "sluice_super.h"
#include "strbuf.h"
#include "strlist.h"

#define STALE_SECONDS	3600
#define CORRUPT_TRIES	100

static const char *const repair_queues[] = {
	QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, NULL,
};

/* move_corrupt - queue/name to corrupt/, never replacing anything there */
static void
move_corrupt(const char *queue, const char *name, const char *why)
{
	struct strbuf src, dst;
	int	 i, r = -1;

	strbuf_init(&src);
	strbuf_init(&dst);
	strbuf_printf(&src, "%s/%s", queue, name);
	for (i = 0; i < CORRUPT_TRIES; i++) {
		strbuf_reset(&dst);
		strbuf_printf(&dst, "%s/%s", QUEUE_CORRUPT, name);
		if (i > 0)
			strbuf_printf(&dst, ".%d", i);
		if ((r = renameat2(AT_FDCWD, src.data, AT_FDCWD, dst.data,
		    RENAME_NOREPLACE)) == 0 || errno != EEXIST)
			break;
	}
	if (r == 0)
		msg_warn("%s: %s: moved to %s", src.data, why, dst.data);
	else if (errno != ENOENT)
		msg_warn("%s: %s: cannot move to %s/: %s", src.data, why,
		    QUEUE_CORRUPT, strerror(errno));
	strbuf_free(&src);
	strbuf_free(&dst);
}

/* remove_entry - unlink queue/name with a note */
static void
remove_entry(const char *queue, const char *name, const char *why)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/%s", queue, name);
	if (unlink(path) == 0)
		msg_warn("%s: %s: removed", path, why);
	else if (errno != ENOENT)
		msg_warn("%s: %s: unlink: %s", path, why, strerror(errno));
}

/*
 * ends_with_end_record - 1 when the last record of the file is an empty
 * E, 0 when it is not, -1 when the tail could not be read (then nothing
 * is known about the file)
 */
static int
ends_with_end_record(int fd, off_t size)
{
	unsigned char tail[5];
	ssize_t	 n;

	if (size < 5)
		return (0);
	do {
		n = pread(fd, tail, sizeof(tail), size - 5);
	} while (n < 0 && errno == EINTR);
	if (n != 5) {
		if (n >= 0)
			errno = EIO;	/* it shrank under us */
		return (-1);
	}
	return (tail[0] == QUEUE_REC_END && tail[1] == 0 && tail[2] == 0 &&
	    tail[3] == 0 && tail[4] == 0);
}

struct attr_fix {
	int	 fd;
	uid_t	 uid;
	gid_t	 gid;
};

/* do_fchmod - the mode of a complete queue file (super_as_root) */
static int
do_fchmod(void *arg)
{
	return (fchmod(((struct attr_fix *)arg)->fd, QUEUE_MODE_COMPLETE));
}

/* do_fchown - mail_owner's ownership (super_as_root) */
static int
do_fchown(void *arg)
{
	struct attr_fix *fix = arg;

	return (fchown(fix->fd, fix->uid, fix->gid));
}

struct open_entry {
	const char *queue;
	const char *name;
	struct stat *sb;
};

/* do_open - queue_scan_open of one entry (super_as_root) */
static int
do_open(void *arg)
{
	struct open_entry *oe = arg;

	return (queue_scan_open(oe->queue, oe->name, O_RDONLY, oe->sb));
}

/* open_entry - as mail_owner; as root (no links followed) if it may not */
static int
open_entry(struct super_state *st, const char *queue, const char *name,
    struct stat *sb)
{
	struct open_entry oe = {queue, name, sb};
	int	 fd;

	if ((fd = do_open(&oe)) < 0 && errno == EACCES && st->privileged)
		fd = super_as_root(st, do_open, &oe);
	return (fd);
}

/* fix_attributes - mode 0700, owner mail_owner */
static void
fix_attributes(struct super_state *st, int fd, const struct stat *sb,
    const char *queue, const char *name)
{
	struct attr_fix fix = {fd, st->owner_uid, st->owner_gid};

	if (sb->st_nlink != 1 && ((sb->st_mode & 07777) != QUEUE_MODE_COMPLETE ||
	    (st->privileged && st->have_owner && (sb->st_uid != st->owner_uid ||
	    sb->st_gid != st->owner_gid)))) {
		msg_warn("%s/%s: has %ld names; mode and owner left alone",
		    queue, name, (long)sb->st_nlink);
		return;
	}
	if ((sb->st_mode & 07777) != QUEUE_MODE_COMPLETE) {
		if (super_as_root(st, do_fchmod, &fix) == 0)
			msg_warn("%s/%s: mode %04o changed to %04o", queue, name,
			    (unsigned)(sb->st_mode & 07777), QUEUE_MODE_COMPLETE);
		else
			msg_warn("%s/%s: fchmod: %s", queue, name, strerror(errno));
	}
	if (st->privileged && st->have_owner &&
	    (sb->st_uid != st->owner_uid || sb->st_gid != st->owner_gid)) {
		if (super_as_root(st, do_fchown, &fix) == 0)
			msg_warn("%s/%s: owner %ld:%ld changed to %ld:%ld", queue,
			    name, (long)sb->st_uid, (long)sb->st_gid,
			    (long)st->owner_uid, (long)st->owner_gid);
		else
			msg_warn("%s/%s: fchown: %s", queue, name, strerror(errno));
	}
}

/* check_entry - one directory entry of a message queue */
static void
check_entry(struct super_state *st, const char *queue, const char *name,
    time_t now)
{
	struct queue_message msg;
	struct strbuf err;
	struct stat sb;
	bool	 incoming = strcmp(queue, QUEUE_INCOMING) == 0;
	bool	 stale;
	int	 fd, end, rc;

	if (!queue_id_valid(name)) {
		move_corrupt(queue, name, "not a queue ID");
		return;
	}
	if ((fd = open_entry(st, queue, name, &sb)) < 0) {
		if (errno == ELOOP || errno == EINVAL)
			move_corrupt(queue, name, "not a regular file");
		else if (errno != ENOENT)
			msg_warn("open %s/%s: %s", queue, name, strerror(errno));
		return;
	}
	stale = now - sb.st_mtime > STALE_SECONDS;
	if (strcmp(queue, QUEUE_ACTIVE) == 0 &&
	    (sb.st_mode & 07777) == QUEUE_MODE_WRITING) {
		close(fd);
		remove_entry(queue, name, "finished message whose removal "
		    "was cut short");
		return;
	}
	if (incoming && (sb.st_mode & 07777) == QUEUE_MODE_WRITING) {
		close(fd);
		if (stale)
			remove_entry(queue, name, "stale incomplete file");
		return;
	}
	strbuf_init(&err);
	if ((rc = queue_file_read(fd, &msg, &err)) < 0) {
		close(fd);
		/* not read is not malformed: a human gets the warning */
		if (rc == QUEUE_FILE_IO_ERROR)
			msg_warn("%s/%s: %s; left alone", queue, name, err.data);
		else
			move_corrupt(queue, name, err.data);
		strbuf_free(&err);
		return;
	}
	queue_message_free(&msg);
	strbuf_free(&err);
	if ((end = ends_with_end_record(fd, sb.st_size)) < 0) {
		/* an I/O error says nothing: not corrupt, not unfinished */
		msg_warn("%s/%s: cannot read its end: %s; left alone", queue,
		    name, strerror(errno));
		close(fd);
		return;
	}
	if (end == 0) {
		close(fd);
		if (!incoming)
			move_corrupt(queue, name, "incomplete queue file");
		else if (stale)
			remove_entry(queue, name, "stale incomplete file");
		return;
	}
	fix_attributes(st, fd, &sb, queue, name);
	close(fd);
}

/* check_defer_logs - remove logs without a message and stale temp files */
static void
check_defer_logs(time_t now)
{
	static const char *const holders[] = {
		QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD,
		QUEUE_MAILDROP, NULL,
	};
	struct strlist names;
	struct strbuf err;
	struct stat sb;
	char	 path[4096];

	strlist_init(&names);
	strbuf_init(&err);
	if (lstat(DEFER_LOG_DIR, &sb) == 0 && queue_scan_dir(DEFER_LOG_DIR,
	    false, QUEUE_SCAN_LIMIT, &names, NULL, &err) < 0)
		msg_warn("%s", err.data);
	for (size_t i = 0; i < names.count; i++) {
		const char *name = names.items[i];

		if (queue_id_valid(name)) {
			/*
			 * twice: the message may be moving between queues;
			 * a queue that cannot be looked into may hold it
			 */
			if (queue_scan_absent(holders, name) &&
			    queue_scan_absent(holders, name))
				remove_entry(DEFER_LOG_DIR, name,
				    "defer log without a message");
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", DEFER_LOG_DIR, name);
		if (lstat(path, &sb) == 0 && now - sb.st_mtime > STALE_SECONDS)
			remove_entry(DEFER_LOG_DIR, name, "stale temporary file");
	}
	strlist_free(&names);
	strbuf_free(&err);
}

/* super_repair - every queue, then the defer logs */
void
super_repair(struct super_state *st)
{
	struct strlist names;
	struct strbuf err;
	time_t	 now = time(NULL);

	strbuf_init(&err);
	for (const char *const *q = repair_queues; *q != NULL; q++) {
		strlist_init(&names);
		if (queue_scan_dir(*q, false, QUEUE_SCAN_LIMIT, &names, NULL,
		    &err) < 0)
			msg_warn("%s", err.data);
		for (size_t i = 0; i < names.count; i++)
			check_entry(st, *q, names.items[i], now);
		strlist_free(&names);
	}
	strbuf_free(&err);
	check_defer_logs(now);
}
