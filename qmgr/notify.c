/*
 * notify.c - who hears about an attempt (RFC 3461 NOTIFY), through the
 * bounce service (bounce(8), lib/mail/bounce_request.h; notice.c carries the
 * requests).
 *
 * Failed recipients are reported unless NOTIFY says otherwise (NEVER, or
 * a list without FAILURE); a failed recipient counts as finished only
 * once its report is queued or deliberately discarded, so a notice that
 * could not be queued keeps it in the queue for the next attempt.
 * Delivered recipients with NOTIFY=SUCCESS get a "delivered" report.
 * Recipients still deferred after delay_warning_time get one delay
 * warning per message (the defer log's warned flag) when NOTIFY asks for
 * DELAY or is unspecified; a bounce (null sender) gets none.
 *
 * The notices of one message go one after the other (failures, then
 * successes, then the delay warning, each in requests of at most
 * BOUNCE_RECIPIENT_MAX recipients), so that the bounce service never
 * works on one queue file twice at a time; qmgr's event loop goes on
 * meanwhile and the attempt is recorded (outcome.c) when the last reply
 * is in.  A failed address whose record has no other address left is
 * marked done by the bounce service itself once its notice is queued
 * (rcpt_mark), so a qmgr killed while it waits does not send it again;
 * so is a delivered one that asked for a success notice (its agent left
 * the mark to qmgr, so that the notice is not lost), so that a qmgr
 * killed then does not deliver it and report it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "queue_scan.h"

/* qmgr_notify_wants - does NOTIFY ask for this kind of report */
static bool
qmgr_notify_wants(int notify, int what)
{
	if (notify & DSN_NOTIFY_NEVER)
		return (false);
	if (notify == 0)
		return (what != DSN_NOTIFY_SUCCESS);
	return ((notify & what) != 0);
}

/* what one kind of notice is about */
struct notice_kind {
	int	 status;	/* of the addresses reported */
	int	 bit;		/* DSN_NOTIFY_* that asks for it */
};

static const struct notice_kind kinds[] = {
	[BOUNCE_FAILED] = { 5, DSN_NOTIFY_FAILURE },
	[BOUNCE_DELAYED] = { 4, DSN_NOTIFY_DELAY },
	[BOUNCE_DELIVERED] = { 2, DSN_NOTIFY_SUCCESS },
};

/* the order in which a message's notices go */
static const enum bounce_action order[] = {
	BOUNCE_FAILED, BOUNCE_DELIVERED, BOUNCE_DELAYED,
};

/* qmgr_notify_selected - does this notice report r */
static bool
qmgr_notify_selected(const struct qmgr_message *m, const struct qmgr_rcpt *r,
    enum bounce_action action)
{
	return (r->same_as < 0 && r->status == kinds[action].status &&
	    !(action == BOUNCE_FAILED && r->notified) && !r->sent_before &&
	    qmgr_notify_wants(m->msg.recipients[r->rec].notify,
	    kinds[action].bit));
}

/* qmgr_notify_delay_due - is a delay warning owed at this attempt */
static bool
qmgr_notify_delay_due(const struct qmgr *qm, const struct qmgr_message *m)
{
	return (qm->delay_warning > 0 && !m->defer.warned &&
	    m->msg.sender[0] != '\0' &&
	    m->notice_time - m->msg.arrival >= qm->delay_warning);
}

/*
 * qmgr_notify_marks - mark[i]: may the bounce service mark the R record
 * of address idx[i] done once its notice is queued (a failure, or a
 * delivery that asked for a success notice, which is why its agent did
 * not mark it)?  Only when the record became no address outside this
 * request (in_job == expansions): its outcome is then this notice's
 * alone (as agent.c's rcpt_mark).  The same answer when the reply comes: nothing it depends
 * on changes while the message waits.
 */
static void
qmgr_notify_marks(struct qmgr_message *m, const size_t *idx, size_t n,
    bool *mark)
{
	for (size_t i = 0; i < n; i++)
		m->recs[m->rcpts[idx[i]].rec].in_job++;
	for (size_t i = 0; i < n; i++) {
		size_t	 rec = m->rcpts[idx[i]].rec;

		mark[i] = m->recs[rec].in_job == m->recs[rec].expansions &&
		    !m->msg.recipients[rec].done;
	}
	for (size_t i = 0; i < n; i++)
		m->recs[m->rcpts[idx[i]].rec].in_job = 0;
}

/*
 * qmgr_notify_add_duplicates - after failed address r in idx[], the
 * records that are r's address again (two aliases of one mailbox, which
 * cleanup keeps apart by their originals and qmgr tries once): each
 * record cleanup expanded (one address) and not done is reported with
 * its own original recipient and marked with r's (as agent.c's
 * rcpt_also), so a qmgr killed before the reply does not fail and
 * report it again.  The new count.
 */
static size_t
qmgr_notify_add_duplicates(const struct qmgr_message *m,
    const struct qmgr_rcpt *r, size_t *idx, size_t n)
{
	for (long d = r->next_dup; d >= 0 && n < BOUNCE_RECIPIENT_MAX;
	    d = m->rcpts[d].next_dup) {
		const struct queue_recipient *qr =
		    &m->msg.recipients[m->rcpts[d].rec];

		if (qr->done || qr->original == NULL || m->rcpts[d].sent_before ||
		    m->recs[m->rcpts[d].rec].expansions != 1 ||
		    !qmgr_notify_wants(qr->notify, DSN_NOTIFY_FAILURE))
			continue;
		idx[n++] = (size_t)d;
	}
	return (n);
}

/*
 * qmgr_notify_request - the next request of this kind from m->notice_pos
 * on; false when no address is left for it
 */
static bool
qmgr_notify_request(struct qmgr *qm, struct qmgr_message *m,
    enum bounce_action action)
{
	struct bounce_request req;
	size_t	*idx = NULL, n = 0, i;
	bool	*mark;

	for (i = m->notice_pos; i < m->rcpt_count && n < BOUNCE_RECIPIENT_MAX;
	    i++) {
		if (!qmgr_notify_selected(m, &m->rcpts[i], action))
			continue;
		/* on demand: most messages finish owing no notice at all */
		if (idx == NULL)
			idx = xmalloc(BOUNCE_RECIPIENT_MAX * sizeof(*idx));
		idx[n++] = i;
		if (action == BOUNCE_FAILED)
			n = qmgr_notify_add_duplicates(m, &m->rcpts[i], idx, n);
	}
	m->notice_pos = i;
	if (n == 0) {
		free(idx);
		return (false);
	}
	bounce_request_init(&req);
	snprintf(req.queue_name, sizeof(req.queue_name), "%s", QUEUE_ACTIVE);
	snprintf(req.queue_id, sizeof(req.queue_id), "%s", m->id);
	req.action = action;
	req.last_attempt = m->notice_time;
	mark = xcalloc(n, sizeof(*mark));
	if (action != BOUNCE_DELAYED)
		qmgr_notify_marks(m, idx, n, mark);
	for (i = 0; i < n; i++) {
		const struct qmgr_rcpt *r = &m->rcpts[idx[i]];
		const struct qmgr_rcpt *first = r->same_as >= 0 ?
		    &m->rcpts[r->same_as] : r;

		bounce_request_add_rcpt(&req, r->address,
		    m->msg.recipients[r->rec].offset, first->dsn,
		    first->reason ? first->reason : "", mark[i]);
	}
	free(mark);
	qmgr_notice_send(qm, m, &req, idx, n);
	bounce_request_free(&req);
	return (true);
}

/*
 * qmgr_notify_next - send m's next notice; false when none is left (the
 * delay warning's flag is then settled)
 */
static bool
qmgr_notify_next(struct qmgr *qm, struct qmgr_message *m)
{
	enum bounce_action action;

	for (; m->notice_stage < sizeof(order) / sizeof(order[0]);
	    m->notice_stage++, m->notice_pos = 0) {
		action = order[m->notice_stage];
		if (action == BOUNCE_DELAYED && !qmgr_notify_delay_due(qm, m))
			continue;
		if (qmgr_notify_request(qm, m, action))
			return (true);
	}
	/* one delay warning per message: every part of it went out */
	if (m->delay_sent && !m->delay_failed)
		m->defer.warned = true;
	m->notifying = false;
	return (false);
}

/*
 * qmgr_notify_start - the attempt's outcomes are settled: begin its
 * notices.  true when replies are awaited (qmgr_message_finish is called
 * again when the last one is in), false when nothing is owed.
 */
bool
qmgr_notify_start(struct qmgr *qm, struct qmgr_message *m, time_t now)
{
	/* failures: NEVER or a NOTIFY without FAILURE means no report */
	for (size_t i = 0; i < m->rcpt_count; i++) {
		struct qmgr_rcpt *r = &m->rcpts[i];

		if (r->same_as < 0 && r->status == 5 &&
		    !qmgr_notify_wants(m->msg.recipients[r->rec].notify,
		    DSN_NOTIFY_FAILURE))
			r->notified = true;
	}
	m->notice_time = now;
	m->notice_stage = 0;
	m->notice_pos = 0;
	m->delay_sent = m->delay_failed = false;
	m->notifying = true;
	return (qmgr_notify_next(qm, m));
}

/* qmgr_notify_marked - the records the bounce service marked done */
static void
qmgr_notify_marked(struct qmgr_message *m, const size_t *idx, size_t n)
{
	bool	*mark = xcalloc(n, sizeof(*mark));

	qmgr_notify_marks(m, idx, n, mark);
	for (size_t i = 0; i < n; i++)
		if (mark[i])
			m->msg.recipients[m->rcpts[idx[i]].rec].done = true;
	free(mark);
}

/*
 * qmgr_notify_reply - the bounce service answered (reply) or could not
 * be asked (reply NULL, why says why) about the addresses idx[] of m
 */
void
qmgr_notify_reply(struct qmgr *qm, struct qmgr_message *m,
    enum bounce_action action, const size_t *idx, size_t count,
    const struct bounce_reply *reply, const char *why)
{
	bool	 done = reply != NULL &&
	    reply->status != BOUNCE_STATUS_TEMPFAIL;

	if (reply == NULL)
		msg_warn("%s: cannot send the %s notice: %s", m->id,
		    bounce_action_name(action), why);
	if (action == BOUNCE_FAILED && done)
		for (size_t i = 0; i < count; i++)
			m->rcpts[idx[i]].notified = true;
	/* what the bounce service marked done is on disk */
	if (action != BOUNCE_DELAYED && reply != NULL &&
	    reply->status == BOUNCE_STATUS_QUEUED && reply->marked)
		qmgr_notify_marked(m, idx, count);
	if (action == BOUNCE_DELAYED) {
		m->delay_sent = true;
		if (!done)
			m->delay_failed = true;
	}
	/* a lost success report is not retried */
	if (!qmgr_notify_next(qm, m))
		qmgr_message_finish(qm, m);
}
