/*
 * notice.c - qmgr's connections to the bounce service (private/bounce).
 *
 * notify.c decides which notices an attempt owes; this file carries each
 * request (lib/mail/bounce_request.h) to the bounce service and its reply back
 * without ever blocking the event loop: the request is serialized in
 * memory and written as the socket takes it, the reply is gathered as
 * poll reports it and parsed only once it is whole.  One connection per
 * notice, at most QMGR_NOTICE_LIMIT at a time (further ones wait their
 * turn in FIFO order).  A connection that cannot be made, breaks, says
 * something malformed or stays silent past ipc_timeout is a notice not
 * queued, exactly like a temporary error from the bounce service: the
 * recipients stay pending for the next attempt.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "sock.h"

#define QMGR_BOUNCE_SOCKET	"private/bounce"

/* notice_count - connections open now */
static int
notice_count(const struct qmgr *qm)
{
	int	 n = 0;

	for (const struct qmgr_notice *x = qm->notices; x; x = x->next)
		if (x->fd >= 0)
			n++;
	return (n);
}

/* notice_connect - open x's connection; on failure x is due at once */
static void
notice_connect(struct qmgr *qm, struct qmgr_notice *x, time_t now)
{
	x->waiting = false;
	x->deadline = now + qm->ipc_timeout;
	if ((x->fd = unix_connect(QMGR_BOUNCE_SOCKET, 2)) < 0) {
		strbuf_printf(&x->error, "connect to %s: %s",
		    QMGR_BOUNCE_SOCKET, strerror(errno));
		x->deadline = 0;	/* qmgr_notice_expire reports it */
	}
}

/*
 * qmgr_notice_send - send req for m (idx: the m->rcpts indexes it is
 * about, taken over); the answer goes to qmgr_notify_reply
 */
void
qmgr_notice_send(struct qmgr *qm, struct qmgr_message *m,
    const struct bounce_request *req, size_t *idx, size_t count)
{
	struct qmgr_notice *x = xcalloc(1, sizeof(*x)), **tail;
	struct attr_list list;

	x->msg = m;
	x->action = req->action;
	x->idx = idx;
	x->count = count;
	x->fd = -1;
	strbuf_init(&x->out);
	strbuf_init(&x->in);
	strbuf_init(&x->error);
	attr_list_init(&list);
	bounce_request_to_list(req, &list);
	if (attr_to_buffer(&list, &x->out) < 0)
		strbuf_puts(&x->error, "cannot encode the request");
	attr_list_free(&list);
	/* FIFO: the oldest waiting notice gets the next free connection */
	for (tail = &qm->notices; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = x;
	if (x->error.len > 0)
		x->deadline = 0;
	else if (notice_count(qm) < QMGR_NOTICE_LIMIT)
		notice_connect(qm, x, time(NULL));
	else
		x->waiting = true;
}

/* notice_end - x is answered (reply) or failed (NULL): report, release */
static void
notice_end(struct qmgr *qm, struct qmgr_notice *x,
    const struct bounce_reply *reply)
{
	struct qmgr_notice **xp;
	time_t	 now = time(NULL);

	for (xp = &qm->notices; *xp != NULL; xp = &(*xp)->next)
		if (*xp == x) {
			*xp = x->next;
			break;
		}
	if (x->fd >= 0)
		close(x->fd);
	/* a connection is free: the oldest waiting notice takes it */
	for (struct qmgr_notice *w = qm->notices; w; w = w->next)
		if (w->waiting) {
			notice_connect(qm, w, now);
			break;
		}
	qmgr_notify_reply(qm, x->msg, x->action, x->idx, x->count, reply,
	    x->error.len ? x->error.data : "unknown error");
	strbuf_free(&x->out);
	strbuf_free(&x->in);
	strbuf_free(&x->error);
	free(x->idx);
	free(x);
}

/* notice_fail - x ends without a reply, for why */
static void
notice_fail(struct qmgr *qm, struct qmgr_notice *x, const char *why)
{
	if (x->error.len == 0)
		strbuf_printf(&x->error, "%s: %s", QMGR_BOUNCE_SOCKET, why);
	notice_end(qm, x, NULL);
}

/* notice_write - as much of the request as the socket takes */
static void
notice_write(struct qmgr *qm, struct qmgr_notice *x)
{
	ssize_t	 n;

	while (x->out_pos < x->out.len) {
		n = send(x->fd, x->out.data + x->out_pos,
		    x->out.len - x->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			notice_fail(qm, x, strerror(errno));
			return;
		}
		x->out_pos += (size_t)n;
	}
}

/* notice_read - gather the reply; parse it once it is whole */
static void
notice_read(struct qmgr *qm, struct qmgr_notice *x)
{
	struct bounce_reply reply;
	struct attr_list list;
	struct strbuf err;
	char	 buf[1024];
	ssize_t	 n;
	long	 whole;

	for (;;) {
		n = recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			notice_fail(qm, x, n == 0 ? "lost connection" :
			    strerror(errno));
			return;
		}
		strbuf_append(&x->in, buf, (size_t)n);
		if ((whole = attr_wire_complete(x->in.data, x->in.len)) != 0)
			break;
		if (x->in.len > BOUNCE_REPLY_MAX)
			break;
	}
	attr_list_init(&list);
	bounce_reply_init(&reply);
	strbuf_init(&err);
	if (whole <= 0 || (size_t)whole != x->in.len ||
	    attr_from_buffer(x->in.data, x->in.len, &list,
	    BOUNCE_REPLY_MAX) != STREAM_OK ||
	    bounce_reply_parse(&list, &reply, &err) < 0) {
		msg_warn("%s: malformed reply from %s", x->msg->id,
		    QMGR_BOUNCE_SOCKET);
		notice_fail(qm, x, "malformed reply");
	} else
		notice_end(qm, x, &reply);
	attr_list_free(&list);
	bounce_reply_free(&reply);
	strbuf_free(&err);
}

/* qmgr_notice_input - poll reported revents on x's connection */
void
qmgr_notice_input(struct qmgr *qm, struct qmgr_notice *x, short revents)
{
	if ((revents & POLLOUT) && x->out_pos < x->out.len) {
		notice_write(qm, x);
		return;		/* x may be gone; the reply comes later */
	}
	if (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
		notice_read(qm, x);
}

/* qmgr_notice_events - what to poll x's connection for (0: nothing) */
short
qmgr_notice_events(const struct qmgr_notice *x)
{
	if (x->fd < 0)
		return (0);
	return (x->out_pos < x->out.len ? POLLOUT : POLLIN);
}

/* qmgr_notice_expire - failed connections, replies overdue */
void
qmgr_notice_expire(struct qmgr *qm, time_t now)
{
	struct qmgr_notice *x;

	/* each end may start others and free any: look again from the top */
	for (;;) {
		for (x = qm->notices; x != NULL; x = x->next)
			if (!x->waiting && x->deadline <= now)
				break;
		if (x == NULL)
			return;
		notice_fail(qm, x, "timeout waiting for the reply");
	}
}

/* qmgr_notice_deadline - next, or an earlier deadline of a notice */
time_t
qmgr_notice_deadline(const struct qmgr *qm, time_t next)
{
	for (const struct qmgr_notice *x = qm->notices; x; x = x->next)
		if (!x->waiting && x->deadline < next)
			next = x->deadline;
	return (next);
}
