/*
 * outcome.c - the end of one delivery attempt of a message.
 *
 * When a message has no job left, its outcomes go to disk: recipients
 * that were delivered, or failed and were reported to the sender, are
 * marked done in the queue file (one byte each, fsync'ed); if anything
 * is left, defer/ID records why (and which addresses of a pending record
 * were delivered already) and the file moves to deferred/ with its
 * modification time set to the next attempt:
 *	next = now + clamp(now - arrival, minimal_backoff_time,
 *	    maximal_backoff_time)
 * which doubles the wait with every attempt.  A message older than
 * maximal_queue_lifetime (bounce_queue_lifetime for a bounce) turns its
 * deferred recipients into failures.  A file that left active/ while it
 * was being delivered (sluice-super -d, -h, -r) is forgotten quietly.
 *
 * Nothing counts as done before it is on disk.  A mark whose write or
 * flush fails leaves its record pending (its delivered addresses go to
 * defer/ID instead); a defer/ID, mtime or rename that cannot be written,
 * or a finished file that cannot be removed, leaves the whole message in
 * active/ and in memory, and the writes are retried later (stall.c): the
 * file never reaches deferred/ without the sent= lines that keep the
 * next attempt from delivering those addresses again.  The one exception
 * is a defer/ID whose new content the next attempt does not need (no
 * sent= line or warned flag that is not on disk already): the file goes
 * to deferred/ with the old one, so that a full disk does not hold
 * every deferred message in active/, out of reach of the deliveries
 * that would free space.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "queue_recycle.h"
#include "queue_scan.h"

/* qmgr_rcpt_set - record one recipient's outcome */
void
qmgr_rcpt_set(struct qmgr_rcpt *r, int status, const char *dsn,
    const char *reason)
{
	r->status = status;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn && *dsn ? dsn :
	    status == 2 ? "2.0.0" : status == 5 ? "5.0.0" : "4.0.0");
	free(r->reason);
	r->reason = xstrdup(reason ? reason : "");
}

/* qmgr_outcome_settle - copy duplicates, expire, fill the gaps */
static void
qmgr_outcome_settle(struct qmgr *qm, struct qmgr_message *m, time_t now)
{
	long	 lifetime;
	bool	 expired;

	lifetime = m->msg.sender[0] == '\0' ? qm->bounce_lifetime : qm->lifetime;
	expired = now - m->msg.arrival >= lifetime;
	for (size_t i = 0; i < m->rcpt_count; i++) {
		struct qmgr_rcpt *r = &m->rcpts[i];

		if (r->same_as >= 0)
			continue;
		if (r->status == 0)
			qmgr_rcpt_set(r, 4, "4.3.0", "delivery not attempted");
		if (r->status == 4 && expired) {
			qmgr_log_rcpt(m, r, "expired, returned to sender");
			r->dsn[0] = '5';
			r->status = 5;
		}
	}
}

/* qmgr_outcome_copy_dups - duplicates share their first address's fate */
static void
qmgr_outcome_copy_dups(struct qmgr_message *m)
{
	for (size_t i = 0; i < m->rcpt_count; i++) {
		struct qmgr_rcpt *r = &m->rcpts[i];
		const struct qmgr_rcpt *p;

		if (r->same_as < 0)
			continue;
		p = &m->rcpts[r->same_as];
		qmgr_rcpt_set(r, p->status, p->dsn, p->reason);
		r->notified = p->notified;
	}
}

/* qmgr_rcpt_finished - nothing more to do for this address */
static bool
qmgr_rcpt_finished(const struct qmgr_rcpt *r)
{
	return (r->status == 2 || (r->status == 5 && r->notified));
}

/* qmgr_rcpt_outcome - an address's status, a duplicate's from its first */
static int
qmgr_rcpt_outcome(const struct qmgr_message *m, const struct qmgr_rcpt *r)
{
	return (r->same_as >= 0 ? m->rcpts[r->same_as].status : r->status);
}

/*
 * qmgr_outcome_add_sent - the finished addresses of the records still
 * pending (pending[rec], or not marked done when pending is NULL) go to
 * log's sent= lines, so that a later attempt does not deliver them again:
 * the delivered ones, and the failed ones whose notice is queued (their
 * record is pending for another address, or because its mark failed;
 * tried again, they would be bounced again)
 */
static void
qmgr_outcome_add_sent(const struct qmgr_message *m, const bool *pending,
    struct defer_log *log)
{
	for (size_t i = 0; i < m->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &m->rcpts[i];

		if ((pending != NULL ? pending[r->rec] :
		    !m->msg.recipients[r->rec].done) &&
		    (qmgr_rcpt_outcome(m, r) == 2 ||
		    (r->status == 5 && r->notified)))
			defer_log_add_sent(log,
			    m->msg.recipients[r->rec].offset, r->address);
	}
}

/*
 * qmgr_outcome_log_optional - the defer/ID on disk already holds all
 * that the next attempt needs of log: its sent= lines (an address
 * delivered but not marked done would be delivered again) and its
 * warned flag (a delay warning would be sent again).  Then a log that
 * cannot be written costs only its reasons, which stay those of the
 * previous attempt: the message may still go to deferred/ and be tried
 * again, which is what frees space when the disk is full (a message
 * held in active/ until its deferral is written would wait for space
 * that only deliveries give back).
 */
static bool
qmgr_outcome_log_optional(const struct qmgr_message *m,
    const struct defer_log *log)
{
	if (log->warned != m->warned_on_disk)
		return (false);
	for (size_t i = 0; i < log->sent_count; i++)
		if (!defer_log_was_sent(&m->defer, log->sent[i].offset,
		    log->sent[i].address))
			return (false);
	return (true);
}

/*
 * qmgr_outcome_defer - write defer/ID, set the mtime, move to deferred/;
 * in that order, so that the file is never in deferred/ without its
 * sent= lines (the next attempt would deliver those addresses again) nor
 * with the mtime of an attempt long past (it would be due at once, over
 * and over).  0, or -1 + err with the file still in active/.
 */
static int
qmgr_outcome_defer(struct qmgr *qm, struct qmgr_message *m, int fd,
    const bool *pending, time_t now, struct strbuf *err)
{
	struct defer_log log;
	struct strbuf from, to;
	struct timespec times[2];
	long	 age, wait;
	time_t	 next;
	int	 rc = -1;

	defer_log_init(&log);
	log.warned = m->defer.warned;
	for (size_t i = 0; i < m->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &m->rcpts[i];

		if (pending[r->rec] && !qmgr_rcpt_finished(r) &&
		    defer_log_find(&log, m->msg.recipients[r->rec].offset) == NULL)
			defer_log_set(&log, m->msg.recipients[r->rec].offset,
			    r->dsn, r->reason);
	}
	qmgr_outcome_add_sent(m, pending, &log);
	strbuf_init(&from);
	strbuf_init(&to);
	if (defer_log_write(m->id, &log, err) < 0) {
		if (!qmgr_outcome_log_optional(m, &log))
			goto out;
		msg_warn("%s: %s; deferred with the reasons of its "
		    "previous attempt", m->id, err->data);
		strbuf_reset(err);
	}

	age = (long)(now - m->msg.arrival);
	wait = age < qm->min_backoff ? qm->min_backoff :
	    age > qm->max_backoff ? qm->max_backoff : age;
	/* flushed while its writes failed: due at once, as in deferred/ */
	next = m->flushed ? now : now + wait;
	times[0].tv_sec = now;
	times[0].tv_nsec = 0;
	times[1].tv_sec = next;
	times[1].tv_nsec = 0;
	if (futimens(fd, times) < 0) {
		strbuf_printf(err, "set the next attempt time of %s/%s: %s",
		    QUEUE_ACTIVE, m->id, strerror(errno));
		goto out;
	}
	strbuf_printf(&from, "%s/%s", QUEUE_ACTIVE, m->id);
	strbuf_printf(&to, "%s/%s", QUEUE_DEFERRED, m->id);
	if (rename(from.data, to.data) < 0) {
		if (errno != ENOENT) {
			strbuf_printf(err, "rename %s to %s: %s", from.data,
			    to.data, strerror(errno));
			goto out;
		}
		/* removed or moved under us: not ours to keep any more */
		if (queue_scan_absent(queue_scan_all, m->id))
			defer_log_remove(m->id);
	}
	if (next < qm->next_deferred)
		qm->next_deferred = next;
	rc = 0;
out:
	defer_log_free(&log);
	strbuf_free(&from);
	strbuf_free(&to);
	return (rc);
}

/*
 * qmgr_outcome_note - r (delivered, or the duplicate of a delivered
 * address) into notes, when its record is still pending: the sent= line
 * that keeps a later attempt from delivering it again
 */
void
qmgr_outcome_note(struct qmgr_message *m, const struct qmgr_rcpt *r,
    struct defer_log *notes)
{
	const struct queue_recipient *qr = &m->msg.recipients[r->rec];

	if (!qr->done)
		defer_log_add_sent(notes, qr->offset, r->address);
}

/*
 * qmgr_outcome_append - notes go to defer/ID at once (appended: a qmgr
 * killed later in the attempt does not deliver them again), and the
 * file is flushed with the others of this turn (qmgr_outcome_sync)
 */
void
qmgr_outcome_append(struct qmgr *qm, struct qmgr_message *m,
    const struct defer_log *notes)
{
	struct strbuf err;

	if (notes->sent_count == 0)
		return;
	strbuf_init(&err);
	/* not fatal: the end of the attempt writes them all again */
	if (defer_log_append(m->id, &m->defer, notes, &err) < 0)
		qmgr_write_trouble(qm, m->id, err.data);
	strbuf_free(&err);
	if (m->sync_turn != qm->sync_turn + 1) {
		m->sync_turn = qm->sync_turn + 1;
		strlist_add(&qm->unsynced, m->id);
	}
}

/*
 * qmgr_outcome_sync - one flush per defer/ID that got notes in this turn
 * of the event loop (a batch of agent replies), not one per reply
 */
void
qmgr_outcome_sync(struct qmgr *qm)
{
	struct strbuf err;

	if (qm->unsynced.count == 0)
		return;
	strbuf_init(&err);
	for (size_t i = 0; i < qm->unsynced.count; i++) {
		strbuf_reset(&err);
		if (defer_log_sync(qm->unsynced.items[i], &err) < 0)
			qmgr_write_trouble(qm, qm->unsynced.items[i], err.data);
	}
	strbuf_free(&err);
	strlist_free(&qm->unsynced);
	strlist_init(&qm->unsynced);
	qm->sync_turn++;
}

/* qmgr_outcome_delivered - r got status 2: its records count one less */
static void
qmgr_outcome_delivered(struct qmgr_message *m, const struct qmgr_rcpt *r)
{
	m->recs[r->rec].undone--;
	for (long d = r->next_dup; d >= 0; d = m->rcpts[d].next_dup)
		m->recs[m->rcpts[d].rec].undone--;
}

/*
 * qmgr_outcome_job - mark delivered R records done as soon as a job's
 * reply says so, not only at the end of the message: a qmgr killed
 * between jobs then re-offers as little as possible.  A record that
 * became addresses in other jobs too cannot be marked yet: its delivered
 * addresses (and their duplicates in other pending records) are appended
 * to the defer log instead.  Each record counts its addresses not yet
 * delivered, so this costs the job's addresses, not the message's.  The
 * message's last job leaves this to qmgr_message_finish, which does it
 * right away (and not at all when the whole file goes).
 */
void
qmgr_outcome_job(struct qmgr *qm, struct qmgr_job *job)
{
	struct qmgr_message *m = job->msg;
	struct defer_log notes;
	struct strbuf why;
	struct stat st;
	size_t	*marked = NULL, nmarked = 0;
	bool	 ours = true;
	int	 fd = -1;

	if (m->jobs <= 1)
		return;
	for (size_t j = 0; j < job->count; j++)
		if (m->rcpts[job->idx[j]].status == 2)
			qmgr_outcome_delivered(m, &m->rcpts[job->idx[j]]);
	for (size_t j = 0; j < job->count && ours; j++) {
		size_t	 rec = m->rcpts[job->idx[j]].rec;

		if (m->msg.recipients[rec].done || m->recs[rec].undone > 0)
			continue;
		if (fd < 0) {
			fd = queue_scan_open(QUEUE_ACTIVE, m->id, O_RDWR, &st);
			/* gone, or not now: the notes below, finish decides */
			if (fd < 0)
				break;
			if (st.st_dev != m->dev || st.st_ino != m->ino) {
				ours = false;	/* finish decides */
				break;
			}
			marked = xcalloc(job->count, sizeof(*marked));
		}
		if (queue_file_mark_done(fd, m->msg.recipients[rec].offset) == 0) {
			m->msg.recipients[rec].done = true;
			marked[nmarked++] = rec;
		}
	}
	/*
	 * One flush for all of this job's marks.  A mark that may not be on
	 * disk does not count: the record is pending again, its addresses
	 * go to the defer log below and the end of the attempt marks it.
	 */
	if (nmarked > 0 && fdatasync(fd) < 0) {
		strbuf_init(&why);
		strbuf_printf(&why, "fsync %s/%s: %s", QUEUE_ACTIVE, m->id,
		    strerror(errno));
		qmgr_write_trouble(qm, m->id, why.data);
		strbuf_free(&why);
		for (size_t i = 0; i < nmarked; i++)
			m->msg.recipients[marked[i]].done = false;
	}
	if (fd >= 0) {
		free(marked);
		close(fd);
	}
	defer_log_init(&notes);
	for (size_t j = 0; j < job->count; j++) {
		const struct qmgr_rcpt *r = &m->rcpts[job->idx[j]];

		if (r->status != 2)
			continue;
		qmgr_outcome_note(m, r, &notes);
		for (long d = r->next_dup; d >= 0; d = m->rcpts[d].next_dup)
			qmgr_outcome_note(m, &m->rcpts[d], &notes);
	}
	qmgr_outcome_append(qm, m, &notes);
	defer_log_free(&notes);
}

/*
 * qmgr_outcome_mark_done - flip every finished R record to D before the
 * file is kept for a later attempt, with one flush for all of them.  A
 * mark that fails, or whose flush fails, leaves its record pending: the
 * delivered addresses of a pending record go to the defer log as sent=
 * lines, so the next attempt skips them without the mark.
 */
static void
qmgr_outcome_mark_done(struct qmgr *qm, struct qmgr_message *m, int fd,
    bool *pending)
{
	struct strbuf why;
	size_t	*marked, nmarked = 0;

	marked = xcalloc(m->msg.recipient_count + 1, sizeof(*marked));
	strbuf_init(&why);
	for (size_t i = 0; i < m->msg.recipient_count; i++) {
		const struct queue_recipient *qr = &m->msg.recipients[i];

		if (qr->done || pending[i])
			continue;
		if (queue_file_mark_done(fd, qr->offset) < 0) {
			strbuf_reset(&why);
			strbuf_printf(&why, "mark recipient <%s> done: %s",
			    qr->address, strerror(errno));
			qmgr_write_trouble(qm, m->id, why.data);
			pending[i] = true;
		} else
			marked[nmarked++] = i;
	}
	if (nmarked > 0 && fdatasync(fd) < 0) {
		strbuf_reset(&why);
		strbuf_printf(&why, "fsync %s/%s: %s", QUEUE_ACTIVE, m->id,
		    strerror(errno));
		qmgr_write_trouble(qm, m->id, why.data);
		for (size_t i = 0; i < nmarked; i++)
			pending[marked[i]] = true;
	}
	strbuf_free(&why);
	free(marked);
}

/*
 * qmgr_outcome_record - put the attempt on disk: marks, defer/ID and the
 * move to deferred/ when something is left, else the removal of the
 * file.  0; or -1 + err when a write failed, and then nothing counts as
 * done: the file stays in active/ and the caller tries again later
 * (stall.c).  Doing it again is harmless: marks are idempotent, defer/ID
 * is replaced whole.
 */
int
qmgr_outcome_record(struct qmgr *qm, struct qmgr_message *m, int fd,
    time_t now, struct strbuf *err)
{
	struct strbuf path;
	bool	*pending, any = false;
	int	 rc = 0;

	/* an R record is done when every address it became is finished */
	pending = xcalloc(m->msg.recipient_count + 1, sizeof(*pending));
	for (size_t i = 0; i < m->rcpt_count; i++)
		if (!qmgr_rcpt_finished(&m->rcpts[i]) &&
		    !m->msg.recipients[m->rcpts[i].rec].done)
			pending[m->rcpts[i].rec] = true;
	for (size_t i = 0; i < m->msg.recipient_count; i++)
		if (pending[i])
			any = true;
	if (any) {
		qmgr_outcome_mark_done(qm, m, fd, pending);
		rc = qmgr_outcome_defer(qm, m, fd, pending, now, err);
	} else {
		/*
		 * Nothing left: the file goes as a whole, without marking
		 * each R record first.  A crash before this point re-offers
		 * the message, exactly as it would between the marks.
		 */
		strbuf_init(&path);
		strbuf_printf(&path, "%s/%s", QUEUE_ACTIVE, m->id);
		if (queue_recycle_put(QUEUE_RECYCLE, path.data, fd) < 0 &&
		    errno != ENOENT) {
			strbuf_printf(err, "remove %s: %s", path.data,
			    strerror(errno));
			rc = -1;
		} else {
			defer_log_remove(m->id);
			msg_info("%s: removed", m->id);
		}
		strbuf_free(&path);
	}
	free(pending);
	return (rc);
}

/*
 * qmgr_message_finish - record the attempt, then forget the message.
 * The outcomes are decided once (expiry, then the notices, whose replies
 * call this again); when recording them fails the message stays
 * (stall.c) and a later call only records.
 */
void
qmgr_message_finish(struct qmgr *qm, struct qmgr_message *m)
{
	struct stat st;
	struct strbuf err;
	time_t	 now = time(NULL);
	int	 fd;

	if (m->notifying)
		return;		/* a notice's reply calls again */

	fd = queue_scan_open(QUEUE_ACTIVE, m->id, O_RDWR, &st);
	if (fd < 0 && errno != ENOENT && errno != EINVAL && errno != ELOOP) {
		/* EIO, EMFILE, ...: still there, for all we know */
		strbuf_init(&err);
		strbuf_printf(&err, "open %s/%s: %s", QUEUE_ACTIVE, m->id,
		    strerror(errno));
		qmgr_stall(qm, m, err.data);
		strbuf_free(&err);
		return;
	}
	if (fd < 0 || st.st_dev != m->dev || st.st_ino != m->ino) {
		/* removed, held or requeued under us: not ours any more */
		msg_debug("%s: left %s/ during delivery", m->id, QUEUE_ACTIVE);
		if (fd >= 0)
			close(fd);
		/* deleted outright: its defer log has no message any more */
		if (queue_scan_absent(queue_scan_all, m->id))
			defer_log_remove(m->id);
		qmgr_message_free(qm, m);
		return;
	}
	if (!m->decided) {
		/* the notices go first; their last reply brings us back */
		if (!m->notices_begun) {
			qmgr_outcome_settle(qm, m, now);
			m->notices_begun = true;
			if (qmgr_notify_start(qm, m, now)) {
				close(fd);
				return;
			}
		}
		qmgr_outcome_copy_dups(m);
		m->decided = true;
	}
	strbuf_init(&err);
	if (qmgr_outcome_record(qm, m, fd, now, &err) < 0) {
		close(fd);
		qmgr_stall(qm, m, err.data);
		strbuf_free(&err);
		return;
	}
	strbuf_free(&err);
	close(fd);
	qmgr_stall_recorded(qm, m);
	qmgr_message_free(qm, m);
}
