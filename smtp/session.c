/*
 * session - the greeting, EHLO (HELO fallback; LHLO for LMTP), RSET for
 * reuse, and QUIT.
 *
 * The EHLO reply decides what the transaction may use: PIPELINING, SIZE
 * (and its limit), 8BITMIME, SMTPUTF8, DSN, CHUNKING, STARTTLS and AUTH.
 * A server that refuses EHLO with a 5xx gets HELO and no extensions.
 * Every reply is read with the bounds of reply.c, so a greeting or an
 * EHLO list without end, or one dripped a byte at a time, ends the session
 * within smtp_helo_timeout.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "smtp.h"

/* smtp_parse_ehlo_line - one line of the EHLO reply (without the code) */
void
smtp_parse_ehlo_line(struct smtp_session *sess, const char *line)
{
	static const struct {
		const char	*word;
		unsigned	 bit;
	} words[] = {
		{ "PIPELINING", SMTP_FEATURE_PIPELINING },
		{ "SIZE", SMTP_FEATURE_SIZE },
		{ "8BITMIME", SMTP_FEATURE_8BITMIME },
		{ "SMTPUTF8", SMTP_FEATURE_SMTPUTF8 },
		{ "DSN", SMTP_FEATURE_DSN },
		{ "CHUNKING", SMTP_FEATURE_CHUNKING },
		{ "STARTTLS", SMTP_FEATURE_STARTTLS },
		{ "AUTH", SMTP_FEATURE_AUTH },
	};
	size_t	 wlen = strcspn(line, " =");

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) != wlen ||
		    strncasecmp(line, words[i].word, wlen) != 0)
			continue;
		sess->features |= words[i].bit;
		if (words[i].bit == SMTP_FEATURE_AUTH && sess->auth_mechs == NULL)
			sess->auth_mechs = xstrdup(line[wlen] ? line + wlen + 1 : "");
		if (words[i].bit == SMTP_FEATURE_SIZE && line[wlen] != '\0') {
			char	*end;
			long	 n = strtol(line + wlen + 1, &end, 10);

			if (n > 0 && (*end == '\0' || isspace((unsigned char)*end)))
				sess->size_limit = n;
		}
	}
}

/* ehlo_line - a later line of a 2xx EHLO/LHLO reply: one keyword */
static void
ehlo_line(void *ctx, int code, const char *text)
{
	if (code / 100 == 2)
		smtp_parse_ehlo_line(ctx, text);
}

/* read_ehlo - the EHLO/LHLO reply, parsing keywords from every line */
static int
read_ehlo(struct smtp_session *sess, struct smtp_reply *r)
{
	/* bounded like every reply (reply.c): lines, line length, deadline */
	sess->features = 0;
	sess->size_limit = 0;
	free(sess->auth_mechs);
	sess->auth_mechs = NULL;
	smtp_reply_read_each(sess->s, r, ehlo_line, sess);
	if (r->code / 100 != 2) {
		sess->features = 0;
		sess->size_limit = 0;
	}
	return (r->code);
}

/*
 * failure_status - 5 for a 5xx, else 4, and a DSN of that class: a 2xx or
 * 3xx where it does not belong (a "219" greeting) defers as 4.x.x
 */
static void
failure_status(const struct smtp_reply *r, int *status, char dsn[16])
{
	*status = r->code / 100 == 5 ? 5 : 4;
	if (r->code == 0)
		snprintf(dsn, 16, "4.4.2");
	else
		snprintf(dsn, 16, "%d%s", *status, r->dsn + 1);
}

/* fail_with - a failed step's reply as the session's failure reason */
static int
fail_with(struct smtp_session *sess, struct smtp_reply *r, const char *cmd,
    struct strbuf *why, int *status, char dsn[16])
{
	smtp_reply_describe(sess, r, cmd, why);
	failure_status(r, status, dsn);
	return (-1);
}

/* hello - EHLO (LHLO), with HELO when the server refuses EHLO */
static int
hello(struct smtp_agent *a, struct smtp_session *sess, struct smtp_reply *r,
    struct strbuf *why, int *status, char dsn[16])
{
	const char *cmd = sess->lmtp ? "LHLO" : "EHLO";

	stream_set_timeout(sess->s, a->p.helo_timeout);
	stream_printf(sess->s, "%s %s\r\n", cmd, a->p.helo_name);
	if (stream_flush(sess->s) < 0 || read_ehlo(sess, r) == 0)
		return (fail_with(sess, r, cmd, why, status, dsn));
	if (r->code / 100 == 5 && r->code != 521 && !sess->lmtp) {
		/* no ESMTP: plain HELO and no extensions */
		stream_printf(sess->s, "HELO %s\r\n", a->p.helo_name);
		if (stream_flush(sess->s) < 0 || smtp_reply_read(sess->s, r) == 0
		    || r->code / 100 != 2)
			return (fail_with(sess, r, "HELO", why, status, dsn));
		sess->features = 0;
	} else if (r->code / 100 != 2)
		return (fail_with(sess, r, cmd, why, status, dsn));
	return (0);
}

/*
 * smtp_session_start - greeting, EHLO, STARTTLS (and EHLO again), AUTH;
 * 0 or -1 with why.
 */
int
smtp_session_start(struct smtp_agent *a, struct smtp_session *sess,
    struct strbuf *why, int *status, char dsn[16])
{
	struct smtp_reply r;
	int	 rc = -1, trc;

	smtp_reply_init(&r);
	stream_set_timeout(sess->s, a->p.helo_timeout);
	if (smtp_reply_read(sess->s, &r) == 0) {
		/* also garbage before the 220, or a greeting without end */
		smtp_reply_describe(sess, &r, NULL, why);
		*status = 4;
		snprintf(dsn, 16, "4.4.2");
		goto out;
	}
	if (r.code != 220) {
		strbuf_reset(why);
		strbuf_printf(why, "host %s[%s] refused to talk to me: %d %s",
		    sess->hostname, sess->addr, r.code, r.text.data);
		failure_status(&r, status, dsn);
		goto out;
	}
	if (hello(a, sess, &r, why, status, dsn) < 0)
		goto out;
	if ((trc = smtp_tls_negotiate(a, sess, why, status, dsn)) < 0)
		goto out;
	/* RFC 3207: forget what was said in plaintext, ask again */
	if (trc > 0 && hello(a, sess, &r, why, status, dsn) < 0)
		goto out;
	if (smtp_sasl_authenticate(a, sess, why, status, dsn) < 0)
		goto out;
	rc = 0;
out:
	smtp_reply_free(&r);
	return (rc);
}

/* smtp_session_rset - reset before a reused session's next transaction */
int
smtp_session_rset(struct smtp_agent *a, struct smtp_session *sess)
{
	struct smtp_reply r;
	int	 ok;

	smtp_reply_init(&r);
	stream_set_timeout(sess->s, a->p.helo_timeout);
	stream_puts(sess->s, "RSET\r\n");
	ok = stream_flush(sess->s) == 0 && smtp_reply_read(sess->s, &r) / 100 == 2;
	smtp_reply_free(&r);
	return (ok ? 0 : -1);
}

/* smtp_session_quit - polite goodbye, best effort */
void
smtp_session_quit(struct smtp_agent *a, struct smtp_session *sess)
{
	struct smtp_reply r;

	if (stream_status(sess->s) != STREAM_OK)
		return;
	smtp_reply_init(&r);
	stream_set_timeout(sess->s, a->p.quit_timeout);
	stream_puts(sess->s, "QUIT\r\n");
	if (stream_flush(sess->s) == 0)
		(void)smtp_reply_read(sess->s, &r);
	smtp_reply_free(&r);
}
