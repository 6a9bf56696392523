/*
 * cleanup_client - the client side of the cleanup protocol.
 *
 * Everything that injects mail (smtpd, later pickup) hands it to cleanup
 * through these calls; cleanup alone writes the queue.  The conversation on
 * private/cleanup, in attr(3) lists:
 *
 *  1. client -> cleanup, the envelope, one list:
 *	request=message
 *	sender=ADDR ("" = null sender)
 *	flags=N            CLEANUP_FLAG_* bits
 *	any of: client_name, client_address, client_port, helo_name,
 *	        protocol (SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, LOCAL),
 *	        envid (xtext-decoded), ret (FULL|HDRS), body_type
 *	        (7BIT|8BITMIME|BINARYMIME), smtputf8 (0|1), sasl_username,
 *	        log_ident
 *	then per recipient, in order: rcpt=ADDR, rcpt_orcpt=TEXT,
 *	        rcpt_notify=N (DSN_NOTIFY_* bits, 0 = unspecified)
 *  2. cleanup -> client: status=0 queue_id=ID, or status=4|5 reason=TEXT
 *     (TEXT starts with an enhanced status code, e.g. "4.3.0 queue file
 *     write error").
 *  3. client -> cleanup: content lists, each data=BYTES (at most
 *     CLEANUP_CHUNK_MAX bytes): the message with LF line ends, dot
 *     stuffing removed, headers first; then one list end=1.
 *     Between them, in any order, the side effects the client's
 *     restrictions decided on (access(5) actions), each one list of the
 *     action and an optional reason=TEXT that cleanup logs as
 *     "ID: ACTION: TEXT" (so that the line carries the queue ID):
 *	hold=1, discard=1, filter=TRANSPORT:NEXTHOP, redirect=ADDR, bcc=ADDR;
 *     and, before the first data list only, prepend=HEADER ("Name: value",
 *     one line), which goes on top of the message.
 *  4. cleanup -> client: status=0 (queue file and directory fsync'ed: the
 *     client may now say 250), or status=4|5 reason=TEXT.
 * Closing the connection before step 4 makes cleanup remove the file.
 * After step 4 the client may start over at step 1 with the next message
 * on the same connection; cleanup waits CLEANUP_NEXT_MESSAGE_WAIT seconds
 * for it, then hangs up.  After any other reply the connection is done.
 */
#ifndef SLUICE_CLEANUP_CLIENT_H
#define SLUICE_CLEANUP_CLIENT_H

#include "attr.h"
#include "queue_id.h"
#include "strbuf.h"

#define CLEANUP_CHUNK_MAX	(64 * 1024)
#define CLEANUP_NEXT_MESSAGE_WAIT 2	/* seconds, between messages */

#define CLEANUP_FLAG_LOCAL	0x01	/* local submission: add From/Date/Message-ID freely */
#define CLEANUP_FLAG_FLOW	0x02	/* new mail from outside (smtpd, pickup):
					 * paced by in_flow_delay; not bounces
					 * and forwards, which delivery makes */
#define CLEANUP_FLAG_FILTER	0x04	/* apply header_checks, body_checks,
					 * ... (not with receive_override_options
					 * = no_header_body_checks) */
#define CLEANUP_FLAG_NO_MAPPINGS 0x08	/* receive_override_options =
					 * no_address_mappings: addresses are only
					 * qualified, no canonical maps,
					 * masquerading or virtual aliases */

struct cleanup_client;
struct strlist;

/*
 * cleanup_receive_flags - the CLEANUP_FLAG_* bits an injecting program
 * (smtpd, pickup) adds for its receive_override_options words:
 * CLEANUP_FLAG_FILTER unless no_header_body_checks, and
 * CLEANUP_FLAG_NO_MAPPINGS with no_address_mappings
 */
long	cleanup_receive_flags(const struct strlist *override_options);

/*
 * cleanup_open - connect to socket_path (normally "private/cleanup",
 * relative to the queue directory), or take a connection kept from an
 * earlier message of this process, and send the envelope.  On success
 * returns the client and copies the queue ID; on failure NULL, *status
 * 4 or 5 and reason the text for the SMTP reply (code included, e.g.
 * "451 4.3.0 Error: queue file write error").
 */
struct cleanup_client *cleanup_open(const char *socket_path, int timeout,
	    const struct attr_list *envelope, char queue_id[QUEUE_ID_SIZE],
	    int *status, struct strbuf *reason);
/* cleanup_write - buffer content, sending full chunks; 0 / -1 */
int	cleanup_write(struct cleanup_client *c, const void *data, size_t len);
/*
 * cleanup_finish - send end=1 and wait for the verdict.  Returns 0 when
 * the message is safely queued; else *status 4/5 and reason with the
 * reply text (code included).  Frees c (keeping the connection for the
 * next cleanup_open when the conversation ended in step).
 */
int	cleanup_finish(struct cleanup_client *c, int *status, struct strbuf *reason);
/*
 * Side effects for the message, sent in step 3 (see above).  why: the text
 * cleanup logs after "ID: hold: " etc., or NULL for no log line.  Each
 * returns 0, or -1 for a value that is too long, empty or not printable
 * (nothing sent: the caller's bug), or when the connection failed (then
 * cleanup_finish reports the 4xx).  As in Postfix, the last filter and
 * redirect win; DISCARD beats HOLD; a reject beats both.
 */
#define CLEANUP_EFFECT_MAX	1000	/* any value and any reason */
int	cleanup_client_hold(struct cleanup_client *c, const char *why);
int	cleanup_client_discard(struct cleanup_client *c, const char *why);
/* filter - "transport:nexthop" (nexthop may be empty: Postfix's FILTER) */
int	cleanup_client_filter(struct cleanup_client *c, const char *filter,
	    const char *why);
/* redirect - every recipient is delivered to addr instead */
int	cleanup_client_redirect(struct cleanup_client *c, const char *addr,
	    const char *why);
/* bcc - one more recipient (DSN NOTIFY=NEVER: the sender is not told) */
int	cleanup_client_bcc(struct cleanup_client *c, const char *addr,
	    const char *why);
/*
 * prepend - a header ("Name: value", one line, no LF) on top of the
 * message; only before the first cleanup_write (Postfix puts PREPEND
 * headers above its own Received:), else -1
 */
int	cleanup_client_prepend(struct cleanup_client *c, const char *header);

/* cleanup_abort - drop the connection; cleanup removes the file. Frees c. */
void	cleanup_abort(struct cleanup_client *c);

#endif
