/*
 * scan - one pass over maildrop/.
 *
 * maildrop/ (mode 1730, group setgid_group) holds files that sluice-drop
 * wrote on behalf of local users.  Nobody but sluice-drop and pickup can
 * reach it, but the files belong to their submitters, so each is checked
 * like hostile input before it is opened: a plain file (lstat, then
 * O_NOFOLLOW and the same inode again after open), exactly one link, a
 * sane size, and the mode sluice-drop flips to when it is done.  A file
 * still mode 0600 is being written, or was left behind by a sluice-drop
 * that was killed: the latter are removed after a day.  Files are taken
 * oldest first (queue IDs sort by time), at most PICKUP_SCAN_MAX a pass;
 * the master's wakeup brings the next pass.  A file that sluice-drop
 * still holds (its fsync is running, lib/queue/queue_file.h) is left for the
 * poke that follows it; one that cannot be read (EIO) is kept for a
 * later pass, never taken for malformed.  A file that cleanup has queued
 * but that cannot be removed (EIO) is renamed to .done-ID, a name no
 * pass takes, and removed by a later pass: taken again, it would be
 * delivered twice.  When the rename fails too, this process remembers
 * the file, skips it and tries again at each pass.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "pickup.h"
#include "queue_id.h"
#include "strlist.h"

#define PICKUP_PATH_MAX	(sizeof(PICKUP_DIR) + sizeof(PICKUP_CORRUPT_DIR) + NAME_MAX)
#define PICKUP_DONE_PREFIX	".done-"	/* queued, removal failed */

/* compare_names - qsort helper: IDs sort by arrival */
static int
compare_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* drop_path - "maildrop/ID" into buf */
static void
drop_path(char *buf, size_t size, const char *dir, const char *id)
{
	snprintf(buf, size, "%s/%s", dir, id);
}

/* remove_file - unlink a maildrop file, saying why */
static void
remove_file(const char *id, const char *why)
{
	char path[PICKUP_PATH_MAX];

	drop_path(path, sizeof(path), PICKUP_DIR, id);
	msg_warn("%s: removed from maildrop: %s", id, why);
	if (unlink(path) < 0 && errno != ENOENT)
		msg_warn("remove %s: %s", path, strerror(errno));
}

/* move_corrupt - park a malformed file in corrupt/ for the administrator */
static void
move_corrupt(const char *id, const char *why)
{
	char from[PICKUP_PATH_MAX], to[PICKUP_PATH_MAX];

	drop_path(from, sizeof(from), PICKUP_DIR, id);
	drop_path(to, sizeof(to), PICKUP_CORRUPT_DIR, id);
	msg_warn("%s: malformed maildrop file, moved to %s/: %s", id,
	    PICKUP_CORRUPT_DIR, why);
	if (rename(from, to) < 0 && errno != ENOENT) {
		msg_warn("rename %s to %s: %s; removing it", from, to,
		    strerror(errno));
		(void)unlink(from);
	}
}

/*
 * check_and_open - the checks that come before reading a file.  Returns
 * an open descriptor, or -1 when the file was dealt with (or skipped).
 */
static int
check_and_open(const struct pickup_config *pc, const char *id,
    struct stat *st)
{
	struct stat lst;
	char path[PICKUP_PATH_MAX];
	mode_t mode;
	int fd;

	drop_path(path, sizeof(path), PICKUP_DIR, id);
	if (lstat(path, &lst) < 0) {
		if (errno != ENOENT)
			msg_warn("lstat %s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(lst.st_mode)) {
		move_corrupt(id, "not a regular file");
		return (-1);
	}
	if (lst.st_nlink != 1) {
		remove_file(id, "file has more than one link");
		return (-1);
	}
	mode = lst.st_mode & 07777;
	if (mode == QUEUE_MODE_WRITING) {
		if (time(NULL) - lst.st_mtime > PICKUP_STALE_SECONDS)
			remove_file(id, "unfinished file left by sluice-drop");
		return (-1);
	}
	if (mode != QUEUE_MODE_MAILDROP) {
		move_corrupt(id, "unexpected file mode");
		return (-1);
	}
	if (pc->message_size_limit > 0 && lst.st_size >
	    pc->message_size_limit + PICKUP_ENVELOPE_SLACK) {
		remove_file(id, "message file too big");
		return (-1);
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			msg_warn("open %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, st) < 0 || st->st_dev != lst.st_dev ||
	    st->st_ino != lst.st_ino || !S_ISREG(st->st_mode) ||
	    st->st_nlink != 1) {
		msg_warn("%s: file changed while it was opened, skipped", path);
		(void)close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Queued files that could neither be removed nor renamed: this process
 * skips them and tries again at each pass.  Memory only: a pickup that
 * exits before a try succeeds leaves them to be queued a second time.
 */
#define PICKUP_UNREMOVED_MAX	1000
static struct strlist unremoved;

/*
 * move_out - unlink maildrop/ID, else rename it to .done-ID (a name no
 * pass takes; pickup_scan removes it later); 0, or -1 with both errors
 */
static int
move_out(const char *id, int *unlink_err, int *rename_err)
{
	char path[PICKUP_PATH_MAX], done[PICKUP_PATH_MAX];

	drop_path(path, sizeof(path), PICKUP_DIR, id);
	if (unlink(path) == 0 || errno == ENOENT)
		return (0);
	*unlink_err = errno;
	snprintf(done, sizeof(done), "%s/%s%s", PICKUP_DIR, PICKUP_DONE_PREFIX,
	    id);
	if (rename(path, done) == 0 || errno == ENOENT)
		return (0);
	*rename_err = errno;
	return (-1);
}

/*
 * remove_queued - take a file that cleanup has queued out of maildrop/:
 * taken again, it would be delivered twice.  When neither the unlink
 * nor the rename works (EIO), it is remembered in unremoved.
 */
static void
remove_queued(const char *id)
{
	int uerr = 0, rerr = 0;

	if (move_out(id, &uerr, &rerr) == 0) {
		if (uerr != 0)
			msg_warn("%s: remove from maildrop: %s; renamed to %s%s, "
			    "to be removed later", id, strerror(uerr),
			    PICKUP_DONE_PREFIX, id);
		return;
	}
	if (unremoved.count >= PICKUP_UNREMOVED_MAX) {
		msg_warn("%s: remove from maildrop: %s; rename: %s; too many "
		    "such files: it will be queued again", id, strerror(uerr),
		    strerror(rerr));
		return;
	}
	msg_warn("%s: remove from maildrop: %s; rename: %s; skipped and "
	    "tried again while pickup runs", id, strerror(uerr),
	    strerror(rerr));
	strlist_add(&unremoved, id);
}

/* retry_unremoved - another try at each file remove_queued() kept */
static void
retry_unremoved(void)
{
	struct strlist keep;
	int uerr, rerr;

	if (unremoved.count == 0)
		return;
	strlist_init(&keep);
	for (size_t i = 0; i < unremoved.count; i++) {
		if (move_out(unremoved.items[i], &uerr, &rerr) < 0)
			strlist_add(&keep, unremoved.items[i]);
		else
			msg_info("%s: removed from maildrop at last",
			    unremoved.items[i]);
	}
	strlist_free(&unremoved);
	unremoved = keep;
}

/* is_unremoved - a queued file this process could not take out */
static bool
is_unremoved(const char *id)
{
	for (size_t i = 0; i < unremoved.count; i++)
		if (strcmp(unremoved.items[i], id) == 0)
			return (true);
	return (false);
}

/* remove_done - a later try at a file that remove_queued() renamed */
static void
remove_done(const char *name)
{
	char path[PICKUP_PATH_MAX];

	drop_path(path, sizeof(path), PICKUP_DIR, name);
	if (unlink(path) < 0 && errno != ENOENT)
		msg_warn("remove %s: %s", path, strerror(errno));
}

/* pickup_one - one file; false when the pass should stop (cleanup down) */
static bool
pickup_one(const struct pickup_config *pc, const char *id)
{
	char queue_id[QUEUE_ID_SIZE] = "";
	struct strbuf why;
	struct stat st;
	enum pickup_result res;
	int fd;

	if ((fd = check_and_open(pc, id, &st)) < 0)
		return (true);
	switch (queue_file_check_end_record(fd)) {
	case 1:
		break;
	case QUEUE_FILE_BUSY:
		(void)close(fd);
		return (true);
	case QUEUE_FILE_IO_ERROR:
		msg_warn("%s: maildrop file kept for a later try: read error: %s",
		    id, strerror(errno));
		(void)close(fd);
		return (false);
	default:
		(void)close(fd);
		move_corrupt(id, "no end record");
		return (true);
	}
	strbuf_init(&why);
	res = pickup_submit(pc, fd, id, st.st_uid, queue_id, &why);
	(void)close(fd);
	switch (res) {
	case PICKUP_DONE:
		remove_queued(id);
		break;
	case PICKUP_RETRY:
		msg_warn("%s: maildrop file kept for a later try: %s", id,
		    why.data);
		break;
	case PICKUP_REJECT:
		/* TODO: tell the submitter with a bounce once bounce(3) allows */
		remove_file(id, why.data);
		break;
	case PICKUP_CORRUPT:
		move_corrupt(id, why.data);
		break;
	}
	strbuf_free(&why);
	return (res != PICKUP_RETRY);
}

/* pickup_scan - the oldest PICKUP_SCAN_MAX files, one by one */
void
pickup_scan(const struct pickup_config *pc)
{
	struct strlist names;
	struct dirent *de;
	DIR *dir;

	retry_unremoved();
	if ((dir = opendir(PICKUP_DIR)) == NULL) {
		msg_warn("open directory %s: %s", PICKUP_DIR, strerror(errno));
		return;
	}
	strlist_init(&names);
	while ((de = readdir(dir)) != NULL && names.count < PICKUP_SCAN_MAX) {
		if (strncmp(de->d_name, PICKUP_DONE_PREFIX,
		    strlen(PICKUP_DONE_PREFIX)) == 0 &&
		    queue_id_valid(de->d_name + strlen(PICKUP_DONE_PREFIX)))
			remove_done(de->d_name);
		if (de->d_name[0] == '.' || is_unremoved(de->d_name))
			continue;
		if (!queue_id_valid(de->d_name)) {
			move_corrupt(de->d_name, "not a queue file name");
			continue;
		}
		strlist_add(&names, de->d_name);
	}
	(void)closedir(dir);
	if (names.count > 0)
		qsort(names.items, names.count, sizeof(*names.items),
		    compare_names);
	for (size_t i = 0; i < names.count; i++)
		if (!pickup_one(pc, names.items[i]))
			break;
	strlist_free(&names);
}
