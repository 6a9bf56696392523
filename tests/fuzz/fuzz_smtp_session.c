/*
 * fuzz_smtp_session - a whole delivery by the smtp client, with the input
 * playing the receiving server.
 *
 * The input after its first byte is what the server sends, byte for byte;
 * a helper thread feeds it into one end of a socketpair and drains what
 * the client writes, while the client runs smtp_session_start() and
 * smtp_transaction() on the other end exactly as smtp/request.c does after
 * a connect: the greeting, EHLO (HELO after a 5xx, LHLO for LMTP), the
 * STARTTLS decision (no TLS context here, so no real handshake: "may"
 * goes on in plaintext, "encrypt" defers), MAIL, RCPT, DATA or BDAT with
 * the content of a small queue file made once in a temporary directory,
 * the final reply(ies), and then, on a session still usable, a second
 * transaction with its RSET and QUIT.  The first byte picks the knobs:
 * SMTP or LMTP, the TLS level, 8-bit content, and the second transaction.
 * Every recipient must end with one outcome, within its bounds.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "queue_file.h"
#include "smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KNOB_LMTP	0x01
#define KNOB_TLS_MAY	0x02
#define KNOB_TLS_ENC	0x04
#define KNOB_8BIT	0x08
#define KNOB_AGAIN	0x10

/* the two queue files (7-bit and 8-bit content), made once */
static char queue_dir[64];
static char incoming[80];
static char queue_ids[2][QUEUE_ID_SIZE];

struct feeder {
	int		 fd;
	const uint8_t	*data;
	size_t		 size;
};

/* feed - write the server's bytes, drain the client's until it closes */
static void *
feed(void *arg)
{
	struct feeder *f = arg;
	size_t	 off = 0;
	char	 buf[8192];
	struct pollfd pfd;

	pfd.fd = f->fd;
	/*
	 * Nothing to send: the server hangs up at once.  Without this the
	 * write side stayed open, and the client waited out its greeting
	 * timeout (5 s) and this poll another 5 s on every such input.
	 */
	if (f->size == 0)
		shutdown(f->fd, SHUT_WR);
	for (;;) {
		pfd.events = POLLIN | (off < f->size ? POLLOUT : 0);
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		if (pfd.revents & POLLIN) {
			if (read(f->fd, buf, sizeof(buf)) <= 0)
				break;
		} else if (pfd.revents & (POLLHUP | POLLERR))
			break;
		if (off < f->size && (pfd.revents & POLLOUT)) {
			ssize_t n = send(f->fd, f->data + off, f->size - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0)
				break;
			off += (size_t)n;
			if (off == f->size)
				shutdown(f->fd, SHUT_WR);
		}
	}
	close(f->fd);
	return (NULL);
}

/* make_queue_file - one complete queue file in incoming/; its ID */
static void
make_queue_file(const char *content, char id[QUEUE_ID_SIZE])
{
	static const struct {
		const char	*address;
		const char	*orcpt;
		int		 notify;
	} rcpts[] = {
		{ "one@dest.example", "rfc822;One@dest.example",
		    DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE },
		{ "two@dest.example", "", DSN_NOTIFY_NEVER },
		{ "three@dest.example", "", 0 },
	};
	struct queue_writer *w;
	struct queue_recipient r;
	struct strbuf err;

	strbuf_init(&err);
	if ((w = queue_writer_create(incoming, &err)) == NULL)
		abort();
	snprintf(id, QUEUE_ID_SIZE, "%s", queue_writer_id(w));
	if (queue_writer_sender(w, "sender@src.example") != 0 ||
	    queue_writer_attr(w, "envid", "fuzz+2Benvid") != 0)
		abort();
	for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.address = (char *)rcpts[i].address;
		r.orcpt = (char *)rcpts[i].orcpt;
		r.notify = rcpts[i].notify;
		if (queue_writer_recipient(w, &r) != 0)
			abort();
	}
	if (queue_writer_content_start(w) != 0 ||
	    queue_writer_content(w, content, strlen(content)) != 0 ||
	    queue_writer_finish(w, &err) != 0)
		abort();
	strbuf_free(&err);
}

/* cleanup - remove the queue directory when the fuzzer exits */
static void
cleanup(void)
{
	char	 path[160];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", incoming, queue_ids[i]);
		(void)unlink(path);
	}
	(void)rmdir(incoming);
	(void)rmdir(queue_dir);
}

/*
 * setup - a private queue directory with the two messages (absolute
 * paths: the driver opens its corpus files relative to the cwd)
 */
static void
setup(void)
{
	snprintf(queue_dir, sizeof(queue_dir), "/tmp/fuzz-smtp-session.XXXXXX");
	if (mkdtemp(queue_dir) == NULL)
		abort();
	snprintf(incoming, sizeof(incoming), "%s/incoming", queue_dir);
	if (mkdir(incoming, 0700) != 0)
		abort();
	atexit(cleanup);
	make_queue_file("Subject: fuzz\n\n.leading dot\n..two\nlast line "
	    "without an end", queue_ids[0]);
	make_queue_file("Subject: fuzz\n\ncaf\xc3\xa9\n.\n", queue_ids[1]);
}

/* open_message - the queue file as request.c opens it; -1 if not */
static int
open_message(struct smtp_message *m, struct deliver_request *req, int which)
{
	struct strbuf path, err;
	int	 rc = -1;

	memset(m, 0, sizeof(*m));
	m->req = req;
	deliver_request_init(req);
	snprintf(req->queue_name, sizeof(req->queue_name), "incoming");
	snprintf(req->queue_id, sizeof(req->queue_id), "%s", queue_ids[which]);
	deliver_request_set(req, &req->sender, "sender@src.example");
	deliver_request_set(req, &req->envid, "fuzz+envid");
	deliver_request_set(req, &req->ret, which ? "HDRS" : "FULL");
	strbuf_init(&path);
	strbuf_init(&err);
	strbuf_printf(&path, "%s/%s", incoming, req->queue_id);
	if ((m->fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		abort();
	if (queue_file_read_named(m->fd, req->queue_id, &m->msg, &err) == 0 &&
	    smtp_content_scan(m) == 0) {
		for (size_t i = 0; i < m->msg.recipient_count; i++) {
			const struct queue_recipient *qr = &m->msg.recipients[i];

			deliver_request_add_rcpt(req, qr->address, qr->address,
			    qr->orcpt, qr->notify, qr->offset);
		}
		rc = 0;
	}
	strbuf_free(&path);
	strbuf_free(&err);
	return (rc);
}

/* close_message - check every outcome, release */
static void
close_message(struct smtp_message *m, struct deliver_request *req, bool stale)
{
	for (size_t i = 0; i < req->rcpt_count; i++) {
		const struct deliver_rcpt *r = &req->rcpts[i];

		/* one outcome each, unless the reused session went stale */
		if (!stale && r->status != 2 && r->status != 4 && r->status != 5)
			abort();
		if (strlen(r->dsn) >= sizeof(r->dsn))
			abort();
		if (r->status != 0 && (r->dsn[0] != '0' + r->status ||
		    r->dsn[1] != '.'))
			abort();
	}
	close(m->fd);
	queue_message_free(&m->msg);
	deliver_request_free(req);
}

/* agent - the parameters request.c would have read */
static void
agent(struct smtp_agent *a, unsigned knobs)
{
	memset(a, 0, sizeof(*a));
	a->p.helo_name = "client.fuzz.example";
	a->p.connect_timeout = a->p.helo_timeout = a->p.mail_timeout = 5;
	a->p.rcpt_timeout = a->p.data_init_timeout = 5;
	a->p.data_xfer_timeout = a->p.data_done_timeout = 5;
	a->p.quit_timeout = 5;
	a->p.min_data_rate = 500;
	a->service_name = (knobs & KNOB_LMTP) ? "lmtp" : "smtp";
	a->tls_level = (knobs & KNOB_TLS_ENC) ? SMTP_TLS_ENCRYPT :
	    (knobs & KNOB_TLS_MAY) ? SMTP_TLS_MAY : SMTP_TLS_NONE;
	a->qmgr_fd = -1;
}

/* session - what connect.c's session_new makes of a connected socket */
static struct smtp_session *
session(int fd, unsigned knobs)
{
	struct smtp_session *sess = xcalloc(1, sizeof(*sess));

	sess->s = stream_open(fd);
	sess->lmtp = (knobs & KNOB_LMTP) != 0;
	sess->key = xstrdup("[mx.fuzz.example]");
	sess->hostname = xstrdup("mx.fuzz.example");
	sess->addr = xstrdup("192.0.2.25");
	sess->port = 25;
	sess->relay = xstrdup("mx.fuzz.example[192.0.2.25]:25");
	return (sess);
}

/* deliver - one session, one or two transactions */
static void
deliver(int fd, unsigned knobs)
{
	struct smtp_agent a;
	struct smtp_session *sess;
	struct smtp_message m;
	struct deliver_request req;
	struct strbuf why;
	char	 dsn[16];
	int	 status = 0, rc, which = (knobs & KNOB_8BIT) ? 1 : 0;

	agent(&a, knobs);
	sess = session(fd, knobs);
	sess->tls_level = (int)a.tls_level;
	strbuf_init(&why);
	if (smtp_session_start(&a, sess, &why, &status, dsn) != 0) {
		if ((status != 4 && status != 5) || dsn[0] != '0' + status ||
		    why.len == 0)
			abort();
		goto out;
	}
	if (open_message(&m, &req, which) != 0)
		abort();
	rc = smtp_transaction(&a, sess, &m);
	close_message(&m, &req, false);
	if (rc == 0 && (knobs & KNOB_AGAIN)) {
		/* the reuse path: RSET first, then another message */
		sess->rset_pending = true;
		if (open_message(&m, &req, !which) != 0)
			abort();
		rc = smtp_transaction(&a, sess, &m);
		close_message(&m, &req, rc == SMTP_TRANSACTION_STALE);
	}
	if (rc == 0)
		smtp_session_quit(&a, sess);
out:
	smtp_session_free(sess);
	strbuf_free(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialized;
	struct feeder f;
	pthread_t thread;
	int	 pair[2];

	if (!initialized) {
		msg_open("smtp", "/dev/null");
		setup();
		initialized = 1;
	}
	if (size == 0)
		return (0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		abort();
	f.fd = pair[1];
	f.data = data + 1;
	f.size = size - 1;
	if (pthread_create(&thread, NULL, feed, &f) != 0)
		abort();
	deliver(pair[0], data[0]);	/* closes pair[0] */
	pthread_join(thread, NULL);
	return (0);
}
