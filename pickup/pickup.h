/*
 * pickup.h - the pickup daemon's internals: the maildrop scan (scan.c)
 * and the hand-over of one maildrop file to cleanup (submit.c).
 */
#ifndef SLUICE_PICKUP_H
#define SLUICE_PICKUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "attr.h"
#include "config.h"
#include "config_table.h"
#include "queue_file.h"
#include "strbuf.h"
#include "strlist.h"

#define PICKUP_DIR		"maildrop"
#define PICKUP_CORRUPT_DIR	"corrupt"
#define PICKUP_SCAN_MAX		10000	/* files looked at per scan */
#define PICKUP_RCPT_MAX		10000	/* as sluice-drop enforces */
#define PICKUP_ENVELOPE_SLACK	(16L * 1024 * 1024)	/* file size past the content */
#define PICKUP_STALE_SECONDS	(24L * 3600)	/* unfinished drop left behind */

/* The settings pickup_config_load reads through the table pickup_params. */
struct pickup_config {
	char	*cleanup_service_name;
	char	*cleanup_socket;	/* "private/" + cleanup_service_name */
	char	*myhostname;
	long	 message_size_limit;	/* 0 = none */
	long	 ipc_timeout;		/* seconds */
	struct strlist receive_override;	/* receive_override_options */
	char	*content_filter;	/* transport:nexthop, or "" */
};

extern const struct config_table pickup_params[];

/* What submitting one file came to. */
enum pickup_result {
	PICKUP_DONE,		/* queued: remove the maildrop file */
	PICKUP_RETRY,		/* cleanup unavailable or 4xx: leave it */
	PICKUP_REJECT,		/* 5xx: remove it, with a warning */
	PICKUP_CORRUPT,		/* malformed: move to corrupt/ */
};

void	pickup_config_load(struct pickup_config *pc, struct config *cfg);
/* pickup_scan - one pass over maildrop/ (cwd is the queue directory) */
void	pickup_scan(const struct pickup_config *pc);
/*
 * pickup_envelope - step 1 of the cleanup conversation for a parsed
 * maildrop file owned by uid: the sender (written to sender_out too), the
 * local-submission flags (and flags, CLEANUP_FLAG_* of
 * receive_override_options), envid and ret, and the recipients not yet done,
 * as written (cleanup qualifies them).  Nothing else of the file's
 * attributes gets through.
 */
void	pickup_envelope(const struct queue_message *msg, uid_t uid, const char *file_id,
	    long flags, struct attr_list *env, struct strbuf *sender_out);
/*
 * pickup_submit - hand an open, checked maildrop file to cleanup as
 * local mail from uid.  why gets the reason for anything but DONE; on
 * DONE queue_id holds cleanup's queue ID.
 */
enum pickup_result pickup_submit(const struct pickup_config *pc, int fd,
	    const char *file_id, uid_t uid, char *queue_id, struct strbuf *why);

#endif
