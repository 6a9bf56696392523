/*
 * bounce_request - the conversation between qmgr and the bounce service.
 *
 * At the end of a delivery attempt qmgr connects to private/bounce once
 * per notice and sends one attr(3) list:
 *	request=notify
 *	queue_name=active  queue_id=ID  action=failed|delayed|delivered
 *	last_attempt=SECONDS (when the attempt ended)
 *	then per recipient, in order:
 *	    rcpt=ADDR (the final address that was tried)
 *	    rcpt_offset=N (its R record in the queue file)
 *	    rcpt_dsn=X.Y.Z  rcpt_reason=TEXT  rcpt_mark=0|1
 * bounce reads the envelope, each record's original address and ORCPT
 * and the content from queue_name/queue_id itself, builds the notice and
 * queues it through cleanup.  With rcpt_mark=1 (qmgr sets it on failed
 * or delivered addresses whose record has no other address left) it then
 * marks those records done in the queue file itself and flushes the
 * marks, so that a qmgr killed while it waits for the reply does not
 * send the notice (or deliver the message) again.  One list answers:
 *	status=0 queue_id=ID marked=0|1	the notice is queued (fsync'ed
 *		by cleanup); marked=1: every rcpt_mark record is done on disk
 *	status=1			nobody is to be notified (mail from
 *		double_bounce_sender): nothing queued, nothing owed
 *	status=4 reason=TEXT		nothing queued; qmgr keeps the
 *		recipients and tries again at the next attempt
 */
#ifndef SLUICE_BOUNCE_REQUEST_H
#define SLUICE_BOUNCE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "attr.h"
#include "queue_id.h"
#include "strbuf.h"

#define BOUNCE_RECIPIENT_MAX	2000	/* per notice; qmgr sends several */
#define BOUNCE_ADDRESS_MAX	2000	/* bytes of one address */
#define BOUNCE_REASON_MAX	1000	/* bytes of one reason (longer: cut) */
/* the wire size of the largest request, with room for the framing */
#define BOUNCE_REQUEST_MAX	(BOUNCE_RECIPIENT_MAX * \
	    (BOUNCE_ADDRESS_MAX + BOUNCE_REASON_MAX + 200) + 4096)
#define BOUNCE_REPLY_MAX	4096

enum bounce_action {
	BOUNCE_FAILED,		/* Action: failed   (5xx, or expired) */
	BOUNCE_DELAYED,		/* Action: delayed  (delay warning)   */
	BOUNCE_DELIVERED,	/* Action: delivered (NOTIFY=SUCCESS) */
};

/* reply status values */
#define BOUNCE_STATUS_QUEUED	0
#define BOUNCE_STATUS_DISCARDED	1
#define BOUNCE_STATUS_TEMPFAIL	4

struct bounce_request_rcpt {
	char		*address;
	off_t		 offset;
	char		 dsn[16];
	char		*reason;
	bool		 mark;
};

struct bounce_request {
	char		 queue_name[16];
	char		 queue_id[QUEUE_ID_SIZE];
	enum bounce_action action;
	time_t		 last_attempt;
	struct bounce_request_rcpt *rcpts;
	size_t		 count;
	size_t		 cap;
};

struct bounce_reply {
	int		 status;	/* BOUNCE_STATUS_* */
	char		 queue_id[QUEUE_ID_SIZE];
	bool		 marked;
	struct strbuf	 reason;
};

void	bounce_request_init(struct bounce_request *req);
void	bounce_request_free(struct bounce_request *req);	/* and re-init */
/* bounce_request_add_rcpt - append one (copies; a long reason is cut) */
void	bounce_request_add_rcpt(struct bounce_request *req, const char *address,
	    off_t offset, const char *dsn, const char *reason, bool mark);
/* bounce_request_to_list - the request as the list qmgr sends */
void	bounce_request_to_list(const struct bounce_request *req,
	    struct attr_list *list);
/*
 * bounce_request_parse - a received list, checked strictly (known names,
 * each envelope field once, recipients complete and in order, numbers
 * and sizes in range).  0, or -1 with err saying what is wrong.
 */
int	bounce_request_parse(const struct attr_list *list,
	    struct bounce_request *req, struct strbuf *err);

/* bounce_action_name - "failed", "delayed", "delivered" */
const char *bounce_action_name(enum bounce_action action);

void	bounce_reply_init(struct bounce_reply *reply);
void	bounce_reply_free(struct bounce_reply *reply);
void	bounce_reply_to_list(const struct bounce_reply *reply,
	    struct attr_list *list);
/* bounce_reply_parse - as bounce_request_parse, for the reply */
int	bounce_reply_parse(const struct attr_list *list,
	    struct bounce_reply *reply, struct strbuf *err);

#endif
