/*
 * deliver_request - the conversation between qmgr and a delivery agent.
 *
 * qmgr connects to private/TRANSPORT (local, virtual, smtp, ...) and keeps
 * the connection for many requests.  A request is one attr(3) list:
 *	request=deliver
 *	queue_name=active  queue_id=ID  transport=NAME  nexthop=TEXT
 *	sender=ADDR ("" = null sender)  arrival=SECONDS
 *	envid=TEXT  ret=FULL|HDRS|""  flags=N
 *	then per recipient, in order:
 *	    rcpt=ADDR (the final address: cleanup expanded virtual aliases)
 *	    rcpt_original=ADDR (what the sender wrote: the R record's
 *	    original, lib/queue/queue_file.h)
 *	    rcpt_orcpt=TEXT  rcpt_notify=N  rcpt_offset=N (of the R record)
 *	    rcpt_mark=1 (optional: see below)
 *	    rcpt_also=N ... (optional, with rcpt_mark: see below)
 * The agent reads the content from queue_name/queue_id itself (read-only)
 * and answers with one list holding, per recipient in request order:
 *	status=2|4|5  dsn=X.Y.Z  reason=TEXT
 * qmgr marks recipients done; but a qmgr that dies after an agent
 * delivered and before it read the reply would offer the recipient
 * again, and an SMTP server cannot recognise a second copy.  So when a
 * record owes no success notice, qmgr asks the agent (rcpt_mark=1) to
 * mark it done itself once it is delivered (status 2), before it
 * replies, as Postfix's agents do.  The mark is not flushed: no process
 * crash can lose it (the page cache outlives the process), a system
 * crash can, and then the recipient is offered again.  Records that
 * are the same address as this recipient (two aliases of one mailbox:
 * cleanup keeps them apart by their originals), which qmgr delivers
 * with it instead of sending again, come as rcpt_also offsets; the
 * agent marks them with the recipient's own record.  A record of an
 * old queue file, which qmgr still expands, can become addresses in
 * several requests; the agent marks it only when all of its addresses
 * are in its request (rcpt_mark on each of them) and delivered; else a
 * second copy after a qmgr crash must be recognised by the agent where
 * possible (local: deterministic Maildir names).
 */
#ifndef SLUICE_DELIVER_REQUEST_H
#define SLUICE_DELIVER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "queue_id.h"
#include "stream.h"
#include "strbuf.h"

#define DELIVER_RECIPIENT_MAX	10000	/* per request */
#define DELIVER_REASON_MAX	1000	/* bytes of reason text kept */
#define DELIVER_ALSO_MAX	10000	/* rcpt_also offsets per request */

struct deliver_rcpt {
	char		*address;
	char		*original;
	char		*orcpt;
	int		 notify;	/* DSN_NOTIFY_* */
	off_t		 offset;
	bool		 mark_done;	/* the agent marks the R record (above) */
	off_t		*also;		/* records marked with it (rcpt_also) */
	size_t		 also_count;
	/* outcome, filled by the agent (or by qmgr from the reply) */
	int		 status;	/* 0 = none yet, 2, 4, 5 */
	char		 dsn[16];	/* "5.1.1" */
	struct strbuf	 reason;
};

struct deliver_request {
	char		 queue_name[16];
	char		 queue_id[QUEUE_ID_SIZE];
	char		*transport;
	char		*nexthop;
	char		*sender;
	long		 arrival;
	char		*envid;
	char		*ret;
	int		 flags;
	struct deliver_rcpt *rcpts;
	size_t		 rcpt_count;
	size_t		 rcpt_cap;
	size_t		 also_count;	/* rcpt_also offsets of all rcpts */
};

void	deliver_request_init(struct deliver_request *req);
void	deliver_request_free(struct deliver_request *req);	/* and re-init */
/* deliver_request_add_rcpt - append a recipient (copies the strings) */
struct deliver_rcpt *deliver_request_add_rcpt(struct deliver_request *req,
	    const char *address, const char *original, const char *orcpt,
	    int notify, off_t offset);
/*
 * deliver_rcpt_add_also - one more record for the agent to mark with r
 * (qmgr side); false when the request holds DELIVER_ALSO_MAX already
 */
bool	deliver_rcpt_add_also(struct deliver_request *req,
	    struct deliver_rcpt *r, off_t offset);
/* deliver_request_set - copy one envelope string field ("sender", ...) */
void	deliver_request_set(struct deliver_request *req, char **field, const char *value);

/* qmgr side: send the request (flushes); read the reply into req->rcpts */
int	deliver_request_write(struct stream *s, const struct deliver_request *req);
int	deliver_reply_read(struct stream *s, struct deliver_request *req,
	    struct strbuf *err);

/*
 * agent side: read one request (STREAM_EOF when qmgr closed the
 * connection between requests; STREAM_ERROR + err for a bad request);
 * record outcomes with deliver_rcpt_status; send them with
 * deliver_reply_write (every recipient must have a status).
 */
int	deliver_request_read(struct stream *s, struct deliver_request *req,
	    struct strbuf *err);
void	deliver_rcpt_status(struct deliver_rcpt *rcpt, int status, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	deliver_reply_write(struct stream *s, const struct deliver_request *req);

/*
 * deliver_agent_serve - an agent's side of one qmgr connection (the
 * service skeleton's client_fd, which it closes itself): read a request,
 * deliver(ctx, req) fills in the outcomes, the reply goes back; until
 * qmgr hangs up, or a request is malformed or the reply cannot be sent
 * (logged).  idle, if not NULL, runs before each read, with the stream
 * to wait on (smtp closes cached sessions while qmgr is quiet).
 */
void	deliver_agent_serve(int client_fd, int timeout,
	    void (*deliver)(void *ctx, struct deliver_request *req),
	    void (*idle)(void *ctx, struct stream *s), void *ctx);

#endif
