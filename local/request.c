/*
 * request - serve qmgr's delivery requests on one connection.
 *
 * qmgr keeps the connection for many requests; each one names a file in
 * active/ that we open read-only and parse ourselves (queue_file_read), so
 * the content never travels over the socket.  Every recipient gets exactly
 * one outcome in the reply; a file we cannot read defers them all.
 * local runs as root and active/ is mail_owner's: the file is opened
 * without following a link and must be a regular file of mail_owner's
 * with no other name, never a hard link to somebody else's file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "deliver_request.h"
#include "local.h"
#include "msg.h"
#include "stream.h"

/* local_now - wall clock with sub-second precision */
double
local_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return ((double)tv.tv_sec + tv.tv_usec / 1e6);
}

/* defer_all - give every recipient the same temporary failure */
static void
defer_all(struct deliver_request *req, const char *why)
{
	for (size_t i = 0; i < req->rcpt_count; i++) {
		struct deliver_rcpt *r = &req->rcpts[i];

		msg_info("%s: to=<%s>, relay=%s, delay=0, dsn=4.3.0, "
		    "status=deferred (%s)", req->queue_id, r->address,
		    req->transport && *req->transport ? req->transport : "local",
		    why);
		deliver_rcpt_status(r, 4, "4.3.0", "%s", why);
	}
}

/* deliver_one_request - open the queue file and deliver every recipient */
static void
deliver_one_request(struct local_daemon *d, struct deliver_request *req)
{
	struct local_message m;
	struct strbuf err, path;
	struct stat st;
	int	 rc;

	memset(&m, 0, sizeof(m));
	m.req = req;
	local_expand_init(&m.delivered_to, 0);
	strbuf_init(&err);
	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", req->queue_name, req->queue_id);
	if ((m.fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		msg_warn("%s: open %s: %s", req->queue_id, path.data, strerror(errno));
		defer_all(req, "queue file unavailable");
		goto out;
	}
	if (fstat(m.fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (d->privileged && st.st_uid != d->p.mail_owner_uid)) {
		msg_warn("%s: %s is not a plain queue file of mail_owner",
		    req->queue_id, path.data);
		defer_all(req, "queue file unavailable");
		goto out;
	}
	if ((rc = queue_file_read_named(m.fd, req->queue_id, &m.msg,
	    &err)) < 0) {
		/* an EIO is not the file's fault: it says so in the log */
		msg_warn("%s: %s: %s", req->queue_id,
		    rc == QUEUE_FILE_IO_ERROR ? "queue file read error" :
		    "malformed queue file", err.data);
		defer_all(req, rc == QUEUE_FILE_IO_ERROR ?
		    "queue file read error" : "malformed queue file");
		goto out;
	}
	if (!m.msg.complete) {
		defer_all(req, "queue file is incomplete");
		goto out;
	}
	m.arrival = (double)m.msg.arrival + m.msg.arrival_usec / 1e6;
	local_headers_scan(&m);
	for (size_t i = 0; i < req->rcpt_count; i++)
		local_deliver_rcpt(d, &m, &req->rcpts[i]);
out:
	if (m.fd >= 0)
		close(m.fd);
	queue_message_free(&m.msg);
	local_expand_free(&m.delivered_to);
	strbuf_free(&err);
	strbuf_free(&path);
}

/* deliver - deliver_agent_serve's callback */
static void
deliver(void *ctx, struct deliver_request *req)
{
	deliver_one_request(ctx, req);
}

/* local_serve - requests until qmgr closes the connection */
void
local_serve(struct local_daemon *d, int client_fd)
{
	deliver_agent_serve(client_fd, (int)d->p.ipc_timeout, deliver, NULL, d);
}
