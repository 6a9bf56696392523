/*
 * notify.c - who hears about an attempt (RFC 3461 NOTIFY), through
 * lib/mail/bounce.h.
 *
 * Failed recipients are reported unless NOTIFY says otherwise (NEVER, or
 * a list without FAILURE); a failed recipient counts as finished only
 * once its report is queued or deliberately discarded, so a failing
 * bounce_send keeps it in the queue for the next attempt.  Delivered
 * recipients with NOTIFY=SUCCESS get a "delivered" report.  Recipients
 * still deferred after delay_warning_time get one delay warning per
 * message (the defer log's warned flag) when NOTIFY asks for DELAY or is
 * unspecified; a bounce (null sender) gets none.
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"

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

/* qmgr_notify_fill - one bounce_rcpt from one address */
static void
qmgr_notify_fill(const struct qmgr_message *m, const struct qmgr_rcpt *r,
    struct bounce_rcpt *b, time_t now)
{
	const struct queue_recipient *qr = &m->msg.recipients[r->rec];

	b->final_recipient = r->address;
	b->original_recipient = queue_recipient_original(qr);
	b->orcpt = qr->orcpt ? qr->orcpt : "";
	b->status = r->dsn;
	b->diagnostic = r->reason ? r->reason : "";
	b->last_attempt = now;
}

/*
 * qmgr_notify_send - one report about the addresses with status and the
 * NOTIFY bit; returns BOUNCE_* or 1 + BOUNCE_DISCARDED when nobody
 * qualified.  sel[] says which addresses were included.
 */
static int
qmgr_notify_send(struct qmgr *qm, struct qmgr_message *m, int fd, time_t now,
    enum bounce_action action, int status, int bit, bool *sel)
{
	static const char *const what[] = {
		[BOUNCE_FAILED] = "non-delivery notification",
		[BOUNCE_DELAYED] = "delay notification",
		[BOUNCE_DELIVERED] = "delivery status notification",
	};
	struct bounce_rcpt *list;
	struct strbuf err;
	char	 bounce_id[QUEUE_ID_SIZE];
	size_t	 n = 0;
	int	 rc;

	list = xcalloc(m->rcpt_count + 1, sizeof(*list));
	for (size_t i = 0; i < m->rcpt_count; i++) {
		const struct qmgr_rcpt *r = &m->rcpts[i];

		sel[i] = false;
		if (r->same_as >= 0 || r->status != status ||
		    (status == 5 && r->notified) || r->sent_before ||
		    !qmgr_notify_wants(m->msg.recipients[r->rec].notify, bit))
			continue;
		sel[i] = true;
		qmgr_notify_fill(m, r, &list[n++], now);
	}
	if (n == 0) {
		free(list);
		return (BOUNCE_DISCARDED + 1);
	}
	strbuf_init(&err);
	bounce_id[0] = '\0';
	rc = bounce_send(qm->cfg, fd, &m->msg, action, list, n, bounce_id, &err);
	if (rc == BOUNCE_QUEUED)
		msg_info("%s: sender %s: %s", m->id, what[action], bounce_id);
	else if (rc == BOUNCE_ERROR)
		msg_warn("%s: cannot send the %s: %s", m->id, what[action],
		    err.len ? err.data : "unknown error");
	strbuf_free(&err);
	free(list);
	return (rc);
}

/* qmgr_notify - failure, success and delay reports of one attempt */
void
qmgr_notify(struct qmgr *qm, struct qmgr_message *m, int fd, time_t now)
{
	bool	*sel;
	int	 rc;

	sel = xcalloc(m->rcpt_count + 1, sizeof(*sel));

	/* failures: NEVER or a NOTIFY without FAILURE means no report */
	for (size_t i = 0; i < m->rcpt_count; i++) {
		struct qmgr_rcpt *r = &m->rcpts[i];

		if (r->same_as < 0 && r->status == 5 &&
		    !qmgr_notify_wants(m->msg.recipients[r->rec].notify,
		    DSN_NOTIFY_FAILURE))
			r->notified = true;
	}
	rc = qmgr_notify_send(qm, m, fd, now, BOUNCE_FAILED, 5,
	    DSN_NOTIFY_FAILURE, sel);
	if (rc == BOUNCE_QUEUED || rc == BOUNCE_DISCARDED)
		for (size_t i = 0; i < m->rcpt_count; i++)
			if (sel[i])
				m->rcpts[i].notified = true;

	/* successes, only when asked for; a lost report is not retried */
	(void)qmgr_notify_send(qm, m, fd, now, BOUNCE_DELIVERED, 2,
	    DSN_NOTIFY_SUCCESS, sel);

	/* one delay warning per message */
	if (qm->delay_warning > 0 && !m->defer.warned &&
	    m->msg.sender[0] != '\0' &&
	    now - m->msg.arrival >= qm->delay_warning) {
		rc = qmgr_notify_send(qm, m, fd, now, BOUNCE_DELAYED, 4,
		    DSN_NOTIFY_DELAY, sel);
		if (rc == BOUNCE_QUEUED || rc == BOUNCE_DISCARDED)
			m->defer.warned = true;
	}
	free(sel);
}
