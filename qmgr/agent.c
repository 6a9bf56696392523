/*
 * agent.c - connections to the delivery agents (private/TRANSPORT).
 *
 * A connection is opened when a destination may start a job and no idle
 * connection to its transport exists, and is kept for later jobs.  A
 * request is written at once (it is small; the write may wait at most
 * QMGR_AGENT_WRITE_TIMEOUT for a stuck agent).  The reply is collected
 * without blocking: bytes are gathered as poll reports them and parsed
 * (lib/mail/deliver_request.h) only once a whole attribute list is there.
 * A lost connection, a malformed reply or a timeout defers the job's
 * recipients; the agent recognises a repeated delivery later.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "sock.h"
#include "stream.h"

#define QMGR_READ_CHUNK	8192

/* agent_read - the stream's input: the reply bytes already collected */
static ssize_t
agent_read(void *ctx, void *buf, size_t len, int *want_write)
{
	struct qmgr_agent *a = ctx;
	size_t	 left = a->in.len - a->in_pos;

	*want_write = 0;
	if (left == 0) {
		/* never wait here: the caller saw a complete list */
		errno = EIO;
		return (-1);
	}
	if (len > left)
		len = left;
	memcpy(buf, a->in.data + a->in_pos, len);
	a->in_pos += len;
	return ((ssize_t)len);
}

/* agent_write - the stream's output: the socket itself */
static ssize_t
agent_write(void *ctx, const void *buf, size_t len, int *want_read)
{
	struct qmgr_agent *a = ctx;
	ssize_t	 n;

	*want_read = 0;
	do {
		n = write(a->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return (n);
}

/* agent_alive - an idle connection the agent has not closed */
static bool
agent_alive(struct qmgr_agent *a)
{
	struct pollfd pfd = { .fd = a->fd, .events = POLLIN };

	/* an idle agent says nothing: readable means EOF or garbage */
	return (poll(&pfd, 1, 0) == 0);
}

/* qmgr_agent_close - drop a connection (its job is the caller's) */
void
qmgr_agent_close(struct qmgr *qm, struct qmgr_agent *a, const char *why)
{
	struct qmgr_agent **ap;

	for (ap = &qm->agents; *ap != NULL; ap = &(*ap)->next) {
		if (*ap == a) {
			*ap = a->next;
			break;
		}
	}
	if (why != NULL)
		msg_debug("close connection to private/%s: %s",
		    a->transport->name, why);
	a->transport->agents--;
	stream_close(a->stream);
	strbuf_free(&a->in);
	deliver_request_free(&a->req);
	free(a);
}

/* qmgr_agent_get - an idle connection to t, or a new one; NULL: none */
struct qmgr_agent *
qmgr_agent_get(struct qmgr *qm, struct qmgr_transport *t, struct strbuf *err)
{
	struct qmgr_agent *a, *next;
	struct strbuf path;
	int	 fd;

	for (a = qm->agents; a != NULL; a = next) {
		next = a->next;
		if (a->transport != t || a->job != NULL)
			continue;
		if (agent_alive(a))
			return (a);
		qmgr_agent_close(qm, a, "closed by the agent");
	}
	if (t->agents >= t->agent_limit)
		return (NULL);
	strbuf_init(&path);
	strbuf_printf(&path, "private/%s", t->name);
	fd = unix_connect(path.data, 2);
	if (fd < 0 || sock_set_nonblock(fd, true) < 0) {
		strbuf_printf(err, "connect to %s: %s", path.data,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		strbuf_free(&path);
		return (NULL);
	}
	strbuf_free(&path);
	a = xcalloc(1, sizeof(*a));
	a->transport = t;
	a->fd = fd;
	a->stream = stream_open(fd);
	stream_set_io(a->stream, agent_read, agent_write, a);
	stream_set_timeout(a->stream, QMGR_AGENT_WRITE_TIMEOUT);
	strbuf_init(&a->in);
	deliver_request_init(&a->req);
	a->next = qm->agents;
	qm->agents = a;
	t->agents++;
	return (a);
}

/* qmgr_agent_fail_job - defer what the agent did not answer for */
static void
qmgr_agent_fail_job(struct qmgr *qm, struct qmgr_agent *a, const char *why)
{
	struct qmgr_job *job = a->job;
	struct qmgr_message *m = job->msg;
	struct strbuf reason;

	strbuf_init(&reason);
	strbuf_printf(&reason, "delivery agent %s: %s", a->transport->name, why);
	for (size_t i = 0; i < job->count; i++) {
		struct qmgr_rcpt *r = &m->rcpts[job->idx[i]];

		qmgr_rcpt_set(r, 4, "4.3.0", reason.data);
		qmgr_log_rcpt(m, r, "deferred");
	}
	strbuf_free(&reason);
	a->job = NULL;
	job->dest->active--;
	qmgr_dest_list(job->dest);	/* may be idle now */
	qmgr_agent_close(qm, a, why);
	qmgr_job_done(qm, job);
}

/*
 * agent_may_mark - may the agent mark rcpt's R record done itself when
 * it delivers (deliver_request.h)?  Only when every recipient that record
 * became (less those delivered in an earlier attempt) is in this job
 * (in_job == expansions: the record's outcome is this request's alone;
 * the agent marks it when all of them are delivered) and it asks for no
 * success notice (qmgr sends that after the reply: a record marked before
 * would lose it if qmgr died in between).
 */
static bool
agent_may_mark(const struct qmgr_message *m, const struct qmgr_rcpt *r)
{
	const struct qmgr_rec *rs = &m->recs[r->rec];

	return (rs->in_job == rs->expansions &&
	    !(m->msg.recipients[r->rec].notify & DSN_NOTIFY_SUCCESS));
}

/*
 * agent_add_duplicates - the records that are r's address again (two
 * aliases of one mailbox) and are delivered with it, for the agent to
 * mark with r's own: each record cleanup expanded (one address), not
 * done, owing no success notice.  Without this a qmgr killed before it
 * read the reply would send those records again.
 */
static void
agent_add_duplicates(const struct qmgr_message *m, const struct qmgr_rcpt *r,
    struct deliver_request *req, struct deliver_rcpt *rr)
{
	for (long d = r->next_dup; d >= 0; d = m->rcpts[d].next_dup) {
		const struct queue_recipient *qr =
		    &m->msg.recipients[m->rcpts[d].rec];

		if (qr->done || qr->original == NULL ||
		    m->recs[m->rcpts[d].rec].expansions != 1 ||
		    (qr->notify & DSN_NOTIFY_SUCCESS))
			continue;
		if (!deliver_rcpt_add_also(req, rr, qr->offset))
			return;
	}
}

/* qmgr_agent_send - write the job's request; the reply comes later */
int
qmgr_agent_send(struct qmgr *qm, struct qmgr_agent *a, struct qmgr_job *job)
{
	struct qmgr_message *m = job->msg;
	struct deliver_request *req = &a->req;
	struct deliver_rcpt *rr;
	const char *v;

	deliver_request_free(req);
	snprintf(req->queue_name, sizeof(req->queue_name), "active");
	snprintf(req->queue_id, sizeof(req->queue_id), "%s", m->id);
	deliver_request_set(req, &req->transport, a->transport->name);
	deliver_request_set(req, &req->nexthop, job->dest->name);
	deliver_request_set(req, &req->sender, m->msg.sender);
	req->arrival = (long)m->msg.arrival;
	v = attr_list_get(&m->msg.attrs, "envid");
	deliver_request_set(req, &req->envid, v ? v : "");
	v = attr_list_get(&m->msg.attrs, "ret");
	deliver_request_set(req, &req->ret, v ? v : "");
	/* the job's addresses per record, counted and reset in job time */
	for (size_t i = 0; i < job->count; i++)
		m->recs[m->rcpts[job->idx[i]].rec].in_job++;
	for (size_t i = 0; i < job->count; i++) {
		const struct qmgr_rcpt *r = &m->rcpts[job->idx[i]];
		const struct queue_recipient *qr = &m->msg.recipients[r->rec];

		rr = deliver_request_add_rcpt(req, r->deliver_to ?
		    r->deliver_to : r->address, queue_recipient_original(qr),
		    qr->orcpt, qr->notify, qr->offset);
		rr->mark_done = agent_may_mark(m, r);
		if (rr->mark_done)
			agent_add_duplicates(m, r, req, rr);
	}
	for (size_t i = 0; i < job->count; i++)
		m->recs[m->rcpts[job->idx[i]].rec].in_job = 0;
	a->job = job;
	a->deadline = time(NULL) + qm->ipc_timeout;
	strbuf_reset(&a->in);
	a->in_pos = 0;
	if (deliver_request_write(a->stream, req) < 0) {
		qmgr_agent_fail_job(qm, a, stream_status_text(
		    stream_status(a->stream)));
		return (-1);
	}
	return (0);
}

/* qmgr_agent_reply - a complete reply is buffered: apply it */
static void
qmgr_agent_reply(struct qmgr *qm, struct qmgr_agent *a, size_t list_len)
{
	struct qmgr_job *job = a->job;
	struct qmgr_message *m = job->msg;
	struct strbuf err;
	bool	 extra;

	strbuf_init(&err);
	a->in_pos = 0;
	if (deliver_reply_read(a->stream, &a->req, &err) != STREAM_OK) {
		msg_warn("%s: reply from private/%s: %s", m->id,
		    a->transport->name, err.data);
		qmgr_agent_fail_job(qm, a, err.data);
		strbuf_free(&err);
		return;
	}
	strbuf_free(&err);
	extra = a->in.len > list_len || stream_pending(a->stream) > 0;
	for (size_t i = 0; i < job->count; i++) {
		const struct deliver_rcpt *dr = &a->req.rcpts[i];

		qmgr_rcpt_set(&m->rcpts[job->idx[i]], dr->status, dr->dsn,
		    dr->reason.data);
	}
	a->job = NULL;
	job->dest->active--;
	qmgr_dest_list(job->dest);	/* may be idle now */
	deliver_request_free(&a->req);
	strbuf_reset(&a->in);
	a->in_pos = 0;
	a->deadline = time(NULL) + QMGR_AGENT_IDLE;
	if (extra) {
		msg_warn("private/%s: unexpected data after a reply",
		    a->transport->name);
		qmgr_agent_close(qm, a, "protocol error");
	}
	qmgr_outcome_job(qm, job);
	qmgr_job_done(qm, job);
}

/* qmgr_agent_input - the socket is readable */
void
qmgr_agent_input(struct qmgr *qm, struct qmgr_agent *a)
{
	char	 buf[QMGR_READ_CHUNK];
	ssize_t	 n;
	long	 complete;

	if (a->job == NULL) {
		qmgr_agent_close(qm, a, "closed while idle");
		return;
	}
	for (;;) {
		if (a->in.len >= QMGR_REPLY_MAX) {
			qmgr_agent_fail_job(qm, a, "reply too large");
			return;
		}
		n = read(a->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			qmgr_agent_fail_job(qm, a, n == 0 ?
			    "lost connection" : strerror(errno));
			return;
		}
		strbuf_append(&a->in, buf, (size_t)n);
		if ((size_t)n < sizeof(buf))
			break;
	}
	complete = attr_wire_complete(a->in.data, a->in.len);
	if (complete < 0)
		qmgr_agent_fail_job(qm, a, "malformed reply");
	else if (complete > 0)
		qmgr_agent_reply(qm, a, (size_t)complete);
}

/* qmgr_agent_expire - replies overdue, idle connections kept too long */
void
qmgr_agent_expire(struct qmgr *qm, time_t now)
{
	struct qmgr_agent *a, *next;

	for (a = qm->agents; a != NULL; a = next) {
		next = a->next;
		if (a->deadline > now)
			continue;
		if (a->job != NULL)
			qmgr_agent_fail_job(qm, a, "timeout waiting for the reply");
		else
			qmgr_agent_close(qm, a, "idle");
	}
}

/* qmgr_agents_busy - connections with a job in flight */
int
qmgr_agents_busy(const struct qmgr *qm)
{
	int	 n = 0;

	for (const struct qmgr_agent *a = qm->agents; a != NULL; a = a->next)
		if (a->job != NULL)
			n++;
	return (n);
}
