/*
 * scan.c - find work in the queue directories.
 *
 * At start-up everything left in active/ by a previous qmgr goes back
 * to incoming/: its done recipients are marked in the file, so starting
 * over never delivers them twice.  Except a file at mode 0600: only
 * queue_recycle_put() gives a file in active/ that mode, once every
 * recipient is finished, so it is a removal cut short and is finished
 * here (in incoming/ it would pass for a message still being written
 * and stay there).  incoming/ is scanned on every 'A'
 * trigger and every QMGR_INCOMING_SAFETY seconds; deferred/ every
 * queue_run_delay and when the earliest retry time (a deferred file's
 * mtime) comes, or at once after a flush trigger.  No scan brings more
 * than qmgr_message_active_limit messages into memory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "queue_file.h"
#include "queue_recycle.h"
#include "queue_scan.h"

/*
 * retire_if_finished - active/ID is at mode 0600, i.e. a dead qmgr was
 * removing it: finish that.  false when the file is anything else.
 */
static bool
retire_if_finished(const char *id, const char *path)
{
	struct stat st;
	int	 fd;

	if ((fd = queue_scan_open(QUEUE_ACTIVE, id, O_RDWR, &st)) < 0)
		return (false);
	if ((st.st_mode & 07777) != QUEUE_MODE_WRITING) {
		close(fd);
		return (false);
	}
	msg_info("%s: finishing a removal cut short", id);
	if (queue_recycle_put(QUEUE_RECYCLE, path, fd) < 0 && errno != ENOENT) {
		/* still mode 0600: the next start tries again */
		msg_warn("%s: remove: %s", id, strerror(errno));
		close(fd);
		return (true);
	}
	close(fd);
	defer_log_remove(id);
	msg_info("%s: removed", id);
	return (true);
}

/* qmgr_recover_active - active/ of a dead qmgr goes back to incoming/ */
void
qmgr_recover_active(struct qmgr *qm)
{
	struct strlist names;
	struct strbuf err, from, to;
	size_t	 moved = 0;

	strlist_init(&names);
	strbuf_init(&err);
	strbuf_init(&from);
	strbuf_init(&to);
	if (queue_scan_dir(QUEUE_ACTIVE, true, QUEUE_SCAN_LIMIT, &names, NULL,
	    &err) < 0)
		msg_warn("%s", err.data);
	for (size_t i = 0; i < names.count; i++) {
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_printf(&from, "%s/%s", QUEUE_ACTIVE, names.items[i]);
		strbuf_printf(&to, "%s/%s", QUEUE_INCOMING, names.items[i]);
		if (retire_if_finished(names.items[i], from.data))
			continue;
		if (rename(from.data, to.data) == 0)
			moved++;
		else if (errno != ENOENT) {
			/* delivered from where it is, not left there unseen */
			msg_warn("rename %s to %s: %s", from.data, to.data,
			    strerror(errno));
			(void)qmgr_message_activate(qm, QUEUE_ACTIVE,
			    names.items[i]);
		}
	}
	if (moved > 0)
		msg_info("recovered %zu message%s from %s/", moved,
		    moved == 1 ? "" : "s", QUEUE_ACTIVE);
	strlist_free(&names);
	strbuf_free(&err);
	strbuf_free(&from);
	strbuf_free(&to);
}

/* qmgr_room - how many more messages fit in memory */
static size_t
qmgr_room(const struct qmgr *qm)
{
	if (qm->message_count >= (size_t)qm->active_limit)
		return (0);
	return ((size_t)qm->active_limit - qm->message_count);
}

/* qmgr_scan_incoming - activate complete files in incoming/ */
void
qmgr_scan_incoming(struct qmgr *qm)
{
	struct strlist names;
	struct strbuf err;
	bool	 truncated = false;
	size_t	 room = qmgr_room(qm);

	/* without inotify (watch.c) the scan is the only news of new mail */
	qm->next_incoming = time(NULL) + (qm->watch_fd >= 0 ?
	    QMGR_INCOMING_SAFETY : 1);
	if (room == 0)
		return;		/* want_incoming stays: later, when there is room */
	strlist_init(&names);
	strbuf_init(&err);
	if (queue_scan_dir(QUEUE_INCOMING, true, room, &names, &truncated,
	    &err) < 0)
		msg_warn("%s", err.data);
	for (size_t i = 0; i < names.count && qmgr_room(qm) > 0; i++)
		(void)qmgr_message_activate(qm, QUEUE_INCOMING, names.items[i]);
	qm->want_incoming = truncated;
	strlist_free(&names);
	strbuf_free(&err);
}

/* qmgr_site_match - has the deferred file a pending recipient at site */
static bool
qmgr_site_match(struct qmgr *qm, const char *id)
{
	struct queue_message msg;
	struct strbuf err;
	bool	 found = false;
	int	 fd;

	if ((fd = queue_scan_open(QUEUE_DEFERRED, id, O_RDONLY, NULL)) < 0)
		return (false);
	strbuf_init(&err);
	memset(&msg, 0, sizeof(msg));
	if (queue_file_read_named(fd, id, &msg, &err) == 0) {
		for (size_t i = 0; i < msg.recipient_count && !found; i++) {
			const char *dom = address_domain(msg.recipients[i].address);

			if (msg.recipients[i].done)
				continue;
			for (size_t j = 0; j < qm->flush_sites.count; j++)
				if (strcasecmp(dom, qm->flush_sites.items[j]) == 0)
					found = true;
		}
	}
	queue_message_free(&msg);
	strbuf_free(&err);
	close(fd);
	return (found);
}

/* qmgr_scan_deferred - activate deferred files that are due or flushed */
void
qmgr_scan_deferred(struct qmgr *qm)
{
	struct strlist names;
	struct strbuf err, path;
	struct stat st;
	time_t	 now = time(NULL), earliest;
	bool	 due, stopped = false;

	earliest = now + qm->queue_run_delay;
	if (qmgr_room(qm) == 0) {
		qm->next_deferred = now + 1;
		return;
	}
	strlist_init(&names);
	strbuf_init(&err);
	strbuf_init(&path);
	if (queue_scan_dir(QUEUE_DEFERRED, true, QUEUE_SCAN_LIMIT, &names, NULL,
	    &err) < 0)
		msg_warn("%s", err.data);
	for (size_t i = 0; i < names.count; i++) {
		if (qmgr_room(qm) == 0) {
			stopped = true;
			break;
		}
		strbuf_reset(&path);
		strbuf_printf(&path, "%s/%s", QUEUE_DEFERRED, names.items[i]);
		if (lstat(path.data, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		due = qm->flush_all || st.st_mtime <= now ||
		    strlist_contains_ci(&qm->flush_ids, names.items[i]) ||
		    (qm->flush_sites.count > 0 &&
		    qmgr_site_match(qm, names.items[i]));
		if (due)
			(void)qmgr_message_activate(qm, QUEUE_DEFERRED,
			    names.items[i]);
		else if (st.st_mtime < earliest)
			earliest = st.st_mtime;
	}
	if (stopped) {
		/* resume when messages leave memory */
		qm->want_deferred = true;
		earliest = now + 1;
	} else {
		qm->want_deferred = false;
		qm->flush_all = false;
		strlist_free(&qm->flush_ids);
		strlist_free(&qm->flush_sites);
		strlist_init(&qm->flush_ids);
		strlist_init(&qm->flush_sites);
	}
	qm->next_deferred = earliest;
	strlist_free(&names);
	strbuf_free(&err);
	strbuf_free(&path);
}
