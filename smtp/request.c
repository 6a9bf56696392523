/*
 * request - serve qmgr's delivery requests on one connection.
 *
 * Each request names a message in the queue and the recipients that go
 * to one next hop.  We read the content from the queue file ourselves
 * (read-only), find or reuse a session with the next hop, run one
 * transaction and send back one outcome per recipient.  While qmgr is
 * quiet the idle cached session is closed when its time is up.
 *
 * qmgr gives up on a request after ipc_timeout and closes the connection.
 * Every session stream watches that connection (stream_set_watch), so the
 * agent abandons the server at once instead of talking on for nobody: the
 * process is then free for qmgr's next request, and stuck agents cannot
 * pile up to the process limit while the same server is retried.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "address.h"
#include "mem.h"
#include "msg.h"
#include "smtp.h"

/* smtp_now - wall clock with sub-second precision */
double
smtp_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return ((double)tv.tv_sec + tv.tv_usec / 1e6);
}

/* smtp_log_rcpt - the Postfix-style to= line for one outcome */
void
smtp_log_rcpt(const struct smtp_message *m, const struct deliver_rcpt *r,
    const char *relay, const char *text)
{
	static const char *const words[] = { "", "", "sent", "", "deferred",
	    "bounced" };
	struct strbuf orig;
	double	 delay = m->arrival > 0 ? smtp_now() - m->arrival : 0;

	strbuf_init(&orig);
	if (r->original != NULL && *r->original != '\0' &&
	    strcasecmp(r->original, r->address) != 0)
		strbuf_printf(&orig, ", orig_to=<%s>", r->original);
	msg_info("%s: to=<%s>%s, relay=%s, delay=%.2f, dsn=%s, status=%s (%s)",
	    m->req->queue_id, r->address, orig.data ? orig.data : "", relay,
	    delay < 0 ? 0 : delay, r->dsn,
	    r->status >= 2 && r->status <= 5 ? words[r->status] : "unknown",
	    text);
	strbuf_free(&orig);
}

/* all_status - one outcome for every undecided recipient, logged */
static void
all_status(struct smtp_message *m, int status, const char *dsn,
    const char *text)
{
	for (size_t i = 0; i < m->req->rcpt_count; i++) {
		struct deliver_rcpt *r = &m->req->rcpts[i];

		if (r->status != 0)
			continue;
		deliver_rcpt_status(r, status, dsn, "%s", text);
		smtp_log_rcpt(m, r, "none", text);
	}
}

/* deliver_message - a session for the next hop, then the transaction */
static void
deliver_message(struct smtp_agent *a, struct smtp_message *m)
{
	struct deliver_request *req = m->req;
	struct smtp_nexthop nh;
	struct smtp_session *sess;
	struct smtp_tls_policy policy;
	struct strbuf hop, why;
	char	 dsn[16];
	bool	 lmtp;
	int	 status, rc;

	strbuf_init(&hop);
	strbuf_init(&why);
	lmtp = (req->transport != NULL && strcmp(req->transport, "lmtp") == 0) ||
	    strcmp(a->service_name, "lmtp") == 0;
	/* qmgr's resolver chose it (relayhost, sender_dependent_relayhost_maps) */
	strbuf_set(&hop, req->nexthop ? req->nexthop : "");
	if (smtp_nexthop_parse(hop.data, lmtp, &a->p, &nh, &why) < 0) {
		msg_warn("%s: %s", req->queue_id, why.data);
		all_status(m, 4, "4.3.5", why.data);
		goto out;
	}
	smtp_tls_policy_find(a, hop.data, nh.host, &policy);
	a->policy = &policy;
	a->nexthop_key = hop.data;
	sess = smtp_reuse_take(a, hop.data);
	if (sess != NULL)
		smtp_session_watch(a, sess);
	for (;;) {
		if (sess == NULL && smtp_connect(a, &nh, hop.data, &sess, &status,
		    dsn, &why) < 0) {
			all_status(m, status, dsn, why.data);
			goto done;
		}
		rc = smtp_transaction(a, sess, m);
		if (rc == 0)
			smtp_reuse_keep(a, sess);
		else
			smtp_session_free(sess);
		if (rc != SMTP_TRANSACTION_STALE)
			break;
		/* a new session is not reused, so this runs at most twice */
		sess = NULL;
	}
done:
	a->policy = NULL;
	a->nexthop_key = NULL;
	smtp_tls_policy_free(&policy);
	smtp_nexthop_free(&nh);
out:
	strbuf_free(&hop);
	strbuf_free(&why);
}

/* deliver_one_request - open the queue file and deliver */
static void
deliver_one_request(struct smtp_agent *a, struct deliver_request *req)
{
	struct smtp_message m;
	struct strbuf err, path;
	const char *utf8, *what;
	int	 rc = 0;

	memset(&m, 0, sizeof(m));
	m.req = req;
	strbuf_init(&err);
	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", req->queue_name, req->queue_id);
	if ((m.fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		msg_warn("%s: open %s: %s", req->queue_id, path.data,
		    strerror(errno));
		all_status(&m, 4, "4.3.0", "queue file unavailable");
		goto out;
	}
	if ((rc = queue_file_read_named(m.fd, req->queue_id, &m.msg,
	    &err)) < 0 || !m.msg.complete) {
		/* an EIO is not the file's fault: it says so in the log */
		what = rc == QUEUE_FILE_IO_ERROR ? "queue file read error" :
		    "malformed queue file";
		msg_warn("%s: %s: %s", req->queue_id, what,
		    err.len ? err.data : "incomplete");
		all_status(&m, 4, "4.3.0", what);
		goto out;
	}
	m.arrival = (double)m.msg.arrival + m.msg.arrival_usec / 1e6;
	utf8 = attr_list_get(&m.msg.attrs, "smtputf8");
	m.smtputf8 = utf8 != NULL && strcmp(utf8, "1") == 0;
	if (smtp_content_scan(&m) < 0) {
		all_status(&m, 4, "4.3.0", "queue file read error");
		goto out;
	}
	deliver_message(a, &m);
out:
	if (m.fd >= 0)
		close(m.fd);
	queue_message_free(&m.msg);
	strbuf_free(&err);
	strbuf_free(&path);
}

/* deliver - deliver_agent_serve's callback */
static void
deliver(void *ctx, struct deliver_request *req)
{
	deliver_one_request(ctx, req);
}

/* idle - close an idle cached session when its time is up */
static void
idle(void *ctx, struct stream *s)
{
	struct smtp_agent *a = ctx;
	int	 wait;

	while ((wait = smtp_reuse_wait_ms(a)) >= 0 &&
	    stream_wait_readable(s, wait) == 0)
		smtp_reuse_expire(a, false);
}

/* smtp_request_withdrawn - has qmgr closed the connection (given up)? */
bool
smtp_request_withdrawn(const struct smtp_agent *a)
{
	struct pollfd p;

	if (a->qmgr_fd < 0)
		return (false);
	p.fd = a->qmgr_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return (poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0);
}

/* smtp_session_watch - a session's waits end when qmgr gives up */
void
smtp_session_watch(struct smtp_agent *a, struct smtp_session *sess)
{
	stream_set_watch(sess->s, a->qmgr_fd);
}

/* smtp_serve - requests until qmgr closes the connection */
void
smtp_serve(struct smtp_agent *a, int client_fd)
{
	a->qmgr_fd = client_fd;
	deliver_agent_serve(client_fd, a->p.ipc_timeout, deliver, idle, a);
	smtp_reuse_expire(a, true);
	a->qmgr_fd = -1;
}
