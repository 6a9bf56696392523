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
 * qmgr_outcome_add_sent - the delivered addresses of the records still
 * pending (pending[rec], or not marked done when pending is NULL) go to
 * log's sent= lines, so that a later attempt does not deliver them again
 */
static void
qmgr_outcome_add_sent(const struct qmgr_message *m, const bool *pending,
    struct defer_log *log)
{
	for (size_t i = 0; i < m->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &m->rcpts[i];

		if ((pending != NULL ? pending[r->rec] :
		    !m->msg.recipients[r->rec].done) &&
		    qmgr_rcpt_outcome(m, r) == 2)
			defer_log_add_sent(log,
			    m->msg.recipients[r->rec].offset, r->address);
	}
}

/* qmgr_outcome_defer - write defer/ID, move to deferred/, set the mtime */
static void
qmgr_outcome_defer(struct qmgr *qm, struct qmgr_message *m, int fd,
    const bool *pending, time_t now)
{
	struct defer_log log;
	struct strbuf err, from, to;
	struct timespec times[2];
	long	 age, wait;
	time_t	 next;

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
	strbuf_init(&err);
	strbuf_init(&from);
	strbuf_init(&to);
	if (defer_log_write(m->id, &log, &err) < 0)
		msg_warn("%s: %s", m->id, err.data);
	defer_log_free(&log);

	age = (long)(now - m->msg.arrival);
	wait = age < qm->min_backoff ? qm->min_backoff :
	    age > qm->max_backoff ? qm->max_backoff : age;
	next = now + wait;
	times[0].tv_sec = now;
	times[0].tv_nsec = 0;
	times[1].tv_sec = next;
	times[1].tv_nsec = 0;
	if (futimens(fd, times) < 0)
		msg_warn("%s: set next attempt time: %s", m->id, strerror(errno));
	strbuf_printf(&from, "%s/%s", QUEUE_ACTIVE, m->id);
	strbuf_printf(&to, "%s/%s", QUEUE_DEFERRED, m->id);
	if (rename(from.data, to.data) < 0)
		msg_warn("%s: rename to %s: %s", m->id, to.data, strerror(errno));
	if (next < qm->next_deferred)
		qm->next_deferred = next;
	strbuf_free(&err);
	strbuf_free(&from);
	strbuf_free(&to);
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
	if (defer_log_append(m->id, &m->defer, notes, &err) < 0)
		msg_warn("%s: %s", m->id, err.data);
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
			msg_warn("%s: %s", qm->unsynced.items[i], err.data);
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
	struct stat st;
	bool	 marked = false, ours = true;
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
			if (fd < 0)
				return;
			if (st.st_dev != m->dev || st.st_ino != m->ino) {
				ours = false;	/* finish decides */
				break;
			}
		}
		if (queue_file_mark_done(fd, m->msg.recipients[rec].offset) == 0)
			marked = m->msg.recipients[rec].done = true;
	}
	/* one flush for all of this job's marks */
	if (marked && fdatasync(fd) < 0)
		msg_warn("%s: fsync: %s", m->id, strerror(errno));
	if (fd >= 0)
		close(fd);
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
 * file is kept for a later attempt, with one flush for all of them.
 * A failed mark leaves the record pending (re-offered later).
 */
static void
qmgr_outcome_mark_done(struct qmgr_message *m, int fd, bool *pending)
{
	bool	 marked = false;

	for (size_t i = 0; i < m->msg.recipient_count; i++) {
		const struct queue_recipient *qr = &m->msg.recipients[i];

		if (qr->done || pending[i])
			continue;
		if (queue_file_mark_done(fd, qr->offset) < 0) {
			msg_warn("%s: mark recipient <%s> done: %s", m->id,
			    qr->address, strerror(errno));
			pending[i] = true;
		} else
			marked = true;
	}
	if (marked && fdatasync(fd) < 0)
		msg_warn("%s: fsync: %s", m->id, strerror(errno));
}

/* qmgr_message_finish - record the attempt, then forget the message */
void
qmgr_message_finish(struct qmgr *qm, struct qmgr_message *m)
{
	struct stat st;
	struct strbuf path;
	time_t	 now = time(NULL);
	bool	*pending, any = false;
	int	 fd;

	fd = queue_scan_open(QUEUE_ACTIVE, m->id, O_RDWR, &st);
	if (fd < 0 || st.st_dev != m->dev || st.st_ino != m->ino) {
		/* removed, held or requeued under us: not ours any more */
		msg_debug("%s: left %s/ during delivery", m->id, QUEUE_ACTIVE);
		if (fd >= 0)
			close(fd);
		/* deleted outright: its defer log has no message any more */
		if (queue_scan_find(queue_scan_all, m->id) == NULL)
			defer_log_remove(m->id);
		qmgr_message_free(qm, m);
		return;
	}
	qmgr_outcome_settle(qm, m, now);
	qmgr_notify(qm, m, fd, now);
	qmgr_outcome_copy_dups(m);

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
		qmgr_outcome_mark_done(m, fd, pending);
		qmgr_outcome_defer(qm, m, fd, pending, now);
	} else {
		/*
		 * Nothing left: the file goes as a whole, without marking
		 * each R record first.  A crash before this point re-offers
		 * the message, exactly as it would between the marks.
		 */
		strbuf_init(&path);
		strbuf_printf(&path, "%s/%s", QUEUE_ACTIVE, m->id);
		if (queue_recycle_put(QUEUE_RECYCLE, path.data, fd) < 0 &&
		    errno != ENOENT)
			msg_warn("%s: remove: %s", m->id, strerror(errno));
		defer_log_remove(m->id);
		msg_info("%s: removed", m->id);
		strbuf_free(&path);
	}
	free(pending);
	close(fd);
	qmgr_message_free(qm, m);
}
