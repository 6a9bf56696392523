/*
 * transaction - deliver one message over an open session.
 *
 * MAIL FROM, one RCPT TO per recipient, then DATA (or BDAT when the server
 * offers CHUNKING).  With PIPELINING the envelope and DATA go out in one
 * write and the replies are read back in order.  Every recipient ends with
 * exactly one outcome: 2xx sent, 4xx deferred, 5xx bounced, with the
 * server's own words as the reason; a lost connection defers whoever is
 * still undecided.  LMTP (RFC 2033) answers once per accepted recipient
 * after the final dot.
 *
 * 8-bit content for a server without 8BITMIME, and UTF-8 addresses for a
 * server without SMTPUTF8, are bounced (5.6.3, 5.6.7) rather than
 * converted: RFC 6152 allows either, and a bounce never alters a message
 * behind its sender's back.
 *
 * Each reply is bounded by its stage's timeout as a whole (reply.c).  The
 * content transfer is bounded as a whole too: smtp_data_xfer_timeout plus
 * one second for every smtp_min_data_rate bytes the server takes, never
 * more than smtp_data_xfer_timeout ahead, so a server that reads a byte a
 * second cannot hold the agent (BDAT chunk replies fall under it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "mem.h"
#include "msg.h"
#include "smtp.h"

struct txn {
	struct smtp_agent	*a;
	struct smtp_session	*sess;
	struct smtp_message	*m;
	bool			*accepted;
	size_t			 accepted_count;
	struct strbuf		 reason;
};

/* outcome - record and log one recipient's result */
static void
outcome(struct txn *t, struct deliver_rcpt *r, int status, const char *dsn,
    const char *log_text, const char *reason)
{
	if (r->status != 0)
		return;
	deliver_rcpt_status(r, status, dsn, "%s", reason);
	/* the log shows the Postfix wording even when the DSN text differs */
	smtp_log_rcpt(t->m, r, t->sess != NULL ? t->sess->relay : "none",
	    log_text);
}

/* reply_outcome - one recipient's outcome from a server reply */
static void
reply_outcome(struct txn *t, struct deliver_rcpt *r, struct smtp_reply *rep,
    const char *command)
{
	int	 status;

	if (rep->code == 0) {
		smtp_reply_describe(t->sess, rep, command, &t->reason);
		outcome(t, r, 4, "4.4.2", t->reason.data, t->reason.data);
		return;
	}
	status = rep->code / 100 == 2 ? 2 : rep->code / 100 == 5 ? 5 : 4;
	if (status == 2) {
		strbuf_reset(&t->reason);
		strbuf_printf(&t->reason, "%d %s", rep->code, rep->text.data);
		outcome(t, r, 2, rep->dsn, t->reason.data, t->reason.data);
		return;
	}
	smtp_reply_describe(t->sess, rep, command, &t->reason);
	if (status == 5) {
		struct strbuf diag;

		/* lib/bounce takes "type; text" as the Diagnostic-Code */
		strbuf_init(&diag);
		strbuf_printf(&diag, "smtp; %d %s", rep->code, rep->text.data);
		outcome(t, r, 5, rep->dsn, t->reason.data, diag.data);
		strbuf_free(&diag);
	} else if (rep->dsn[0] != '4') {
		char	 dsn[16];

		/* a 3xx where a final reply belongs: defer, with a 4.x.x code */
		snprintf(dsn, sizeof(dsn), "4%s", rep->dsn + 1);
		outcome(t, r, 4, dsn, t->reason.data, t->reason.data);
	} else
		outcome(t, r, 4, rep->dsn, t->reason.data, t->reason.data);
}

/* all_outcome - the same result for every undecided recipient */
static void
all_outcome(struct txn *t, int status, const char *dsn, const char *text)
{
	for (size_t i = 0; i < t->m->req->rcpt_count; i++)
		outcome(t, &t->m->req->rcpts[i], status, dsn, text, text);
}

/* all_reply - a reply that decides every undecided recipient */
static void
all_reply(struct txn *t, struct smtp_reply *rep, const char *command)
{
	for (size_t i = 0; i < t->m->req->rcpt_count; i++)
		reply_outcome(t, &t->m->req->rcpts[i], rep, command);
}

/* is_ascii - no byte above 0x7f */
static bool
is_ascii(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return (false);
	return (true);
}

/* needs_utf8 - the envelope has a UTF-8 address */
static bool
needs_utf8(const struct deliver_request *req)
{
	if (!is_ascii(req->sender))
		return (true);
	for (size_t i = 0; i < req->rcpt_count; i++)
		if (!is_ascii(req->rcpts[i].address))
			return (true);
	return (false);
}

/* xtext_append - xtext_encode() replaces its output; we append */
static void
xtext_append(struct strbuf *cmd, const char *text)
{
	struct strbuf enc;

	strbuf_init(&enc);
	xtext_encode(text, strlen(text), &enc);
	strbuf_append(cmd, enc.data, enc.len);
	strbuf_free(&enc);
}

/* precheck - things the server cannot take; false when all decided */
static bool
precheck(struct txn *t)
{
	struct smtp_session *sess = t->sess;
	struct smtp_message *m = t->m;

	strbuf_reset(&t->reason);
	if (sess->size_limit > 0 && m->size > sess->size_limit) {
		strbuf_printf(&t->reason, "message size %ld exceeds size limit "
		    "%ld of server %s[%s]", m->size, sess->size_limit,
		    sess->hostname, sess->addr);
		all_outcome(t, 5, "5.3.4", t->reason.data);
		return (false);
	}
	if (needs_utf8(m->req) && !(sess->features & SMTP_FEATURE_SMTPUTF8)) {
		strbuf_printf(&t->reason, "SMTPUTF8 is required, but was not "
		    "offered by host %s[%s]", sess->hostname, sess->addr);
		all_outcome(t, 5, "5.6.7", t->reason.data);
		return (false);
	}
	if (m->has_8bit && !(sess->features & SMTP_FEATURE_8BITMIME)) {
		strbuf_printf(&t->reason, "8-bit content, but 8BITMIME was not "
		    "offered by host %s[%s]: conversion required but not "
		    "supported", sess->hostname, sess->addr);
		all_outcome(t, 5, "5.6.3", t->reason.data);
		return (false);
	}
	return (true);
}

/* put_mail - the MAIL FROM command with its parameters */
static void
put_mail(struct txn *t, struct strbuf *cmd)
{
	struct smtp_session *sess = t->sess;
	struct smtp_message *m = t->m;
	struct deliver_request *req = m->req;

	strbuf_reset(cmd);
	strbuf_printf(cmd, "MAIL FROM:<%s>", req->sender ? req->sender : "");
	if (sess->features & SMTP_FEATURE_SIZE)
		strbuf_printf(cmd, " SIZE=%ld", m->size);
	if (m->has_8bit && (sess->features & SMTP_FEATURE_8BITMIME))
		strbuf_puts(cmd, " BODY=8BITMIME");
	if ((m->smtputf8 || needs_utf8(req)) &&
	    (sess->features & SMTP_FEATURE_SMTPUTF8))
		strbuf_puts(cmd, " SMTPUTF8");
	if (sess->features & SMTP_FEATURE_DSN) {
		if (req->ret != NULL && (strcmp(req->ret, "FULL") == 0 ||
		    strcmp(req->ret, "HDRS") == 0))
			strbuf_printf(cmd, " RET=%s", req->ret);
		if (req->envid != NULL && *req->envid != '\0') {
			strbuf_puts(cmd, " ENVID=");
			xtext_append(cmd, req->envid);
		}
	}
	strbuf_puts(cmd, "\r\n");
}

/* put_rcpt - one RCPT TO command */
static void
put_rcpt(struct txn *t, const struct deliver_rcpt *r, struct strbuf *cmd)
{
	strbuf_reset(cmd);
	strbuf_printf(cmd, "RCPT TO:<%s>", r->address);
	if (t->sess->features & SMTP_FEATURE_DSN) {
		const char *orcpt = r->orcpt, *semi;

		if (r->notify & DSN_NOTIFY_NEVER)
			strbuf_puts(cmd, " NOTIFY=NEVER");
		else if (r->notify != 0)
			strbuf_printf(cmd, " NOTIFY=%s%s%s%s%s",
			    r->notify & DSN_NOTIFY_SUCCESS ? "SUCCESS" : "",
			    (r->notify & DSN_NOTIFY_SUCCESS) &&
			    (r->notify & (DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY)) ?
			    "," : "",
			    r->notify & DSN_NOTIFY_FAILURE ? "FAILURE" : "",
			    (r->notify & DSN_NOTIFY_FAILURE) &&
			    (r->notify & DSN_NOTIFY_DELAY) ? "," : "",
			    r->notify & DSN_NOTIFY_DELAY ? "DELAY" : "");
		if (orcpt != NULL && *orcpt != '\0' &&
		    (semi = strchr(orcpt, ';')) != NULL && semi > orcpt) {
			strbuf_puts(cmd, " ORCPT=");
			strbuf_append(cmd, orcpt, (size_t)(semi - orcpt));
			strbuf_putc(cmd, ';');
			semi++;
			while (*semi == ' ')
				semi++;
			xtext_append(cmd, semi);
		} else if (r->original != NULL && *r->original != '\0' &&
		    is_ascii(r->original)) {
			strbuf_puts(cmd, " ORCPT=rfc822;");
			xtext_append(cmd, r->original);
		}
	}
	strbuf_puts(cmd, "\r\n");
}

/* send_content - DATA body, or BDAT; the final reply(ies) are read after */
static int
read_final(struct txn *t, struct smtp_reply *rep)
{
	struct deliver_request *req = t->m->req;

	stream_set_deadline(t->sess->s, 0, 0);	/* the transfer's is over */
	stream_set_timeout(t->sess->s, t->a->p.data_done_timeout);
	if (!t->sess->lmtp) {
		smtp_reply_read(t->sess->s, rep);
		all_reply(t, rep, "end of DATA");
		return (rep->code != 0 ? 0 : -1);
	}
	/* LMTP: one reply per accepted recipient, in RCPT order */
	for (size_t i = 0; i < req->rcpt_count; i++) {
		if (!t->accepted[i])
			continue;
		smtp_reply_read(t->sess->s, rep);
		reply_outcome(t, &req->rcpts[i], rep, "end of DATA");
		if (rep->code == 0)
			break;
	}
	return (rep->code != 0 ? 0 : -1);
}

/* transfer_deadline - the content's time: a whole, earned at a rate */
static void
transfer_deadline(struct txn *t)
{
	stream_set_timeout(t->sess->s, t->a->p.data_xfer_timeout);
	stream_set_deadline(t->sess->s, t->a->p.data_xfer_timeout * 1000L,
	    t->a->p.min_data_rate);
}

/*
 * smtp_transaction - deliver m over sess; every recipient gets an outcome,
 * except after SMTP_TRANSACTION_STALE: the reused session failed its RSET
 * and the caller retries on a new one.
 * Returns 0 when the session can carry another transaction, -1 if not.
 */
int
smtp_transaction(struct smtp_agent *a, struct smtp_session *sess,
    struct smtp_message *m)
{
	struct deliver_request *req = m->req;
	struct smtp_reply rep;
	struct strbuf cmd;
	struct txn t;
	bool	 pipelining, chunking, rset;
	int	 rc = -1;

	memset(&t, 0, sizeof(t));
	t.a = a;
	t.sess = sess;
	t.m = m;
	t.accepted = xcalloc(req->rcpt_count + 1, sizeof(bool));
	strbuf_init(&t.reason);
	strbuf_init(&cmd);
	smtp_reply_init(&rep);
	pipelining = (sess->features & SMTP_FEATURE_PIPELINING) != 0 || sess->lmtp;
	chunking = (sess->features & SMTP_FEATURE_CHUNKING) != 0;
	sess->transactions++;
	if (!precheck(&t)) {
		rc = 0;
		goto out;
	}
	/*
	 * A reused session is checked with RSET before anything is committed
	 * to it; pipelined, the check rides in the envelope's write instead
	 * of costing a round trip of its own.
	 */
	rset = sess->rset_pending;
	sess->rset_pending = false;
	if (rset && !pipelining && smtp_session_rset(a, sess) < 0) {
		rc = SMTP_TRANSACTION_STALE;
		goto stale;
	}

	/* the envelope: all at once when pipelining, else step by step */
	stream_set_timeout(sess->s, a->p.mail_timeout);
	if (rset && pipelining)
		stream_puts(sess->s, "RSET\r\n");
	put_mail(&t, &cmd);
	stream_write(sess->s, cmd.data, cmd.len);
	if (!pipelining) {
		if (stream_flush(sess->s) < 0 || smtp_reply_read(sess->s, &rep) / 100
		    != 2) {
			all_reply(&t, &rep, "MAIL FROM");
			rc = rep.code != 0 ? 0 : -1;
			goto out;
		}
	}
	for (size_t i = 0; i < req->rcpt_count; i++) {
		put_rcpt(&t, &req->rcpts[i], &cmd);
		stream_write(sess->s, cmd.data, cmd.len);
		if (pipelining)
			continue;
		stream_set_timeout(sess->s, a->p.rcpt_timeout);
		if (stream_flush(sess->s) < 0 || smtp_reply_read(sess->s, &rep) == 0) {
			all_reply(&t, &rep, "RCPT TO");
			goto out;
		}
		if (rep.code / 100 == 2) {
			t.accepted[i] = true;
			t.accepted_count++;
		} else
			reply_outcome(&t, &req->rcpts[i], &rep, "RCPT TO");
	}
	if (pipelining) {
		if (!chunking)
			stream_puts(sess->s, "DATA\r\n");
		stream_set_timeout(sess->s, a->p.rcpt_timeout);
		/* a cached session that fails its RSET is dropped, not blamed */
		if (rset && (stream_flush(sess->s) < 0 ||
		    smtp_reply_read(sess->s, &rep) / 100 != 2)) {
			rc = SMTP_TRANSACTION_STALE;
			goto stale;
		}
		if (stream_flush(sess->s) < 0 || smtp_reply_read(sess->s, &rep) == 0) {
			all_reply(&t, &rep, "MAIL FROM");
			goto out;
		}
		if (rep.code / 100 != 2) {
			/* the RCPT and DATA replies still come; read them all */
			all_reply(&t, &rep, "MAIL FROM");
			for (size_t i = 0; i < req->rcpt_count + !chunking; i++)
				if (smtp_reply_read(sess->s, &rep) == 0)
					goto out;
			rc = 0;
			goto out;
		}
		for (size_t i = 0; i < req->rcpt_count; i++) {
			if (smtp_reply_read(sess->s, &rep) == 0) {
				all_reply(&t, &rep, "RCPT TO");
				goto out;
			}
			if (rep.code / 100 == 2) {
				t.accepted[i] = true;
				t.accepted_count++;
			} else
				reply_outcome(&t, &req->rcpts[i], &rep, "RCPT TO");
		}
	}
	if (chunking) {
		int	 crc;

		if (t.accepted_count == 0) {
			rc = 0;
			goto out;
		}
		transfer_deadline(&t);
		crc = smtp_content_send_bdat(sess, m, &rep);
		stream_set_deadline(sess->s, 0, 0);
		if (crc != 0) {
			if (crc < 0)
				rep.code = 0, rep.io_status = stream_status(sess->s);
			all_reply(&t, &rep, "BDAT");
			goto out;
		}
		rc = read_final(&t, &rep);
		goto out;
	}
	/* DATA: pipelined already, or sent now */
	stream_set_timeout(sess->s, a->p.data_init_timeout);
	if (!pipelining) {
		if (t.accepted_count == 0) {
			rc = 0;
			goto out;
		}
		stream_puts(sess->s, "DATA\r\n");
		if (stream_flush(sess->s) < 0) {
			all_reply(&t, &rep, "DATA");
			goto out;
		}
	}
	if (smtp_reply_read(sess->s, &rep) != 354) {
		all_reply(&t, &rep, "DATA");
		rc = rep.code != 0 ? 0 : -1;
		goto out;
	}
	if (t.accepted_count == 0) {
		/* a server that said 354 with no recipient: end it empty */
		stream_puts(sess->s, ".\r\n");
		stream_set_timeout(sess->s, a->p.data_done_timeout);
		if (stream_flush(sess->s) == 0 && smtp_reply_read(sess->s, &rep))
			rc = 0;
		goto out;
	}
	transfer_deadline(&t);
	if (smtp_content_send_data(sess, m) < 0) {
		stream_set_deadline(sess->s, 0, 0);
		if (stream_status(sess->s) == STREAM_OK) {
			all_outcome(&t, 4, "4.3.0", "queue file read error");
			goto out;
		}
		rep.code = 0;
		rep.io_status = stream_status(sess->s);
		all_reply(&t, &rep, "message content");
		goto out;
	}
	rc = read_final(&t, &rep);
out:
	stream_set_deadline(sess->s, 0, 0);
	if (stream_status(sess->s) != STREAM_OK)
		rc = -1;
	/* anyone still undecided (lost session mid-way) is deferred */
	strbuf_reset(&t.reason);
	strbuf_printf(&t.reason, "lost connection with %s[%s]", sess->hostname,
	    sess->addr);
	all_outcome(&t, 4, "4.4.2", t.reason.data);
stale:
	free(t.accepted);
	strbuf_free(&t.reason);
	strbuf_free(&cmd);
	smtp_reply_free(&rep);
	return (rc);
}
