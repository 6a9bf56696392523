/*
 * data - DATA: the message content in the classic dot-terminated form.
 *
 * Only CRLF "." CRLF ends the content (RFC 5321 4.1.1.4), never "\n.\n",
 * "\n.\r\n" or "\r.\r\n": that difference between servers is what SMTP
 * smuggling exploits.  With smtpd_forbid_bare_newline a bare LF or bare
 * CR anywhere in the content ends the session with 521 and the message
 * is dropped; otherwise a bare LF ends a line like CRLF (but still never
 * the content) and a bare CR is passed on as data.  Lines are read in
 * bounded chunks so that a long line is streamed, not refused; CRLF
 * becomes LF and a leading dot is removed (dot-unstuffing).  A message
 * over a limit is read to its end, then refused.
 */
#include <string.h>

#include "smtpd.h"

#define DATA_CHUNK	8192

enum data_result {
	DATA_END,		/* "." line seen */
	DATA_DROP,		/* answered already (521/421), hang up */
};

/* smtpd_data_check - sequence and syntax of DATA */
int
smtpd_data_check(struct smtpd_session *s, const char *args)
{
	if (!s->txn.active) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return (-1);
	}
	if (s->txn.mode == CONTENT_BDAT) {
		smtpd_reply(s, "503 5.5.1 Error: DATA cannot follow BDAT");
		return (-1);
	}
	if (s->txn.rcpt_count == 0) {
		smtpd_reply(s, "503 5.5.1 Error: need RCPT command");
		return (-1);
	}
	if (strcmp(s->txn.body_type, "BINARYMIME") == 0) {
		smtpd_reply(s, "503 5.5.1 Error: BODY=BINARYMIME requires BDAT");
		return (-1);
	}
	if (*args != '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: DATA");
		return (-1);
	}
	return (0);
}

/* read_content - copy the content to the sink up to the final "." */
static enum data_result
read_content(struct smtpd_session *s, struct content_sink *sink)
{
	bool forbid = s->bare_newline_reject;
	bool line_start = true, prev_crlf = true, carry_cr = false;
	struct strbuf buf;
	enum data_result result;
	const char *body;
	size_t len;
	bool complete, crlf;
	int status;

	strbuf_init(&buf);
	for (;;) {
		status = stream_getline_chunk(s->stream, &buf, DATA_CHUNK);
		if (status != STREAM_OK && status != STREAM_TOOLONG) {
			smtpd_read_failed(s, status);
			result = DATA_DROP;
			break;
		}
		complete = status == STREAM_OK;
		if (complete && (buf.len == 0 || buf.data[buf.len - 1] != '\n')) {
			smtpd_read_failed(s, STREAM_EOF);	/* EOF cut the line */
			result = DATA_DROP;
			break;
		}
		body = buf.data;
		len = buf.len;
		if (carry_cr) {
			carry_cr = false;
			if (complete && len == 1) {	/* the CR's LF: CRLF */
				content_sink_put(sink, "\n", 1);
				line_start = prev_crlf = true;
				continue;
			}
			if (forbid && smtpd_bare_newline(s, "<CR>")) {
				result = DATA_DROP;
				break;
			}
			content_sink_put(sink, "\r", 1);
		}
		crlf = false;
		if (complete) {
			len--;
			if (len > 0 && body[len - 1] == '\r') {
				len--;
				crlf = true;
			}
		} else if (len > 0 && body[len - 1] == '\r') {
			len--;
			carry_cr = true;
		}
		if (forbid && complete && !crlf && smtpd_bare_newline(s, "<LF>")) {
			result = DATA_DROP;
			break;
		}
		if (forbid && memchr(body, '\r', len) != NULL
		    && smtpd_bare_newline(s, "<CR>")) {
			result = DATA_DROP;
			break;
		}
		if (line_start && len > 0 && body[0] == '.') {
			if (len == 1 && complete && crlf && prev_crlf) {
				result = DATA_END;
				break;
			}
			/* a lone "." that does not end DATA is kept as data */
			if (len > 1 || !complete) {
				body++;
				len--;
			}
		}
		content_sink_put(sink, body, len);
		if (complete) {
			content_sink_put(sink, "\n", 1);
			prev_crlf = crlf;
		}
		line_start = complete;
	}
	strbuf_free(&buf);
	return (result);
}

/* smtpd_data - DATA: hand the content to cleanup, answer for it */
int
smtpd_data(struct smtpd_session *s, const char *args)
{
	struct strbuf reply;

	(void)args;
	strbuf_init(&reply);
	if (smtpd_queue_open(s, &reply) != 0) {
		/*
		 * The transaction ends here, as it would after the content:
		 * clients such as Python's smtplib send the next MAIL without
		 * an RSET after a refused DATA.
		 */
		smtpd_reject(s, "DATA", NULL, "%s", reply.data);
		smtpd_txn_reset(s);
		strbuf_free(&reply);
		return (0);
	}
	strbuf_free(&reply);
	s->txn.mode = CONTENT_DATA;
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtpd_flush(s);
	if (read_content(s, &s->txn.sink) != DATA_END) {
		smtpd_queue_abort(s);
		return (-1);
	}
	smtpd_queue_finish(s);
	return (0);
}
