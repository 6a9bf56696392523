/*
 * notify.c - one notice request: the queue file, the notice, the marks.
 *
 * The request names active/ID and the recipients by their R records'
 * offsets; everything else about them (the envelope, each record's
 * original address and ORCPT, the content) comes from the file itself,
 * so qmgr cannot be made to put into a notice what the file does not
 * say.  The file must be a plain file of ours with one link (we write
 * done marks into it) and is locked exclusively from the open to the
 * close: a qmgr that restarts meanwhile and scans it takes it for a file
 * still being written (lib/queue_file.h) and leaves it alone, so it does
 * not send the same notice again while this one is being queued.
 *
 * A request whose qmgr has closed the connection by then is dropped: a
 * qmgr restarted since may be sending the same notice.  Only after
 * cleanup has the notice on disk are the records that qmgr
 * asked for marked done, with one flush; a crash between the two is the
 * one window in which a notice can be sent twice.  A mark that fails
 * costs nothing but the reply's marked=0: qmgr then keeps the recipients
 * in its own bookkeeping (done marks or sent= lines) as before.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "async_fsync.h"
#include "bounce.h"
#include "mem.h"
#include "msg.h"
#include "notice.h"
#include "queue_file.h"
#include "queue_scan.h"

static const char *const what[] = {
	[BOUNCE_FAILED] = "non-delivery notification",
	[BOUNCE_DELAYED] = "delay notification",
	[BOUNCE_DELIVERED] = "delivery status notification",
};

/*
 * postmaster_copy - the postmaster's copy of the notice just queued
 * (notify_classes bounce or delay).  Best effort, as the notice itself
 * is what the records are marked for: a failure is logged, not retried.
 */
static void
postmaster_copy(const struct bounce_settings *set, int fd,
    const struct bounce_request *req, const struct queue_message *msg,
    const struct bounce_rcpt *list, size_t count)
{
	char	 id[QUEUE_ID_SIZE];
	struct strbuf err;
	int	 rc;

	strbuf_init(&err);
	rc = bounce_send(set, fd, msg, req->action, true, list, count, id, &err);
	if (rc == BOUNCE_QUEUED)
		msg_info("%s: postmaster %s: %s", req->queue_id,
		    what[req->action], id);
	else if (rc == BOUNCE_ERROR)
		msg_warn("%s: cannot send the postmaster's copy of the %s: %s",
		    req->queue_id, what[req->action], err.data);
	strbuf_free(&err);
}

/* open_queue_file - active/ID, ours, one link, locked; -1 + reason */
static int
open_queue_file(const struct bounce_request *req, struct bounce_reply *reply)
{
	struct stat st;
	int	 fd;

	if ((fd = queue_scan_open(req->queue_name, req->queue_id, O_RDWR,
	    &st)) < 0) {
		strbuf_printf(&reply->reason, "open %s/%s: %s", req->queue_name,
		    req->queue_id, strerror(errno));
		return (-1);
	}
	if (st.st_nlink != 1 || st.st_uid != geteuid()) {
		strbuf_printf(&reply->reason, "%s/%s is not a plain queue file",
		    req->queue_name, req->queue_id);
		close(fd);
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		strbuf_printf(&reply->reason, "lock %s/%s: %s", req->queue_name,
		    req->queue_id, errno == EWOULDBLOCK ?
		    "another process holds it" : strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* find_record - the R record at offset (recipients are in file order) */
static const struct queue_recipient *
find_record(const struct queue_message *msg, off_t offset)
{
	size_t	 lo = 0, hi = msg->recipient_count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (msg->recipients[mid].offset == offset)
			return (&msg->recipients[mid]);
		if (msg->recipients[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * fill_rcpts - the notice's recipients from the request and their R
 * records: how many; -1 + reason when an offset names no record.  A
 * failure whose record is done already was reported (by an earlier
 * request whose qmgr died waiting): it is not reported again.
 */
static long
fill_rcpts(const struct bounce_request *req, const struct queue_message *msg,
    struct bounce_rcpt *list, struct bounce_reply *reply)
{
	size_t	 n = 0;

	for (size_t i = 0; i < req->count; i++) {
		const struct bounce_request_rcpt *rr = &req->rcpts[i];
		const struct queue_recipient *qr = find_record(msg, rr->offset);

		if (qr == NULL) {
			strbuf_printf(&reply->reason, "no recipient record at "
			    "offset %lld of %s", (long long)rr->offset,
			    req->queue_id);
			return (-1);
		}
		if (qr->done && req->action == BOUNCE_FAILED) {
			msg_info("%s: <%s> was reported already", req->queue_id,
			    rr->address);
			continue;
		}
		list[n].final_recipient = rr->address;
		list[n].original_recipient = queue_recipient_original(qr);
		list[n].orcpt = qr->orcpt ? qr->orcpt : "";
		list[n].status = rr->dsn;
		list[n].diagnostic = rr->reason;
		list[n].last_attempt = req->last_attempt;
		n++;
	}
	return ((long)n);
}

/* mark_records - the records qmgr asked for, done and flushed: true */
static bool
mark_records(int fd, const struct bounce_request *req)
{
	bool	 any = false;

	for (size_t i = 0; i < req->count; i++) {
		if (!req->rcpts[i].mark)
			continue;
		if (queue_file_mark_done(fd, req->rcpts[i].offset) < 0) {
			msg_warn("%s: mark recipient <%s> done: %s",
			    req->queue_id, req->rcpts[i].address,
			    strerror(errno));
			return (false);
		}
		any = true;
	}
	if (any && async_fsync_run(fd) < 0) {
		msg_warn("%s: fsync %s/%s: %s", req->queue_id, req->queue_name,
		    req->queue_id, strerror(errno));
		return (false);
	}
	return (true);
}

/*
 * requester_gone - qmgr closed the connection (killed, restarted, or it
 * gave up waiting): a newer qmgr may be working on the same message, and
 * this request is nobody's any more
 */
static bool
requester_gone(int client_fd)
{
	struct pollfd pfd = { .fd = client_fd, .events = POLLRDHUP };

	return (poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0);
}

/* bounce_notify - do one request; the outcome is in reply */
void
bounce_notify(const struct bounce_settings *set, const struct bounce_request *req,
    int client_fd, struct bounce_reply *reply)
{
	struct queue_message msg;
	struct bounce_rcpt *list;
	struct strbuf err;
	long	 count;
	int	 fd, rc;

	reply->status = BOUNCE_STATUS_TEMPFAIL;
	memset(&msg, 0, sizeof(msg));
	strbuf_init(&err);
	list = xcalloc(req->count + 1, sizeof(*list));
	if ((fd = open_queue_file(req, reply)) < 0)
		goto out;
	/*
	 * Checked with the lock held: a qmgr started after the requester died
	 * either read the file before (and sends its own notice: this one
	 * must not go too) or finds it locked until the marks are made.
	 */
	if (requester_gone(client_fd)) {
		msg_info("%s: qmgr left before its %s was written: dropped",
		    req->queue_id, what[req->action]);
		strbuf_set(&reply->reason, "the requester went away");
		reply->status = BOUNCE_STATUS_GONE;
		goto out;
	}
	if (queue_file_read_named(fd, req->queue_id, &msg, &err) < 0) {
		strbuf_printf(&reply->reason, "read %s/%s: %s", req->queue_name,
		    req->queue_id, err.data);
		goto out;
	}
	if ((count = fill_rcpts(req, &msg, list, reply)) < 0)
		goto out;
	rc = count == 0 ? BOUNCE_DISCARDED : bounce_send(set, fd, &msg,
	    req->action, false, list, (size_t)count, reply->queue_id, &err);
	if (rc == BOUNCE_QUEUED)
		postmaster_copy(set, fd, req, &msg, list, (size_t)count);
	if (rc == BOUNCE_DISCARDED) {
		reply->status = BOUNCE_STATUS_DISCARDED;
	} else if (rc == BOUNCE_QUEUED) {
		msg_info("%s: sender %s: %s", req->queue_id,
		    what[req->action], reply->queue_id);
		reply->status = BOUNCE_STATUS_QUEUED;
		reply->marked = mark_records(fd, req);
	} else {
		strbuf_set(&reply->reason, err.len ? err.data : "unknown error");
	}
out:
	if (reply->status == BOUNCE_STATUS_GONE)
		reply->status = BOUNCE_STATUS_TEMPFAIL;
	else if (reply->status == BOUNCE_STATUS_TEMPFAIL)
		msg_warn("%s: cannot send the %s: %s", req->queue_id,
		    what[req->action], reply->reason.data);
	if (fd >= 0)
		close(fd);		/* and the lock with it */
	queue_message_free(&msg);
	free(list);
	strbuf_free(&err);
}
