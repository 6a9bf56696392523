/*
 * reply - read and describe the server's replies.
 *
 * A reply is one or more "CODE-text" lines ending with "CODE text"; every
 * line must carry the same code.  Any server Sluice delivers to may be
 * hostile, so a reply is bounded three ways: a line over
 * SMTP_REPLY_LINE_MAX bytes or a reply over SMTP_REPLY_LINES_MAX lines is a
 * protocol error at once (the rest is not read on: a server that sends
 * bytes without end would keep us reading for ever), and the stage's
 * timeout (smtp_helo_timeout, smtp_rcpt_timeout, ...) bounds the whole
 * reply, not each read, so that one byte a second does not hold the
 * session either.  Inside a longer stage that has a deadline of its own
 * (the BDAT transfer) that deadline applies.  The recipients are then
 * deferred (4.4.2), as after a lost connection.
 * The enhanced status code (RFC 3463) is taken from the first line when
 * its class matches the reply code; otherwise one is derived from it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dsn_code.h"
#include "smtp.h"

/* smtp_reply_init - empty reply */
void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->text);
	strbuf_init(&r->first);
}

/* smtp_reply_free - release */
void
smtp_reply_free(struct smtp_reply *r)
{
	strbuf_free(&r->text);
	strbuf_free(&r->first);
}

/*
 * smtp_reply_parse_line - "250-text" / "250 text" / "250": 0 with the
 * code, whether more lines follow and the text; -1 when malformed.
 */
int
smtp_reply_parse_line(const char *line, size_t len, int *code, bool *more,
    const char **text)
{
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]))
		return (-1);
	if (line[0] < '2' || line[0] > '5')
		return (-1);
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3) {
		*more = false;
		*text = line + 3;
		return (0);
	}
	if (line[3] != ' ' && line[3] != '-')
		return (-1);
	*more = line[3] == '-';
	*text = line + 4;
	return (0);
}

/* smtp_reply_dsn - the enhanced code from the text, or a derived one */
void
smtp_reply_dsn(struct smtp_reply *r)
{
	const char *t = r->first.data;
	size_t	 n = dsn_code_span(t, r->first.len);

	if (n > 0 && n < sizeof(r->dsn) && t[0] - '0' == r->code / 100) {
		memcpy(r->dsn, t, n);
		r->dsn[n] = '\0';
		return;
	}
	snprintf(r->dsn, sizeof(r->dsn), "%d.0.0", r->code / 100);
}

/* clean_append - reply text with controls replaced, bounded */
static void
clean_append(struct strbuf *out, const char *text, size_t max)
{
	for (; *text != '\0' && out->len < max; text++) {
		unsigned char ch = (unsigned char)*text;

		strbuf_putc(out, ch < 0x20 || ch == 0x7f ? ' ' : ch);
	}
}

/* read_line - one reply line without its line end; 0 or an io_status */
static int
read_line(struct stream *s, struct strbuf *line)
{
	int	 rc;

	rc = stream_getline_chunk(s, line, SMTP_REPLY_LINE_MAX);
	if (rc == STREAM_TOOLONG)
		return (SMTP_REPLY_TOOLONG);
	if (rc != STREAM_OK)
		return (rc);
	if (line->len == 0 || line->data[line->len - 1] != '\n')
		return (STREAM_EOF);		/* EOF cut the line */
	while (line->len > 0 && (line->data[line->len - 1] == '\n' ||
	    line->data[line->len - 1] == '\r'))
		strbuf_truncate(line, line->len - 1);
	return (0);
}

/*
 * smtp_reply_read_each - one complete reply; line_cb (when not NULL) gets
 * the code and text of every line after the first (the EHLO keywords).
 * Returns the code (> 0), or 0 for an I/O failure or a protocol error
 * (io_status says which).
 */
int
smtp_reply_read_each(struct stream *s, struct smtp_reply *r,
    void (*line_cb)(void *ctx, int code, const char *text), void *ctx)
{
	struct strbuf line;
	const char *text;
	bool	 more = true, own_deadline;
	int	 code, rc, lines = 0;

	strbuf_reset(&r->text);
	strbuf_reset(&r->first);
	r->code = 0;
	r->io_status = STREAM_OK;
	/* the stage's timeout bounds the whole reply, unless a stage is on */
	own_deadline = stream_deadline_left(s) < 0 && stream_timeout(s) > 0;
	if (own_deadline)
		stream_set_deadline(s, stream_timeout(s) * 1000L, 0);
	strbuf_init(&line);
	while (more) {
		if ((rc = read_line(s, &line)) != 0) {
			r->io_status = rc;
			goto fail;
		}
		if (++lines > SMTP_REPLY_LINES_MAX) {
			r->io_status = SMTP_REPLY_TOOMANY;
			goto fail;
		}
		if (smtp_reply_parse_line(line.data, line.len, &code, &more,
		    &text) < 0 || (r->code != 0 && code != r->code)) {
			r->io_status = SMTP_REPLY_MALFORMED;
			goto fail;
		}
		if (r->code == 0) {
			r->code = code;
			clean_append(&r->first, text, SMTP_REPLY_TEXT_MAX);
		} else if (line_cb != NULL)
			line_cb(ctx, code, text);
		if (r->text.len > 0 && r->text.len < SMTP_REPLY_TEXT_MAX)
			strbuf_putc(&r->text, ' ');
		clean_append(&r->text, text, SMTP_REPLY_TEXT_MAX);
	}
	strbuf_free(&line);
	if (own_deadline)
		stream_set_deadline(s, 0, 0);
	smtp_reply_dsn(r);
	return (r->code);
fail:
	strbuf_free(&line);
	if (own_deadline)
		stream_set_deadline(s, 0, 0);
	r->code = 0;
	snprintf(r->dsn, sizeof(r->dsn), "4.4.2");
	return (0);
}

/* smtp_reply_read - one complete reply (see smtp_reply_read_each) */
int
smtp_reply_read(struct stream *s, struct smtp_reply *r)
{
	return (smtp_reply_read_each(s, r, NULL, NULL));
}

/* smtp_reply_fault - the words for a reply that did not come */
const char *
smtp_reply_fault(int io_status)
{
	switch (io_status) {
	case STREAM_TIMEOUT:
		return ("conversation timed out");
	case STREAM_CANCELED:
		return ("delivery abandoned (qmgr stopped waiting)");
	case SMTP_REPLY_MALFORMED:
		return ("protocol error (malformed reply)");
	case SMTP_REPLY_TOOLONG:
		return ("protocol error (reply line too long)");
	case SMTP_REPLY_TOOMANY:
		return ("protocol error (too many reply lines)");
	default:
		return ("lost connection");
	}
}

/*
 * smtp_reply_describe - "host H[A] said: 550 5.1.1 text (in reply to
 * RCPT TO command)", or the lost-connection text for an I/O failure
 * ("... while receiving the initial server greeting" when command is NULL).
 */
void
smtp_reply_describe(const struct smtp_session *sess, const struct smtp_reply *r,
    const char *command, struct strbuf *out)
{
	strbuf_reset(out);
	if (r->code == 0) {
		strbuf_printf(out, "%s with %s[%s] while %s%s",
		    smtp_reply_fault(r->io_status), sess->hostname, sess->addr,
		    command != NULL ? "sending " : "receiving the initial "
		    "server greeting", command != NULL ? command : "");
		return;
	}
	strbuf_printf(out, "host %s[%s] said: %d %s (in reply to %s command)",
	    sess->hostname, sess->addr, r->code, r->text.data, command);
}
