/*
 * notice.h - delivery status notifications (RFC 3464): the bounce
 * service's notice builder (notice.c, notice_text.c).
 *
 * bounce_send() builds a multipart/report; report-type=delivery-status
 * message about some recipients of a queued message and queues it through
 * cleanup (lib/mail/cleanup_client.h), like any other mail.  The notification
 * goes to the original sender from the null sender <>; if the original
 * sender was already <> (a bounce), the notice goes to
 * 2bounce_notice_recipient instead, from double_bounce_sender@myhostname,
 * if notify_classes has 2bounce or bounce (else BOUNCE_DISCARDED);
 * a message from double_bounce_sender itself is never notified about
 * (bounce_send returns BOUNCE_DISCARDED).  With postmaster set, the
 * notice is the postmaster's copy of a non-delivery (delay) notice, with
 * the original's headers only, to bounce_notice_recipient
 * (delay_notice_recipient), sent only when notify_classes has bounce
 * (delay) and the original had a sender of its own.  The caller decides who is
 * notified (NOTIFY, RFC 3461); this module only writes and queues.
 *
 * Parts: 1 text/plain for people (what happened, the reasons); 2
 * message/delivery-status (Reporting-MTA, X-Sluice-Queue-ID,
 * Original-Envelope-Id, Arrival-Date; per recipient Final-Recipient,
 * Original-Recipient (from ORCPT), Action, Status, Diagnostic-Code,
 * Last-Attempt-Date, Will-Retry-Until for delays); 3 the original message
 * (message/rfc822, at most bounce_size_limit bytes, else its headers) or,
 * with RET=HDRS, its headers (text/rfc822-headers).
 */
#ifndef SLUICE_BOUNCE_NOTICE_H
#define SLUICE_BOUNCE_NOTICE_H

#include <stddef.h>
#include <time.h>

#include "bounce_request.h"
#include "config_table.h"
#include "queue_file.h"
#include "strbuf.h"

/* The settings the bounce service reads through the table bounce_params. */
struct bounce_settings {
	char		*myhostname;
	char		*double_bounce_sender;
	char		*double_bounce_recipient;	/* 2bounce_notice_recipient */
	char		*bounce_notice_recipient;
	char		*delay_notice_recipient;
	struct strlist	 notify_classes;
	long		 bounce_size_limit;		/* bytes */
	long		 maximal_queue_lifetime;	/* seconds */
	long		 bounce_queue_lifetime;		/* seconds */
	char		*cleanup_service_name;
	long		 ipc_timeout;			/* seconds */
};

extern const struct config_table bounce_params[];

struct bounce_rcpt {
	const char	*final_recipient;	/* address the agent tried */
	const char	*original_recipient;	/* R record address */
	const char	*orcpt;			/* "rfc822;..." or "" */
	const char	*status;		/* "5.1.1" */
	const char	*diagnostic;		/* "smtp; 550 5.1.1 ..." or text */
	time_t		 last_attempt;
};

#define BOUNCE_QUEUED		0
#define BOUNCE_DISCARDED	1
#define BOUNCE_ERROR		(-1)

/*
 * bounce_send - build and queue one notification.  queue_fd is the
 * original queue file (for its content), msg its parsed envelope.
 * Returns BOUNCE_QUEUED (bounce_id set), BOUNCE_DISCARDED, or BOUNCE_ERROR
 * with err filled (the caller keeps the recipients and retries later).
 */
int	bounce_send(const struct bounce_settings *set, int queue_fd, const struct queue_message *msg,
	    enum bounce_action action, bool postmaster,
	    const struct bounce_rcpt *rcpts, size_t count,
	    char bounce_id[QUEUE_ID_SIZE], struct strbuf *err);

/*
 * bounce_build - the notification text alone (LF line ends), for tests
 * and for bounce_send; returns the envelope recipient in notify_to
 * ("" when the notice is to be discarded).
 */
int	bounce_build(const struct bounce_settings *set, int queue_fd, const struct queue_message *msg,
	    enum bounce_action action, bool postmaster,
	    const struct bounce_rcpt *rcpts, size_t count, struct strbuf *text,
	    struct strbuf *notify_to, struct strbuf *notify_from,
	    struct strbuf *err);

#endif
