/*
 * stall.c - delivery attempts that could not be recorded on disk.
 *
 * At the end of an attempt outcome.c writes what happened: done marks,
 * defer/ID, the move to deferred/ with the next attempt's time, or the
 * removal of a finished file.  When the queue file system refuses one of
 * these writes (ENOSPC, EDQUOT, EIO, ...), nothing of the attempt may be
 * taken as done: the message stays in active/ and in memory, with what
 * the attempt learned (which addresses were delivered, which bounces are
 * queued), and the writes are tried again, after 1 second, then twice as
 * long each time up to QMGR_STALL_MAX, so that a full disk costs a few
 * system calls a minute per message rather than a busy loop.  As soon as
 * one message gets recorded, the others are tried at once: space is back.
 * Stalled messages keep their place in qmgr_message_active_limit, so a
 * full disk does not pull the whole queue into memory; cleanup's
 * queue_minfree reserve is what leaves qmgr room for its few small
 * writes.
 *
 * A flush request (sluice-queue -f, -i ID) reaches stalled messages too:
 * their writes are tried at once, and the attempt they record is due
 * again right away, as it would be in deferred/.
 *
 * Logging is per episode: the first failed write says what happened and
 * that qmgr keeps retrying, each further message held back gets one line,
 * retries that fail again are quiet, and the end of the episode (every
 * attempt recorded) is one line again.
 */
#include <stdlib.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "queue_scan.h"

/* qmgr_write_trouble - a queue write failed: warn once per episode */
void
qmgr_write_trouble(struct qmgr *qm, const char *id, const char *why)
{
	if (qm->write_trouble) {
		msg_debug("%s: %s", id, why);
		return;
	}
	qm->write_trouble = true;
	msg_warn("%s: %s; queue writes are failing: what delivery attempts "
	    "cannot record stays in %s/ and is retried", id, why, QUEUE_ACTIVE);
}

/* qmgr_stall_earliest - qm->next_stall from the list */
static void
qmgr_stall_earliest(struct qmgr *qm)
{
	qm->next_stall = 0;
	for (const struct qmgr_message *m = qm->stalled; m; m = m->stall_next)
		if (qm->next_stall == 0 || m->retry_at < qm->next_stall)
			qm->next_stall = m->retry_at;
}

/*
 * qmgr_stall - m's attempt could not be recorded (why): keep it in
 * memory and in active/, and try again later, less often each time
 */
void
qmgr_stall(struct qmgr *qm, struct qmgr_message *m, const char *why)
{
	time_t	 now = time(NULL);
	bool	 first = !qm->write_trouble;

	if (!m->stalled) {
		m->stalled = true;
		m->stall_prev = NULL;
		m->stall_next = qm->stalled;
		if (qm->stalled != NULL)
			qm->stalled->stall_prev = m;
		qm->stalled = m;
		m->retry_wait = QMGR_STALL_FIRST;
		qmgr_write_trouble(qm, m->id, why);
		if (!first)
			msg_info("%s: delivery attempt not recorded (%s); "
			    "kept in %s/ and retried", m->id, why,
			    QUEUE_ACTIVE);
	} else {
		msg_debug("%s: still not recorded: %s", m->id, why);
		m->retry_wait = m->retry_wait * 2 > QMGR_STALL_MAX ?
		    QMGR_STALL_MAX : m->retry_wait * 2;
	}
	m->retry_at = now + m->retry_wait;
	if (qm->next_stall == 0 || m->retry_at < qm->next_stall)
		qm->next_stall = m->retry_at;
}

/*
 * qmgr_stall_remove - take m off the list (recorded, or being freed);
 * qm->next_stall may stay earlier than needed: that costs one idle pass
 */
void
qmgr_stall_remove(struct qmgr *qm, struct qmgr_message *m)
{
	if (!m->stalled)
		return;
	if (m->stall_prev != NULL)
		m->stall_prev->stall_next = m->stall_next;
	else
		qm->stalled = m->stall_next;
	if (m->stall_next != NULL)
		m->stall_next->stall_prev = m->stall_prev;
	m->stall_next = m->stall_prev = NULL;
	m->stalled = false;
}

/*
 * qmgr_stall_recorded - m's attempt is on disk.  When m was stalled,
 * whatever failed works again: the others are tried at once (not when an
 * ordinary attempt went through: a removal needs no space, and would
 * only make the stalled ones fail again).  The episode ends when none is
 * left.
 */
void
qmgr_stall_recorded(struct qmgr *qm, struct qmgr_message *m)
{
	if (m->stalled) {
		msg_info("%s: delivery attempt recorded", m->id);
		qmgr_stall_remove(qm, m);
		qm->stall_kick = true;
		qm->next_stall = time(NULL);
	}
	if (qm->stalled == NULL && qm->write_trouble) {
		qm->write_trouble = false;
		msg_info("queue writes work again: every delivery attempt "
		    "is recorded");
	}
}

/* qmgr_stall_retry - try again to record the attempts that are due */
void
qmgr_stall_retry(struct qmgr *qm, time_t now)
{
	struct qmgr_message *m, **list;
	size_t	 due = 0, i = 0;
	bool	 all = qm->stall_kick;

	if (qm->stalled == NULL || now < qm->next_stall)
		return;
	qm->stall_kick = false;
	/* finish() may free any of them: collect the due ones first */
	for (m = qm->stalled; m != NULL; m = m->stall_next)
		if (all || m->retry_at <= now)
			due++;
	list = xcalloc(due + 1, sizeof(*list));
	for (m = qm->stalled; m != NULL; m = m->stall_next)
		if (all || m->retry_at <= now)
			list[i++] = m;
	for (i = 0; i < due; i++)
		qmgr_message_finish(qm, list[i]);
	free(list);
	/* what this pass recorded kicks only those it did not try */
	if (all)
		qm->stall_kick = false;
	qmgr_stall_earliest(qm);
	if (qm->stall_kick && qm->stalled != NULL)
		qm->next_stall = now;
}

/*
 * qmgr_stall_flush - a flush request for id (NULL: all): the stalled
 * message(s) are tried at once and due again as soon as recorded
 */
void
qmgr_stall_flush(struct qmgr *qm, const char *id)
{
	for (struct qmgr_message *m = qm->stalled; m; m = m->stall_next) {
		if (id != NULL && strcasecmp(id, m->id) != 0)
			continue;
		m->flushed = true;
		m->retry_at = time(NULL);
		qm->next_stall = m->retry_at;
	}
}
